/**
 * Small TF.js helpers for the training library.
 */
import * as tf from '@tensorflow/tfjs'
import type { WeightOps } from '../cert/index.ts'

/** Columns [from, from + count) of a 2-D tensor. */
export const cols = (m: tf.Tensor2D, from: number, count: number): tf.Tensor2D => tf.slice(m, [0, from], [m.shape[0], count])

const scaleMask = (n: number, from: number, count: number, s: number) => tf.tensor1d(Array.from({ length: n }, (_v, k) => (k >= from && k < from + count ? s : 1)))

/** Kernels [in, k·units] and biases as tensors: a gate block is a block of columns. */
export const tfWeights: WeightOps<tf.Tensor2D, tf.Tensor1D> = {
  cols,
  part: (v, from, count) => tf.slice(v, [from], [count]),
  plus: (a, b) => tf.add(a, b),
  scaleCols: (m, from, count, s) => tf.mul(m, scaleMask(m.shape[1], from, count, s)),
  scalePart: (b, from, count, s) => tf.mul(b, scaleMask(b.shape[0], from, count, s)),
  diag: (d) => tf.diag(tf.tensor1d(Float32Array.from(d))) as tf.Tensor2D,
}

/**
 * A·B for 2-D tensors with a gradient made of plain products and explicit transposes.
 * TF.js's own MatMul gradient multiplies with transposeA / transposeB, which the wasm
 * backend runs about 5× slower than a transpose followed by a plain product (4.7 vs 0.95 ms
 * for [32, 5120]·[5120, 32], measured); the zonotope's generator products are that shape.
 */
export const matMul: (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D = tf.customGrad(((a: tf.Tensor2D, b: tf.Tensor2D, save: tf.GradSaveFunc) => {
  save([a, b])
  return {
    value: tf.matMul(a, b),
    gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => {
      const [sa, sb] = saved as tf.Tensor2D[]
      return [tf.matMul(dy, tf.transpose(sb)), tf.matMul(tf.transpose(sa), dy)]
    },
  }
}) as never) as unknown as (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D

/**
 * Σ_{j < count} |G_j| over the first axis of G [m, B, n] (default: all m; or the rows where a
 * 0/1 mask is 1), as one product
 * with a 0/1 row (TF.js's wasm Sum over the outer axis is about 5× slower) and the gradient
 * sign(G_j)·dy on the rows summed.
 */
export function absSumFirst(G: tf.Tensor3D, count?: number | Float32Array): tf.Tensor2D {
  const [m, B, n] = G.shape
  // `count` may also be a 0/1 row of length m: the rows to sum
  const k = typeof count === 'object' ? -1 : Math.min(m, count ?? m)
  const op = tf.customGrad(((g: tf.Tensor3D, save: tf.GradSaveFunc) => {
    const mask = typeof count === 'object' ? tf.tensor2d(count, [1, m]) : k === m ? tf.ones([1, m]) : tf.concat([tf.ones([1, k]), tf.zeros([1, m - k])], 1)
    save([g, mask])
    const value = tf.reshape(tf.matMul(mask as tf.Tensor2D, tf.reshape(tf.abs(g), [m, B * n]) as tf.Tensor2D), [B, n])
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const s = tf.mul(tf.sign(saved[0]), tf.expandDims(dy, 0))
        return k === m ? s : tf.mul(s, tf.reshape(saved[1], [m, 1, 1]))
      },
    }
  }) as never) as unknown as (g: tf.Tensor3D) => tf.Tensor2D
  return op(G)
}

const eyes = new Map<string, tf.Tensor2D>()

/** The n×n identity, cached per backend (kept: never disposed). */
export function eye(n: number): tf.Tensor2D {
  const key = `${tf.getBackend()}:${n}`
  let e = eyes.get(key)
  if (!e || e.isDisposed) {
    e = tf.keep(tf.eye(n))
    eyes.set(key, e)
  }
  return e
}

/** The unit hard sigmoid clip(x + 1/2, 0, 1) (a gate's slope is in its weights). */
export const hardSigmoidTf = <T extends tf.Tensor>(x: T): T => tf.clipByValue(tf.add(x, 0.5), 0, 1) as T

/**
 * A step mask's rows (src/cert StepMask: 1 masked, 0 kept, ½ either) as [B, 1] float32
 * weights broadcast to B rows: `skip` (1 where masked), `keep` (1 where kept), `join` (1 where either).
 */
export function maskRows(m: Float64Array, B: number): { skip: tf.Tensor2D; keep: tf.Tensor2D; join: tf.Tensor2D } {
  const at = (s: number) => (m.length === 1 ? m[0] : m[s])
  const col = (f: (v: number) => boolean) => tf.tensor2d(Float32Array.from({ length: B }, (_v, s) => (f(at(s)) ? 1 : 0)), [B, 1])
  return { skip: col((v) => v === 1), keep: col((v) => v === 0), join: col((v) => v !== 0 && v !== 1) }
}

/** Token ids [B, T] → each step's mask (token 0 is padding: Keras mask_zero). */
export function tokenMasks(tokens: tf.Tensor2D): Float64Array[] {
  const [B, T] = tokens.shape
  const ids = tokens.dataSync()
  return Array.from({ length: T }, (_v, t) => Float64Array.from({ length: B }, (_w, s) => (ids[s * T + t] === 0 ? 1 : 0)))
}
