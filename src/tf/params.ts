/**
 * A network's weights as TF.js tensors, in Keras layouts (kernel [in, k·units], LSTM gates
 * i, f, c, o; GRU gates z, r, h, with or without reset_after), for the differentiable
 * forward pass, the attack and the bound propagation of certified training.
 *
 * Two sources:
 * - `paramsFromModel(model)`: a live tf.LayersModel; the tensors ARE the model's variables,
 *   so gradients of anything computed from them reach the model (and `optimizer.minimize`
 *   over `params.variables` trains it). Nothing is copied; `dispose()` is a no-op.
 * - `paramsFromNetwork(net)`: the certifier's NetworkIR (float64) as float32 constants,
 *   owned by the params (`dispose()` frees them).
 *
 * Browser-safe: TF.js only, no node: imports.
 */
import * as tf from '@tensorflow/tfjs'
import type { Matrix, NetworkIR, StageSpec } from '../cert/index.ts'
import { stageSpecs, validateNetwork } from '../cert/index.ts'
import { tfWeights } from './ops.ts'
/** What a recurrent or hidden Dense layer may apply (the output layer's softmax is dropped: logits). */
export type TfActivation = 'tanh' | 'sigmoid' | 'relu' | 'linear'

interface RecurrentBase {
  name: string
  units: number
  /** [in, k·units] */
  kernel: tf.Tensor2D
  /** [units, k·units] */
  recurrentKernel: tf.Tensor2D
}

export interface TfSimpleRnn extends RecurrentBase {
  type: 'simpleRnn'
  activation: TfActivation
  /** [units] */
  bias: tf.Tensor1D
}

export interface TfLstm extends RecurrentBase {
  type: 'lstm'
  /** hard_sigmoid gates with this slope (absent: sigmoid) */
  hardSigmoidSlope?: number
  /** [4·units], gate order i, f, c, o */
  bias: tf.Tensor1D
}

export interface TfGru extends RecurrentBase {
  type: 'gru'
  /** hard_sigmoid gates with this slope (absent: sigmoid) */
  hardSigmoidSlope?: number
  resetAfter: boolean
  /** [3·units] (z, r, h) or, with resetAfter, [6·units]: the input bias then the recurrent bias */
  bias: tf.Tensor1D
}

export type TfRecurrent = TfSimpleRnn | TfLstm | TfGru

export interface TfDense {
  name: string
  units: number
  /** [in, units] */
  kernel: tf.Tensor2D
  bias: tf.Tensor1D
  /** for the last (output) layer always 'linear': the logits */
  activation: TfActivation
}

/** A stage of the network (src/cert/layers/pipeline.ts) with tensor weights. */
export type TfStage = StageSpec<tf.Tensor2D, tf.Tensor1D>

export interface TfParams {
  /** token models: [vocab, dim] (the frames are its rows) */
  embedding: tf.Tensor2D | null
  /** token models: Keras mask_zero (token 0 is padding: its steps are masked) */
  maskZero?: boolean
  /** the chain of stages after the embedding; the last one is the Dense layer giving the logits */
  stages: TfStage[]
  classes: number
  /** values per frame (the embedding dimension for token models) */
  frameSize: number
  /** the trainable variables behind the tensors (empty for constant params) */
  variables: tf.Variable[]
  /** free the tensors the params own (constants from an IR; nothing for a live model) */
  dispose(): void
}

// ---------------------------------------------------------------------------------------
// From the certifier's IR

const mat = (m: Matrix): tf.Tensor2D => tf.tensor2d(Float32Array.from(m.data), [m.rows, m.cols], 'float32')
const vec = (v: Float64Array): tf.Tensor1D => tf.tensor1d(Float32Array.from(v), 'float32')

function activationOf(name: string, where: string): TfActivation {
  if (name === 'tanh' || name === 'sigmoid' || name === 'relu' || name === 'linear') return name
  throw new Error(`${where}: activation "${name}" is not supported (tanh, sigmoid, relu or linear)`)
}

/** Constant float32 params of a NetworkIR (validated; throws what the certifier refuses). */
export function paramsFromNetwork(net: NetworkIR): TfParams {
  const { classes } = validateNetwork(net)
  const owned: tf.Tensor[] = []
  const keep = <T extends tf.Tensor>(t: T): T => {
    owned.push(t)
    return t
  }
  try {
    const first = net.layers[0]
    const embedding = first.type === 'embedding' ? keep(mat(first.embeddings)) : null
    const frameSize = first.type === 'embedding' ? first.embeddings.cols : net.input.kind === 'frames' ? net.input.frameSize : 0
    const stages = stageSpecs(net, { mat: (m) => keep(mat(m)), vec: (v) => keep(vec(v)), ops: { ...tfWeights, diag: (d) => keep(tfWeights.diag(d)) } })
    const maskZero = first.type === 'embedding' && first.maskZero === true
    return { embedding, maskZero, stages, classes, frameSize, variables: [], dispose: () => owned.forEach((t) => t.dispose()) }
  } catch (e) {
    owned.forEach((t) => t.dispose())
    throw e
  }
}

// ---------------------------------------------------------------------------------------
// From a live tf.LayersModel

interface LayerVariableLike {
  name: string
  trainable: boolean
  read(): tf.Tensor
}

interface LayerLike {
  name: string
  trainable: boolean
  getClassName(): string
  getConfig(): Record<string, unknown>
  weights: LayerVariableLike[]
}

function weightOf(layer: LayerLike, suffix: string, required: boolean): tf.Tensor | null {
  // TF.js makes variable names unique per session: a second model's kernel is "rnn/kernel_1"
  const re = new RegExp(`(^|/)${suffix}(_\\d+)?$`)
  const w = layer.weights.find((v) => re.test(v.name))
  if (!w) {
    if (required) throw new Error(`layer "${layer.name}": weight "${suffix}" not found (weights: ${layer.weights.map((v) => v.name).join(', ')})`)
    return null
  }
  return w.read()
}

function configActivation(layer: LayerLike, key: string, fallback: string): string {
  const v = layer.getConfig()[key]
  return typeof v === 'string' ? v : fallback
}

/**
 * Params sharing the variables of a live model (Sequential of [Embedding,] SimpleRNN/LSTM/GRU
 * layers, Dense layers; Dropout/InputLayer skipped). `variables` are the trainable ones
 * (a layer with `trainable = false`, e.g. a frozen embedding, contributes none).
 */
export function paramsFromModel(model: tf.LayersModel): TfParams {
  let embedding: tf.Tensor2D | null = null
  const recurrent: Array<TfRecurrent & { returnSequences: boolean; layer: number }> = []
  const dense: Array<TfDense & { layer: number }> = []
  const variables: tf.Variable[] = []
  const owned: tf.Tensor[] = []
  const layers = model.layers as unknown as LayerLike[]
  const denseLayers = layers.filter((l) => l.getClassName() === 'Dense')
  for (const [index, layer] of layers.entries()) {
    const cls = layer.getClassName()
    const cfg = layer.getConfig()
    if (cls === 'InputLayer' || cls === 'Dropout') continue
    // a frozen layer's flag is the one to trust: a Sequential's lazy build (on its first
    // predict) resets every weight's own `trainable` to the model's
    if (layer.trainable) for (const w of layer.weights) if (w.trainable) variables.push(w.read() as tf.Variable)
    if (cls === 'Embedding') {
      if (recurrent.length || dense.length || embedding) throw new Error(`layer "${layer.name}": an Embedding is only supported as the first layer`)
      embedding = weightOf(layer, 'embeddings', true) as tf.Tensor2D
      continue
    }
    if (cls === 'SimpleRNN' || cls === 'LSTM' || cls === 'GRU') {
      const kernel = weightOf(layer, 'kernel', true) as tf.Tensor2D
      const recurrentKernel = weightOf(layer, 'recurrent_kernel', true) as tf.Tensor2D
      const units = recurrentKernel.shape[0]
      const gates = cls === 'SimpleRNN' ? 1 : cls === 'LSTM' ? 4 : 3
      const resetAfter = cls === 'GRU' && cfg.resetAfter === true
      let bias = weightOf(layer, 'bias', false) as tf.Tensor1D | null
      if (!bias) {
        bias = tf.zeros([(resetAfter ? 2 : 1) * gates * units]) as tf.Tensor1D
        owned.push(bias)
      } else if (bias.rank !== 1) {
        throw new Error(`layer "${layer.name}": a bias of shape [${bias.shape.join(', ')}] is not supported (1-D expected)`)
      }
      const base = { name: layer.name, units, kernel, recurrentKernel, bias, returnSequences: cfg.returnSequences === true, layer: index }
      if (cls === 'SimpleRNN') recurrent.push({ ...base, type: 'simpleRnn', activation: activationOf(configActivation(layer, 'activation', 'tanh'), `layer "${layer.name}"`) })
      else {
        const act = configActivation(layer, 'activation', 'tanh')
        const rec = configActivation(layer, 'recurrentActivation', 'hard_sigmoid')
        const hard = rec === 'hard_sigmoid' || rec === 'hardSigmoid'
        if (act !== 'tanh' || (rec !== 'sigmoid' && !hard)) {
          throw new Error(`layer "${layer.name}" (${cls}): activation ${act} / recurrent activation ${rec} is not supported (tanh / sigmoid or hard_sigmoid)`)
        }
        // TF.js's hard_sigmoid: clip(0.2·x + 0.5, 0, 1)
        const gates = hard ? { hardSigmoidSlope: 0.2 } : {}
        recurrent.push(cls === 'LSTM' ? { ...base, type: 'lstm', ...gates } : { ...base, type: 'gru', resetAfter, ...gates })
      }
      continue
    }
    if (cls === 'Dense') {
      if (recurrent.length === 0) throw new Error(`layer "${layer.name}": Dense before any recurrent layer is not supported`)
      const kernel = weightOf(layer, 'kernel', true) as tf.Tensor2D
      let bias = weightOf(layer, 'bias', false) as tf.Tensor1D | null
      if (!bias) {
        bias = tf.zeros([kernel.shape[1]]) as tf.Tensor1D
        owned.push(bias)
      }
      const last = layer === denseLayers[denseLayers.length - 1]
      const act = configActivation(layer, 'activation', 'linear')
      if (last && act !== 'linear' && act !== 'softmax') throw new Error(`layer "${layer.name}": output activation ${act} is not supported (linear or softmax)`)
      dense.push({ name: layer.name, units: kernel.shape[1], kernel, bias, activation: last ? 'linear' : activationOf(act, `layer "${layer.name}"`), layer: index })
      continue
    }
    throw new Error(`layer "${layer.name}": ${cls} is not supported (Embedding, SimpleRNN, LSTM, GRU, Dense, Dropout)`)
  }
  if (recurrent.length === 0) throw new Error('the model has no recurrent layer')
  if (dense.length === 0) throw new Error('the model has no output Dense layer')
  const frameSize = embedding ? embedding.shape[1] : recurrent[0].kernel.shape[0]
  const stages: TfStage[] = [
    ...recurrent.map((r): TfStage => ({ type: 'recurrent', layer: r.layer, name: r.name, spec: r, returnSequences: r.returnSequences, zeroOutput: false })),
    ...dense.map((d): TfStage => ({ type: 'dense', layer: d.layer, name: d.name, spec: d })),
  ]
  return { embedding, stages, classes: dense[dense.length - 1].units, frameSize, variables, dispose: () => owned.forEach((t) => t.dispose()) }
}

/** The frame-level view: the same params without the embedding (for inputs already embedded). */
export function withoutEmbedding(p: TfParams): TfParams {
  return { ...p, embedding: null }
}
