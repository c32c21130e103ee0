/**
 * Data-set evaluation records and their summaries, shared by `npm run evaluate`, the
 * reproduction script and the app's evaluation view: one row per (sample, method), the
 * per-method summary (accuracy, mean and standard deviation of the bound, time per sample),
 * verified accuracy against ε, and CSV.
 */
import type { Method } from './transformers/index.ts'
import { verifiedAccuracy } from './certify.ts'
import { mean, populationStd } from './stats.ts'

export interface EvalRow {
  /** the sample's index in the evaluated list */
  index: number
  /** the true label, when known ('' in CSV otherwise) */
  label: number | null
  predicted: number
  /** predicted === label (true when the label is unknown) */
  correct: boolean
  method: Method
  /** the certified robustness bound (min over frames for the single-frame threat) */
  bound: number
  /** single-frame threat: the bound of every frame */
  perFrame: number[] | null
  /** PGD attack radius (an upper bound on the true radius), NaN when not attacked */
  attack: number
  /** wall-clock milliseconds of this bound search */
  ms: number
}

export interface MethodSummary {
  method: Method
  /** samples evaluated */
  n: number
  /** correctly classified fraction */
  accuracy: number
  /** mean and population standard deviation of the bound over correctly classified samples */
  meanBound: number
  stdBound: number
  minBound: number
  maxBound: number
  msPerSample: number
  /** mean PGD attack radius over the correctly classified, attacked samples (NaN: none) */
  meanAttack: number
}

/** Six significant digits, for tables and CSV. */
export const r6 = (v: number): number => (Number.isFinite(v) ? Number(v.toPrecision(6)) : v)

export function summarize(rows: EvalRow[], methods: readonly Method[]): MethodSummary[] {
  return methods.map((method) => {
    const res = rows.filter((r) => r.method === method)
    const bounds = res.filter((r) => r.correct).map((r) => r.bound)
    return {
      method,
      n: res.length,
      accuracy: res.length ? res.filter((r) => r.correct).length / res.length : NaN,
      meanBound: mean(bounds),
      stdBound: populationStd(bounds),
      minBound: bounds.length ? Math.min(...bounds) : NaN,
      maxBound: bounds.length ? Math.max(...bounds) : NaN,
      msPerSample: mean(res.map((r) => r.ms)),
      meanAttack: mean(res.filter((r) => r.correct && Number.isFinite(r.attack)).map((r) => r.attack)),
    }
  })
}

export interface AccuracyPoint {
  eps: number
  /** verified accuracy per method at eps */
  accuracy: Partial<Record<Method, number>>
}

/** Verified accuracy per method at every ε of the grid. */
export function accuracyCurve(rows: EvalRow[], methods: readonly Method[], epsList: number[]): AccuracyPoint[] {
  const per = methods.map((m) => verifiedAccuracy(rows.filter((r) => r.method === m), epsList))
  return epsList.map((eps, k) => ({ eps, accuracy: Object.fromEntries(methods.map((m, j) => [m, per[j][k]])) }))
}

/**
 * A log-spaced ε grid that covers the measured bounds: from a decade below the smallest
 * positive bound to just past the largest (so every curve is seen to fall to zero).
 */
export function epsGrid(rows: EvalRow[], points = 40): number[] {
  const b = rows.map((r) => r.bound).filter((x) => x > 0 && Number.isFinite(x))
  if (!b.length) return [1e-4, 1e-3, 1e-2, 1e-1]
  const lo = Math.log10(Math.min(...b)) - 1
  const hi = Math.log10(Math.max(...b)) + 0.1
  return Array.from({ length: points }, (_, k) => r6(10 ** (lo + ((hi - lo) * k) / (points - 1))))
}

/** A row as it goes into CSV: rounded numbers, per-frame bounds space-separated. */
export function rowRecord(r: EvalRow): Record<string, unknown> {
  return {
    index: r.index,
    label: r.label ?? '',
    predicted: r.predicted,
    correct: r.correct,
    method: r.method,
    bound: r6(r.bound),
    attack: r6(r.attack),
    ms: r6(r.ms),
    perFrame: r.perFrame ? r.perFrame.map(r6).join(' ') : '',
  }
}

export function summaryRecord(s: MethodSummary, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    method: s.method,
    n: s.n,
    accuracy: r6(s.accuracy),
    meanBound: r6(s.meanBound),
    stdBound: r6(s.stdBound),
    minBound: r6(s.minBound),
    maxBound: r6(s.maxBound),
    msPerSample: r6(s.msPerSample),
    meanAttack: r6(s.meanAttack),
    ...extra,
  }
}

export function curveRecords(points: AccuracyPoint[], methods: readonly Method[]): Array<Record<string, unknown>> {
  return points.map((p) => ({ eps: p.eps, ...Object.fromEntries(methods.map((m) => [m, r6(p.accuracy[m] ?? NaN)])) }))
}
