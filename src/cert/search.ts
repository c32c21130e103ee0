/**
 * Searching the largest certified ε. Both searches only ever return an ε at which the
 * certificate was actually evaluated and held (or 0), so the bound never lies.
 *
 * paper: Algorithm 1 of the paper: start at 0.5, twelve steps of ±0.5^l (l = 2…13).
 *   The paper returns the final grid point without checking it; we evaluate it too and
 *   return the largest certified point (resolution 2⁻¹³ ≈ 1.2e-4, range (0, 1)).
 * fast: safeguarded regula falsi (Illinois) on the certified margin m(ε), which is
 *   continuous and, for small ε, nearly linear: a bracket [certified, not certified] is
 *   narrowed to at most the paper's resolution, usually in far fewer evaluations.
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
  const evalAt = (e: number) => {
    evaluations++
    return margin(e)
  }
  // bracket: lo certified (or 0), hi not certified
  let lo = 0
  let mLo = opts.margin0 ?? NaN
  let hi = NaN
  let mHi = NaN
  let e = Math.min(maxEps, Math.max(res, opts.guess ?? 1 / 64))
  // 1. find a failing ε, extrapolating from the certified points
  for (;;) {
    const m = evalAt(e)
    if (m <= 0) {
      hi = e
      mHi = m
      break
    }
    const prevLo = lo
    const prevM = mLo
    lo = e
    mLo = m
    if (e >= maxEps) return { bound: maxEps, failedAt: Infinity, evaluations }
    // linear extrapolation of the margin to zero, kept within [1.25·e, 4·e]
    let next = 4 * e
    if (Number.isFinite(prevM) && prevM > m) next = e + (m * (e - prevLo)) / (prevM - m)
    e = Math.min(maxEps, Math.max(1.25 * e, Math.min(4 * e, next * 1.05)))
  }
  // 2. narrow the bracket
  let side = 0 // which end was kept last (Illinois): -1 lo, +1 hi
  let width = hi - lo
  let sinceHalved = 0
  while (hi - lo > res) {
    let p: number
    if (sinceHalved >= 2 || !Number.isFinite(mLo)) {
      p = (lo + hi) / 2
    } else {
      p = lo + (mLo * (hi - lo)) / (mLo - mHi)
      // step a little past the estimate toward the far end, so that the next probe
      // usually lands on the other side of the root and closes the bracket
      const nudge = res / 2
      p = side >= 0 ? p - nudge : p + nudge
    }
    p = Math.min(hi - res / 4, Math.max(lo + res / 4, p))
    const m = evalAt(p)
    if (m > 0) {
      lo = p
      mLo = m
      if (side === -1) mHi /= 2
      side = -1
    } else {
      hi = p
      mHi = m
      if (side === 1) mLo /= 2
      side = 1
    }
    if (hi - lo <= width / 2) {
      width = hi - lo
      sinceHalved = 0
    } else sinceHalved++
  }
  return { bound: lo, failedAt: hi, evaluations }
}

export function runSearch(kind: SearchKind, margin: MarginFn, opts: FastSearchOptions = {}): SearchResult {
  if (kind === 'paper') return paperSearch(margin)
  if (kind === 'fast') return fastSearch(margin, opts)
  throw new Error(`unknown search "${kind}": use paper or fast`)
}
