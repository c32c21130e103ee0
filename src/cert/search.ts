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

export function paperSearch(margin: MarginFn): SearchResult {
  let eps = 0.5
  let best = 0
  let failedAt = Infinity
  let evaluations = 0
  const probe = (e: number) => {
    evaluations++
    if (margin(e) > 0) {
      if (e > best) best = e
      return true
    }
    if (e < failedAt) failedAt = e
    return false
  }
  for (let l = 2; l <= 13; l++) {
    eps = probe(eps) ? eps + 0.5 ** l : eps - 0.5 ** l
  }
  probe(eps)
  return { bound: best, failedAt, evaluations }
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

export function fastSearch(margin: MarginFn, opts: FastSearchOptions = {}): SearchResult {
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
  const probe = (e: number) => {
    evaluations++
    const m = margin(e)
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
  probe(Math.min(maxEps, Math.max(res, opts.guess ?? 1 / 64)))
  while (hi === Infinity) {
    if (lo >= maxEps) return { bound: maxEps, failedAt: Infinity, evaluations }
    const x = extrapolated()
    probe(Math.min(maxEps, Math.max(1.25 * lo, Math.min(4 * lo, Number.isFinite(x) ? x * 1.05 : 4 * lo))))
  }
  // 2. narrow the bracket. For the usual concave m (margins fall faster as ε grows) the
  // chord through the bracket undershoots the root and the extrapolation from the
  // certified side overshoots it: probing both usually closes the bracket at once.
  // Bisection takes over whenever the bracket fails to halve.
  // bisection, geometric while the bracket spans orders of magnitude
  const middle = () => (lo > 0 && hi > 4 * lo ? Math.sqrt(lo * hi) : (lo + hi) / 2)
  while (hi - lo > res) {
    const width = hi - lo
    const inside = (x: number) => Math.min(hi - res / 4, Math.max(lo + res / 4, x))
    const chord = Number.isFinite(mLo) ? lo + (mLo * (hi - lo)) / (mLo - mHi) : NaN
    if (!Number.isFinite(chord)) {
      probe(middle())
      continue
    }
    probe(inside(chord - res / 4))
    if (hi - lo <= res) break
    const x = extrapolated()
    probe(inside(Number.isFinite(x) && x < hi ? Math.max(x, lo + res / 2) : middle()))
    if (hi - lo > width / 2 && hi - lo > res) probe(middle())
  }
  return { bound: lo, failedAt: hi, evaluations }
}

export function runSearch(kind: SearchKind, margin: MarginFn, opts: FastSearchOptions = {}): SearchResult {
  if (kind === 'paper') return paperSearch(margin)
  if (kind === 'fast') return fastSearch(margin, opts)
  throw new Error(`unknown search "${kind}": use paper or fast`)
}
