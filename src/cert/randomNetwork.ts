/**
 * Random networks with fixed seeds, for soundness tests and benchmarks
 * (Glorot-like weight scales, so that activations are neither all saturated nor all linear).
 */
import type { DenseLayer, DroppedLayer, LayerIR, Matrix, MergeMode, NetworkIR, RecurrentLayer } from './network.ts'
import { Rng } from './rng.ts'

export type CellType = 'simpleRnn' | 'lstm' | 'gru' | 'gruResetAfter'

export interface RandomNetworkSpec {
  cell: CellType
  /** hidden units per recurrent layer (several = stacked) */
  hidden: number[]
  frameSize: number
  classes: number
  seed: number
  /** token model: vocabulary size (the frame size is the embedding dimension) */
  vocab?: number
  /** multiply the weights' scale (default 1) */
  scale?: number
  /** the SimpleRNN activation (default tanh) */
  activation?: string
  /** hard_sigmoid gates with this slope (LSTM, GRU; default sigmoid) */
  hardSigmoidSlope?: number
  /** hidden Dense layers before the output layer (units and activation) */
  head?: Array<{ units: number; activation: string }>
  /** layers on the frames, before the first recurrent layer */
  before?: ExtraLayer[]
  /** the last recurrent layer returns its sequence (then `after` must reduce it) */
  returnSequences?: boolean
  /** layers after the recurrence, before the head */
  after?: ExtraLayer[]
  /** a fixed sequence length (needed by Flatten) */
  seqLen?: number
  /** every recurrent layer Bidirectional, with this merge mode */
  bidirectional?: MergeMode
  /** token model: Embedding mask_zero (token 0 is padding) */
  maskZero?: boolean
}

/** Layers around the recurrence in random networks. */
export type ExtraLayer =
  /** the identity at inference (Dropout …): listed in `dropped` */
  | { kind: 'identity'; className: string }
  | { kind: 'batchNorm' }
  | { kind: 'dense'; units: number; activation: string }
  /** avg / max pooling, or the last step (PyTorch's out[:, -1] after a bidirectional layer) */
  | { kind: 'pool'; mode: 'avg' | 'max' | 'last' }
  | { kind: 'flatten' }
  /** Keras Masking(value): first only */
  | { kind: 'masking'; value: number }
  | { kind: 'conv1d'; filters: number; kernelSize: number; strides?: number; dilation?: number; padding: 'valid' | 'same' | 'causal'; activation: string }

function extraLayer(rng: Rng, e: Exclude<ExtraLayer, { kind: 'identity' }>, k: number, width: number, seqLen: number | undefined, scale: number): { layer: LayerIR; width: number } {
  const name = `${e.kind}_${k}`
  if (e.kind === 'batchNorm') {
    return { layer: { type: 'batchNorm', name, scale: Float64Array.from({ length: width }, () => 0.5 + rng.next()), offset: vector(rng, width, 0.2) }, width }
  }
  if (e.kind === 'dense') return { layer: { type: 'dense', name, units: e.units, kernel: matrix(rng, width, e.units, scale), bias: vector(rng, e.units, 0.1), activation: e.activation }, width: e.units }
  if (e.kind === 'pool') return { layer: { type: 'pool', name, mode: e.mode }, width }
  if (e.kind === 'masking') return { layer: { type: 'masking', name, maskValue: e.value }, width }
  if (e.kind === 'conv1d') {
    const taps = Array.from({ length: e.kernelSize }, () => matrix(rng, width, e.filters, scale))
    const layer: LayerIR = { type: 'conv1d', name, filters: e.filters, taps, bias: vector(rng, e.filters, 0.1), strides: e.strides ?? 1, dilation: e.dilation ?? 1, padding: e.padding, activation: e.activation }
    return { layer, width: e.filters }
  }
  return { layer: { type: 'flatten', name }, width: width * (seqLen ?? NaN) }
}

function matrix(rng: Rng, rows: number, cols: number, scale: number): Matrix {
  const data = new Float64Array(rows * cols)
  const s = scale * Math.sqrt(2 / (rows + cols))
  for (let k = 0; k < data.length; k++) data[k] = rng.normal() * s
  return { rows, cols, data }
}

function vector(rng: Rng, n: number, scale: number): Float64Array {
  return Float64Array.from({ length: n }, () => rng.normal() * scale)
}

export function randomNetwork(spec: RandomNetworkSpec): NetworkIR {
  const rng = new Rng(spec.seed)
  const scale = spec.scale ?? 1
  const layers: LayerIR[] = []
  if (spec.vocab) {
    layers.push({ type: 'embedding', name: 'embedding', embeddings: matrix(rng, spec.vocab, spec.frameSize, 4), ...(spec.maskZero ? { maskZero: true } : {}) })
  }
  let width = spec.frameSize
  const dropped: DroppedLayer[] = []
  const extras = (list: ExtraLayer[] | undefined, from: number) =>
    (list ?? []).forEach((e, k) => {
      // the identity at inference: dropped, as the loader drops it
      if (e.kind === 'identity') return void dropped.push({ name: `${e.className.toLowerCase()}_${from + k}`, className: e.className, at: layers.length })
      const r = extraLayer(rng, e, from + k, width, spec.seqLen, scale)
      layers.push(r.layer)
      width = r.width
    })
  extras(spec.before, 0)
  spec.hidden.forEach((u, k) => {
    const returnSequences = k < spec.hidden.length - 1 || spec.returnSequences === true
    const name = `${spec.cell}_${k}`
    const gates = spec.cell === 'simpleRnn' ? 1 : spec.cell === 'lstm' ? 4 : 3
    const cell = (cellName: string): RecurrentLayer => {
      const base = {
        name: cellName,
        units: u,
        kernel: matrix(rng, width, gates * u, scale),
        recurrentKernel: matrix(rng, u, gates * u, scale),
        returnSequences,
        activation: spec.cell === 'simpleRnn' ? (spec.activation ?? 'tanh') : 'tanh',
      }
      const gating = spec.hardSigmoidSlope === undefined ? { recurrentActivation: 'sigmoid' } : { recurrentActivation: 'hard_sigmoid', hardSigmoidSlope: spec.hardSigmoidSlope }
      if (spec.cell === 'simpleRnn') return { ...base, type: 'simpleRnn', bias: vector(rng, u, 0.1) }
      if (spec.cell === 'lstm') return { ...base, type: 'lstm', ...gating, bias: vector(rng, 4 * u, 0.1) }
      const resetAfter = spec.cell === 'gruResetAfter'
      return { ...base, type: 'gru', ...gating, resetAfter, bias: vector(rng, (resetAfter ? 6 : 3) * u, 0.1) }
    }
    if (spec.bidirectional) {
      const merge = spec.bidirectional
      layers.push({ type: 'bidirectional', name: `bidirectional_${k}`, forward: cell(`forward_${name}`), backward: cell(`backward_${name}`), merge, returnSequences })
      width = merge === 'concat' ? 2 * u : u
      return
    }
    layers.push(cell(name))
    width = u
  })
  extras(spec.after, 100)
  ;(spec.head ?? []).forEach(({ units, activation }, k) => {
    layers.push({ type: 'dense', name: `dense_hidden_${k}`, units, kernel: matrix(rng, width, units, scale), bias: vector(rng, units, 0.1), activation })
    width = units
  })
  const dense: DenseLayer = {
    type: 'dense',
    name: 'dense',
    units: spec.classes,
    kernel: matrix(rng, width, spec.classes, scale),
    bias: vector(rng, spec.classes, 0.1),
    activation: 'linear',
  }
  layers.push(dense)
  return {
    name: `random-${spec.cell}-${spec.hidden.join('x')}-seed${spec.seed}`,
    input: spec.vocab ? { kind: 'tokens', seqLen: spec.seqLen ?? null } : { kind: 'frames', frameSize: spec.frameSize, seqLen: spec.seqLen ?? null },
    layers,
    ...(dropped.length ? { dropped } : {}),
  }
}

export function randomFrames(rng: Rng, T: number, frameSize: number, lo = 0, hi = 1): number[][] {
  return Array.from({ length: T }, () => Array.from({ length: frameSize }, () => rng.uniform(lo, hi)))
}
