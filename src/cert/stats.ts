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
