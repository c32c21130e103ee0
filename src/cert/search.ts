/**
 * Searching the largest certified ε. Both searches only ever return an ε at which the
 * certificate was actually evaluated and held (or 0), so the bound never lies.
 *
 * paper: Algorithm 1 of the paper: start at 0.5, twelve steps of ±0.5^l (l = 2…13).
 *   The paper returns the final grid point without checking it; we evaluate it too and
 *   return the largest certified point (resolution 2⁻¹³ ≈ 1.2e-4, range (0, 1)).
 * fast: root finding on the certified margin m(ε), which is continuous, nearly linear for
 *   small ε and falls faster as ε grows: a bracket [certified, not certified] is narrowed by
 *   probing the chord root and the extrapolated root (which straddle the root of a concave
 *   m), with bisection as the safeguard, to at most the paper's resolution.
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

export function* paperSteps(): SearchSteps {
  let eps = 0.5
  let best = 0
  let failedAt = Infinity
  // twelve probes with steps ±0.5^l (l = 2…13), then the final point itself
  for (let l = 2; l <= 14; l++) {
    const m: number = yield eps
    if (m > 0) best = Math.max(best, eps)
    else failedAt = Math.min(failedAt, eps)
    if (l <= 13) eps = m > 0 ? eps + 0.5 ** l : eps - 0.5 ** l
  }
  return { bound: best, failedAt, evaluations: 13 }
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
  // 2. narrow the bracket. For the usual concave m (margins fall faster as ε grows) the
  // chord through the bracket undershoots the root and the extrapolation from the
  // certified side overshoots it: probing both usually closes the bracket at once.
  // Bisection (geometric while the bracket spans orders of magnitude) takes over whenever
  // the bracket fails to halve.
  const middle = () => (lo > 0 && hi > 4 * lo ? Math.sqrt(lo * hi) : (lo + hi) / 2)
  const inside = (x: number) => Math.min(hi - res / 4, Math.max(lo + res / 4, x))
  while (hi - lo > res) {
    const width = hi - lo
    const chord = Number.isFinite(mLo) ? lo + (mLo * (hi - lo)) / (mLo - mHi) : NaN
    if (!Number.isFinite(chord)) {
      e = middle()
      record(e, yield e)
      continue
    }
    e = inside(chord - res / 4)
    record(e, yield e)
    if (hi - lo <= res) break
    const x = extrapolated()
    e = inside(Number.isFinite(x) && x < hi ? Math.max(x, lo + res / 2) : middle())
    record(e, yield e)
    if (hi - lo > width / 2 && hi - lo > res) {
      e = middle()
      record(e, yield e)
    }
  }
  return { bound: lo, failedAt: hi, evaluations }
}

export function searchSteps(kind: SearchKind, opts: FastSearchOptions = {}): SearchSteps {
  if (kind === 'paper') return paperSteps()
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
