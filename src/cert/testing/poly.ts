/** Reference root finder for expanded polynomials (tests cross-check the transformers with it). */
/**
 * Real roots of a polynomial inside an open interval, by recursion on the derivative:
 * the derivative's roots split the interval into monotone pieces, each bisected to full
 * float64 precision. Coefficients are highest degree first.
 */
export function polyEval(coeffs: number[], x: number): number {
  let v = 0
  for (const c of coeffs) v = v * x + c
  return v
}

export function polyDerivative(coeffs: number[]): number[] {
  const d = coeffs.length - 1
  return coeffs.slice(0, -1).map((c, k) => c * (d - k))
}

export function polyRealRoots(coeffs: number[], lo: number, hi: number): number[] {
  // drop leading zeros
  let k = 0
  while (k < coeffs.length - 1 && coeffs[k] === 0) k++
  const p = coeffs.slice(k)
  const degree = p.length - 1
  if (degree <= 0) return []
  if (degree === 1) {
    const x = -p[1] / p[0]
    return x > lo && x < hi ? [x] : []
  }
  const turning = polyRealRoots(polyDerivative(p), lo, hi)
  const knots = [lo, ...turning, hi]
  const roots: number[] = []
  for (let s = 0; s + 1 < knots.length; s++) {
    let a = knots[s]
    let b = knots[s + 1]
    let fa = polyEval(p, a)
    const fb = polyEval(p, b)
    if (fa === 0) {
      if (a > lo) roots.push(a)
      continue
    }
    if (fb === 0 || fa * fb > 0) {
      // a double root at a turning point touches zero without a sign change: keep the
      // turning point itself when the polynomial is (numerically) zero there
      if (s + 1 < knots.length - 1 && Math.abs(fb) <= 1e-12 * (1 + Math.abs(fa))) roots.push(b)
      continue
    }
    for (let it = 0; it < 200 && b - a > 0; it++) {
      const m = a + (b - a) / 2
      if (m <= a || m >= b) break
      const fm = polyEval(p, m)
      if (fm === 0) {
        a = b = m
        break
      }
      if (fa * fm < 0) b = m
      else {
        a = m
        fa = fm
      }
    }
    roots.push(a + (b - a) / 2)
  }
  return roots
}
