/**
 * z = σ(x)·tanh(y) (Theorem 4.2; LSTM i⊙g and o⊙tanh(c)).
 */
import type { BinaryPlaneFn, CandidateSink, TransformerModule } from './plane.ts'
import { addCorners, bilinearPlane, cornerPlane, PointList, planeFromResiduals, residualScale, sigmoid } from './plane.ts'
import { sigmoidPlanes, sigmoidSlopePoints } from './sigmoid.ts'
import { tanhPlanes, tanhSlopePoints } from './tanh.ts'

const f = (x: number, y: number) => sigmoid(x) * Math.tanh(y)

/** ln σ(x), accurate for every x. */
const logSigmoid = (x: number) => -(Math.max(-x, 0) + Math.log1p(Math.exp(-Math.abs(x))))

/** The interior roots of the last `interiorRoots` call (at most two), reused buffers. */
const rootX = new Float64Array(2)
const rootY = new Float64Array(2)

/** ln F(σ(x)) − ln A² (see interiorRoots) */
function interiorResidual(x: number, b: number, target: number): number {
  const pb = sigmoid(x) - b
  if (pb <= 0) return -Infinity
  return logSigmoid(x) + 2 * logSigmoid(-x) + Math.log(pb) - target
}

/** Store the stationary point at x as root n (y from the better-conditioned equation). */
function storeRoot(n: number, x: number, a: number, b: number): number {
  const p = sigmoid(x)
  const pq = p * sigmoid(-x)
  const t = a / pq
  rootX[n] = x
  rootY[n] = Math.abs(t) < 0.5 ? Math.atanh(t) : Math.sign(a) * Math.acosh(Math.sqrt(p / b))
  return n + 1
}

/** Bisect the residual's sign change on [lo, hi] in x; returns the new root count. */
function bisectRoot(lo: number, hi: number, a: number, b: number, target: number, n: number): number {
  if (!(hi > lo)) return n
  let hLo = interiorResidual(lo, b, target)
  const hHi = interiorResidual(hi, b, target)
  if (hLo === 0) return storeRoot(n, lo, a, b)
  if (hHi === 0) return storeRoot(n, hi, a, b)
  if (!(hLo * hHi < 0) && !(hLo === -Infinity && hHi > 0) && !(hHi === -Infinity && hLo > 0)) return n
  // the residual is stationary at the root: an error δx in x costs O(δx²) in g, far
  // below the planes' rounding margin once δx < 1e-9
  for (let it = 0; it < 200 && hi - lo > 1e-9 * (1 + Math.abs(lo)); it++) {
    const m = lo + (hi - lo) / 2
    if (m <= lo || m >= hi) break
    const hm = interiorResidual(m, b, target)
    if (hm === 0) {
      lo = hi = m
      break
    }
    if ((hLo < 0) === (hm < 0)) {
      lo = m
      hLo = hm
    } else hi = m
  }
  return storeRoot(n, lo + (hi - lo) / 2, a, b)
}

/**
 * Interior stationary points of g = σ(x)·tanh(y) − A·x − B·y with x in [lx, ux]:
 * σ'(x)·tanh(y) = A and σ(x)·sech²(y) = B. With p = σ(x) these give the quartic
 * F(p) = p(1 − p)²(p − B) = A² (the notes' p⁴ − (2 + B)p³ + (1 + 2B)p² − Bp − A² = 0).
 * Expanded, that quartic cancels catastrophically when σ saturates, so it is solved here in
 * a well-conditioned form: B ∈ [0, 1], F > 0 only on (B, 1), and ln F is strictly concave
 * there (unimodal, peak at the root of 4p² − (2 + 3B)p + B = 0), so there are at most two
 * roots, one on each side of the peak. Each is bisected in x, with ln σ(x) and ln σ(−x)
 * computed without cancellation; y follows from the better-conditioned of the two equations.
 * The roots go to rootX/rootY (no allocation); returns how many.
 */
function interiorRoots(a: number, b: number, lx: number, ux: number): number {
  if (!(b > 0 && b < 1)) return 0
  if (a === 0) {
    // tanh(y) = 0 and σ(x) = B
    const x = Math.log(b / (1 - b))
    if (!(x >= lx && x <= ux)) return 0
    rootX[0] = x
    rootY[0] = 0
    return 1
  }
  const d = Math.sqrt((2 + 3 * b) * (2 + 3 * b) - 16 * b)
  const pPeak = (2 + 3 * b + d) / 8
  const xB = Math.log(b / (1 - b))
  const xPeak = Math.log(pPeak / (1 - pPeak))
  const target = 2 * Math.log(Math.abs(a))
  const n = bisectRoot(Math.max(lx, xB), Math.min(ux, xPeak), a, b, target, 0)
  return bisectRoot(Math.max(lx, xPeak), ux, a, b, target, n)
}

/** The interior stationary points (see interiorRoots) as a list. */
export function sigmoidTanhInterior(a: number, b: number, lx: number, ux: number): Array<[number, number]> {
  const n = interiorRoots(a, b, lx, ux)
  const out: Array<[number, number]> = []
  for (let k = 0; k < n; k++) out.push([rootX[k], rootY[k]])
  return out
}

/** Every candidate for the residual's extremes over the box (corners, edges, interior), into `out`. */
function eachSigmoidTanhCandidate(a: number, b: number, lx: number, ux: number, ly: number, uy: number, out: CandidateSink): void {
  addCorners(out, lx, ux, ly, uy)
  // edges x = xe: σ(xe)·(1 − tanh²y) = B
  for (let e = 0; e < 2; e++) {
    const xe = e === 0 ? lx : ux
    for (const y of tanhSlopePoints(b / sigmoid(xe))) if (y > ly && y < uy) out.add(xe, y)
  }
  // edges y = ye: σ'(x)·tanh(ye) = A
  for (let e = 0; e < 2; e++) {
    const ye = e === 0 ? ly : uy
    const t = Math.tanh(ye)
    if (t === 0) continue
    for (const x of sigmoidSlopePoints(a / t)) if (x > lx && x < ux) out.add(x, ye)
  }
  // interior stationary points
  if (ux > lx && uy > ly) {
    const n = interiorRoots(a, b, lx, ux)
    for (let k = 0; k < n; k++) {
      const y = rootY[k]
      // a root a hair outside the box (rounding) is clamped in: any point of the box is a
      // harmless extra candidate
      if (y >= ly - 1e-9 && y <= uy + 1e-9) out.add(rootX[k], Math.min(uy, Math.max(ly, y)))
    }
  }
}

/** Every candidate for the residual's extremes over the box (corners, edges, interior). */
export function sigmoidTanhCandidates(a: number, b: number, lx: number, ux: number, ly: number, uy: number): Array<[number, number]> {
  const list = new PointList()
  eachSigmoidTanhCandidate(a, b, lx, ux, ly, uy, list)
  return list.pts
}

/**
 * The Cert-RNN plane of gate(x)·tanh(y) for a monotone gate in [0, 1] (σ, the hard
 * sigmoid): the slopes of Theorem 4.2, offsets from the gate's candidate enumeration.
 */
export function gateTanhCertrnn(
  gate: (x: number) => number,
  candidates: (a: number, b: number, lx: number, ux: number, ly: number, uy: number) => Array<[number, number]>,
): BinaryPlaneFn {
  return (lx, ux, ly, uy) => {
    const sl = gate(lx), su = gate(ux)
    const tl = Math.tanh(ly), tu = Math.tanh(uy)
    const a = ux > lx ? ((su - sl) * (tu + tl)) / (2 * (ux - lx)) : 0
    const b = uy > ly ? ((su + sl) * (tu - tl)) / (2 * (uy - ly)) : 0
    const pts = candidates(a, b, lx, ux, ly, uy)
    const residuals = pts.map(([x, y]) => gate(x) * Math.tanh(y) - a * x - b * y)
    return planeFromResiduals(a, b, residuals, residualScale(a, b, { lx, ux, ly, uy }, 1))
  }
}

export const sigmoidTanhCertrnn: BinaryPlaneFn = gateTanhCertrnn(sigmoid, sigmoidTanhCandidates)

/** DeepZ: sigmoid and tanh transformers first, then the bilinear product. */
export const sigmoidTanhDeepz: BinaryPlaneFn = (lx, ux, ly, uy) => {
  const s = sigmoidPlanes.deepz(lx, ux)
  const t = tanhPlanes.deepz(ly, uy)
  return bilinearPlane({ lx, ux, ly, uy }, s, { a: 0, b: t.a, c1: t.c1, c2: t.c2 })
}

/** Interval: f is monotone in each variable, so its range is spanned by the corners. */
export const sigmoidTanhInterval: BinaryPlaneFn = (lx, ux, ly, uy) => cornerPlane(f, lx, ux, ly, uy)

export const sigmoidTanhPlanes: TransformerModule<BinaryPlaneFn> = {
  interval: sigmoidTanhInterval,
  deepz: sigmoidTanhDeepz,
  certrnn: sigmoidTanhCertrnn,
}
