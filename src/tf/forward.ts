/**
 * The TF.js tensor domain and the differentiable forward pass of TfParams: frames [B, T, d]
 * → logits [B, classes] (before any output softmax): the certifier's layers
 * (src/cert/layers) on float32 tensors [B, n]. Plain tf ops, usable inside tf.grad /
 * optimizer.minimize, in a Web Worker or in Node.
 */
import * as tf from '@tensorflow/tfjs'
import type { Cell, CellProduct, Domain, UnaryKind, WeightOps } from '../cert/index.ts'
import { recurrentCell, runDense, runStack } from '../cert/index.ts'
import { matMul } from './ops.ts'
import type { TfParams } from './params.ts'

type T2 = tf.Tensor2D
type T1 = tf.Tensor1D

/** Columns [from, from + count) of a 2-D tensor. */
export const cols = (m: T2, from: number, count: number): T2 => tf.slice(m, [0, from], [m.shape[0], count])

/** Kernels [in, k·units] and biases as tensors: a gate block is a block of columns. */
export const tfWeights: WeightOps<T2, T1> = {
  cols,
  part: (v, from, count) => tf.slice(v, [from], [count]),
  plus: (a, b) => tf.add(a, b),
}

/** The recurrent cells of the params (gate blocks sliced once per call). */
export const tfCells = (p: TfParams): Array<Cell<T2, T1>> => p.recurrent.map((l) => recurrentCell(tfWeights, l))

/** Per step [B, cols] slices of a [B, T, cols] tensor (tf.unstack cannot back-propagate a single step in TF.js 4.22). */
export function steps(x: tf.Tensor3D): T2[] {
  const [B, T, F] = x.shape
  return T === 1 ? [tf.reshape(x, [B, F]) as T2] : (tf.unstack(x, 1) as T2[])
}

export const UNARY_TF: Record<UnaryKind, (x: T2) => T2> = { tanh: (x) => tf.tanh(x), sigmoid: (x) => tf.sigmoid(x) }
export const PRODUCT_TF: Record<CellProduct, (x: T2, y: T2) => T2> = {
  sigmoidTanh: (x, y) => tf.mul(tf.sigmoid(x), tf.tanh(y)),
  xSigmoid: (x, y) => tf.mul(x, tf.sigmoid(y)),
}

/** A layer's input sequence: [B·T, F] rows, whose products with a kernel are taken once for all steps. */
interface Sequence {
  flat: T2
  B: number
  T: number
  /** kernel → bias → the per-step products x·W (+ b) */
  products: Map<T2, Map<T1 | null, T2[]>>
}

/**
 * Batches of vectors [B, n] as float32 tensors. A step of a layer's input sequence (see
 * `sequence`) is multiplied with a kernel once for the whole sequence, bias included.
 */
class TensorDomain implements Domain<T2, T2, T1> {
  private readonly stepOf = new Map<T2, { seq: Sequence; t: number }>()

  /** The steps of a sequence [B, T, F], registered so that their products are taken at once. */
  frames(x: tf.Tensor3D): T2[] {
    const [B, T, F] = x.shape
    const seq: Sequence = { flat: tf.reshape(x, [B * T, F]), B, T, products: new Map() }
    const out = steps(x)
    out.forEach((s, t) => this.stepOf.set(s, { seq, t }))
    return out
  }

  /** A layer's input steps as a registered sequence (the layer below's h of every step). */
  sequence(inputs: T2[]): T2[] {
    if (inputs.every((x) => this.stepOf.has(x))) return inputs
    return this.frames((inputs.length === 1 ? tf.expandDims(inputs[0], 1) : tf.stack(inputs, 1)) as tf.Tensor3D)
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

  affine(terms: Array<[T2, T2]>, bias: T1 | null): T2 {
    let y: T2 | null = null
    let biased = false
    for (const [W, x] of terms) {
      const s = this.stepOf.get(x)
      let t: T2
      if (s) {
        t = this.product(s.seq, W, biased ? null : bias)[s.t]
        biased = true
      } else t = matMul(x, W)
      y = y ? tf.add(y, t) : t
    }
    return bias && !biased ? tf.add(y!, bias) : y!
  }

  slice(v: T2, start: number, count: number): T2 {
    return cols(v, start, count)
  }

  add(a: T2, b: T2): T2 {
    return tf.add(a, b)
  }

  sub(a: T2, b: T2): T2 {
    return tf.sub(a, b)
  }

  unary(kind: UnaryKind, v: T2): T2 {
    return UNARY_TF[kind](v)
  }

  binary(kind: CellProduct, x: T2, y: T2): T2 {
    return PRODUCT_TF[kind](x, y)
  }

  mark(): number {
    return 0
  }

  mergeLocal(v: T2): T2 {
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

/** frames [B, T, frameSize] (embedding vectors for token models) → logits [B, classes]. */
export function logits(p: TfParams, frames: tf.Tensor3D): T2 {
  checkFrames(p, frames)
  const d = new TensorDomain()
  const B = frames.shape[0]
  const h = runStack(d, tfCells(p), d.frames(frames), {
    initial: (_li, c) => Array.from({ length: c.stateParts }, () => tf.zeros([B, c.units]) as T2),
    sequence: (inputs) => d.sequence(inputs),
  })
  return runDense(d, p.dense, h[h.length - 1])
}

/** Logits of int token ids [B, T] (token models): embedTokens then logits. */
export function tokenLogits(p: TfParams, tokens: T2): T2 {
  return logits(p, embedTokens(p, tokens))
}
