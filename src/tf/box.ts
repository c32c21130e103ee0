/**
 * The perturbation region of certified training, batched: an ℓ∞ box [lower, upper] of the
 * frames [B, T, d] (embedding vectors for token models), the certifier's threat model
 * (src/cert/threat.ts inputRegion): [x − ε, x + ε] on the perturbed frames, intersected with
 * an optional clip range, every other frame fixed.
 */
import * as tf from '@tensorflow/tfjs'

export interface InputBox {
  lower: tf.Tensor3D
  upper: tf.Tensor3D
  /**
   * The perturbed frames, when not all are (the others must have lower = upper). Known
   * statically, so the zonotope gives the others no noise symbols.
   */
  frames?: readonly number[]
  /** each step's mask when fixed by the token ids (mask_zero: src/tf/ops.ts tokenMasks) */
  masks?: Float64Array[]
}

export interface BoxOptions {
  /** perturb only these frames (default: all) */
  frames?: readonly number[]
  /** intersect with the input domain [lo, hi] (pixels: [0, 1]) */
  clip?: readonly [number, number]
}

/**
 * The box of radius ε around frames x [B, T, d]. ε is a number or a tensor broadcastable to
 * [B, T, d] (per sample, per frame, per element).
 */
export function inputBox(x: tf.Tensor3D, eps: number | tf.Tensor, opts: BoxOptions = {}): InputBox {
  const [, T] = x.shape
  let r: tf.Tensor = typeof eps === 'number' ? tf.scalar(eps) : eps
  if (opts.frames) {
    for (const t of opts.frames) if (!Number.isInteger(t) || t < 0 || t >= T) throw new Error(`frame ${t} is not one of the input's ${T} frames`)
    const mask = new Float32Array(T)
    for (const t of opts.frames) mask[t] = 1
    r = tf.mul(r, tf.tensor3d(mask, [1, T, 1]))
  }
  let lower = tf.sub(x, r) as tf.Tensor3D
  let upper = tf.add(x, r) as tf.Tensor3D
  if (opts.clip) {
    lower = tf.maximum(lower, opts.clip[0])
    upper = tf.minimum(upper, opts.clip[1])
  }
  return { lower, upper, frames: opts.frames ? [...new Set(opts.frames)].sort((a, b) => a - b) : undefined }
}

/** Logit bounds of a batch, and the worst-case logit vector for cross-entropy. */
export interface LogitBounds {
  /** [B, classes] */
  lower: tf.Tensor2D
  upper: tf.Tensor2D
  /**
   * With labels: [B, classes], entry c = an upper bound of z_c − z_y over the region
   * (entry y = 0). Cross-entropy on it bounds the worst-case cross-entropy from above.
   */
  worst: tf.Tensor2D | null
}
