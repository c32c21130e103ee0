/**
 * Searching the largest certified ε. Both searches only ever return an ε at which the
 * certificate was actually evaluated and held (or 0), so the bound never lies.
 *
 * paper: Algorithm 1 of the paper: start at 0.5, twelve steps of ±0.5^l (l = 2…13).
 *   The paper returns the final grid point without checking it; we evaluate it too and
 *   return the largest certified point (resolution 2⁻¹³ ≈ 1.2e-4, range (0, 1)). With a
 *   `maxEps` below 1 the probes above it count as not certified without being evaluated,
 *   so the bound never exceeds maxEps and the grid (and its resolution) stays the paper's.
 * fast: root finding on the certified margin m(ε), which is continuous and nearly linear for
 *   small ε: a bracket [certified, not certified] is found from a first guess (the previous
 *   frame's bound) and narrowed with the ITP method (regula falsi where the margin is smooth,
 *   never more than one evaluation beyond bisection) to at most the paper's resolution.
 */

export type SearchKind = 'paper' | 'fast'
export const SEARCHES: readonly SearchKind[] = ['paper', 'fast']

/** Resolution of the paper's search, which the fast search matches. */
export const SEARCH_RESOLUTION = 2 ** -13

export interface SearchResult {
  bound: number
  /** smallest ε evaluated and not certified (Infinity if none) */
  failedAt: number
  evaluations: number
}

/** m(ε) > 0 means certified at ε. */
export type MarginFn = (eps: number) => number

/**
 * A search as a coroutine: it yields the ε it wants evaluated and receives m(ε), so the
 * same algorithm runs synchronously (CLI, tests) or asynchronously with cancellation and
 * progress (the worker).
 */
export type SearchSteps = Generator<number, SearchResult, number>

/** The largest ε any search accepts as its upper end (the certifier's own limit on ε). */
export const MAX_SEARCH_EPS = 1e6

export function* paperSteps(opts: { maxEps?: number } = {}): SearchSteps {
  const maxEps = opts.maxEps ?? Infinity
  let eps = 0.5
  let best = 0
  let failedAt = Infinity
  let evaluations = 0
  // twelve probes with steps ±0.5^l (l = 2…13), then the final point itself; a probe above
  // maxEps is not evaluated and counts as not certified
  for (let l = 2; l <= 14; l++) {
    let m: number
    if (eps > maxEps) m = -Infinity
    else {
      m = yield eps
      evaluations++
    }
    if (m > 0) best = Math.max(best, eps)
    else failedAt = Math.min(failedAt, eps)
    if (l <= 13) eps = m > 0 ? eps + 0.5 ** l : eps - 0.5 ** l
  }
  return { bound: best, failedAt, evaluations }
}

/**
 * Why `maxEps` cannot be the upper end of this search (null when it can): not a positive
 * number, below the search's resolution (nothing could be certified), or above the range
 * the search covers (the paper's grid ends below 1; the fast search at the certifier's 1e6).
 */
export function maxEpsProblem(kind: SearchKind, maxEps: number): string | null {
  if (!Number.isFinite(maxEps) || maxEps <= 0) return `must be a positive number, got ${maxEps}`
  if (maxEps < SEARCH_RESOLUTION) return `${maxEps} is below the search's resolution 2⁻¹³ ≈ ${SEARCH_RESOLUTION.toPrecision(3)}: no bound could be found`
  if (kind === 'paper' && maxEps > 1) return `${maxEps} is above the paper search's range (0, 1); the fast search takes a larger one`
  if (maxEps > MAX_SEARCH_EPS) return `${maxEps} is above the largest ε the certifier accepts (${MAX_SEARCH_EPS})`
  return null
}

export interface FastSearchOptions {
  /** upper end of the search range (default 1, as the paper's) */
  maxEps?: number
  /** the first ε to try (e.g. the previous frame's bound) */
  guess?: number
  /** the margin at ε = 0 (the concrete logit margin), if known */
  margin0?: number
  resolution?: number
}

export function* fastSteps(opts: FastSearchOptions = {}): SearchSteps {
  const maxEps = opts.maxEps ?? 1
  const res = opts.resolution ?? SEARCH_RESOLUTION
  let evaluations = 0
  // bracket: lo certified (or 0), hi not certified; prev is the certified point before lo
  let lo = 0
  let mLo = opts.margin0 ?? NaN
  let prev = NaN
  let mPrev = NaN
  let hi = Infinity
  let mHi = NaN
  const record = (e: number, m: number) => {
    evaluations++
    if (m > 0) {
      if (e > lo) {
        prev = lo
        mPrev = mLo
        lo = e
        mLo = m
      }
    } else if (e < hi) {
      hi = e
      mHi = m
    }
  }
  /** root of the line through the two highest certified points (overshoots a concave m) */
  const extrapolated = () => (Number.isFinite(mPrev) && mPrev > mLo ? lo + (mLo * (lo - prev)) / (mPrev - mLo) : NaN)
  // 1. find a failing ε, extrapolating from the certified points
  let e = Math.min(maxEps, Math.max(res, opts.guess ?? 1 / 64))
  record(e, yield e)
  while (hi === Infinity) {
    if (lo >= maxEps) return { bound: maxEps, failedAt: Infinity, evaluations }
    const x = extrapolated()
    e = Math.min(maxEps, Math.max(1.25 * lo, Math.min(4 * lo, Number.isFinite(x) ? x * 1.05 : 4 * lo)))
    record(e, yield e)
  }
  // 2. narrow the bracket with ITP (interpolate, truncate, project; Oliveira & Takahashi
  // 2020): regula falsi steps where the margin is smooth, yet never more than one
  // evaluation beyond what bisection needs (margins that are flat and then fall off a
  // cliff defeat plain regula falsi).
  const a0 = lo
  const b0 = hi
  const tol = res / 2
  const nHalf = Math.max(0, Math.ceil(Math.log2((b0 - a0) / (2 * tol))))
  const n0 = 1
  const k1 = 0.01 / (b0 - a0)
  for (let j = 0; hi - lo > res; j++) {
    const mid = (lo + hi) / 2
    const r = tol * 2 ** (nHalf + n0 - j) - (hi - lo) / 2
    // interpolation: the chord root (bisection while the margin at lo is unknown)
    const xf = Number.isFinite(mLo) ? (hi * mLo - lo * mHi) / (mLo - mHi) : mid
    // truncation toward the middle
    const sigma = Math.sign(mid - xf)
    // (at least a third of the resolution, so that an accurate chord root gets straddled)
    const delta = Math.max(k1 * (hi - lo) ** 2, res / 3)
    const xt = delta <= Math.abs(mid - xf) ? xf + sigma * delta : mid
    // projection into the minmax disc around the middle
    e = Math.abs(xt - mid) <= r ? xt : mid - sigma * r
    e = Math.min(hi - res / 8, Math.max(lo + res / 8, e))
    record(e, yield e)
  }
  return { bound: lo, failedAt: hi, evaluations }
}

export function searchSteps(kind: SearchKind, opts: FastSearchOptions = {}): SearchSteps {
  if (kind === 'paper') return paperSteps({ maxEps: opts.maxEps })
  if (kind === 'fast') return fastSteps(opts)
  throw new Error(`unknown search "${kind}": use paper or fast`)
}

/** Run a coroutine to completion, answering each request synchronously. */
export function drive<Q, A, R>(steps: Generator<Q, R, A>, answer: (q: Q) => A): R {
  let r = steps.next(undefined as unknown as A)
  while (!r.done) r = steps.next(answer(r.value))
  return r.value
}

export const paperSearch = (margin: MarginFn) => drive(paperSteps(), margin)
export const fastSearch = (margin: MarginFn, opts: FastSearchOptions = {}) => drive(fastSteps(opts), margin)
export const runSearch = (kind: SearchKind, margin: MarginFn, opts: FastSearchOptions = {}) => drive(searchSteps(kind, opts), margin)
