/**
 * Searching the largest certified ε. Both searches only ever return an ε at which the
 * certificate was actually evaluated and held (or 0), so the bound never lies.
 *
 * paper: Algorithm 1 of the paper: start at 0.5, twelve steps of ±0.5^l (l = 2…13).
 *   The paper returns the final grid point without checking it; we evaluate it too and
 *   return the largest certified point (resolution 2⁻¹³ ≈ 1.2e-4, range (0, 1)). With a
 *   `maxEps` below 1 the probes above it count as not certified without being evaluated,
 *   so the bound never exceeds maxEps and the grid (and its resolution) stays the paper's.
 *   Given a guess or the margin at 0 (the per-frame searches), it first locates the
 *   threshold on the paper's grid from the margins (typically 3–5 evaluations with the
 *   neighbour frame's bound as the guess), then replays Algorithm 1 answering every probe
 *   whose answer an evaluated point implies (certification taken as monotone in ε, as
 *   Algorithm 1 itself assumes): the same grid point as the 13-probe run.
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
  /** how fast the margin falls per unit ε at the bound, where the search measured it */
  slope?: number
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

export interface PaperSearchOptions {
  maxEps?: number
  /**
   * A first estimate of the bound (e.g. the previous frame's). With it or `margin0`, the
   * search first locates the largest certified grid point from the margins (see
   * `locateSteps`), then replays Algorithm 1, answering each probe whose answer that
   * implies (certification assumed monotone in ε) without evaluating it: the same grid
   * point as Algorithm 1, in fewer evaluations.
   */
  guess?: number
  /** the margin at ε = 0 (the concrete logit margin), if known */
  margin0?: number
  /** the margin's slope at the previous search's bound (`SearchResult.slope`), a prior */
  slope?: number
}

export function* paperSteps(opts: PaperSearchOptions = {}): SearchSteps {
  const maxEps = opts.maxEps ?? Infinity
  // every evaluated ε and its margin (the located ones first)
  const known = new Map<number, number>()
  const slope = opts.guess !== undefined || opts.margin0 !== undefined ? yield* locateSteps(known, opts) : NaN
  /** the answer at ε implied by an evaluated one (monotone), or NaN if none is */
  const implied = (e: number): number => {
    let up = NaN
    let down = NaN
    for (const [k, m] of known) {
      if (m > 0 && k >= e) up = m
      else if (!(m > 0) && k <= e) down = m
    }
    // (evaluations that contradict monotonicity imply nothing: evaluate)
    if (!Number.isNaN(up) && !Number.isNaN(down)) return NaN
    return Number.isNaN(up) ? down : up
  }
  let eps = 0.5
  let best = 0
  let failedAt = Infinity
  // twelve probes with steps ±0.5^l (l = 2…13), then the final point itself; a probe above
  // maxEps is not evaluated and counts as not certified
  for (let l = 2; l <= 14; l++) {
    let m: number
    if (eps > maxEps) m = -Infinity
    else if (known.has(eps)) m = known.get(eps)!
    else {
      m = implied(eps)
      if (Number.isNaN(m)) {
        m = yield eps
        known.set(eps, m)
      }
    }
    if (m > 0) best = Math.max(best, eps)
    else failedAt = Math.min(failedAt, eps)
    if (l <= 13) eps = m > 0 ? eps + 0.5 ** l : eps - 0.5 ** l
  }
  // the bound is an ε that was evaluated and certified (with monotone margins the located
  // point itself; if the margins were not monotone, the probe is evaluated now)
  if (best > 0 && !known.has(best)) {
    const m = yield best
    known.set(best, m)
    if (!(m > 0)) {
      failedAt = Math.min(failedAt, best)
      best = 0
      for (const [k, mk] of known) if (mk > 0 && k < failedAt) best = Math.max(best, k)
    }
  }
  return { bound: best, failedAt, evaluations: known.size, ...(Number.isFinite(slope) ? { slope } : {}) }
}

/**
 * Locate the largest certified point of the paper's grid (multiples of 2⁻¹³ in (0, 1),
 * at most maxEps): evaluations at grid points until two neighbours straddle the threshold
 * (certified, then not). The first probe is the guess; until one fails, the next is the
 * root of the line through the highest certified point with the slope of the previous
 * search (or of the last two certified points: it overshoots a concave margin); inside a
 * bracket, the root of the parabola through the bracket's ends and the nearest other point
 * (else the chord), kept within ITP's minmax disc around the middle (Oliveira & Takahashi
 * 2020: never more than ITP_SLACK evaluations beyond bisection), rounded up after a certified
 * probe and down after a failed one so that an accurate estimate closes the bracket at
 * once. Gives up after `budget` evaluations (the replay of Algorithm 1 then evaluates what
 * is still unknown). Fills `known`; returns the margin's slope per unit ε at the threshold.
 */
/**
 * Evaluations ITP may spend beyond bisection: two, since the closing rounding approaches
 * the threshold from one side (a one-sided step shrinks the bracket by less than half).
 */
const ITP_SLACK = 2
/** A failed margin below −CLIFF × the largest certified one is taken as past a cliff. */
const CLIFF = 4

function* locateSteps(known: Map<number, number>, opts: PaperSearchOptions, budget = 16): Generator<number, number, number> {
  const res = SEARCH_RESOLUTION
  const top = Math.min(2 ** 13 - 1, Math.floor(Math.min(opts.maxEps ?? 1, 1) / res))
  if (top < 1) return NaN
  // grid indices: lo certified (0: ε = 0), hi not certified (top + 1: beyond the range)
  const pts: Array<[number, number]> = []
  let lo = 0
  let mLo = opts.margin0 ?? NaN
  if (Number.isFinite(mLo)) pts.push([0, mLo])
  let hi = top + 1
  let mHi = NaN
  let lastSide = 0
  // slope prior: margin lost per grid step near the previous search's threshold
  const prior = opts.slope !== undefined && opts.slope > 0 ? opts.slope * res : NaN
  const clamp = (k: number) => Math.min(hi - 1, Math.max(lo + 1, k))
  let k = clamp(Math.round((opts.guess ?? 1 / 64) / res))
  // ITP state, set when the bracket has margins at both ends
  let itp: { nHalf: number; j: number } | null = null
  let mRef = Number.isFinite(mLo) ? mLo : 0
  let downFails = 0
  for (let n = 0; n < budget; n++) {
    const m = yield k * res
    known.set(k * res, m)
    pts.push([k, m])
    if (m > 0) {
      lo = k
      mLo = m
      lastSide = 1
    } else {
      hi = k
      mHi = m
      lastSide = -1
    }
    if (hi - lo <= 1) break
    // a failure far below every certified margin is past a cliff (margins that stay flat
    // and then collapse): its value says nothing about where the threshold is
    mRef = Math.max(mRef, m > 0 ? m : 0)
    const cliff = mHi < -CLIFF * mRef
    downFails = m > 0 ? 0 : downFails + 1
    let x: number
    if (Number.isNaN(mHi) || lo === 0) {
      // one side still open (nothing failed, or nothing certified yet): the root of the
      // line through the nearest end with the slope of the two evaluated points nearest it
      // (it overshoots a concave margin), else the previous search's slope, within a
      // factor 4; past a cliff, steps down growing fourfold from 1 %
      const up = Number.isNaN(mHi)
      const [k1, m1] = up ? [lo, mLo] : [hi, mHi]
      const other = pts.filter(([kk]) => kk !== k1 && kk !== 0).sort((p, q) => Math.abs(p[0] - k1) - Math.abs(q[0] - k1))[0]
      const local = other && other[1] !== m1 ? (other[1] - m1) / (k1 - other[0]) : NaN
      const slope = local > 0 ? local : Number.isFinite(prior) ? prior : NaN
      x = Number.isFinite(slope) ? k1 + m1 / slope : up ? 4 * lo : hi / 4
      x = up ? Math.min(4 * lo, x) : Math.max(hi / 4, x)
      if (!up && cliff) x = Math.max(hi / 4, hi * (1 - 0.01 * 4 ** (downFails - 1)))
    } else if (cliff) {
      x = (lo + hi) / 2
    } else {
      if (!itp) itp = { nHalf: Math.ceil(Math.log2(hi - lo)), j: 0 }
      x = estimateRoot(pts, lo, mLo, hi, mHi)
      // projection into the minmax disc around the middle
      const mid = (lo + hi) / 2
      const r = 0.5 * 2 ** (itp.nHalf + ITP_SLACK - itp.j) - (hi - lo) / 2
      itp.j++
      if (Math.abs(x - mid) > r) x = mid - Math.sign(mid - x) * Math.max(0, r)
    }
    if (!Number.isFinite(x)) x = (lo + hi) / 2
    k = clamp(lastSide > 0 ? Math.ceil(x) : Math.floor(x))
  }
  return Number.isFinite(mLo) && Number.isFinite(mHi) && hi > lo ? (mLo - mHi) / ((hi - lo) * res) : NaN
}

/**
 * Root inside (lo, hi) of the parabola through (lo, mLo), (hi, mHi) and the evaluated point
 * nearest the bracket outside it (if any), else of the chord.
 */
function estimateRoot(pts: Array<[number, number]>, lo: number, mLo: number, hi: number, mHi: number): number {
  const chord = (hi * mLo - lo * mHi) / (mLo - mHi)
  let third: [number, number] | undefined
  for (const p of pts) {
    if (p[0] === lo || p[0] === hi || !Number.isFinite(p[1])) continue
    const d = p[0] < lo ? lo - p[0] : p[0] - hi
    if (!third || d < (third[0] < lo ? lo - third[0] : third[0] - hi)) third = p
  }
  if (!third) return chord
  // Newton form: m(x) = mLo + d1 (x − lo) + d2 (x − lo)(x − hi)
  const [x3, m3] = third
  const d1 = (mHi - mLo) / (hi - lo)
  const d2 = ((m3 - mLo) / (x3 - lo) - d1) / (x3 - hi)
  if (!Number.isFinite(d2) || d2 === 0) return chord
  // a x² + b x + c = 0
  const a = d2
  const b = d1 - d2 * (lo + hi)
  const c = mLo - d1 * lo + d2 * lo * hi
  const disc = b * b - 4 * a * c
  if (disc < 0) return chord
  const sq = Math.sqrt(disc)
  for (const x of [(-b - sq) / (2 * a), (-b + sq) / (2 * a)]) if (x > lo && x < hi) return x
  return chord
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
  /** the margin's slope at the previous search's bound (the paper search's prior) */
  slope?: number
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
  if (kind === 'paper') return paperSteps(opts)
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
