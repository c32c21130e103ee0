/**
 * The differentiable forward pass of TfParams: frames [B, T, d] → logits [B, classes]
 * (before any output softmax), with exactly the certifier's cell semantics
 * (src/cert/cells: Keras layouts; GRU h_t = h̃ + (h_{t−1} − h̃)·σ(z)). Plain tf ops, usable
 * inside tf.grad / optimizer.minimize, in a Web Worker or in Node.
 */
import * as tf from '@tensorflow/tfjs'
import { matMul } from './ops.ts'
import type { TfActivation, TfDense, TfGru, TfLstm, TfParams, TfRecurrent, TfSimpleRnn } from './params.ts'

export const applyActivation = (name: TfActivation, x: tf.Tensor2D): tf.Tensor2D =>
  name === 'tanh' ? tf.tanh(x) : name === 'sigmoid' ? tf.sigmoid(x) : x

/** Columns [from, from + count) of a 2-D tensor (a gate block of a kernel). */
export const cols = (m: tf.Tensor2D, from: number, count: number): tf.Tensor2D => tf.slice(m, [0, from], [m.shape[0], count])
/** Entries [from, from + count) of a 1-D tensor. */
export const part = (v: tf.Tensor1D, from: number, count: number): tf.Tensor1D => tf.slice(v, [from], [count])

/** A GRU's weights split by gate, as the certifier's gruWeights (src/cert/cells/gru.ts). */
export function gruParts(l: TfGru) {
  const u = l.units
  const bx = part(l.bias, 0, 3 * u)
  const bZR = l.resetAfter ? tf.add(part(bx, 0, 2 * u), part(l.bias, 3 * u, 2 * u)) : part(bx, 0, 2 * u)
  return {
    WxZR: cols(l.kernel, 0, 2 * u),
    WxH: cols(l.kernel, 2 * u, u),
    WhZR: cols(l.recurrentKernel, 0, 2 * u),
    WhH: cols(l.recurrentKernel, 2 * u, u),
    bZR: bZR as tf.Tensor1D,
    bxH: part(bx, 2 * u, u),
    bhH: l.resetAfter ? part(l.bias, 5 * u, u) : null,
  }
}

/** Token ids [B, T] (int32) → frames [B, T, dim]: a gather on the embedding (gradients reach it). */
export function embedTokens(p: TfParams, tokens: tf.Tensor2D): tf.Tensor3D {
  if (!p.embedding) throw new Error('this network reads frames, not tokens')
  const [B, T] = tokens.shape
  const flat = tf.reshape(tokens, [B * T])
  return tf.reshape(tf.gather(p.embedding, flat.dtype === 'int32' ? flat : tf.cast(flat, 'int32')), [B, T, p.embedding.shape[1]]) as tf.Tensor3D
}

/** Per step [B, cols] slices of a [B, T, cols] tensor (tf.unstack cannot back-propagate a single step in TF.js 4.22). */
export function steps(x: tf.Tensor3D): tf.Tensor2D[] {
  const [B, T, F] = x.shape
  return T === 1 ? [tf.reshape(x, [B, F]) as tf.Tensor2D] : (tf.unstack(x, 1) as tf.Tensor2D[])
}

/** One recurrent layer over the sequence: the input projections of all steps are one product. */
function runLayer(l: TfRecurrent, input: tf.Tensor3D): tf.Tensor2D[] {
  const [B, T, F] = input.shape
  const flat = tf.reshape(input, [B * T, F]) as tf.Tensor2D
  const project = (W: tf.Tensor2D, b: tf.Tensor1D) => steps(tf.reshape(tf.add(matMul(flat, W), b), [B, T, W.shape[1]]) as tf.Tensor3D)
  const u = l.units
  if (l.type === 'simpleRnn') return simpleRnnSeq(l, project(l.kernel, l.bias), B, u)
  if (l.type === 'lstm') return lstmSeq(l, project(l.kernel, l.bias), B, u)
  const g = gruParts(l)
  return gruSeq(g, project(g.WxZR, g.bZR), project(g.WxH, g.bxH), B, u)
}

function simpleRnnSeq(l: TfSimpleRnn, xw: tf.Tensor2D[], B: number, u: number): tf.Tensor2D[] {
  let h: tf.Tensor2D = tf.zeros([B, u])
  return xw.map((x) => (h = applyActivation(l.activation, tf.add(x, matMul(h, l.recurrentKernel)))))
}

function lstmSeq(l: TfLstm, xw: tf.Tensor2D[], B: number, u: number): tf.Tensor2D[] {
  let h: tf.Tensor2D = tf.zeros([B, u])
  let c: tf.Tensor2D = tf.zeros([B, u])
  return xw.map((x) => {
    const z = tf.add(x, matMul(h, l.recurrentKernel))
    const [zi, zf, zg, zo] = tf.split(z, 4, 1) as tf.Tensor2D[]
    c = tf.add(tf.mul(tf.sigmoid(zf), c), tf.mul(tf.sigmoid(zi), tf.tanh(zg)))
    h = tf.mul(tf.sigmoid(zo), tf.tanh(c))
    return h
  })
}

function gruSeq(g: ReturnType<typeof gruParts>, xzr: tf.Tensor2D[], xh: tf.Tensor2D[], B: number, u: number): tf.Tensor2D[] {
  let h: tf.Tensor2D = tf.zeros([B, u])
  return xzr.map((xz, t) => {
    const zr = tf.add(xz, matMul(h, g.WhZR))
    const [zPre, rPre] = tf.split(zr, 2, 1) as tf.Tensor2D[]
    const r = tf.sigmoid(rPre)
    const pre = g.bhH
      ? tf.add(xh[t], tf.mul(r, tf.add(matMul(h, g.WhH), g.bhH))) // h̃ = tanh(x·W_h + b_x + r⊙(h·U_h + b_h))
      : tf.add(xh[t], matMul(tf.mul(r, h), g.WhH)) // h̃ = tanh(x·W_h + b_h + (r⊙h)·U_h)
    const hh = tf.tanh(pre)
    // h_t = z⊙h_{t−1} + (1 − z)⊙h̃ = h̃ + (h_{t−1} − h̃)⊙z
    h = tf.add(hh, tf.mul(tf.sub(h, hh), tf.sigmoid(zPre)))
    return h
  })
}

export function denseForward(d: TfDense, x: tf.Tensor2D): tf.Tensor2D {
  return applyActivation(d.activation, tf.add(matMul(x, d.kernel), d.bias))
}

/** Check a frames tensor against the params: [B, T ≥ 1, frameSize]. */
export function checkFrames(p: TfParams, frames: tf.Tensor): void {
  if (frames.rank !== 3 || frames.shape[2] !== p.frameSize) {
    throw new Error(`frames must have shape [batch, T, ${p.frameSize}], got [${frames.shape.join(', ')}]`)
  }
  if (frames.shape[1] === 0) throw new Error('the input has no frames')
}

/** frames [B, T, frameSize] (embedding vectors for token models) → logits [B, classes]. */
export function logits(p: TfParams, frames: tf.Tensor3D): tf.Tensor2D {
  checkFrames(p, frames)
  let seq = frames
  let outs: tf.Tensor2D[] = []
  p.recurrent.forEach((l, k) => {
    outs = runLayer(l, seq)
    if (k < p.recurrent.length - 1) seq = (outs.length === 1 ? tf.expandDims(outs[0], 1) : tf.stack(outs, 1)) as tf.Tensor3D
  })
  let y = outs[outs.length - 1]
  for (const d of p.dense) y = denseForward(d, y)
  return y
}

/** Logits of int token ids [B, T] (token models): embedTokens then logits. */
export function tokenLogits(p: TfParams, tokens: tf.Tensor2D): tf.Tensor2D {
  return logits(p, embedTokens(p, tokens))
}
