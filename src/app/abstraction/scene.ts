/**
 * The projection view's geometry, without a DOM: scales fitted to the polygons, boxes and
 * sampled points; SVG path strings; which sampled points fall outside which polygon.
 */
import { scaleLinear } from 'd3'
import type { Method, Projection, VarSelector } from '../../cert/index.ts'
import { insideConvexPolygon, selectValue } from '../../cert/index.ts'
import type { TraceEntrySummary, TraceSummary } from '../../worker/protocol.ts'


export interface SceneLayer {
  method: Method
  path: string
  box: { x: number; y: number; width: number; height: number }
  outside: number
}

export interface Scene {
  width: number
  height: number
  layers: SceneLayer[]
  points: Array<[number, number]>
  original: [number, number]
  xTicks: Array<{ x: number; label: string }>
  yTicks: Array<{ y: number; label: string }>
  /** total sampled points outside some polygon */
  outside: number
  /** data → pixel */
  sx: (v: number) => number
  sy: (v: number) => number
  /** the data range shown */
  xDomain: [number, number]
  yDomain: [number, number]
  /** the plot area (layers are clipped to it) */
  plot: { x: number; y: number; width: number; height: number }
  /** methods drawn but not fitted (their shapes may reach beyond the plot: clipped) */
  offScale: Method[]
}

/** The sampled values of the two chosen variables (sample 0 = the unperturbed input). */
export function cloudPoints(trace: TraceSummary, entry: number, vars: [VarSelector, VarSelector]): Array<[number, number]> {
  const n = trace.entries[entry].n
  const data = trace.cloud[entry]
  const pts: Array<[number, number]> = []
  for (let s = 0; s < trace.samples; s++) {
    const v = data.subarray(s * n, (s + 1) * n)
    pts.push([selectValue(v, vars[0]), selectValue(v, vars[1])])
  }
  return pts
}

/**
 * The scale fits the sampled points and the shapes of the methods shown, except the
 * interval's box when tighter methods are shown too (it would shrink them to a speck): the
 * interval is then drawn clipped to the plot and listed in `offScale` if it reaches beyond.
 */
export function buildScene(projections: Array<{ method: Method; p: Projection }>, points: Array<[number, number]>, width = 460, height = 380): Scene {
  const margin = { left: 56, right: 12, top: 12, bottom: 36 }
  const tight = projections.filter(({ method }) => method !== 'interval')
  const fitted = tight.length ? tight : projections
  const xs = [...fitted.flatMap(({ p }) => [p.lo[0], p.hi[0]]), ...points.map((q) => q[0])]
  const ys = [...fitted.flatMap(({ p }) => [p.lo[1], p.hi[1]]), ...points.map((q) => q[1])]
  const pad = (lo: number, hi: number) => {
    const w = hi - lo || Math.abs(lo) * 0.1 || 1
    return [lo - 0.06 * w, hi + 0.06 * w]
  }
  const x = scaleLinear().domain(pad(Math.min(...xs), Math.max(...xs))).range([margin.left, width - margin.right])
  const y = scaleLinear().domain(pad(Math.min(...ys), Math.max(...ys))).range([height - margin.bottom, margin.top])
  const [x0, x1] = x.domain()
  const [y0, y1] = y.domain()
  const offScale = projections.filter(({ p }) => p.lo[0] < x0 || p.hi[0] > x1 || p.lo[1] < y0 || p.hi[1] > y1).map(({ method }) => method)
  let outside = 0
  const layers = projections.map(({ method, p }) => {
    const out = points.filter((q) => !insideConvexPolygon(p.polygon, q)).length
    outside += out
    return {
      method,
      path: `M${p.polygon.map(([a, b]) => `${x(a).toFixed(2)},${y(b).toFixed(2)}`).join('L')}Z`,
      box: { x: x(p.lo[0]), y: y(p.hi[1]), width: Math.max(1, x(p.hi[0]) - x(p.lo[0])), height: Math.max(1, y(p.lo[1]) - y(p.hi[1])) },
      outside: out,
    }
  })
  return {
    width,
    height,
    layers,
    points: points.map(([a, b]) => [x(a), y(b)]),
    original: points.length ? [x(points[0][0]), y(points[0][1])] : [0, 0],
    xTicks: x.ticks(5).map((t) => ({ x: x(t), label: String(Number(t.toPrecision(3))) })),
    yTicks: y.ticks(5).map((t) => ({ y: y(t), label: String(Number(t.toPrecision(3))) })),
    outside,
    sx: (v) => x(v),
    sy: (v) => y(v),
    xDomain: x.domain() as [number, number],
    yDomain: y.domain() as [number, number],
    plot: { x: margin.left, y: margin.top, width: width - margin.left - margin.right, height: height - margin.top - margin.bottom },
    offScale,
  }
}

/** Readable names of an operation's variables (gate pre-activations, units, logits). */
export function variableNames(e: TraceEntrySummary, classNames: string[], units: number): string[] {
  if (e.op === 'logits') return classNames.slice(0, e.n)
  if (e.op === 'pre' && e.n === 4 * units) return Array.from({ length: e.n }, (_, k) => `${'ifco'[Math.floor(k / units)]}[${k % units}]`)
  if (e.op === 'pre z,r') return Array.from({ length: e.n }, (_, k) => `${'zr'[Math.floor(k / units)]}[${k % units}]`)
  return Array.from({ length: e.n }, (_, k) => `${e.op}[${k}]`)
}

/** Entries grouped by time step (null: the layers after the recurrence). */
export function stepsOf(trace: TraceSummary): Array<number | null> {
  const steps: Array<number | null> = []
  for (const e of trace.entries) if (!steps.includes(e.step)) steps.push(e.step)
  return steps
}

/** The transformer and neuron whose input box is widest (x width + y width): the most informative planes of a step. */
export function widestBox(recs: Array<{ lx: ArrayLike<number>; ux: ArrayLike<number>; ly: ArrayLike<number>; uy: ArrayLike<number> }>): { op: number; neuron: number } {
  let best = { op: 0, neuron: 0, width: -1 }
  recs.forEach((r, op) => {
    for (let n = 0; n < r.lx.length; n++) {
      const w = r.ux[n] - r.lx[n] + (Number.isFinite(r.uy[n] - r.ly[n]) ? r.uy[n] - r.ly[n] : 0)
      if (w > best.width) best = { op, neuron: n, width: w }
    }
  })
  return { op: best.op, neuron: best.neuron }
}
