/**
 * The certifier's network IR: Keras/TF.js semantics, float64 weights in Keras layout
 * (kernel [in, out], row-major), plus validation that refuses what cannot be certified.
 */

/** Row-major matrix. */
export interface Matrix {
  rows: number
  cols: number
  data: Float64Array
}

export interface EmbeddingLayer {
  type: 'embedding'
  name: string
  /** vocab × dim */
  embeddings: Matrix
  /**
   * Keras `mask_zero=True`: token 0 is padding, its steps are skipped by the recurrent
   * layers (the mask comes from the token ids, so the threat model never changes it)
   */
  maskZero?: boolean
}

/**
 * Keras `Masking(mask_value)`, as the first layer of a frames model: a step whose every
 * feature equals maskValue is skipped by the recurrent layers after it (they keep their
 * state and repeat their previous output), and left out of a GlobalAveragePooling1D mean.
 */
export interface MaskingLayer {
  type: 'masking'
  name: string
  maskValue: number
}

interface RecurrentBase {
  name: string
  units: number
  /** [in, k·units] */
  kernel: Matrix
  /** [units, k·units] */
  recurrentKernel: Matrix
  returnSequences: boolean
  activation: string
  /**
   * Keras `zero_output_for_mask`: with a mask, masked steps output zeros instead of the
   * previous output (Keras forces it to return_sequences inside Bidirectional)
   */
  zeroOutputForMask?: boolean
}

export interface SimpleRnnLayer extends RecurrentBase {
  type: 'simpleRnn'
  /** [units] */
  bias: Float64Array
}

/** hard_sigmoid gates: clip(s·x + 1/2, 0, 1) with s = hardSigmoidSlope (Keras 2 / TF.js 0.2, Keras 3 1/6) */
interface HardSigmoidGates {
  hardSigmoidSlope?: number
}

export interface LstmLayer extends RecurrentBase, HardSigmoidGates {
  type: 'lstm'
  recurrentActivation: string
  /** [4·units], gate order i, f, c, o */
  bias: Float64Array
}

export interface GruLayer extends RecurrentBase, HardSigmoidGates {
  type: 'gru'
  recurrentActivation: string
  resetAfter: boolean
  /** [3·units] (gate order z, r, h) or, with resetAfter, [2, 3·units] flattened: input bias then recurrent bias */
  bias: Float64Array
}

export interface DenseLayer {
  type: 'dense'
  name: string
  units: number
  /** [in, units] */
  kernel: Matrix
  bias: Float64Array
  activation: string
}

/**
 * A layer of the model file that is the identity at inference (Dropout, SpatialDropout1D,
 * GaussianNoise, GaussianDropout …): dropped by the loader, listed for the model card.
 */
export interface DroppedLayer {
  name: string
  /** the framework's class name, e.g. 'SpatialDropout1D' */
  className: string
  /** where it stood: before `layers[at]` */
  at: number
}

/**
 * BatchNormalization in its inference form, folded per feature: y = x·scale + offset with
 * scale = γ/√(var + ε), offset = β − mean·scale. On a sequence it acts on every step.
 */
export interface BatchNormLayer {
  type: 'batchNorm'
  name: string
  scale: Float64Array
  offset: Float64Array
}

/**
 * GlobalAveragePooling1D (avg) or GlobalMaxPooling1D (max) over the steps of a sequence, or
 * its last step (last: PyTorch's out[:, -1] of a bidirectional layer, whose backward
 * direction's last output has read only the last step; no Keras layer loads as it).
 */
export interface PoolLayer {
  type: 'pool'
  name: string
  mode: 'avg' | 'max' | 'last'
}

/**
 * Conv1D over the steps: output step t = act(Σ_j x_{t·s − left + j·d}·W_j + b) over the
 * taps j < kernelSize (inputs outside the sequence are zero), `left` = 0 (valid),
 * ⌊total/2⌋ (same) or d·(k − 1) (causal). Output length: valid ⌊(T − d(k−1) − 1)/s⌋ + 1,
 * same and causal ⌈T/s⌉.
 */
export interface Conv1dLayer {
  type: 'conv1d'
  name: string
  filters: number
  /** kernelSize matrices [in, filters], tap 0 first */
  taps: Matrix[]
  bias: Float64Array
  strides: number
  dilation: number
  padding: 'valid' | 'same' | 'causal'
  activation: string
}

/** The output length and left padding of a Conv1D on T steps. */
export function convGeometry(l: { taps: ArrayLike<unknown>; strides: number; dilation: number; padding: Conv1dLayer['padding'] }, T: number): { length: number; left: number } {
  const k = l.taps.length
  const span = l.dilation * (k - 1) + 1
  if (l.padding === 'valid') return { length: Math.max(0, Math.floor((T - span) / l.strides) + 1), left: 0 }
  const length = Math.ceil(T / l.strides)
  if (l.padding === 'causal') return { length, left: span - 1 }
  const total = Math.max((length - 1) * l.strides + span - T, 0)
  return { length, left: Math.floor(total / 2) }
}

/** Flatten a sequence of T steps into one vector of T·n values (needs a fixed length). */
export interface FlattenLayer {
  type: 'flatten'
  name: string
}

export type RecurrentLayer = SimpleRnnLayer | LstmLayer | GruLayer

/** How a Bidirectional layer merges its two directions' outputs (Keras merge_mode). */
export type MergeMode = 'concat' | 'sum' | 'ave' | 'mul'

/**
 * Bidirectional: `forward` reads the sequence from the first step, `backward` from the last
 * (its output at step t has read steps T−1 … t); merged per step (return_sequences) or
 * the two final states merged. Both inner layers' returnSequences equal the wrapper's.
 */
export interface BidirectionalLayer {
  type: 'bidirectional'
  name: string
  forward: RecurrentLayer
  backward: RecurrentLayer
  merge: MergeMode
  returnSequences: boolean
}

export type LayerIR = EmbeddingLayer | MaskingLayer | RecurrentLayer | BidirectionalLayer | Conv1dLayer | DenseLayer | BatchNormLayer | PoolLayer | FlattenLayer

export type InputSpec =
  /**
   * `flatSize`: the model file reads one flat vector of seqLen·frameSize values that a
   * leading Reshape turns into the frames (e.g. 784 → 28 × 28); inputs may give either.
   */
  | { kind: 'frames'; frameSize: number; seqLen: number | null; flatSize?: number }
  | { kind: 'tokens'; seqLen: number | null }

export interface NetworkIR {
  name?: string
  input: InputSpec
  layers: LayerIR[]
  /** optional class names, one per logit */
  classNames?: string[]
  /** layers of the file that are the identity at inference, dropped (for the model card) */
  dropped?: DroppedLayer[]
}

/** A model the certifier refuses, with a message that names the layer and the setting. */
export class UnsupportedModelError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'UnsupportedModelError'
  }
}

export function isRecurrent(l: LayerIR): l is RecurrentLayer {
  return l.type === 'simpleRnn' || l.type === 'lstm' || l.type === 'gru'
}

const GATES: Record<RecurrentLayer['type'], number> = { simpleRnn: 1, lstm: 4, gru: 3 }

function expectShape(layer: string, what: string, m: Matrix, rows: number, cols: number) {
  if (m.rows !== rows || m.cols !== cols || m.data.length !== rows * cols) {
    throw new UnsupportedModelError(
      `layer "${layer}": ${what} has shape [${m.rows}, ${m.cols}] (${m.data.length} values), expected [${rows}, ${cols}]`,
    )
  }
}

function expectFinite(layer: string, what: string, v: Float64Array) {
  for (let k = 0; k < v.length; k++) {
    if (!Number.isFinite(v[k])) throw new UnsupportedModelError(`layer "${layer}": ${what} contains a non-finite value (${v[k]}) at index ${k}`)
  }
}

/** The shapes, values and activations of a recurrent layer reading inputs of `width`. */
function checkRecurrent(layer: RecurrentLayer, width: number): void {
  const k = GATES[layer.type]
  const u = layer.units
  expectShape(layer.name, 'kernel', layer.kernel, width, k * u)
  expectShape(layer.name, 'recurrent kernel', layer.recurrentKernel, u, k * u)
  const biasLen = layer.type === 'gru' && layer.resetAfter ? 2 * k * u : k * u
  if (layer.bias.length !== biasLen) {
    throw new UnsupportedModelError(`layer "${layer.name}": bias has ${layer.bias.length} values, expected ${biasLen}`)
  }
  expectFinite(layer.name, 'kernel', layer.kernel.data)
  expectFinite(layer.name, 'recurrent kernel', layer.recurrentKernel.data)
  expectFinite(layer.name, 'bias', layer.bias)
  if (layer.type === 'simpleRnn') {
    if (!['tanh', 'sigmoid', 'relu', 'linear'].includes(layer.activation)) {
      throw new UnsupportedModelError(`layer "${layer.name}" (SimpleRNN): activation "${layer.activation}" is not supported; use tanh, sigmoid, relu or linear`)
    }
  } else {
    const cell = layer.type === 'lstm' ? 'LSTM' : 'GRU'
    if (layer.activation !== 'tanh') {
      throw new UnsupportedModelError(`layer "${layer.name}" (${cell}): activation "${layer.activation}" is not supported; the certifier needs tanh`)
    }
    const hard = layer.recurrentActivation === 'hard_sigmoid'
    if (!hard && layer.recurrentActivation !== 'sigmoid') {
      throw new UnsupportedModelError(
        `layer "${layer.name}" (${cell}): recurrent activation "${layer.recurrentActivation}" is not supported; use sigmoid or hard_sigmoid`,
      )
    }
    const s = layer.hardSigmoidSlope
    if (hard !== (s !== undefined) || (s !== undefined && !(Number.isFinite(s) && s > 0))) {
      throw new UnsupportedModelError(
        `layer "${layer.name}" (${cell}): hard_sigmoid gates need a positive slope (0.2 for Keras 2 and TF.js, 1/6 for Keras 3), and only they; got ${s} with recurrent activation "${layer.recurrentActivation}"`,
      )
    }
  }
}

/** A layer that would receive a masked sequence it cannot honour. */
const maskedInput = (name: string, what: string, source: string) =>
  new UnsupportedModelError(
    `layer "${name}" (${what}) receives the mask of "${source}" (Masking or mask_zero): Keras 2 and TF.js refuse a mask there and Keras 3 drops it; the certifier does not support a mask reaching ${what} (remove the Masking layer or mask_zero, or let a recurrent layer with return_sequences=false end the masked sequence first)`,
  )

/**
 * Check that the network is one the certifier can handle soundly; returns the number of
 * output classes. Throws UnsupportedModelError naming the layer and setting otherwise.
 */
export function validateNetwork(net: NetworkIR): { classes: number } {
  const layers = net.layers
  if (layers.length === 0) throw new UnsupportedModelError('the model has no layers')
  let width: number
  let sequence = true
  let start = 0
  /** the layer whose mask the current sequence carries (Masking, Embedding mask_zero), or null */
  let masked: string | null = null
  if (net.input.kind === 'tokens') {
    const emb = layers[0]
    if (emb.type !== 'embedding') {
      throw new UnsupportedModelError(`token input needs an Embedding first layer; the first layer "${emb.name}" is ${emb.type}`)
    }
    if (emb.embeddings.data.length !== emb.embeddings.rows * emb.embeddings.cols) {
      throw new UnsupportedModelError(`layer "${emb.name}": embedding matrix has ${emb.embeddings.data.length} values, expected ${emb.embeddings.rows}×${emb.embeddings.cols}`)
    }
    expectFinite(emb.name, 'embeddings', emb.embeddings.data)
    width = emb.embeddings.cols
    start = 1
    masked = emb.maskZero ? emb.name : null
  } else {
    if (!(net.input.frameSize > 0)) throw new UnsupportedModelError(`frame input needs a positive frame size, got ${net.input.frameSize}`)
    width = net.input.frameSize
  }
  let sawRecurrent = false
  const seqLen = net.input.seqLen
  /** the current sequence's length, when fixed (a Conv1D may change it) */
  let steps = seqLen
  if (net.input.kind === 'frames' && net.input.flatSize !== undefined && net.input.flatSize !== (seqLen ?? NaN) * width) {
    throw new UnsupportedModelError(`the input reshape needs ${net.input.flatSize} values = frames × frame size, got ${seqLen} × ${width}`)
  }
  for (const [i, layer] of layers.entries()) {
    if (i < start) continue
    if (layer.type === 'masking') {
      if (i !== 0 || net.input.kind !== 'frames') {
        throw new UnsupportedModelError(`layer "${layer.name}" (Masking) is supported only as the first layer, on the input frames (token models mask with the Embedding's mask_zero)`)
      }
      if (!Number.isFinite(layer.maskValue)) throw new UnsupportedModelError(`layer "${layer.name}" (Masking): mask value ${layer.maskValue} is not a finite number`)
      masked = layer.name
      continue
    }
    if (layer.type === 'embedding') {
      throw new UnsupportedModelError(`layer "${layer.name}": an Embedding layer is only supported as the first layer of a token model`)
    }
    if (layer.type === 'batchNorm') {
      if (layer.scale.length !== width || layer.offset.length !== width) {
        throw new UnsupportedModelError(`layer "${layer.name}" (BatchNormalization): ${layer.scale.length} features, expected ${width}`)
      }
      expectFinite(layer.name, 'scale', layer.scale)
      expectFinite(layer.name, 'offset', layer.offset)
      continue
    }
    if (layer.type === 'pool' || layer.type === 'flatten') {
      const what = layer.type === 'flatten' ? 'Flatten' : layer.mode === 'max' ? 'GlobalMaxPooling1D' : layer.mode === 'last' ? 'last step' : 'GlobalAveragePooling1D'
      if (!sequence) throw new UnsupportedModelError(`layer "${layer.name}" (${what}) needs a sequence: the recurrent layer before it must have return_sequences=true`)
      if (masked !== null && layer.type === 'flatten') throw maskedInput(layer.name, what, masked)
      // GlobalAveragePooling1D averages the unmasked steps; Keras 3's GlobalMaxPooling1D ignores the mask (the max of every step) and drops it
      masked = null
      if (layer.type === 'flatten') {
        if (steps === null) throw new UnsupportedModelError(`layer "${layer.name}" (Flatten) needs a fixed sequence length: give the input a fixed number of steps`)
        width *= steps
      }
      sequence = false
      continue
    }
    if (layer.type === 'conv1d') {
      if (!sequence) throw new UnsupportedModelError(`layer "${layer.name}" (Conv1D) needs a sequence`)
      if (masked !== null) throw maskedInput(layer.name, 'Conv1D', masked)
      if (layer.taps.length === 0) throw new UnsupportedModelError(`layer "${layer.name}" (Conv1D): an empty kernel`)
      layer.taps.forEach((m, j) => {
        expectShape(layer.name, `kernel tap ${j}`, m, width, layer.filters)
        expectFinite(layer.name, `kernel tap ${j}`, m.data)
      })
      if (layer.bias.length !== layer.filters) throw new UnsupportedModelError(`layer "${layer.name}": bias has ${layer.bias.length} values, expected ${layer.filters}`)
      expectFinite(layer.name, 'bias', layer.bias)
      if (!(Number.isInteger(layer.strides) && layer.strides > 0 && Number.isInteger(layer.dilation) && layer.dilation > 0)) {
        throw new UnsupportedModelError(`layer "${layer.name}" (Conv1D): strides ${layer.strides} and dilation ${layer.dilation} must be positive whole numbers`)
      }
      if (!['linear', 'relu', 'tanh', 'sigmoid'].includes(layer.activation)) {
        throw new UnsupportedModelError(`layer "${layer.name}" (Conv1D): activation "${layer.activation}" is not supported; use linear, relu, tanh or sigmoid`)
      }
      if (steps !== null) steps = convGeometry(layer, steps).length
      width = layer.filters
      continue
    }
    if (layer.type === 'bidirectional') {
      if (!sequence) {
        throw new UnsupportedModelError(`layer "${layer.name}": the previous recurrent layer does not return sequences (set return_sequences=true to stack)`)
      }
      for (const inner of [layer.forward, layer.backward]) {
        checkRecurrent(inner, width)
        if (inner.returnSequences !== layer.returnSequences) {
          throw new UnsupportedModelError(`layer "${layer.name}" (Bidirectional): its inner layer "${inner.name}" must return sequences exactly when the wrapper does`)
        }
      }
      const u = layer.forward.units
      if (layer.merge !== 'concat' && layer.backward.units !== u) {
        throw new UnsupportedModelError(`layer "${layer.name}" (Bidirectional): merge mode ${layer.merge} needs two directions of the same size, got ${u} and ${layer.backward.units}`)
      }
      if (!['concat', 'sum', 'ave', 'mul'].includes(layer.merge)) {
        throw new UnsupportedModelError(`layer "${layer.name}" (Bidirectional): merge mode "${layer.merge}" is not supported; use concat, sum, ave or mul`)
      }
      width = layer.merge === 'concat' ? u + layer.backward.units : u
      sequence = layer.returnSequences
      if (!sequence) masked = null
      sawRecurrent = true
      continue
    }
    if (isRecurrent(layer)) {
      if (!sequence) {
        throw new UnsupportedModelError(`layer "${layer.name}": the previous recurrent layer does not return sequences (set return_sequences=true to stack)`)
      }
      checkRecurrent(layer, width)
      width = layer.units
      sequence = layer.returnSequences
      if (!sequence) masked = null
      sawRecurrent = true
      continue
    }
    // Dense: on a vector, or on every step of a sequence (Keras applies it to the last axis)
    expectShape(layer.name, 'kernel', layer.kernel, width, layer.units)
    if (layer.bias.length !== layer.units) throw new UnsupportedModelError(`layer "${layer.name}": bias has ${layer.bias.length} values, expected ${layer.units}`)
    expectFinite(layer.name, 'kernel', layer.kernel.data)
    expectFinite(layer.name, 'bias', layer.bias)
    width = layer.units
  }
  if (!sawRecurrent) throw new UnsupportedModelError('the model has no recurrent layer (SimpleRNN, LSTM or GRU)')
  const last = layers[layers.length - 1]
  if (last.type !== 'dense') throw new UnsupportedModelError(`the last layer "${last.name}" must be Dense (the class logits); it is ${last.type}`)
  if (sequence) {
    throw new UnsupportedModelError(
      `layer "${last.name}" (Dense) receives a sequence: the recurrent layer before it must have return_sequences=false (or a pooling or Flatten layer must come between)`,
    )
  }
  for (const layer of layers) {
    if (layer.type !== 'dense') continue
    const isLast = layer === last
    const ok = isLast ? ['linear', 'softmax'] : ['linear', 'tanh', 'sigmoid', 'relu']
    if (!ok.includes(layer.activation)) {
      throw new UnsupportedModelError(
        `layer "${layer.name}" (Dense): activation "${layer.activation}" is not supported ${isLast ? 'on the output layer (use linear or softmax)' : 'on a hidden Dense layer (use linear, tanh, sigmoid or relu)'}`,
      )
    }
  }
  if (last.units < 2) throw new UnsupportedModelError(`the output layer "${last.name}" has ${last.units} unit; the certifier needs at least 2 class logits`)
  if (net.classNames && net.classNames.length !== last.units) {
    throw new UnsupportedModelError(`${net.classNames.length} class names given for ${last.units} outputs`)
  }
  return { classes: last.units }
}

/** Row-major transpose: Keras kernels [in, out] become maps W (out × in) for W·x. */
export function transpose(m: Matrix): Float64Array {
  const t = new Float64Array(m.rows * m.cols)
  for (let i = 0; i < m.rows; i++) for (let j = 0; j < m.cols; j++) t[j * m.rows + i] = m.data[i * m.cols + j]
  return t
}
