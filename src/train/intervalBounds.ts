/**
 * Interval bound propagation (IBP; Gowal et al. 2019) through SimpleRNN, LSTM, GRU
 * (reset_after false and true) and Dense layers, batched and differentiable.
 *
 * The decomposition is the certifier's 'interval' method (src/cert: every intermediate
 * result boxed; affine maps in centre/radius form, c·W + b ± r·|W|; tanh and sigmoid at the
 * endpoints; the products σ(x)·tanh(y) and x·σ(y) at the four corners, both being monotone
 * in each variable; GRU h_t = h̃ + (h_{t−1} − h̃)·σ(z) with h_{t−1} − h̃ boxed), so the
 * logit bounds agree with the certifier's. The worst-case logits use the last layer's
 * specification directly (z_c − z_y = (W_c − W_y)·h + b_c − b_y over the box of h), which
 * is sound and never looser than subtracting the two logit intervals.
 */
import * as tf from '@tensorflow/tfjs'
import type { InputBox, LogitBounds } from './box.ts'
import { cols, gruParts, steps } from './forward.ts'
import { matMul } from './ops.ts'
import type { TfActivation, TfDense, TfParams, TfRecurrent } from './params.ts'

type T2 = tf.Tensor2D

/** An interval vector [l, u], [B, n] each. */
export interface Box {
  l: T2
  u: T2
}

const mid = (b: Box) => tf.div(tf.add(b.l, b.u), 2) as T2
const rad = (b: Box) => tf.div(tf.sub(b.u, b.l), 2) as T2

/** Σ_k W_k·x_k + b over boxes: centre/radius form. */
export function affineBox(terms: Array<[Box, T2]>, bias: tf.Tensor1D | null): Box {
  let c: T2 | null = null
  let r: T2 | null = null
  for (const [x, W] of terms) {
    const cw = matMul(mid(x), W)
    const rw = matMul(rad(x), tf.abs(W))
    c = c ? (tf.add(c, cw) as T2) : cw
    r = r ? (tf.add(r, rw) as T2) : rw
  }
  if (bias) c = tf.add(c!, bias) as T2
  return { l: tf.sub(c!, r!), u: tf.add(c!, r!) }
}

const monotone = (f: (x: T2) => T2, b: Box): Box => ({ l: f(b.l), u: f(b.u) })

export function activationBox(act: TfActivation, b: Box): Box {
  if (act === 'tanh') return monotone((x) => tf.tanh(x), b)
  if (act === 'sigmoid') return monotone((x) => tf.sigmoid(x), b)
  return b
}

/** f(x, y) over a box by its corners (f monotone in each variable). */
function corners(f: (x: T2, y: T2) => T2, x: Box, y: Box): Box {
  const v = [f(x.l, y.l), f(x.l, y.u), f(x.u, y.l), f(x.u, y.u)]
  return { l: v.reduce((a, b) => tf.minimum(a, b)), u: v.reduce((a, b) => tf.maximum(a, b)) }
}

const xSigmoid = (x: Box, y: Box) => corners((a, b) => tf.mul(a, tf.sigmoid(b)), x, y)
const sigmoidTanh = (x: Box, y: Box) => corners((a, b) => tf.mul(tf.sigmoid(a), tf.tanh(b)), x, y)
const addBox = (a: Box, b: Box): Box => ({ l: tf.add(a.l, b.l), u: tf.add(a.u, b.u) })
const subBox = (a: Box, b: Box): Box => ({ l: tf.sub(a.l, b.u), u: tf.sub(a.u, b.l) })
const sliceBox = (b: Box, from: number, count: number): Box => ({ l: cols(b.l, from, count), u: cols(b.u, from, count) })

/** One step of a recurrent layer on boxes; state = [h] or [h, c]. */
export function cellStepBox(layer: TfRecurrent, x: Box, state: Box[]): Box[] {
  const u = layer.units
  if (layer.type === 'simpleRnn') {
    return [activationBox(layer.activation, affineBox([[x, layer.kernel], [state[0], layer.recurrentKernel]], layer.bias))]
  }
  if (layer.type === 'lstm') {
    const [h, c] = state
    const z = affineBox([[x, layer.kernel], [h, layer.recurrentKernel]], layer.bias)
    const fc = xSigmoid(c, sliceBox(z, u, u))
    const ig = sigmoidTanh(sliceBox(z, 0, u), sliceBox(z, 2 * u, u))
    const cNew = addBox(fc, ig)
    return [sigmoidTanh(sliceBox(z, 3 * u, u), cNew), cNew]
  }
  const g = gruParts(layer)
  const [h] = state
  const zr = affineBox([[x, g.WxZR], [h, g.WhZR]], g.bZR)
  const zPre = sliceBox(zr, 0, u)
  const rPre = sliceBox(zr, u, u)
  let pre: Box
  if (g.bhH) {
    const hu = affineBox([[h, g.WhH]], g.bhH)
    pre = addBox(affineBox([[x, g.WxH]], g.bxH), xSigmoid(hu, rPre))
  } else {
    pre = affineBox([[x, g.WxH], [xSigmoid(h, rPre), g.WhH]], g.bxH)
  }
  const hh = activationBox('tanh', pre)
  const dz = xSigmoid(subBox(h, hh), zPre)
  return [addBox(hh, dz)]
}

export const stateParts = (l: TfRecurrent) => (l.type === 'lstm' ? 2 : 1)

/** The box of the last recurrent layer's final h (the input of the Dense layers). */
function recurrentBox(p: TfParams, box: InputBox): Box {
  const lo = steps(box.lower)
  const hi = steps(box.upper)
  const B = box.lower.shape[0]
  const states: Box[][] = p.recurrent.map((l) =>
    Array.from({ length: stateParts(l) }, () => {
      const z = tf.zeros([B, l.units]) as T2
      return { l: z, u: z }
    }),
  )
  for (let t = 0; t < lo.length; t++) {
    let x: Box = { l: lo[t], u: hi[t] }
    p.recurrent.forEach((layer, k) => {
      states[k] = cellStepBox(layer, x, states[k])
      x = states[k][0]
    })
  }
  return states[states.length - 1][0]
}

/** Dense layers but the last: affine, then the activation. */
function hiddenDense(dense: TfDense[], h: Box): Box {
  let y = h
  for (const d of dense.slice(0, -1)) y = activationBox(d.activation, affineBox([[y, d.kernel]], d.bias))
  return y
}

/**
 * Upper bounds of z_c − z_y for the last Dense layer over the box of its input: per sample
 * the specification row (W_c − W_y)·h + (b_c − b_y), bounded in centre/radius form.
 */
export function worstFromLastDense(last: TfDense, h: Box, labels: tf.Tensor1D): T2 {
  const C = last.units
  const onehot = tf.oneHot(tf.cast(labels, 'int32'), C) as T2
  const Wy = tf.matMul(onehot, last.kernel, false, true) // [B, n]
  const Wd = tf.sub(tf.expandDims(last.kernel, 0), tf.expandDims(Wy, 2)) as tf.Tensor3D // [B, n, C]
  const by = tf.sum(tf.mul(onehot, last.bias), 1, true)
  const c = tf.reshape(tf.matMul(tf.expandDims(mid(h), 1) as tf.Tensor3D, Wd), [-1, C])
  const r = tf.reshape(tf.matMul(tf.expandDims(rad(h), 1) as tf.Tensor3D, tf.abs(Wd)), [-1, C])
  // entry y: W_y − W_y = 0 and b_y − b_y = 0 exactly
  return tf.add(tf.add(c, tf.sub(last.bias, by)), r) as T2
}

/** IBP bounds of the logits over the box (and the worst-case logits for `labels`). */
export function intervalBounds(p: TfParams, box: InputBox, labels?: tf.Tensor1D): LogitBounds {
  if (box.lower.rank !== 3 || box.lower.shape[2] !== p.frameSize) {
    throw new Error(`the box must have shape [batch, T, ${p.frameSize}], got [${box.lower.shape.join(', ')}]`)
  }
  const h = hiddenDense(p.dense, recurrentBox(p, box))
  const last = p.dense[p.dense.length - 1]
  const out = affineBox([[h, last.kernel]], last.bias)
  return { lower: out.l, upper: out.u, worst: labels ? worstFromLastDense(last, h, labels) : null }
}
