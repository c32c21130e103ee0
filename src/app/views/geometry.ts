/**
 * Data shaping for the result views, kept apart from drawing so that it is testable without
 * a DOM: what each chart shows, in plain numbers and colours.
 */
import { interpolateYlOrRd, scaleLinear } from 'd3'
import type { BoundResult } from '../../cert/index.ts'
import { SEARCH_RESOLUTION, smallestIndices, spearman, topOverlap } from '../../cert/index.ts'
import type { RunResult } from '../../worker/protocol.ts'
import { PER_FRAME_PGD } from '../../worker/protocol.ts'

export interface LogitRow {
  cls: number
  name: string
  concrete: number
  /** certified bounds of the logit (null when the run did not certify at ε) */
  lo: number | null
  hi: number | null
  predicted: boolean
}

/** Concrete logits beside their certified bounds (the verdict of the last run at ε). */
export function logitRows(r: RunResult, classNames: string[]): LogitRow[] {
  const verdicts = r.kind === 'certify' ? r.result.verdicts : r.kind === 'compare' ? r.rows[0].certify.verdicts : null
  return r.logits.map((concrete, cls) => {
    // over several regions (one frame at a time), the hull of their bounds
    const lo = verdicts ? Math.min(...verdicts.map((v) => v.logitLo[cls])) : null
    const hi = verdicts ? Math.max(...verdicts.map((v) => v.logitHi[cls])) : null
    return { cls, name: classNames[cls] ?? String(cls), concrete, lo, hi, predicted: cls === r.predicted }
  })
}

export interface ChartGeometry {
  width: number
  height: number
  rows: Array<LogitRow & { y: number; xConcrete: number; xLo: number | null; xHi: number | null }>
  ticks: Array<{ x: number; label: string }>
  zeroX: number | null
}

/** Horizontal interval chart: one row per class. */
export function logitChartGeometry(rows: LogitRow[], width = 420, rowHeight = 22, margin = { left: 70, right: 16, top: 8, bottom: 24 }): ChartGeometry {
  const values = rows.flatMap((r) => [r.concrete, r.lo ?? r.concrete, r.hi ?? r.concrete]).filter(Number.isFinite)
  const lo = Math.min(...values)
  const hi = Math.max(...values)
  const pad = (hi - lo || 1) * 0.05
  const x = scaleLinear().domain([lo - pad, hi + pad]).range([margin.left, width - margin.right]).nice()
  const height = margin.top + margin.bottom + rowHeight * rows.length
  return {
    width,
    height,
    rows: rows.map((r, k) => ({
      ...r,
      y: margin.top + rowHeight * (k + 0.5),
      xConcrete: x(r.concrete),
      xLo: r.lo === null ? null : x(Math.max(r.lo, x.domain()[0])),
      xHi: r.hi === null ? null : x(Math.min(r.hi, x.domain()[1])),
    })),
    ticks: x.ticks(5).map((t) => ({ x: x(t), label: String(Number(t.toPrecision(3))) })),
    zeroX: x.domain()[0] < 0 && x.domain()[1] > 0 ? x(0) : null,
  }
}

/**
 * The colour scale of per-frame (per-token) bounds, fixed per model so that one colour means
 * one bound on every input: log scale from the search's resolution 2⁻¹³ (hot: fragile) to
 * `top` (pale: robust), the same for digits and tokens. 0 (not certified at any ε) is the
 * hottest colour.
 */
export interface HeatScale {
  lo: number
  hi: number
  color: (bound: number) => string
  /** legend ticks: position 0…1 along the scale and label */
  ticks: Array<{ at: number; label: string }>
  /** the legend's gradient, as CSS */
  gradient: string
}

export function heatScale(top: number, lo = 2 ** -13): HeatScale {
  const hi = top > lo * 2 ? top : lo * 2
  const [a, b] = [Math.log10(lo), Math.log10(hi)]
  const at = (x: number) => (x <= 0 ? 0 : Math.max(0, Math.min(1, (Math.log10(x) - a) / (b - a))))
  const tone = (t: number) => interpolateYlOrRd(0.95 - 0.85 * t)
  const ticks: HeatScale['ticks'] = [{ at: 0, label: '2⁻¹³' }]
  // powers of ten between, none crowding the end labels
  for (let e = Math.ceil(a); e < b; e++) if (at(10 ** e) > 0.12 && at(10 ** e) < 0.82) ticks.push({ at: at(10 ** e), label: `1e${e}` })
  ticks.push({ at: 1, label: `≥ ${formatEps(hi)}` })
  const gradient = `linear-gradient(to right, ${Array.from({ length: 9 }, (_, k) => tone(k / 8)).join(', ')})`
  return { lo, hi, color: (x) => tone(at(x)), ticks, gradient }
}

/** Indices of the k most sensitive frames (smallest bound first). */
export function mostSensitive(perFrame: number[], k = 3): number[] {
  return smallestIndices(perFrame, k)
}

/** ε and bounds with three significant digits: 0.0123, 4.56e-4. */
export const formatEps = (e: number) => (e === 0 ? '0' : !Number.isFinite(e) ? String(e) : e >= 0.01 ? String(Number(e.toPrecision(3))) : e.toExponential(2))

/** A duration for people: "85 ms", "4.2 s", "3 min 12 s". */
export const formatDuration = (ms: number) =>
  ms >= 60000 ? `${Math.floor(ms / 60000)} min ${Math.round((ms % 60000) / 1000)} s` : ms < 1000 ? `${ms.toFixed(0)} ms` : `${(ms / 1000).toFixed(1)} s`

/** A threat label for people: "each frame alone", "all tokens", "frames 1, 3" (`unit`: frame or token). */
export function threatWords(threat: string, unit: string): string {
  if (threat === 'single') return `each ${unit} alone`
  if (threat === 'all') return `all ${unit}s`
  return threat.replace(/^frames/, `${unit}s`).replace(/=/, ' ').replace(/,/g, ', ')
}

/** A short label for an example: whole words up to `max` characters, then "…" (never cut mid-word). */
export function chipText(text: string, max = 40): string {
  if (text.length <= max) return text
  const cut = text.slice(0, max + 1)
  const space = cut.lastIndexOf(' ')
  // one long word (a URL): cut at a character boundary of the URL instead
  if (space < max / 2) return `${text.slice(0, max).replace(/[^/.?=&-]*$/, '') || text.slice(0, max)}…`
  return `${cut.slice(0, space).trimEnd()}…`
}

/** One frame's (token's) interval for its true robustness radius. */
export interface SensitivityCell {
  /** the certified lower bound ε* */
  certified: number
  /** the PGD attack radius, an upper bound (Infinity: no attack up to the search's end; null: not attacked) */
  attack: number | null
  /** among the most sensitive by the certified bound / by the attack */
  hot: boolean
  hotAttack: boolean
  /** the attack radius is below the certified bound: a soundness bug */
  violation: boolean
}

export interface Sensitivity {
  cells: SensitivityCell[]
  /** how many frames "most sensitive" names (3 for more than 6 frames, else 1) */
  k: number
  /** the most sensitive frames by the certified bound and by the attack (smallest first) */
  hot: number[]
  hotAttack: number[] | null
  /** frames whose attack radius is below their certified bound */
  violations: number[]
  /** how far the two rankings agree: the shared most sensitive frames (of k) and Spearman's ρ over the frames */
  agreement: { overlap: number; spearman: number } | null
}

/**
 * Per frame (token): the certified lower bound beside the attack's upper bound, the most
 * sensitive frames by each and how far the two rankings agree. The attack counts only when
 * it has a finite-or-Infinity radius for every frame (the `everyFrame` attack of the same
 * threat); otherwise the cells have no attack.
 */
export function sensitivity(certified: readonly number[], attack: readonly number[] | null): Sensitivity {
  const full = attack && attack.length === certified.length && attack.every((a) => !Number.isNaN(a)) ? attack : null
  const k = certified.length > 6 ? 3 : 1
  const hot = mostSensitive([...certified], k)
  const hotAttack = full ? mostSensitive([...full], k) : null
  const cells = certified.map((c, t) => ({
    certified: c,
    attack: full ? full[t] : null,
    hot: hot.includes(t),
    hotAttack: !!hotAttack?.includes(t),
    violation: !!full && full[t] < c,
  }))
  return {
    cells,
    k,
    hot,
    hotAttack,
    violations: cells.flatMap((c, t) => (c.violation ? [t] : [])),
    agreement: full ? { overlap: topOverlap(certified, full, k), spearman: spearman(certified, full) } : null,
  }
}

/**
 * The attack settings of the heatmap's upper bounds (single-frame threat): every frame's
 * radius, not only the smallest, each bisected until its bracket is 1/32 of the smallest
 * certified bound (at least the search's resolution 2⁻¹³), with PGD at 10 steps × 2
 * restarts (PER_FRAME_PGD; the sample's attack and the tables' use 20 × 5). Every radius is still the distance of an
 * adversarial input PGD found, at most that much above the failed ε below it.
 */
export function heatmapAttack(bound: BoundResult): { everyFrame: true; resolution: number; steps: number; restarts: number } {
  const positive = (bound.perFrame ?? [bound.bound]).filter((b) => b > 0)
  return { everyFrame: true, resolution: Math.max(SEARCH_RESOLUTION, (positive.length ? Math.min(...positive) : 0) / 32), ...PER_FRAME_PGD }
}
