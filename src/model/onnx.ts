/**
 * ONNX model (a ModelProto, as torch.onnx.export writes it) → the certifier's NetworkIR.
 *
 * Pure: no DOM, no Node; the protobuf decoder is onnx-proto's generated code (protobufjs).
 * The app imports this module lazily (dynamic import), so the decoder is not in the first
 * paint. The graph is interpreted abstractly from its one input to its one output: every
 * tensor is either data (derived from the input: its axes — time, batch, features, unit
 * axes — and which layer's output it holds), a constant (initializers, Constant nodes, shapes
 * computed with Shape/Gather/Concat, …) or zeros of a shape not known here (the initial states
 * PyTorch builds with ConstantOfShape / Expand). RNN, LSTM and GRU nodes become recurrent
 * layers (ONNX gate orders and layouts turned into Keras's; a bidirectional node a
 * Bidirectional concat layer, read per step, at its last step or as its final states as the
 * graph reads it), ReduceMean / ReduceMax over time pooling layers, Gemm or MatMul+Add nodes
 * Dense layers with the Relu / Tanh / Sigmoid / Softmax after them, a Gather on an
 * initializer an Embedding, a Reshape of a flat input into frames the input's flatSize.
 * Anything else that reaches the output is refused with an UnsupportedModelError
 * naming the node and its op type; broken files (bad protobuf, missing tensors, wrong sizes)
 * with a ModelFileError; and files above the limits of ./limits.ts before their arrays are
 * allocated. docs/onnx.md lists what is supported.
 */
import * as onnxProto from 'onnx-proto'
import type { onnx } from 'onnx-proto'
import type { DenseLayer, InputSpec, LayerIR, Matrix, NetworkIR, RecurrentLayer } from '../cert/index.ts'
import { isRecurrent, UnsupportedModelError, validateNetwork } from '../cert/index.ts'
import { ModelFileError } from './layersJson.ts'
import { fileSizeProblem, formatBytes, formatCount, LIMITS } from './limits.ts'

type Proto = typeof onnx
/** onnx-proto's generated messages (CommonJS: the namespace comes as a named or a default export depending on the bundler); tests edit models with them */
export const ONNX: Proto = (onnxProto as unknown as { onnx?: Proto }).onnx ?? (onnxProto as unknown as { default: { onnx: Proto } }).default.onnx

/** ONNX TensorProto.DataType values read here */
const DT = { FLOAT: 1, INT32: 6, INT64: 7, FLOAT16: 10, DOUBLE: 11, BFLOAT16: 16 } as const
const DT_NAMES: Record<number, string> = { 1: 'float32', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64', 8: 'string', 9: 'bool', 10: 'float16', 11: 'float64', 12: 'uint32', 13: 'uint64', 14: 'complex64', 15: 'complex128', 16: 'bfloat16' }

/** The ops this loader interprets (docs/onnx.md); every other op is refused where it matters. */
export const ONNX_OPS = [
  'RNN',
  'LSTM',
  'GRU',
  'Gemm',
  'MatMul',
  'Add',
  'Relu',
  'Tanh',
  'Sigmoid',
  'Softmax',
  'ReduceMean',
  'ReduceMax',
  'Gather',
  'Squeeze',
  'Unsqueeze',
  'Slice',
  'Transpose',
  'Reshape',
  'Shape',
  'Concat',
  'Constant',
  'ConstantOfShape',
  'Expand',
  'Cast',
  'Identity',
  'Dropout',
] as const

// ---------------------------------------------------------------------------------------
// Abstract values

/** An axis of a data tensor; objects, so that the graph input's axes keep their identity through Transposes until an RNN tells which is time. */
interface Axis {
  /**
   * X: an input axis not yet known to be time or batch; T time; B batch; F features; U size 1;
   * S a stack of layer outputs (the two directions of a bidirectional layer, or Concat of Y_h);
   * P the flat pixels of a rank-2 input, until a Reshape splits them into frames
   */
  role: 'X' | 'T' | 'B' | 'F' | 'U' | 'S' | 'P'
  size: number | null
}

/** What data holds: a stage's output, or one direction of a bidirectional stage's output. */
interface Part {
  stage: number
  dir: 'forward' | 'backward' | null
}

interface Data {
  kind: 'data'
  axes: Axis[]
  /** what each entry of the S axis holds; one entry without an S axis */
  parts: Part[]
  /**
   * every time step, the last step of the output sequence (Y[-1]), or the final state (Y_h,
   * or any vector: pooled, a Dense's output). A forward layer's last step is its final state;
   * a bidirectional layer's is not: its backward direction's output at the last step has read
   * only that step, its final state has read them all.
   */
  time: 'all' | 'last' | 'final'
  /** token ids (the graph input of a text model) */
  int: boolean
}

interface Const {
  kind: 'const'
  dims: number[]
  /** null: an element not known here (a dynamic dimension read with Shape) */
  values: Float64Array | (number | null)[]
  dtype: number
}

interface Zeros {
  kind: 'zeros'
}

/** A value whose node was refused: consuming it (on the way to the output) refuses the model with this message. */
interface Refused {
  kind: 'refused'
  error: UnsupportedModelError
}

type Value = Data | Const | Zeros | Refused

interface Stage {
  parent: number
  /** null for the input */
  layer: LayerIR | null
  node: string
  op: string
  /** how the parent's output is read: every step (a stacked RNN, pooling), its last step or its final state */
  reads: Data['time']
  /** a Dense built from MatMul: its Add (bias) may still come */
  biasOpen?: boolean
  /** the activation node after a Dense */
  activationNode?: { name: string; op: string }
}

// ---------------------------------------------------------------------------------------
// Helpers

function refuse(node: onnx.INodeProto, why: string): never {
  throw new UnsupportedModelError(`node '${node.name}' (op ${node.opType}): ${why}`)
}

function broken(node: onnx.INodeProto, why: string): never {
  throw new ModelFileError(`node '${node.name}' (op ${node.opType}): ${why}`)
}

/** int64 fields decode as numbers or as Long objects (when the 'long' package is there). */
function int(v: unknown): number {
  if (typeof v === 'number') return v
  if (v && typeof v === 'object' && 'toNumber' in v && typeof (v as { toNumber: unknown }).toNumber === 'function') return (v as { toNumber(): number }).toNumber()
  if (v && typeof v === 'object' && 'low' in v && 'high' in v) {
    const { low, high } = v as { low: number; high: number }
    return high * 4294967296 + (low >>> 0)
  }
  return Number(v)
}

function product(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1)
}

const fmtDims = (dims: readonly (number | null)[]) => `[${dims.map((d) => (d === null ? '?' : d)).join(', ')}]`

function attr(node: onnx.INodeProto, name: string): onnx.IAttributeProto | undefined {
  return node.attribute?.find((a) => a.name === name)
}

function attrInt(node: onnx.INodeProto, name: string, dflt: number): number {
  const a = attr(node, name)
  return a ? int(a.i) : dflt
}

function attrInts(node: onnx.INodeProto, name: string): number[] | null {
  const a = attr(node, name)
  return a ? (a.ints ?? []).map(int) : null
}

function attrFloat(node: onnx.INodeProto, name: string, dflt: number): number {
  const a = attr(node, name)
  return a ? Number(a.f ?? 0) : dflt
}

const decoder = new TextDecoder()

function attrString(node: onnx.INodeProto, name: string): string | null {
  const a = attr(node, name)
  return a ? decoder.decode(a.s ?? new Uint8Array()) : null
}

function attrStrings(node: onnx.INodeProto, name: string): string[] | null {
  const a = attr(node, name)
  return a ? (a.strings ?? []).map((s) => decoder.decode(s)) : null
}

/** The dimensions of a tensor, checked (non-negative safe integers). */
function tensorDims(t: onnx.ITensorProto, what: string): number[] {
  const dims = (t.dims ?? []).map(int)
  for (const d of dims) {
    if (!Number.isSafeInteger(d) || d < 0) throw new ModelFileError(`${what} has the dimension ${d}`)
  }
  return dims
}

/** The values of a tensor (initializer or Constant), after its sizes were checked against the limits. */
function tensorValues(t: onnx.ITensorProto, what: string): Const {
  const dims = tensorDims(t, what)
  const n = product(dims)
  if ((t.dataLocation ?? 0) === 1 || (t.externalData?.length ?? 0) > 0) {
    throw new UnsupportedModelError(`${what} is stored outside the .onnx file (external data); export the model with its weights inside (a single .onnx file)`)
  }
  const dtype = t.dataType ?? 0
  const raw = t.rawData && t.rawData.length > 0 ? t.rawData : null
  const out = new Float64Array(n)
  const need = (bytes: number, have: number) => {
    if (have !== bytes) throw new ModelFileError(`${what} has shape ${fmtDims(dims)} (${formatCount(n)} values) but ${formatCount(have)} bytes of data, expected ${formatCount(bytes)}`)
  }
  const count = (have: number) => {
    if (have !== n) throw new ModelFileError(`${what} has shape ${fmtDims(dims)} (${formatCount(n)} values) but holds ${formatCount(have)} values`)
  }
  if (dtype === DT.FLOAT || dtype === DT.DOUBLE) {
    if (raw) {
      const size = dtype === DT.FLOAT ? 4 : 8
      need(size * n, raw.length)
      const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength)
      for (let k = 0; k < n; k++) out[k] = size === 4 ? view.getFloat32(4 * k, true) : view.getFloat64(8 * k, true)
    } else {
      const src = dtype === DT.FLOAT ? (t.floatData ?? []) : (t.doubleData ?? [])
      count(src.length)
      for (let k = 0; k < n; k++) out[k] = dtype === DT.FLOAT ? Math.fround(src[k]) : src[k]
    }
  } else if (dtype === DT.INT64 || dtype === DT.INT32) {
    if (raw) {
      const size = dtype === DT.INT64 ? 8 : 4
      need(size * n, raw.length)
      const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength)
      for (let k = 0; k < n; k++) out[k] = size === 8 ? Number(view.getBigInt64(8 * k, true)) : view.getInt32(4 * k, true)
    } else {
      const src = dtype === DT.INT64 ? (t.int64Data ?? []) : (t.int32Data ?? [])
      count(src.length)
      for (let k = 0; k < n; k++) out[k] = int(src[k])
    }
  } else {
    throw new UnsupportedModelError(`${what} has data type ${DT_NAMES[dtype] ?? dtype}; only float32, float64, int32 and int64 tensors are supported (export the model in float32)`)
  }
  return { kind: 'const', dims, values: out, dtype }
}

function isZeroConst(v: Value): boolean {
  if (v.kind === 'zeros') return true
  if (v.kind !== 'const') return false
  for (let k = 0; k < v.values.length; k++) if (v.values[k] !== 0) return false
  return true
}

/** A constant's known integer values (shape arithmetic, axes, indices). */
function ints(node: onnx.INodeProto, v: Value, what: string): number[] {
  if (v.kind !== 'const') refuse(node, `its ${what} is computed from the input; only constant ${what} are supported`)
  const out: number[] = []
  for (let k = 0; k < v.values.length; k++) {
    const x = v.values[k]
    if (x === null) refuse(node, `its ${what} depend on a dynamic dimension of the input`)
    out.push(x)
  }
  return out
}

const normAxis = (node: onnx.INodeProto, axis: number, rank: number) => {
  const a = axis < 0 ? axis + rank : axis
  if (a < 0 || a >= rank) broken(node, `axis ${axis} is out of range for a tensor of rank ${rank}`)
  return a
}

// ---------------------------------------------------------------------------------------
// The interpreter

const GATES = { RNN: 1, LSTM: 4, GRU: 3 } as const
/** Keras gate k takes ONNX gate ORDER[k]: LSTM i, f, c, o from ONNX i, o, f, c; GRU z, r, h in both */
const ORDER = { RNN: [0], LSTM: [0, 2, 3, 1], GRU: [0, 1, 2] } as const
const ACTIVATION_NAMES: Record<string, string> = { Tanh: 'tanh', Relu: 'relu', Sigmoid: 'sigmoid', HardSigmoid: 'hard_sigmoid', Affine: 'linear' }

class Interpreter {
  readonly values = new Map<string, Value>()
  readonly stages: Stage[] = []
  readonly inputAxes: Axis[]
  readonly initializers = new Map<string, onnx.ITensorProto>()
  /** a flat float input [batch, N] split into frames by a Reshape: its frames */
  flat: { seqLen: number; frameSize: number } | null = null

  constructor(graph: onnx.IGraphProto, input: onnx.IValueInfoProto, tokens: boolean) {
    const dims = input.type?.tensorType?.shape?.dim ?? []
    const flat = !tokens && dims.length === 2
    this.inputAxes = dims.map((d, k) => {
      const v = d.dimValue === undefined || d.dimValue === null ? null : int(d.dimValue)
      const size = v !== null && v > 0 ? v : null
      if (flat) return { role: k === 0 ? 'B' : 'P', size }
      return { role: !tokens && k === dims.length - 1 ? 'F' : 'X', size }
    })
    this.stages.push({ parent: -1, layer: null, node: input.name ?? 'input', op: 'input', reads: 'all' })
    this.values.set(input.name ?? '', { kind: 'data', axes: this.inputAxes, parts: [{ stage: 0, dir: null }], time: 'all', int: tokens })
    for (const t of graph.initializer ?? []) this.initializers.set(t.name ?? '', t)
  }

  get(node: onnx.INodeProto, name: string): Value {
    const v = this.values.get(name)
    if (v) return v
    const t = this.initializers.get(name)
    if (t) {
      const c = tensorValues(t, `initializer '${name}'`)
      this.values.set(name, c)
      return c
    }
    broken(node, `reads the tensor '${name}', which neither an initializer, the graph input nor an earlier node provides (the graph is incomplete or not in topological order)`)
  }

  /** The optional input k ('' or missing: undefined). */
  opt(node: onnx.INodeProto, k: number): Value | undefined {
    const name = node.input?.[k]
    return name ? this.get(node, name) : undefined
  }

  run(node: onnx.INodeProto): void {
    const outputs = node.output ?? []
    let results: Value[]
    const inputs = (node.input ?? []).filter((n) => n !== '')
    const refused = inputs.map((n) => this.values.get(n)).find((v): v is Refused => v?.kind === 'refused')
    if (refused) results = outputs.map(() => refused)
    else {
      try {
        results = this.evaluate(node)
      } catch (e) {
        if (!(e instanceof UnsupportedModelError) || e instanceof ModelFileError) throw e
        const r: Refused = { kind: 'refused', error: e }
        results = outputs.map(() => r)
      }
    }
    outputs.forEach((name, k) => {
      if (name !== '' && results[k]) this.values.set(name, results[k])
    })
  }

  evaluate(node: onnx.INodeProto): Value[] {
    const op = node.opType ?? ''
    if (node.domain && node.domain !== 'ai.onnx') refuse(node, `ops of the domain '${node.domain}' are not supported`)
    const x = () => this.get(node, node.input?.[0] ?? '')
    switch (op) {
      case 'Identity':
        return [x()]
      case 'Dropout': {
        const mask: Refused = { kind: 'refused', error: new UnsupportedModelError(`node '${node.name}' (op Dropout): its mask output is not supported`) }
        return [x(), mask]
      }
      case 'Cast':
        return [this.cast(node, x())]
      case 'Constant':
        return [this.constant(node)]
      case 'Shape':
        return [this.shape(node, x())]
      case 'ConstantOfShape': {
        const t = attr(node, 'value')?.t
        const v = t ? tensorValues(t, `node '${node.name}' value`) : null
        if (v && v.values[0] !== 0) refuse(node, 'only zeros are supported (an initial state)')
        return [{ kind: 'zeros' }]
      }
      case 'Expand': {
        const v = x()
        if (isZeroConst(v)) return [{ kind: 'zeros' }]
        return refuse(node, 'only zeros can be expanded (an initial state)')
      }
      case 'Transpose':
        return [this.transpose(node, x())]
      case 'Squeeze':
      case 'Unsqueeze':
        return [this.squeeze(node, x(), op === 'Unsqueeze')]
      case 'Reshape':
        return [this.reshape(node, x())]
      case 'Gather':
        return [this.gather(node)]
      case 'Slice':
        return [this.slice(node, x())]
      case 'Concat':
        return [this.concat(node)]
      case 'RNN':
      case 'LSTM':
      case 'GRU':
        return this.recurrent(node, op)
      case 'Gemm':
      case 'MatMul':
        return [this.dense(node, op)]
      case 'Add':
        return [this.add(node)]
      case 'Relu':
      case 'Tanh':
      case 'Sigmoid':
      case 'Softmax':
        return [this.activation(node, op)]
      case 'ReduceMean':
      case 'ReduceMax':
        return [this.reduce(node, op)]
      default:
        return refuse(node, `this op is not supported (supported: ${ONNX_OPS.join(', ')}; see docs/onnx.md)`)
    }
  }

  data(node: onnx.INodeProto, v: Value, what = 'its input'): Data {
    if (v.kind !== 'data') refuse(node, `${what} is expected to come from the model's input`)
    return v
  }

  /** The one stage whose whole output the data holds (not a stack of states, not one direction of a bidirectional layer). */
  whole(node: onnx.INodeProto, d: Data, what = 'reads'): number {
    if (d.parts.length !== 1) {
      const p = d.parts[0]
      if (d.parts.length === 2 && p.dir === 'forward' && d.parts[1].dir === 'backward' && d.parts[1].stage === p.stage) {
        refuse(node, `${what} the two directions of the bidirectional layer '${this.stages[p.stage].node}' as separate entries; only their concatenation along the features is supported (PyTorch's out, or torch.cat((h_n[-2], h_n[-1]), dim=1))`)
      }
      refuse(node, `${what} a stack of layer states`)
    }
    const { stage, dir } = d.parts[0]
    if (dir) {
      refuse(node, `${what} only the ${dir} direction of the bidirectional layer '${this.stages[stage].node}'; only both directions together are supported (PyTorch's out[:, -1] or torch.cat((h_n[-2], h_n[-1]), dim=1))`)
    }
    return stage
  }

  cast(node: onnx.INodeProto, v: Value): Value {
    const to = attrInt(node, 'to', DT.FLOAT)
    if (v.kind === 'data') {
      if (v.int && to !== DT.INT64 && to !== DT.INT32) refuse(node, `casts token ids to ${DT_NAMES[to] ?? to}`)
      if (!v.int && to !== DT.FLOAT && to !== DT.DOUBLE) refuse(node, `casts the data to ${DT_NAMES[to] ?? to}`)
      return v
    }
    if (v.kind === 'const') return { ...v, dtype: to }
    return v
  }

  constant(node: onnx.INodeProto): Const {
    const a = node.attribute?.[0]
    if (!a) broken(node, 'has no value')
    switch (a.name) {
      case 'value':
        return tensorValues(a.t ?? {}, `node '${node.name}' value`)
      case 'value_float':
        return { kind: 'const', dims: [], values: Float64Array.of(Number(a.f ?? 0)), dtype: DT.FLOAT }
      case 'value_floats':
        return { kind: 'const', dims: [a.floats?.length ?? 0], values: Float64Array.from(a.floats ?? []), dtype: DT.FLOAT }
      case 'value_int':
        return { kind: 'const', dims: [], values: [int(a.i)], dtype: DT.INT64 }
      case 'value_ints':
        return { kind: 'const', dims: [a.ints?.length ?? 0], values: (a.ints ?? []).map(int), dtype: DT.INT64 }
      default:
        return refuse(node, `a constant given as '${a.name}' is not supported`)
    }
  }

  shape(node: onnx.INodeProto, v: Value): Const {
    const d = this.data(node, v)
    const rank = d.axes.length
    const clamp = (a: number) => Math.min(rank, Math.max(0, a < 0 ? a + rank : a))
    const start = clamp(attrInt(node, 'start', 0))
    const end = clamp(attrInt(node, 'end', rank))
    const values = d.axes.slice(start, end).map((a) => a.size)
    return { kind: 'const', dims: [values.length], values, dtype: DT.INT64 }
  }

  transpose(node: onnx.INodeProto, v: Value): Value {
    if (v.kind === 'zeros') return v
    const d = this.data(node, v)
    const perm = attrInts(node, 'perm') ?? d.axes.map((_a, k) => d.axes.length - 1 - k)
    if (perm.length !== d.axes.length || new Set(perm).size !== perm.length || perm.some((p) => p < 0 || p >= perm.length)) {
      broken(node, `perm ${fmtDims(perm)} does not fit a tensor of rank ${d.axes.length}`)
    }
    return { ...d, axes: perm.map((p) => d.axes[p]) }
  }

  /** the axes of Squeeze / Unsqueeze: an attribute (opset < 13) or the second input */
  axesOf(node: onnx.INodeProto): number[] | null {
    const a = attrInts(node, 'axes')
    if (a) return a
    const v = this.opt(node, 1)
    return v ? ints(node, v, 'axes') : null
  }

  squeeze(node: onnx.INodeProto, v: Value, un: boolean): Value {
    if (v.kind === 'zeros') return v
    const axes = this.axesOf(node)
    if (v.kind === 'const') {
      const dims = v.dims.slice()
      if (un) {
        const rank = dims.length + (axes?.length ?? 0)
        for (const a of (axes ?? []).map((a) => normAxis(node, a, rank)).sort((p, q) => p - q)) dims.splice(a, 0, 1)
        return { ...v, dims }
      }
      const drop = new Set((axes ?? dims.flatMap((s, k) => (s === 1 ? [k] : []))).map((a) => normAxis(node, a, dims.length)))
      return { ...v, dims: dims.filter((_s, k) => !drop.has(k)) }
    }
    const d = this.data(node, v)
    if (un) {
      if (!axes) broken(node, 'has no axes')
      const rank = d.axes.length + axes.length
      const out = d.axes.slice()
      for (const a of axes.map((a) => normAxis(node, a, rank)).sort((p, q) => p - q)) out.splice(a, 0, { role: 'U', size: 1 })
      return { ...d, axes: out }
    }
    const drop = new Set((axes ?? d.axes.flatMap((a, k) => (a.size === 1 ? [k] : []))).map((a) => normAxis(node, a, d.axes.length)))
    for (const k of drop) {
      const a = d.axes[k]
      if (a.size !== 1) refuse(node, `squeezes axis ${k}, whose size is ${a.size ?? 'dynamic'}`)
    }
    return { ...d, axes: d.axes.filter((_a, j) => !drop.has(j)) }
  }

  reshape(node: onnx.INodeProto, v: Value): Value {
    if (v.kind === 'zeros') return v
    const target = ints(node, this.get(node, node.input?.[1] ?? ''), 'target shape')
    if (v.kind === 'const') {
      const n = v.values.length
      const dims = target.map((t, k) => (t === 0 ? v.dims[k] : t))
      const known = product(dims.filter((t) => t !== -1))
      const out = dims.map((t) => (t === -1 ? n / known : t))
      if (product(out) !== n) broken(node, `cannot reshape ${fmtDims(v.dims)} into ${fmtDims(target)}`)
      return { ...v, dims: out }
    }
    const d = this.data(node, v)
    const problem = () => refuse(node, `reshapes ${fmtDims(d.axes.map((a) => a.size))} into ${fmtDims(target)}; only reshapes that add or remove axes of size 1, merge the two directions of a bidirectional layer with its features, or split a flat input into frames are supported`)
    if (target.some((t, k) => t === 0 && k >= d.axes.length)) broken(node, `copies dimension of an axis the input does not have`)
    const split = this.splitFlat(node, d, target)
    if (split) return split
    const merged = mergeDirections(d)
    const out = keepAxes(d, d, target) ?? (merged ? keepAxes(merged, d, target) : null)
    if (!out) return problem()
    return out
  }

  /** x.view(-1, T, F) of a flat input [batch, T·F]: the frames (the input spec records the flat size) */
  splitFlat(node: onnx.INodeProto, d: Data, target: number[]): Data | null {
    const p = d.axes.findIndex((a) => a.role === 'P')
    if (p < 0) return null
    if (this.flat) broken(node, 'splits the flat input twice')
    const [b, n] = d.axes
    const [t0, seqLen, frameSize] = target
    const batchOk = t0 === -1 || t0 === 0 || t0 === b.size
    if (target.length !== 3 || !batchOk || !(seqLen > 0 && frameSize > 0) || (n.size !== null && seqLen * frameSize !== n.size)) {
      refuse(node, `reshapes the flat input ${fmtDims(d.axes.map((a) => a.size))} into ${fmtDims(target)}; only [batch, T·F] → [batch, T, F] (x.view(-1, T, F)) is supported`)
    }
    this.flat = { seqLen, frameSize }
    return { ...d, axes: [b, { role: 'X', size: seqLen }, { role: 'F', size: frameSize }] }
  }

  gather(node: onnx.INodeProto): Value {
    const v = this.get(node, node.input?.[0] ?? '')
    const idx = this.get(node, node.input?.[1] ?? '')
    const axisAttr = attrInt(node, 'axis', 0)
    if (idx.kind === 'data') return this.embedding(node, v, idx)
    if (v.kind === 'zeros') return v
    const indices = ints(node, idx, 'indices')
    const scalar = idx.kind === 'const' && idx.dims.length === 0
    if (v.kind === 'const') {
      if (v.dims.length !== 1 && !(v.dims.length === 0)) {
        if (isZeroConst(v)) return { kind: 'zeros' }
        refuse(node, `gathers from a constant of rank ${v.dims.length}; only 1-D constants (shapes) are supported`)
      }
      const n = v.dims[0] ?? 1
      const values = indices.map((i) => {
        const j = i < 0 ? i + n : i
        if (j < 0 || j >= n) broken(node, `index ${i} is out of range for ${n} values`)
        return v.values[j]
      })
      return { ...v, dims: scalar ? [] : [values.length], values }
    }
    const d = this.data(node, v)
    const axis = normAxis(node, axisAttr, d.axes.length)
    if (indices.length !== 1) refuse(node, `gathers ${indices.length} entries along axis ${axis}; only one entry is supported`)
    const a = d.axes[axis]
    const i = indices[0]
    const last = i === -1 || (a.size !== null && i === a.size - 1)
    const axes = d.axes.filter((_b, k) => k !== axis)
    if (!scalar) axes.splice(axis, 0, { role: 'U', size: 1 })
    switch (a.role) {
      case 'T':
        if (!last) refuse(node, `takes time step ${i}; only the last step (index -1) is supported`)
        if (d.time !== 'all') broken(node, 'takes a time step twice')
        return { ...d, axes, time: 'last' }
      case 'S': {
        const n = d.parts.length
        const part = d.parts[i < 0 ? i + n : i]
        if (part === undefined) broken(node, `index ${i} is out of range for ${n} stacked states`)
        return { ...d, axes, parts: [part] }
      }
      case 'U':
      case 'B':
        if (a.size === 1 && (i === 0 || i === -1)) return { ...d, axes }
        return refuse(node, `takes entry ${i} of the ${a.role === 'B' ? 'batch' : 'unit'} axis ${axis}`)
      case 'X':
        return refuse(node, `takes entry ${i} of the input's axis ${axis} before a recurrent layer has read the input (which axis is time is not known yet)`)
      case 'P':
        return refuse(node, `takes entry ${i} of the flat input; only a Reshape of the whole input into frames is supported`)
      default:
        return refuse(node, `takes feature ${i}; selecting features is not supported`)
    }
  }

  embedding(node: onnx.INodeProto, table: Value, idx: Data): Data {
    if (!idx.int) refuse(node, 'gathers with indices computed from float data')
    if (table.kind !== 'const' || table.dims.length !== 2) refuse(node, 'an embedding needs a 2-D initializer [vocabulary, dimension] as its table')
    if (attrInt(node, 'axis', 0) !== 0) refuse(node, 'an embedding gathers rows (axis 0)')
    if (idx.parts[0].stage !== 0 || idx.time !== 'all') refuse(node, 'the token ids must be the graph input')
    const [vocab, dim] = table.dims
    const layer: LayerIR = { type: 'embedding', name: node.name ?? 'embedding', embeddings: { rows: vocab, cols: dim, data: Float64Array.from(table.values as Float64Array) } }
    const stage = this.addStage(node, 0, layer, 'all')
    return { kind: 'data', axes: [...idx.axes, { role: 'F', size: dim }], parts: [{ stage, dir: null }], time: 'all', int: false }
  }

  slice(node: onnx.INodeProto, v: Value): Value {
    if (v.kind === 'zeros') return v
    const fromAttrs = attr(node, 'starts') !== undefined
    const starts = fromAttrs ? attrInts(node, 'starts')! : ints(node, this.get(node, node.input?.[1] ?? ''), 'starts')
    const ends = fromAttrs ? (attrInts(node, 'ends') ?? []) : ints(node, this.get(node, node.input?.[2] ?? ''), 'ends')
    const axesV = fromAttrs ? attrInts(node, 'axes') : this.opt(node, 3) ? ints(node, this.opt(node, 3)!, 'axes') : null
    const stepsV = fromAttrs ? null : this.opt(node, 4) ? ints(node, this.opt(node, 4)!, 'steps') : null
    if (starts.length !== ends.length) broken(node, 'starts and ends differ in length')
    if (v.kind === 'const') {
      if (isZeroConst(v)) return { kind: 'zeros' }
      if (v.dims.length !== 1) refuse(node, `slices a constant of rank ${v.dims.length}; only 1-D constants (shapes) are supported`)
      const n = v.dims[0]
      const step = stepsV?.[0] ?? 1
      if (step !== 1) refuse(node, `slices with step ${step}`)
      const clamp = (i: number) => Math.min(n, Math.max(0, i < 0 ? i + n : i))
      const values = Array.from(v.values).slice(clamp(starts[0]), clamp(ends[0]))
      return { ...v, dims: [values.length], values }
    }
    const d = this.data(node, v)
    const axes = (axesV ?? starts.map((_s, k) => k)).map((a) => normAxis(node, a, d.axes.length))
    const out = d.axes.slice()
    let result: Data = d
    axes.forEach((axis, k) => {
      const a = d.axes[axis]
      const start = starts[k]
      const end = ends[k]
      const step = stepsV?.[k] ?? 1
      const big = end >= 2 ** 31 - 1 || (a.size !== null && end >= a.size)
      if (step === 1 && start === 0 && big) return // the whole axis
      const lastOnly = step === 1 && big && (start === -1 || (a.size !== null && start === a.size - 1))
      if (!lastOnly) refuse(node, `slices axis ${axis} from ${start} to ${end} (step ${step}); only the whole axis or its last entry is supported`)
      if (a.role === 'T') {
        if (d.time !== 'all') broken(node, 'takes a time step twice')
        out[axis] = { role: 'U', size: 1 }
        result = { ...result, time: 'last' }
      } else if (a.role === 'S') {
        out[axis] = { role: 'U', size: 1 }
        result = { ...result, parts: [d.parts[d.parts.length - 1]] }
      } else if (a.size !== 1) refuse(node, `slices the last entry of axis ${axis} (${a.role === 'X' ? 'before a recurrent layer has read the input' : a.role === 'F' ? 'the features' : a.role === 'P' ? 'the flat input' : 'the batch'})`)
    })
    return { ...result, axes: out }
  }

  concat(node: onnx.INodeProto): Value {
    const vs = (node.input ?? []).map((n) => this.get(node, n))
    if (vs.every((v) => v.kind === 'zeros' || isZeroConst(v))) return { kind: 'zeros' }
    if (vs.every((v) => v.kind === 'const')) {
      const cs = vs as Const[]
      if (cs.some((c) => c.dims.length !== 1)) refuse(node, 'concatenates constants of rank other than 1')
      const values = cs.flatMap((c) => Array.from(c.values))
      return { ...cs[0], dims: [values.length], values }
    }
    const ds = vs.map((v) => this.data(node, v, 'every input'))
    const rank = ds[0].axes.length
    const axis = normAxis(node, attrInt(node, 'axis', 0), rank)
    const same = ds.every((d) => d.axes.length === rank && d.time === ds[0].time)
    // the two directions of one bidirectional layer along the features: its output (torch.cat((h_n[-2], h_n[-1]), dim=1))
    const [p, q] = ds.map((d) => d.parts)
    if (same && ds.length === 2 && ds.every((d) => d.axes[axis].role === 'F' && d.parts.length === 1) && p[0].dir === 'forward' && q[0].dir === 'backward' && p[0].stage === q[0].stage) {
      const axes = ds[0].axes.slice()
      axes[axis] = { role: 'F', size: (ds[0].axes[axis].size ?? 0) + (ds[1].axes[axis].size ?? 0) }
      return { ...ds[0], axes, parts: [{ stage: p[0].stage, dir: null }] }
    }
    // the final states of stacked layers (h_n): a stack along a unit axis
    const ok = same && ds[0].time !== 'all' && ds.every((d) => d.axes[axis].role === 'U' || d.axes[axis].role === 'S')
    if (!ok) refuse(node, 'concatenates data; only the final states of stacked recurrent layers (h_n) and the two directions of a bidirectional layer (forward first, along the features) can be concatenated')
    const parts = ds.flatMap((d) => d.parts)
    const axes = ds[0].axes.slice()
    axes[axis] = { role: 'S', size: parts.length }
    return { ...ds[0], axes, parts }
  }

  /** ReduceMean / ReduceMax over the time axis: every step of a sequence pooled (out.mean(dim=1), out.max(dim=1).values) */
  reduce(node: onnx.INodeProto, op: 'ReduceMean' | 'ReduceMax'): Data {
    const d = this.data(node, this.get(node, node.input?.[0] ?? ''))
    const rank = d.axes.length
    const given = attrInts(node, 'axes') ?? (this.opt(node, 1) ? ints(node, this.opt(node, 1)!, 'axes') : [])
    if (given.length === 0 && attrInt(node, 'noop_with_empty_axes', 0) !== 0) return d
    const axes = new Set((given.length > 0 ? given : d.axes.map((_a, k) => k)).map((a) => normAxis(node, a, rank)))
    const keep = attrInt(node, 'keepdims', 1) !== 0
    const t = d.axes.findIndex((a, k) => a.role === 'T' && axes.has(k))
    if (d.time !== 'all' || t < 0) refuse(node, `reduces axes ${fmtDims([...axes])}, which do not include time; only pooling over the time steps is supported`)
    for (const k of axes) {
      if (k !== t && d.axes[k].size !== 1) refuse(node, `reduces axis ${k} (${d.axes[k].role === 'F' ? 'the features' : d.axes[k].role === 'S' ? 'stacked directions or layers' : 'the batch'}) as well as time; only pooling over the time steps is supported`)
    }
    const parent = this.whole(node, d, 'pools')
    const name = node.name || `${op}_${this.stages.length}`
    node.name = name
    const layer: LayerIR = { type: 'pool', name, mode: op === 'ReduceMean' ? 'avg' : 'max' }
    const stage = this.addStage(node, parent, layer, 'all')
    const out = keep ? d.axes.map((a, k) => (axes.has(k) ? { role: 'U' as const, size: 1 } : a)) : d.axes.filter((_a, k) => !axes.has(k))
    return { ...d, axes: out, parts: [{ stage, dir: null }], time: 'final' }
  }

  addStage(node: onnx.INodeProto, parent: number, layer: LayerIR, reads: Data['time']): number {
    this.stages.push({ parent, layer, node: node.name ?? '', op: node.opType ?? '', reads })
    return this.stages.length - 1
  }

  /** which Keras activation an ONNX activation name is (the certifier decides later whether it supports it) */
  activationName(node: onnx.INodeProto, name: string): string {
    const n = ACTIVATION_NAMES[name]
    if (!n || name === 'Affine') refuse(node, `activation '${name}' is not supported`)
    return n
  }

  recurrent(node: onnx.INodeProto, op: keyof typeof GATES): Value[] {
    const k = GATES[op]
    const direction = attrString(node, 'direction') ?? 'forward'
    if (direction !== 'forward' && direction !== 'bidirectional') refuse(node, `direction '${direction}' is not supported (the certifier reads the sequence forwards, or both ways: 'bidirectional')`)
    const dirs = direction === 'bidirectional' ? 2 : 1
    if (attr(node, 'clip')) refuse(node, 'clip is not supported (the certifier does not clip the gates)')
    if (attr(node, 'activation_alpha') || attr(node, 'activation_beta')) refuse(node, 'activation_alpha / activation_beta are not supported')
    if (op === 'LSTM' && attrInt(node, 'input_forget', 0) !== 0) refuse(node, 'input_forget=1 (coupled input and forget gates) is not supported')
    const layout = attrInt(node, 'layout', 0)
    if (layout !== 0 && layout !== 1) broken(node, `layout ${layout} is neither 0 nor 1`)
    const W = this.get(node, node.input?.[1] ?? '')
    const R = this.get(node, node.input?.[2] ?? '')
    if (W.kind !== 'const' || R.kind !== 'const') refuse(node, 'its weights W and R must be initializers')
    if (W.dims.length !== 3 || R.dims.length !== 3 || W.dims[0] !== dirs || R.dims[0] !== dirs) broken(node, `W ${fmtDims(W.dims)} and R ${fmtDims(R.dims)} are not [${dirs}, ${k}·hidden, …] (direction '${direction}')`)
    const units = W.dims[1] / k
    const inputSize = W.dims[2]
    if (!Number.isInteger(units) || R.dims[1] !== k * units || R.dims[2] !== units) broken(node, `W ${fmtDims(W.dims)} and R ${fmtDims(R.dims)} do not fit ${k} gates`)
    const hidden = attrInt(node, 'hidden_size', units)
    if (hidden !== units) broken(node, `hidden_size=${hidden} but W holds ${units} units per gate`)
    const B = this.opt(node, 3)
    if (B && (B.kind !== 'const' || B.dims.length !== 2 || B.dims[0] !== dirs || B.dims[1] !== 2 * k * units)) {
      if (B.kind === 'const') broken(node, `B ${fmtDims(B.dims)} is not [${dirs}, ${2 * k * units}]`)
      refuse(node, 'its bias B must be an initializer')
    }
    if (this.opt(node, 4)) refuse(node, 'sequence_lens is not supported (the certifier reads every sequence to its end)')
    const h0 = this.opt(node, 5)
    if (h0 && !isZeroConst(h0)) refuse(node, 'a non-zero initial_h is not supported (the certifier starts from the zero state)')
    if (op === 'LSTM') {
      const c0 = this.opt(node, 6)
      if (c0 && !isZeroConst(c0)) refuse(node, 'a non-zero initial_c is not supported (the certifier starts from the zero state)')
      const P = this.opt(node, 7)
      if (P && !isZeroConst(P)) refuse(node, 'peepholes (P) are not supported')
    }
    const acts = attrStrings(node, 'activations')
    // a bidirectional node lists the activations of the forward direction, then the backward one's
    const per = acts ? acts.length / dirs : 0
    if (acts && dirs === 2 && acts.slice(0, per).join() !== acts.slice(per).join()) refuse(node, `its two directions have different activations (${acts.join(', ')})`)
    const d = this.data(node, this.get(node, node.input?.[0] ?? ''), 'its input X')
    if (d.int) refuse(node, 'reads token ids; put an embedding (Gather on an initializer) first')
    if (d.time !== 'all') refuse(node, 'its input X is not a sequence')
    const parent = this.whole(node, d, 'its input X is')
    if (d.axes.length !== 3) refuse(node, `its input X has rank ${d.axes.length}, expected 3`)
    const [tAx, bAx, fAx] = layout === 0 ? d.axes : [d.axes[1], d.axes[0], d.axes[2]]
    const claim = (a: Axis, role: 'T' | 'B', at: number) => {
      if (a.role === 'X') a.role = role
      else if (a.role !== role) refuse(node, `reads axis ${at} of its input as ${role === 'T' ? 'time' : 'the batch'}, but it is ${a.role === 'T' ? 'time' : a.role === 'B' ? 'the batch' : 'not'} (layout ${layout})`)
    }
    if (fAx.role !== 'F' || (fAx.size !== null && fAx.size !== inputSize)) refuse(node, `its input's last axis (size ${fAx.size ?? '?'}) is not the ${inputSize} features W expects`)
    claim(tAx, 'T', layout === 0 ? 0 : 1)
    claim(bAx, 'B', layout === 0 ? 1 : 0)
    const name = node.name || `${op}_${this.stages.length}`
    node.name = name
    const order = ORDER[op]
    const gateBias = (v: ArrayLike<number | null>) => {
      const out = new Float64Array(k * units)
      order.forEach((g, kg) => {
        for (let u = 0; u < units; u++) out[kg * units + u] = v[g * units + u] as number
      })
      return out
    }
    const sum = (a: Float64Array, b: Float64Array) => a.map((x, i) => x + b[i])
    /** direction j's weights (0 forward, 1 backward) as a Keras layer */
    const cell = (j: number, cellName: string): RecurrentLayer => {
      const w = (W.values as Float64Array).subarray(j * k * units * inputSize, (j + 1) * k * units * inputSize)
      const r = (R.values as Float64Array).subarray(j * k * units * units, (j + 1) * k * units * units)
      const kernel = regate(w, k, units, inputSize, order)
      const recurrentKernel = regate(r, k, units, units, order)
      const bj = B ? (B as Const).values.slice(j * 2 * k * units, (j + 1) * 2 * k * units) : new Float64Array(2 * k * units)
      const bw = bj.slice(0, k * units)
      const br = bj.slice(k * units)
      const base = { name: cellName, units, kernel, recurrentKernel, returnSequences: false }
      if (op === 'RNN') {
        const [f = 'Tanh'] = acts ?? []
        return { ...base, type: 'simpleRnn', activation: this.activationName(node, f), bias: sum(gateBias(bw), gateBias(br)) }
      }
      if (op === 'LSTM') {
        const [f = 'Sigmoid', g = 'Tanh', h = 'Tanh'] = acts ?? []
        if (g !== h) refuse(node, `the cell activation '${g}' and the output activation '${h}' differ; the certifier needs both tanh`)
        return { ...base, type: 'lstm', activation: this.activationName(node, g), recurrentActivation: this.activationName(node, f), ...(this.activationName(node, f) === 'hard_sigmoid' ? { hardSigmoidSlope: 0.2 } : {}), bias: sum(gateBias(bw), gateBias(br)) }
      }
      const [f = 'Sigmoid', g = 'Tanh'] = acts ?? []
      const lbr = attrInt(node, 'linear_before_reset', 0) !== 0
      const bias = lbr ? Float64Array.from([...gateBias(bw), ...gateBias(br)]) : sum(gateBias(bw), gateBias(br))
      return { ...base, type: 'gru', activation: this.activationName(node, g), recurrentActivation: this.activationName(node, f), ...(this.activationName(node, f) === 'hard_sigmoid' ? { hardSigmoidSlope: 0.2 } : {}), resetAfter: lbr, bias }
    }
    // a bidirectional node is Keras's Bidirectional(merge_mode='concat'); whether its output is
    // read per step, at the last step or as the final states is decided by its readers
    const layer: LayerIR = dirs === 1 ? cell(0, name) : { type: 'bidirectional', name, forward: cell(0, `${name} forward`), backward: cell(1, `${name} backward`), merge: 'concat', returnSequences: false }
    const stage = this.addStage(node, parent, layer, 'all')
    // the directions axis: a unit axis (forward), or a stack of the two directions
    const D = (): Axis => (dirs === 1 ? { role: 'U', size: 1 } : { role: 'S', size: 2 })
    const parts: Part[] = dirs === 1 ? [{ stage, dir: null }] : [{ stage, dir: 'forward' }, { stage, dir: 'backward' }]
    const H: Axis = { role: 'F', size: units }
    const Y: Data = { kind: 'data', axes: layout === 0 ? [tAx, D(), bAx, H] : [bAx, tAx, D(), H], parts, time: 'all', int: false }
    const Yh: Data = { kind: 'data', axes: layout === 0 ? [D(), bAx, H] : [bAx, D(), H], parts, time: 'final', int: false }
    const Yc: Refused = { kind: 'refused', error: new UnsupportedModelError(`node '${name}' (op LSTM): its cell state output Y_c is used; only the hidden state (Y or Y_h) can feed the rest of the model`) }
    return op === 'LSTM' ? [Y, Yh, Yc] : [Y, Yh]
  }

  dense(node: onnx.INodeProto, op: 'Gemm' | 'MatMul'): Data {
    const a = this.get(node, node.input?.[0] ?? '')
    const b = this.get(node, node.input?.[1] ?? '')
    if (a.kind !== 'data' || b.kind !== 'const') refuse(node, 'only data × constant weights (a Linear layer) is supported')
    if (a.time === 'all') refuse(node, 'is applied to every time step; only a head on the last step, the final state or a pooling over time is supported')
    const parent = this.whole(node, a)
    const f = a.axes[a.axes.length - 1]
    if (f.role !== 'F') refuse(node, 'does not read the feature axis')
    const inW = f.size!
    let kernel: Matrix
    let bias: Float64Array
    let biasOpen = false
    if (op === 'Gemm') {
      if (a.axes.length !== 2) broken(node, `Gemm needs rank-2 inputs, got rank ${a.axes.length}`)
      if (attrInt(node, 'transA', 0) !== 0) refuse(node, 'transA=1 is not supported')
      const transB = attrInt(node, 'transB', 0) !== 0
      const alpha = attrFloat(node, 'alpha', 1)
      const beta = attrFloat(node, 'beta', 1)
      if (b.dims.length !== 2) broken(node, `B has shape ${fmtDims(b.dims)}, expected a matrix`)
      const [r, c] = b.dims
      const [inB, out] = transB ? [c, r] : [r, c]
      if (inB !== inW) broken(node, `B ${fmtDims(b.dims)} does not fit ${inW} input features`)
      const data = new Float64Array(inB * out)
      for (let i = 0; i < inB; i++) for (let o = 0; o < out; o++) data[i * out + o] = alpha * (b.values[transB ? o * c + i : i * c + o] as number)
      kernel = { rows: inB, cols: out, data }
      const C = this.opt(node, 2)
      bias = new Float64Array(out)
      if (C) {
        const cv = this.biasVector(node, C, out)
        for (let o = 0; o < out; o++) bias[o] = beta * cv[o]
      }
    } else {
      if (b.dims.length !== 2 || b.dims[0] !== inW) broken(node, `the weights ${fmtDims(b.dims)} do not fit ${inW} input features`)
      kernel = { rows: b.dims[0], cols: b.dims[1], data: Float64Array.from(b.values as Float64Array) }
      bias = new Float64Array(b.dims[1])
      biasOpen = true
    }
    const name = node.name || `${op}_${this.stages.length}`
    node.name = name
    const layer: DenseLayer = { type: 'dense', name, units: kernel.cols, kernel, bias, activation: 'linear' }
    const stage = this.addStage(node, parent, layer, a.time)
    this.stages[stage].biasOpen = biasOpen
    return { ...a, axes: [...a.axes.slice(0, -1), { role: 'F', size: kernel.cols }], parts: [{ stage, dir: null }], time: 'final' }
  }

  biasVector(node: onnx.INodeProto, v: Value, n: number): Float64Array {
    if (v.kind === 'zeros') return new Float64Array(n)
    if (v.kind !== 'const') refuse(node, 'its bias must be a constant')
    const len = v.values.length
    if (!(len === n || len === 1) || v.dims.some((d, k) => d !== 1 && !(k === v.dims.length - 1 && d === n))) broken(node, `the bias ${fmtDims(v.dims)} does not fit ${n} units`)
    return Float64Array.from({ length: n }, (_x, o) => v.values[len === 1 ? 0 : o] as number)
  }

  add(node: onnx.INodeProto): Value {
    const [p, q] = [this.get(node, node.input?.[0] ?? ''), this.get(node, node.input?.[1] ?? '')]
    if (p.kind !== 'data' && q.kind !== 'data') return this.arith(node, p, q)
    const [d, c] = p.kind === 'data' ? [p, q] : [q as Data, p]
    if (c.kind === 'data') refuse(node, 'adds two tensors computed from the input (residual connections are not supported)')
    const stage = this.stages[d.parts[0].stage]
    if (d.parts.length !== 1 || stage.layer?.type !== 'dense' || !stage.biasOpen) refuse(node, 'only a bias right after MatMul can be added')
    const layer = stage.layer
    const bias = this.biasVector(node, c, layer.units)
    for (let o = 0; o < layer.units; o++) layer.bias[o] += bias[o]
    stage.biasOpen = false
    return d
  }

  /** shape arithmetic on constants (rare in exports: constant folding removes it) */
  arith(node: onnx.INodeProto, p: Value, q: Value): Value {
    if (p.kind === 'zeros' && q.kind === 'zeros') return p
    return refuse(node, 'adds constants; export with constant folding (the default)')
  }

  activation(node: onnx.INodeProto, op: 'Relu' | 'Tanh' | 'Sigmoid' | 'Softmax'): Data {
    const d = this.data(node, this.get(node, node.input?.[0] ?? ''))
    const stage = d.parts.length === 1 ? this.stages[d.parts[0].stage] : null
    if (!stage || stage.layer?.type !== 'dense' || stage.layer.activation !== 'linear' || stage.activationNode) {
      refuse(node, 'an activation is supported only right after a Linear layer (Gemm, or MatMul + Add)')
    }
    if (op === 'Softmax') {
      const axis = normAxis(node, attrInt(node, 'axis', -1), d.axes.length)
      if (axis !== d.axes.length - 1) refuse(node, `softmax over axis ${axis}; only over the classes (the last axis) is supported`)
    }
    stage.layer.activation = op === 'Softmax' ? 'softmax' : (ACTIVATION_NAMES[op] as string)
    stage.biasOpen = false
    stage.activationNode = { name: node.name ?? '', op }
    return d
  }
}

/**
 * A Reshape that keeps every axis of size other than 1, in order, with its size (target:
 * 0 copies `orig`'s axis k, −1 infers one size); null if the target does not fit.
 */
function keepAxes(d: Data, orig: Data, target: number[]): Data | null {
  const entries = target.map((t, k) => (t === 0 ? { axis: orig.axes[k] as Axis | undefined, size: orig.axes[k]?.size ?? null } : { axis: undefined, size: t === -1 ? null : t }))
  const inner = d.axes.filter((a) => a.size !== 1)
  const outer = entries.filter((e) => e.size !== 1)
  if (inner.length !== outer.length) return null
  const axes: Axis[] = []
  let j = 0
  for (const e of entries) {
    if (e.size === 1 && e.axis === undefined) {
      axes.push({ role: 'U', size: 1 })
      continue
    }
    if (e.size === 1 && e.axis) {
      axes.push(e.axis)
      if (e.axis.size !== 1) j++
      continue
    }
    const a = inner[j++]
    if (e.axis && e.axis !== a) return null
    if (!e.axis && e.size !== null && a.size !== e.size) return null
    if (!e.axis && e.size === null && target.filter((t) => t === -1).length > 1) return null
    axes.push(a)
  }
  return { ...d, axes }
}

/**
 * A bidirectional layer's output with its two directions (the S axis, forward first) right
 * before its features, seen as one axis of both directions' features concatenated (PyTorch's
 * out: Y [T, 2, B, H] → Transpose → [T, B, 2, H] → Reshape → [T, B, 2H]); null otherwise.
 */
function mergeDirections(d: Data): Data | null {
  const s = d.axes.findIndex((a) => a.role === 'S')
  const [p, q] = d.parts
  if (s < 0 || s + 1 >= d.axes.length || d.axes[s + 1].role !== 'F' || d.parts.length !== 2) return null
  if (p.dir !== 'forward' || q.dir !== 'backward' || p.stage !== q.stage) return null
  const h = d.axes[s + 1].size!
  const axes = [...d.axes.slice(0, s), { role: 'F' as const, size: 2 * h }, ...d.axes.slice(s + 2)]
  return { ...d, axes, parts: [{ stage: p.stage, dir: null }] }
}

/** ONNX [1, k·units, width] (gates in ONNX order) → Keras [width, k·units] (gates in Keras order). */
function regate(w: Float64Array, k: number, units: number, width: number, order: readonly number[]): Matrix {
  const cols = k * units
  const data = new Float64Array(width * cols)
  for (let kg = 0; kg < k; kg++) {
    const g = order[kg]
    for (let u = 0; u < units; u++) {
      const row = (g * units + u) * width
      for (let j = 0; j < width; j++) data[j * cols + kg * units + u] = w[row + j]
    }
  }
  return { rows: width, cols, data }
}

// ---------------------------------------------------------------------------------------
// Entry points

/** The declared sizes of every initializer and constant tensor, against the limits, before any is converted. */
function checkDeclaredSizes(graph: onnx.IGraphProto): void {
  const nodes = graph.node ?? []
  const inits = graph.initializer ?? []
  if (nodes.length > LIMITS.nodes) throw new ModelFileError(`the graph has ${formatCount(nodes.length)} nodes; the limit is ${formatCount(LIMITS.nodes)}`)
  if (inits.length > LIMITS.weights) throw new ModelFileError(`the graph has ${formatCount(inits.length)} initializers; the limit is ${formatCount(LIMITS.weights)}`)
  let total = 0
  const claim = (t: onnx.ITensorProto, what: string) => {
    const n = product(tensorDims(t, what))
    if (n > LIMITS.arrayValues) {
      throw new ModelFileError(`${what} has shape ${fmtDims(tensorDims(t, what))}, ${formatCount(n)} values (${formatBytes(8 * n)} as float64); the limit is ${formatCount(LIMITS.arrayValues)} values (${formatBytes(8 * LIMITS.arrayValues)}) per tensor`)
    }
    total += n
    if (total > LIMITS.parameters) {
      throw new ModelFileError(`the tensors up to ${what} hold ${formatCount(total)} values (${formatBytes(8 * total)} as float64); the limit is ${formatCount(LIMITS.parameters)} (${formatBytes(8 * LIMITS.parameters)})`)
    }
  }
  for (const t of inits) claim(t, `initializer '${t.name}'`)
  for (const n of nodes) for (const a of n.attribute ?? []) if (a.t) claim(a.t, `node '${n.name}' attribute '${a.name}'`)
}

/** The certifier's message about a layer, told about the ONNX node it came from. */
function nodeMessage(e: UnsupportedModelError, stages: Stage[]): UnsupportedModelError {
  for (const s of stages) {
    if (!s.layer) continue
    // a bidirectional node's two directions are layers of their own in the IR
    const names = s.layer.type === 'bidirectional' ? [s.layer.name, s.layer.forward.name, s.layer.backward.name] : [s.layer.name]
    for (const name of names) {
      const prefix = new RegExp(`^layer "${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"( \\([A-Za-z]+\\))?`)
      if (prefix.test(e.message)) {
        const act = s.activationNode && /activation/.test(e.message) ? ` with node '${s.activationNode.name}' (op ${s.activationNode.op})` : ''
        return new UnsupportedModelError(e.message.replace(prefix, `node '${s.node}' (op ${s.op})${act}`))
      }
    }
  }
  return e
}

/** How to feed one sequence to the ONNX graph itself (onnxruntime-web in the app). */
export interface OnnxInput {
  name: string
  dtype: 'float32' | 'float64' | 'int32' | 'int64'
  /** the axis of time in the graph input: 0 ([time, batch, …]) or 1 ([batch, time, …]) */
  timeAxis: 0 | 1
  /** the graph reads one flat row [batch, flatSize] and reshapes it into the frames itself */
  flatSize?: number
}

/**
 * The bytes of an .onnx file → validated NetworkIR. `what` names the file in messages.
 */
export function parseOnnxModel(bytes: Uint8Array | ArrayBuffer, what = 'the .onnx file'): NetworkIR {
  return parseOnnx(bytes, what).net
}

/** parseOnnxModel, also telling how the graph's input is laid out. */
export function parseOnnx(bytes: Uint8Array | ArrayBuffer, what = 'the .onnx file'): { net: NetworkIR; input: OnnxInput } {
  const buf = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)
  const sizeProblem = fileSizeProblem(what, buf.byteLength, LIMITS.onnxBytes)
  if (sizeProblem) throw new ModelFileError(sizeProblem)
  let model: onnx.ModelProto
  try {
    model = ONNX.ModelProto.decode(buf)
  } catch (e) {
    const detail = e instanceof Error ? e.message : String(e)
    throw new ModelFileError(`${what} is not an ONNX model: its protobuf encoding is broken (${detail})`)
  }
  const graph = model.graph
  if (!graph || (graph.node ?? []).length === 0) throw new ModelFileError(`${what} is not an ONNX model: it holds no graph (expected a ModelProto as torch.onnx.export writes it)`)
  checkDeclaredSizes(graph)
  if ((graph.sparseInitializer ?? []).length > 0) throw new UnsupportedModelError('sparse initializers are not supported')

  const initNames = new Set((graph.initializer ?? []).map((t) => t.name ?? ''))
  const inputs = (graph.input ?? []).filter((i) => !initNames.has(i.name ?? ''))
  if (inputs.length !== 1) {
    throw new UnsupportedModelError(`the graph has ${inputs.length} inputs (${inputs.map((i) => `'${i.name}'`).join(', ')}); only models with one input (the frames or the token ids) are supported`)
  }
  const outputs = graph.output ?? []
  if (outputs.length !== 1) {
    throw new UnsupportedModelError(`the graph has ${outputs.length} outputs (${outputs.map((o) => `'${o.name}'`).join(', ')}); only models with one output (the class logits) are supported`)
  }
  const input = inputs[0]
  const tt = input.type?.tensorType
  if (!tt) throw new UnsupportedModelError(`the graph input '${input.name}' is not a tensor`)
  const elem = tt.elemType ?? 0
  const tokens = elem === DT.INT64 || elem === DT.INT32
  if (!tokens && elem !== DT.FLOAT && elem !== DT.DOUBLE) {
    throw new UnsupportedModelError(`the graph input '${input.name}' has type ${DT_NAMES[elem] ?? elem}; expected float32 frames or int64 token ids`)
  }
  const rank = tt.shape?.dim?.length ?? 0
  if (tokens && rank !== 2) throw new UnsupportedModelError(`the token input '${input.name}' has rank ${rank}; expected [batch, time] or [time, batch]`)
  if (!tokens && rank !== 3 && rank !== 2) throw new UnsupportedModelError(`the input '${input.name}' has rank ${rank}; expected [batch, time, features], [time, batch, features] or a flat [batch, T·F] that the model reshapes into frames`)

  const interp = new Interpreter(graph, input, tokens)
  const lastSize = interp.inputAxes[rank - 1].size
  if (!tokens && lastSize === null) throw new UnsupportedModelError(`the input '${input.name}' does not give its number of ${rank === 2 ? 'values' : 'features'} (the last dimension is dynamic)`)
  for (const node of graph.node ?? []) interp.run(node)

  const out = interp.values.get(outputs[0].name ?? '')
  if (!out) throw new ModelFileError(`no node produces the graph output '${outputs[0].name}'`)
  if (out.kind === 'refused') throw out.error
  if (out.kind !== 'data') throw new UnsupportedModelError(`the graph output '${outputs[0].name}' does not depend on the input`)
  if (out.time === 'all') throw new UnsupportedModelError(`the graph output '${outputs[0].name}' is a sequence; only models that classify the whole sequence (the last step, the final state or a pooling over time) are supported`)
  if (out.parts.length !== 1) throw new UnsupportedModelError(`the graph output '${outputs[0].name}' is a stack of layer states`)
  if (out.parts[0].dir) throw new UnsupportedModelError(`the graph output '${outputs[0].name}' is one direction of the bidirectional layer '${interp.stages[out.parts[0].stage].node}'`)
  if (rank === 2 && !tokens && !interp.flat) throw new UnsupportedModelError(`the flat input '${input.name}' ${fmtDims(interp.inputAxes.map((a) => a.size))} is never reshaped into frames; reshape it first (x.view(-1, T, F))`)

  // the chain of layers from the output back to the input
  const chain: Stage[] = []
  for (let s = out.parts[0].stage; s > 0; s = interp.stages[s].parent) chain.unshift(interp.stages[s])
  const layers: LayerIR[] = []
  chain.forEach((s, k) => {
    const reads = chain[k + 1]?.reads
    const layer = s.layer!
    layers.push(layer)
    // returnSequences from how the next layer reads this one: every step, the last step or the final state
    if (isRecurrent(layer)) layer.returnSequences = reads === 'all'
    if (layer.type === 'bidirectional') {
      // out[:, -1] of a bidirectional layer is its sequence's last step: the forward direction's
      // final state and the backward direction's FIRST step (it has read only the last frame),
      // not Keras's return_sequences=False (the backward direction's final state, h_n)
      layer.returnSequences = reads === 'all' || reads === 'last'
      layer.forward.returnSequences = layer.backward.returnSequences = layer.returnSequences
      if (reads === 'last') layers.push({ type: 'pool', name: `${layer.name} last step`, mode: 'last' })
    }
  })
  const T = interp.inputAxes.find((a) => a.role === 'T')
  const seqLen = interp.flat?.seqLen ?? T?.size ?? null
  const frameSize = interp.flat?.frameSize ?? lastSize!
  const inputSpec: InputSpec = tokens ? { kind: 'tokens', seqLen } : interp.flat ? { kind: 'frames', frameSize, seqLen, flatSize: lastSize! } : { kind: 'frames', frameSize, seqLen }
  const net: NetworkIR = { input: inputSpec, layers }
  try {
    validateNetwork(net)
  } catch (e) {
    if (e instanceof UnsupportedModelError && !(e instanceof ModelFileError)) throw nodeMessage(e, chain)
    throw e
  }
  const dtype = elem === DT.INT64 ? 'int64' : elem === DT.INT32 ? 'int32' : elem === DT.DOUBLE ? 'float64' : 'float32'
  const timeAxis = interp.flat || interp.inputAxes[1]?.role === 'T' ? 1 : 0
  return { net, input: { name: input.name ?? '', dtype, timeAxis, ...(interp.flat ? { flatSize: lastSize! } : {}) } }
}
