/**
 * The projection view's geometry, without a DOM: scales fitted to the polygons, boxes and
 * sampled points; SVG path strings; which sampled points fall outside which polygon.
 */
import { scaleLinear } from 'd3'
import type { LayerIR, Method, Projection, RecurrentLayer, VarSelector } from '../../cert/index.ts'
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

/** How many of the points fall outside the polygon (each one would be a soundness bug). */
export function outsideCount(polygon: Projection['polygon'], points: ReadonlyArray<[number, number]>): number {
  let out = 0
  for (const q of points) if (!insideConvexPolygon(polygon, q)) out++
  return out
}

/**
 * The scale fits the sampled points and the shapes of the methods shown, except the
 * interval's box when tighter methods are shown too (it would shrink them to a speck): the
 * interval is then drawn clipped to the plot and listed in `offScale` if it reaches beyond.
 * A projection's `outside` (its `outsideCount` of these points), when known already, is used
 * as it is (the check is the scene's costliest part: the view computes it ahead, when idle).
 */
export function buildScene(projections: Array<{ method: Method; p: Projection; outside?: number }>, points: Array<[number, number]>, width = 460, height = 380): Scene {
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
  const layers = projections.map(({ method, p, outside: known }) => {
    const out = known ?? outsideCount(p.polygon, points)
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

/** A Bidirectional layer's direction ('forward', 'backward') and the cell's own operation name. */
function splitDirection(op: string): { direction: 'forward' | 'backward' | null; base: string } {
  const m = /^(forward|backward) (.*)$/.exec(op)
  return m ? { direction: m[1] as 'forward' | 'backward', base: m[2] } : { direction: null, base: op }
}

/** The recurrent cell an operation belongs to (the direction's, for a Bidirectional layer). */
function cellOf(layer: LayerIR | undefined, direction: 'forward' | 'backward' | null): RecurrentLayer | null {
  if (!layer) return null
  if (layer.type === 'bidirectional') return direction === 'backward' ? layer.backward : layer.forward
  return layer.type === 'simpleRnn' || layer.type === 'lstm' || layer.type === 'gru' ? layer : null
}

const CELL_OPS: Record<string, string> = {
  'f*c': 'f ⊙ c: what the cell keeps',
  'i*g': 'i ⊙ g: what the cell writes',
  c: 'cell state c',
  'pre z,r': 'update and reset gates z, r (before σ)',
  'r*h': 'r ⊙ h: the reset state',
  'pre h': 'candidate h̃ (before tanh)',
  'h~': 'candidate h̃',
  'h-h~': 'h − h̃',
  '(h-h~)*z': '(h − h̃) ⊙ z',
  'r*(h·U_h)': 'r ⊙ (U·h): the reset state (reset_after)',
}

/**
 * An operation of the trace in words, from its trace name and its layer: the gates of each
 * cell, both directions of a Bidirectional layer, the merge, pooling, convolution, the
 * head's hidden layer and the logits.
 */
export function opLabel(op: string, layer: LayerIR | undefined): string {
  const { direction, base } = splitDirection(op)
  const cell = cellOf(layer, direction)
  const dir = direction ? `${direction} direction: ` : ''
  if (cell) {
    if (base === 'pre') return `${dir}${cell.type === 'lstm' ? 'gates i, f, g, o (before activation)' : 'W·x + U·h + b (before activation)'}`
    if (base === 'h') return `${dir}hidden state h${cell.type === 'lstm' ? ' = o ⊙ tanh(c)' : cell.type === 'simpleRnn' ? ` = ${cell.activation}(…)` : ''}`
    if (CELL_OPS[base]) return `${dir}${CELL_OPS[base]}`
  }
  if (op === 'merge' && layer?.type === 'bidirectional') return `merge of the two directions (${layer.merge})`
  // masking (Masking / mask_zero): where a perturbed step may or may not be masked, both outcomes joined
  if (base === 'mask state') return `${dir}state after a step that may be masked (skipped or not: both bounded)`
  if (base === 'mask out') return `${dir}output of a step that may be masked (zeros or not: both bounded)`
  if (op === 'mask avg pool') return 'average pool over the unmasked steps (each possible mask bounded)'
  if (op === 'last step') return "the sequence's last step (PyTorch's out[:, -1])"
  if (op === 'max pool') return 'max pool over the steps'
  if (op === 'avg pool') return 'average pool over the steps'
  if (op === 'conv') return 'convolution: the kernel over a window of steps, + b'
  if (op === 'batch norm') return 'batch normalization (a scale and shift per feature)'
  if (op === 'flatten') return 'flatten: the steps side by side'
  if (op === 'logits') return 'logits (output layer)'
  if (op === 'pre') return layer?.type === 'conv1d' ? 'convolution (before activation)' : 'W·x + b (before activation)'
  if (op === 'out') return `${layer && 'activation' in layer ? layer.activation : 'activation'} output`
  return op
}

/**
 * What x and y stand for in the planes of one traced neuron: the operation's two inputs, e.g.
 * i⊙g at neuron 3 of an LSTM: x = 'i[3] before σ', y = 'g[3] before tanh' (short: they are
 * axis titles; the direction of a Bidirectional layer is in the transformer's name above).
 */
export function planeAxes(op: string, neuron: number, layer: LayerIR | undefined): { x: string; y: string } | undefined {
  const { direction, base } = splitDirection(op)
  const cell = cellOf(layer, direction)
  const i = `[${neuron}]`
  if (cell) {
    const gate = cell.type !== 'simpleRnn' && cell.recurrentActivation === 'hard_sigmoid' ? 'hard_sigmoid' : 'σ'
    const lstm: Record<string, [string, string]> = { 'f*c': [`c${i} (previous)`, `f${i} before ${gate}`], 'i*g': [`i${i} before ${gate}`, `g${i} before tanh`], h: [`o${i} before ${gate}`, `c${i} into tanh`] }
    const gru: Record<string, [string, string]> = {
      'r*h': [`h${i} (previous)`, `r${i} before ${gate}`],
      'r*(h·U_h)': [`(U·h)${i} (previous)`, `r${i} before ${gate}`],
      '(h-h~)*z': [`(h − h̃)${i}`, `z${i} before ${gate}`],
      'h~': [`h̃${i} before tanh`, ''],
    }
    const pair = cell.type === 'lstm' ? lstm[base] : cell.type === 'gru' ? gru[base] : base === 'h' ? [`h${i} before ${cell.activation}`, ''] : undefined
    if (pair) return { x: pair[0], y: pair[1] }
  }
  if (op === 'merge') return { x: `forward h${i}`, y: `backward h${i}` }
  if (op === 'out' && layer && 'activation' in layer) return { x: `unit ${neuron} before ${layer.activation}`, y: '' }
  return undefined
}

/** Readable names of an operation's variables (gate pre-activations, units, both directions, logits). */
export function variableNames(e: TraceEntrySummary, classNames: string[], layer?: LayerIR): string[] {
  if (e.op === 'logits') return classNames.slice(0, e.n)
  const { direction, base } = splitDirection(e.op)
  const cell = cellOf(layer, direction)
  const d = direction ? `${direction[0]}:` : ''
  const units = cell?.units ?? 0
  if (base === 'pre' && cell?.type === 'lstm' && e.n === 4 * units) return Array.from({ length: e.n }, (_, k) => `${d}${'ifgo'[Math.floor(k / units)]}[${k % units}]`)
  if (base === 'pre z,r' && e.n === 2 * units) return Array.from({ length: e.n }, (_, k) => `${d}${'zr'[Math.floor(k / units)]}[${k % units}]`)
  if (e.op === 'merge' && layer?.type === 'bidirectional' && layer.merge === 'concat') {
    const f = layer.forward.units
    return Array.from({ length: e.n }, (_, k) => (k < f ? `forward h[${k}]` : `backward h[${k - f}]`))
  }
  return Array.from({ length: e.n }, (_, k) => `${d}${base}[${k}]`)
}

/** Entries grouped by time step, in time order (null last: the layers after the recurrence). */
export function stepsOf(trace: TraceSummary): Array<number | null> {
  const steps = new Set<number>()
  let after = false
  for (const e of trace.entries) {
    if (e.step === null) after = true
    else steps.add(e.step)
  }
  const sorted: Array<number | null> = [...steps].sort((a, b) => a - b)
  return after ? [...sorted, null] : sorted
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

/** How many features of a max pool each way of bounding the max took. */
export function maxChoiceCounts(choice: ReadonlyArray<'exact' | 'step' | 'box'>): Record<'exact' | 'step' | 'box', number> {
  const counts = { exact: 0, step: 0, box: 0 }
  for (const c of choice) counts[c]++
  return counts
}
