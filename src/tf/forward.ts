/**
 * The TF.js tensor domain and the differentiable forward pass of TfParams: frames [B, T, d]
 * → logits [B, classes] (before any output softmax): the certifier's layers
 * (src/cert/layers) on float32 tensors [B, n]. Plain tf ops, usable inside tf.grad /
 * optimizer.minimize, in a Web Worker or in Node.
 */
import * as tf from '@tensorflow/tfjs'
import type { CellProduct, Domain, Stage, StepMask, UnaryKind } from '../cert/index.ts'
import { maskOfRows, prepareStages, runPipeline } from '../cert/index.ts'
import { cols, hardSigmoidTf, matMul, maskRows, tfWeights, tokenMasks } from './ops.ts'
import type { TfParams } from './params.ts'

type T2 = tf.Tensor2D
type T1 = tf.Tensor1D

export { cols, tfWeights } from './ops.ts'

/** The stages of the params, their cells built (gate blocks sliced once per call). */
export const tfStages = (p: TfParams): Array<Stage<T2, T1>> => prepareStages(tfWeights, p.stages)

/** Zero states of a recurrent stage for a batch of B. */
export const zeroStates =
  (B: number) =>
  (_k: number, c: { units: number; stateParts: number }): T2[] =>
    Array.from({ length: c.stateParts }, () => tf.zeros([B, c.units]) as T2)

/** Per step [B, cols] slices of a [B, T, cols] tensor (tf.unstack cannot back-propagate a single step in TF.js 4.22). */
export function steps(x: tf.Tensor3D): T2[] {
  const [B, T, F] = x.shape
  return T === 1 ? [tf.reshape(x, [B, F]) as T2] : (tf.unstack(x, 1) as T2[])
}

export const UNARY_TF: Record<UnaryKind, (x: T2) => T2> = { tanh: (x) => tf.tanh(x), sigmoid: (x) => tf.sigmoid(x), relu: (x) => tf.relu(x), hardSigmoid: (x) => hardSigmoidTf(x) }
export const PRODUCT_TF: Record<CellProduct, (x: T2, y: T2) => T2> = {
  sigmoidTanh: (x, y) => tf.mul(tf.sigmoid(x), tf.tanh(y)),
  xSigmoid: (x, y) => tf.mul(x, tf.sigmoid(y)),
  hardSigmoidTanh: (x, y) => tf.mul(hardSigmoidTf(x), tf.tanh(y)),
  xHardSigmoid: (x, y) => tf.mul(x, hardSigmoidTf(y)),
  mul: (x, y) => tf.mul(x, y),
}

/** A layer's input sequence: [B·T, F] rows, whose products with a kernel are taken once for all steps. */
interface Sequence {
  flat: T2
  B: number
  T: number
  /** kernel → bias → the per-step products x·W (+ b) */
  products: Map<T2, Map<T1 | null, T2[]>>
}

/** Step t of a layer's input sequence: it only enters affine maps (no per-step slice is made). */
class SeqStep {
  readonly seq: Sequence
  readonly t: number

  constructor(seq: Sequence, t: number) {
    this.seq = seq
    this.t = t
  }
}

type Value = T2 | SeqStep

const asTensor = (v: Value): T2 => {
  if (v instanceof SeqStep) throw new Error('a layer input enters affine maps only')
  return v
}

/** Any value as a tensor [B, F] (a sequence step sliced out of its sequence). */
const stepTensor = (v: Value): T2 => {
  if (!(v instanceof SeqStep)) return v
  const { flat, B, T } = v.seq
  const F = flat.shape[1]
  return tf.reshape(tf.slice(tf.reshape(flat, [B, T, F]), [0, v.t, 0], [B, 1, F]), [B, F])
}

/**
 * Batches of vectors [B, n] as float32 tensors. The steps of a layer's input sequence
 * (`frames`, `sequence`) are multiplied with a kernel once for the whole sequence, bias
 * included.
 */
class TensorDomain implements Domain<Value, T2, T1> {
  /** The steps of a sequence [B, T, F]. */
  frames(x: tf.Tensor3D): SeqStep[] {
    const [B, T, F] = x.shape
    const seq: Sequence = { flat: tf.reshape(x, [B * T, F]), B, T, products: new Map() }
    return Array.from({ length: T }, (_v, t) => new SeqStep(seq, t))
  }

  /** A layer's input steps as one sequence (the layer below's h of every step). */
  sequence(inputs: Value[]): Value[] {
    if (inputs.every((x) => x instanceof SeqStep)) return inputs
    const hs = inputs.map(asTensor)
    return this.frames((hs.length === 1 ? tf.expandDims(hs[0], 1) : tf.stack(hs, 1)) as tf.Tensor3D)
  }

  private product(seq: Sequence, W: T2, b: T1 | null): T2[] {
    let byBias = seq.products.get(W)
    if (!byBias) seq.products.set(W, (byBias = new Map()))
    let p = byBias.get(b)
    if (!p) {
      const y = matMul(seq.flat, W)
      p = steps(tf.reshape(b ? tf.add(y, b) : y, [seq.B, seq.T, W.shape[1]]) as tf.Tensor3D)
      byBias.set(b, p)
    }
    return p
  }

  affine(terms: Array<[T2, Value]>, bias: T1 | null): T2 {
    let y: T2 | null = null
    let biased = false
    for (const [W, x] of terms) {
      let t: T2
      if (x instanceof SeqStep) {
        t = this.product(x.seq, W, biased ? null : bias)[x.t]
        biased = true
      } else t = matMul(x, W)
      y = y ? tf.add(y, t) : t
    }
    return bias && !biased ? tf.add(y!, bias) : y!
  }

  slice(v: Value, start: number, count: number): T2 {
    return cols(asTensor(v), start, count)
  }

  add(a: Value, b: Value): T2 {
    return tf.add(asTensor(a), asTensor(b))
  }

  sub(a: Value, b: Value): T2 {
    return tf.sub(asTensor(a), asTensor(b))
  }

  unary(kind: UnaryKind, v: Value): T2 {
    return UNARY_TF[kind](asTensor(v))
  }

  binary(kind: CellProduct, x: Value, y: Value): T2 {
    return PRODUCT_TF[kind](asTensor(x), asTensor(y))
  }

  concat(parts: Value[]): T2 {
    return tf.concat(parts.map(stepTensor), 1)
  }

  max(parts: Value[]): T2 {
    return parts.map(stepTensor).reduce((a, b) => tf.maximum(a, b))
  }

  /** Masking(value): per row, is every feature equal to the value (in float32, as Keras compares)? */
  maskOf(v: Value, value: number): StepMask {
    return maskOfRows(Float64Array.from(tf.all(tf.equal(stepTensor(v), value), 1).dataSync()))
  }

  /** Row by row: `skipped` where masked, `computed` where kept. */
  select(m: Float64Array, skipped: Value, computed: Value): T2 {
    if (m.length === 1) return stepTensor(m[0] === 1 ? skipped : computed)
    const a = stepTensor(skipped)
    const b = stepTensor(computed)
    const { skip } = maskRows(m, b.shape[0])
    return tf.where(tf.cast(tf.broadcastTo(skip, b.shape), 'bool'), tf.broadcastTo(a, b.shape), b) as T2
  }

  mark(): number {
    return 0
  }

  mergeLocal(v: Value): Value {
    return v
  }
}

/** Token ids [B, T] (int32) → frames [B, T, dim]: a gather on the embedding (gradients reach it). */
export function embedTokens(p: TfParams, tokens: T2): tf.Tensor3D {
  if (!p.embedding) throw new Error('this network reads frames, not tokens')
  const [B, T] = tokens.shape
  const flat = tf.reshape(tokens, [B * T])
  return tf.reshape(tf.gather(p.embedding, flat.dtype === 'int32' ? flat : tf.cast(flat, 'int32')), [B, T, p.embedding.shape[1]]) as tf.Tensor3D
}

/** Check a frames tensor against the params: [B, T ≥ 1, frameSize]. */
export function checkFrames(p: TfParams, frames: tf.Tensor): void {
  if (frames.rank !== 3 || frames.shape[2] !== p.frameSize) {
    throw new Error(`frames must have shape [batch, T, ${p.frameSize}], got [${frames.shape.join(', ')}]`)
  }
  if (frames.shape[1] === 0) throw new Error('the input has no frames')
}

/**
 * frames [B, T, frameSize] (embedding vectors for token models) → logits [B, classes];
 * `masks`: each step's mask (token models with mask_zero: `tokenMasks` of the ids).
 */
export function logits(p: TfParams, frames: tf.Tensor3D, masks?: readonly StepMask[]): T2 {
  checkFrames(p, frames)
  const d = new TensorDomain()
  const [B, T] = frames.shape
  return asTensor(
    runPipeline<Value, T2, T1>(d, tfStages(p), d.frames(frames), 0, T - 1, {
      initial: zeroStates(B),
      sequence: (inputs) => d.sequence(inputs),
      ...(masks ? { inputMask: (t: number) => masks[t] } : {}),
    }),
  )
}

/** Logits of int token ids [B, T] (token models): embedTokens then logits (with mask_zero, token 0's steps masked). */
export function tokenLogits(p: TfParams, tokens: T2): T2 {
  return logits(p, embedTokens(p, tokens), p.maskZero ? tokenMasks(tokens) : undefined)
}
