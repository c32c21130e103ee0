/**
 * Data shaping for the result views, kept apart from drawing so that it is testable without
 * a DOM: what each chart shows, in plain numbers and colours.
 */
import { interpolateYlOrRd, scaleLinear } from 'd3'
import type { RunResult } from '../../worker/protocol.ts'

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

/** Colour of a per-frame bound: small bounds (sensitive frames) hot, large ones pale. */
export function sensitivityColor(bound: number, maxBound: number): string {
  if (!(maxBound > 0)) return interpolateYlOrRd(1)
  const t = 1 - Math.min(1, bound / maxBound)
  return interpolateYlOrRd(0.1 + 0.85 * t)
}

/** Indices of the k most sensitive frames (smallest bound first). */
export function mostSensitive(perFrame: number[], k = 3): number[] {
  return perFrame
    .map((b, i) => [b, i] as const)
    .sort((a, b) => a[0] - b[0] || a[1] - b[1])
    .slice(0, k)
    .map(([, i]) => i)
}

export const formatEps = (e: number) => (e === 0 ? '0' : e >= 0.01 ? e.toFixed(4) : e.toExponential(2))
