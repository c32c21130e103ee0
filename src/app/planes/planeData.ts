/**
 * What the bounding-planes views draw, in plain numbers: for one transformer (its kind and
 * input box) and every method, the plane A·x + B·y + C1 ≤ f ≤ A·x + B·y + C2, its gap and
 * slopes, f and the two planes sampled on a grid, the points where the residual
 * g = f − A·x − B·y reaches its extremes, and 1-D curves or y-slices for the 2-D views.
 *
 * Pure: no DOM, no React. The planes come from the engine (`transformerSet`), or, for the
 * method a certification trace used, verbatim from its PlaneRecord.
 */
import type { Method, Plane, PlaneBox, PlaneRecord, TransformerKind, UnaryKind } from '../../cert/index.ts'
import { hardSigmoid, hardSigmoidTanhCandidates, HARD_SIGMOID_KINKS, isUnaryKind, METHODS, relu, sigmoid, xHardSigmoidCandidates, sigmoidSlopePoints, sigmoidTanhCandidates, tanhSlopePoints, transformerSet, xSigmoidCandidates } from '../../cert/index.ts'
export type { Method, Plane, PlaneBox, TransformerKind }

/** Every transformer kind, binary first (the order of the playground's selector). */
export const KINDS: readonly TransformerKind[] = ['sigmoidTanh', 'xSigmoid', 'mul', 'tanh', 'sigmoid']

export const KIND_LABELS: Record<TransformerKind, string> = {
  sigmoidTanh: 'σ(x)·tanh(y)',
  xSigmoid: 'x·σ(y)',
  mul: 'x·y',
  tanh: 'tanh(x)',
  sigmoid: 'σ(x)',
  relu: 'relu(x)',
  hardSigmoid: 'hard_sigmoid(x) = clip(x + ½, 0, 1)',
  hardSigmoidTanh: 'hard_sigmoid(x)·tanh(y)',
  xHardSigmoid: 'x·hard_sigmoid(y)',
}

/** What the axes of a transformer's plot stand for, when nothing more precise is known (the playground). */
export const AXIS_NAMES: Record<TransformerKind, { x: string; y: string }> = {
  sigmoidTanh: { x: 'x (into σ)', y: 'y (into tanh)' },
  xSigmoid: { x: 'x', y: 'y (into σ)' },
  mul: { x: 'x', y: 'y' },
  tanh: { x: 'x (into tanh)', y: '' },
  sigmoid: { x: 'x (into σ)', y: '' },
  relu: { x: 'x (into relu)', y: '' },
  hardSigmoid: { x: 'x (into hard_sigmoid)', y: '' },
  hardSigmoidTanh: { x: 'x (into hard_sigmoid)', y: 'y (into tanh)' },
  xHardSigmoid: { x: 'x', y: 'y (into hard_sigmoid)' },
}

export const isUnary = (kind: TransformerKind): kind is UnaryKind => isUnaryKind(kind)

/** The nonlinearity itself (unary kinds ignore y). */
export function kindFunction(kind: TransformerKind): (x: number, y: number) => number {
  switch (kind) {
    case 'tanh':
      return (x) => Math.tanh(x)
    case 'sigmoid':
      return (x) => sigmoid(x)
    case 'relu':
      return (x) => relu(x)
    case 'hardSigmoid':
      return (x) => hardSigmoid(x)
    case 'hardSigmoidTanh':
      return (x, y) => hardSigmoid(x) * Math.tanh(y)
    case 'xHardSigmoid':
      return (x, y) => x * hardSigmoid(y)
    case 'sigmoidTanh':
      return (x, y) => sigmoid(x) * Math.tanh(y)
    case 'xSigmoid':
      return (x, y) => x * sigmoid(y)
    case 'mul':
      return (x, y) => x * y
  }
}

/** A plane as a trace recorded it, with the method that produced it. */
export interface RecordedPlane extends Plane {
  method: Method
}

/** Why a box cannot be drawn, or null when it can. Unary kinds ignore y. */
export function boxProblem(kind: TransformerKind, box: PlaneBox): string | null {
  const names: Array<keyof PlaneBox> = isUnary(kind) ? ['lx', 'ux'] : ['lx', 'ux', 'ly', 'uy']
  for (const k of names) if (!Number.isFinite(box[k])) return `${k} must be a finite number`
  if (box.lx > box.ux) return `lx must not exceed ux (${box.lx} > ${box.ux})`
  if (!isUnary(kind) && box.ly > box.uy) return `ly must not exceed uy (${box.ly} > ${box.uy})`
  return null
}

/** n evenly spaced values from l to u (both included; n copies of l when l = u). */
export function linspace(l: number, u: number, n: number): number[] {
  if (n <= 1) return [l]
  const out = new Array<number>(n)
  for (let i = 0; i < n; i++) out[i] = i === n - 1 ? u : l + ((u - l) * i) / (n - 1)
  return out
}

/** The plane a method uses over the box, straight from the engine. */
export function enginePlane(method: Method, kind: TransformerKind, box: PlaneBox): Plane {
  const set = transformerSet(method)
  return isUnary(kind) ? set.unary[kind](box.lx, box.ux) : set.binary[kind](box.lx, box.ux, box.ly, box.uy)
}

/** A point of the box with its function value and residual g = f − a·x − b·y. */
export interface ResidualPoint {
  x: number
  y: number
  f: number
  g: number
  /** found among the engine's exact candidates (true) or only on the dense grid (false) */
  exact: boolean
}

/**
 * The engine's candidates for the residual's extremes. They are derived for any slopes
 * (the stationarity conditions hold for whatever A and B), so they serve every method:
 * corners, edge and interior stationary points.
 */
export function residualCandidates(kind: TransformerKind, plane: Plane, box: PlaneBox): Array<[number, number]> {
  const { lx, ux, ly, uy } = box
  const corners: Array<[number, number]> = [[lx, ly], [lx, uy], [ux, ly], [ux, uy]]
  switch (kind) {
    case 'sigmoidTanh':
      return sigmoidTanhCandidates(plane.a, plane.b, lx, ux, ly, uy)
    case 'xSigmoid':
      return xSigmoidCandidates(plane.b, lx, ux, ly, uy)
    case 'mul':
      // x·y − a·x − b·y is bilinear: its extremes over a box are at corners
      return corners
    case 'relu':
      // piecewise linear: the residual's extremes are at the ends and the kink
      return [lx, ux, ...(lx < 0 && ux > 0 ? [0] : [])].map((x) => [x, 0])
    case 'hardSigmoid':
      return [lx, ux, ...HARD_SIGMOID_KINKS.filter((k) => k > lx && k < ux)].map((x) => [x, 0])
    case 'hardSigmoidTanh':
      return hardSigmoidTanhCandidates(plane.b, lx, ux, ly, uy)
    case 'xHardSigmoid':
      return xHardSigmoidCandidates(lx, ux, ly, uy)
    case 'tanh':
    case 'sigmoid': {
      const slope = kind === 'tanh' ? tanhSlopePoints(plane.a) : sigmoidSlopePoints(plane.a)
      return [lx, ux, ...slope.filter((x) => x > lx && x < ux)].map((x) => [x, 0])
    }
  }
}

/**
 * argmin and argmax of the residual over the box: the engine's candidates first (exact),
 * then a dense grid as a safety net (a grid point only wins when strictly better).
 */
export function residualExtremes(kind: TransformerKind, plane: Plane, box: PlaneBox, dense = isUnary(kind) ? 2001 : 121): { min: ResidualPoint; max: ResidualPoint } {
  const f = kindFunction(kind)
  const unary = isUnary(kind)
  const at = (x: number, y: number, exact: boolean): ResidualPoint => {
    const v = f(x, y)
    return { x, y, f: v, g: v - plane.a * x - plane.b * y, exact }
  }
  let min: ResidualPoint | null = null
  let max: ResidualPoint | null = null
  const visit = (p: ResidualPoint) => {
    if (!Number.isFinite(p.g)) return
    if (!min || p.g < min.g) min = p
    if (!max || p.g > max.g) max = p
  }
  for (const [x, y] of residualCandidates(kind, plane, box)) visit(at(x, unary ? 0 : y, true))
  const xs = linspace(box.lx, box.ux, box.ux > box.lx ? dense : 1)
  const ys = unary ? [0] : linspace(box.ly, box.uy, box.uy > box.ly ? dense : 1)
  for (const y of ys) for (const x of xs) visit(at(x, y, false))
  if (!min || !max) throw new Error('the residual is not finite anywhere on the box')
  return { min, max }
}

export interface Grid {
  xs: number[]
  ys: number[]
  /** z[j][i] is the value at (xs[i], ys[j]): rows follow y, as plotly's surface expects */
  z: number[][]
}

export interface Series {
  xs: number[]
  f: number[]
  lower: number[]
  upper: number[]
}

export interface Slice extends Series {
  y: number
  /** which fixed y: the box's bottom, middle or top */
  role: 'ly' | 'mid' | 'uy'
}

export interface MethodPlanes {
  method: Method
  plane: Plane
  /** 'trace': the recorded plane, verbatim; 'engine': recomputed by transformerSet */
  source: 'engine' | 'trace'
  /** for a traced plane: whether the engine computes the same plane for this box */
  matchesEngine: boolean
  gap: number
  /** the residual's true range for these slopes (max g − min g); gap − tightGap is slack */
  tightGap: number
  argmin: ResidualPoint
  argmax: ResidualPoint
  /** the planes over the surface grid (binary kinds) */
  lower: number[][]
  upper: number[][]
  /** unary kinds: the function and both lines along x */
  curve: Series | null
  /** binary kinds: f and the planes along fixed y values (the 2-D fallback) */
  slices: Slice[]
}

export interface PlanesData {
  kind: TransformerKind
  label: string
  /** the axes' titles: the variables x and y (e.g. 'i[3] before σ') and the function's value */
  axes: { x: string; y: string; f: string }
  unary: boolean
  box: PlaneBox
  /** f over the box (binary kinds; one row for unary kinds) */
  surface: Grid
  methods: MethodPlanes[]
  /** a value range holding f and every method's planes, shared by the panels */
  range: [number, number]
}

export interface PlanesOptions {
  /** what x and y stand for (e.g. a traced neuron's variables; default AXIS_NAMES) */
  axes?: { x: string; y: string }
  /** the plane a trace recorded for this box, used verbatim for its method */
  record?: RecordedPlane
  /** surface grid resolution per side (default 25) */
  grid?: number
  /** points of a 1-D curve or slice (default 81) */
  samples?: number
  /** dense grid per side for the extremes (default 121 binary, 2001 unary) */
  dense?: number
}

const planeGrid = (p: Plane, xs: number[], ys: number[], c: number) => ys.map((y) => xs.map((x) => p.a * x + p.b * y + c))

/** Everything the planes views draw for one transformer over one box. */
export function planesData(kind: TransformerKind, box: PlaneBox, opts: PlanesOptions = {}): PlanesData {
  const problem = boxProblem(kind, box)
  if (problem) throw new Error(problem)
  const unary = isUnary(kind)
  const b: PlaneBox = unary ? { lx: box.lx, ux: box.ux, ly: 0, uy: 0 } : { ...box }
  const f = kindFunction(kind)
  const n = opts.grid ?? 25
  const samples = opts.samples ?? 81
  const xs = linspace(b.lx, b.ux, n)
  const ys = unary ? [0] : linspace(b.ly, b.uy, n)
  const surface: Grid = { xs, ys, z: ys.map((y) => xs.map((x) => f(x, y))) }
  const sx = linspace(b.lx, b.ux, samples)
  const series = (p: Plane, y: number): Series => ({
    xs: sx,
    f: sx.map((x) => f(x, y)),
    lower: sx.map((x) => p.a * x + p.b * y + p.c1),
    upper: sx.map((x) => p.a * x + p.b * y + p.c2),
  })
  const sliceYs: Array<[Slice['role'], number]> = b.uy > b.ly ? [['ly', b.ly], ['mid', (b.ly + b.uy) / 2], ['uy', b.uy]] : [['ly', b.ly]]

  const methods = METHODS.map((method): MethodPlanes => {
    const engine = enginePlane(method, kind, b)
    const rec = opts.record && opts.record.method === method ? opts.record : null
    const plane: Plane = rec ? { a: rec.a, b: rec.b, c1: rec.c1, c2: rec.c2 } : engine
    const { min, max } = residualExtremes(kind, plane, b, opts.dense)
    return {
      method,
      plane,
      source: rec ? 'trace' : 'engine',
      matchesEngine: plane.a === engine.a && plane.b === engine.b && plane.c1 === engine.c1 && plane.c2 === engine.c2,
      gap: plane.c2 - plane.c1,
      tightGap: max.g - min.g,
      argmin: min,
      argmax: max,
      lower: unary ? [] : planeGrid(plane, xs, ys, plane.c1),
      upper: unary ? [] : planeGrid(plane, xs, ys, plane.c2),
      curve: unary ? series(plane, 0) : null,
      slices: unary ? [] : sliceYs.map(([role, y]) => ({ ...series(plane, y), y, role })),
    }
  })

  let lo = Infinity
  let hi = -Infinity
  const take = (v: number) => {
    if (v < lo) lo = v
    if (v > hi) hi = v
  }
  for (const row of surface.z) row.forEach(take)
  for (const m of methods) {
    for (const row of m.lower) row.forEach(take)
    for (const row of m.upper) row.forEach(take)
    m.curve?.lower.forEach(take)
    m.curve?.upper.forEach(take)
  }
  if (hi - lo < 1e-9) {
    const pad = Math.max(1e-3, Math.abs(hi) * 1e-3)
    lo -= pad
    hi += pad
  }
  const axes = { ...(opts.axes ?? AXIS_NAMES[kind]), f: KIND_LABELS[kind].split(' = ')[0] }
  return { kind, label: KIND_LABELS[kind], axes, unary, box: b, surface, methods, range: [lo, hi] }
}

/** The input of one neuron's transformer in a trace, ready for `planesData`. */
export interface RecordedTransformer {
  kind: TransformerKind
  box: PlaneBox
  record: RecordedPlane
}

/** Neuron `i` of a PlaneRecord that `method` produced. */
export function recordedTransformer(rec: PlaneRecord, i: number, method: Method): RecordedTransformer {
  if (!(i >= 0 && i < rec.a.length)) throw new Error(`neuron ${i} is outside the record (${rec.a.length} neurons)`)
  return {
    kind: rec.kind,
    box: { lx: rec.lx[i], ux: rec.ux[i], ly: rec.ly[i], uy: rec.uy[i] },
    record: { method, a: rec.a[i], b: rec.b[i], c1: rec.c1[i], c2: rec.c2[i] },
  }
}

/** The parts of a trace entry this module reads (src/cert/domains/zonotope.ts TraceEntry). */
export interface TraceLike {
  layer: number
  layerName?: string
  step: number | null
  op: string
  planes?: PlaneRecord
}

/** Every transformer applied to one neuron at one step (optionally of one layer), in order. */
export function transformersAt(trace: readonly TraceLike[], where: { step: number; neuron: number; layer?: number }, method: Method): Array<RecordedTransformer & { op: string; layer: number }> {
  const out: Array<RecordedTransformer & { op: string; layer: number }> = []
  for (const e of trace) {
    if (!e.planes || e.step !== where.step) continue
    if (where.layer !== undefined && e.layer !== where.layer) continue
    if (where.neuron >= e.planes.a.length) continue
    out.push({ ...recordedTransformer(e.planes, where.neuron, method), op: e.op, layer: e.layer })
  }
  return out
}

/** A number for a label: 4 significant digits, exponent form when tiny or huge. */
export function formatNumber(v: number, digits = 4): string {
  if (!Number.isFinite(v)) return String(v)
  if (v === 0) return '0'
  const a = Math.abs(v)
  if (a < 1e-3 || a >= 1e5) return v.toExponential(digits - 1)
  return String(Number(v.toPrecision(digits)))
}
