/**
 * Summary statistics, one place for the whole code base (tables, the benchmark, the app).
 * Names say which standard deviation they are: the paper's tables report the population
 * one (divide by n); the benchmark's timing spreads use the sample one (divide by n − 1).
 */

/** Arithmetic mean; NaN for no values. */
export function mean(xs: readonly number[]): number {
  return xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : NaN
}

/** Population standard deviation √(Σ(x − x̄)² / n); NaN for no values. */
export function populationStd(xs: readonly number[]): number {
  if (!xs.length) return NaN
  const m = mean(xs)
  return Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / xs.length)
}

/** Sample standard deviation √(Σ(x − x̄)² / (n − 1)); 0 for a single value, NaN for none. */
export function sampleStd(xs: readonly number[]): number {
  if (!xs.length) return NaN
  if (xs.length < 2) return 0
  const m = mean(xs)
  return Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1))
}

/** Median (mean of the two middle values for an even count); NaN for no values. */
export function median(xs: readonly number[]): number {
  if (!xs.length) return NaN
  const s = [...xs].sort((a, b) => a - b)
  const k = s.length >> 1
  return s.length % 2 ? s[k] : (s[k - 1] + s[k]) / 2
}

/** Geometric mean of the finite positive values; NaN when there are none. */
export function geomean(xs: readonly number[]): number {
  const ok = xs.filter((x) => Number.isFinite(x) && x > 0)
  return ok.length ? Math.exp(mean(ok.map(Math.log))) : NaN
}

/** a / b; Infinity when only b is 0; NaN when both are 0 or either is not finite. */
export function ratio(a: number, b: number): number {
  if (!(Number.isFinite(a) && Number.isFinite(b))) return NaN
  if (b === 0) return a > 0 ? Infinity : NaN
  return a / b
}

/** Indices of the k smallest values, smallest first (ties: the earlier index first). */
export function smallestIndices(xs: readonly number[], k: number): number[] {
  return xs
    .map((x, i) => [x, i] as const)
    .sort((a, b) => a[0] - b[0] || a[1] - b[1])
    .slice(0, Math.max(0, k))
    .map(([, i]) => i)
}

/** Ranks 1…n of the values (ties share their mean rank; Infinity ranks last); NaN is not allowed. */
export function ranks(xs: readonly number[]): number[] {
  const order = xs.map((x, i) => [x, i] as const).sort((a, b) => (a[0] === b[0] ? 0 : a[0] < b[0] ? -1 : 1))
  const r = new Array<number>(xs.length)
  for (let s = 0; s < order.length; ) {
    let e = s + 1
    while (e < order.length && order[e][0] === order[s][0]) e++
    for (let j = s; j < e; j++) r[order[j][1]] = (s + e + 1) / 2
    s = e
  }
  return r
}

/** Pearson correlation; NaN for fewer than two pairs or a constant side. */
export function pearson(xs: readonly number[], ys: readonly number[]): number {
  if (xs.length !== ys.length) throw new Error(`pearson: ${xs.length} values against ${ys.length}`)
  if (xs.length < 2) return NaN
  const mx = mean(xs)
  const my = mean(ys)
  let sxy = 0
  let sxx = 0
  let syy = 0
  for (let i = 0; i < xs.length; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my)
    sxx += (xs[i] - mx) ** 2
    syy += (ys[i] - my) ** 2
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : NaN
}

/**
 * Spearman's rank correlation (Pearson's on the ranks, ties at their mean rank; Infinity
 * ranks last); NaN for fewer than two pairs, a constant side or a NaN value.
 */
export function spearman(xs: readonly number[], ys: readonly number[]): number {
  if (xs.length !== ys.length) throw new Error(`spearman: ${xs.length} values against ${ys.length}`)
  if ([...xs, ...ys].some(Number.isNaN)) return NaN
  return pearson(ranks(xs), ranks(ys))
}

/** How many of the k smallest of xs are among the k smallest of ys (0…k; fewer values: at most their count). */
export function topOverlap(xs: readonly number[], ys: readonly number[], k: number): number {
  const b = new Set(smallestIndices(ys, k))
  return smallestIndices(xs, k).filter((i) => b.has(i)).length
}
