/**
 * Defended training: one loss per defense, on batches of frames (frame models) or token ids
 * (token models; the threat model perturbs the embedding vectors, as the certifier's does).
 *
 * - 'none': cross-entropy on the clean input.
 * - 'fgsm' (Goodfellow et al. 2015) / 'pgd' (Madry et al. 2018): adversarial inputs inside
 *   the ℓ∞ ε-ball of the frames (all frames perturbed, intersected with the clip range for
 *   pixels) by signed-gradient steps (FGSM: one step of length ε from the clean input; PGD:
 *   k steps of length α·ε from a uniform random start, projected back after every step), then
 *   κ·CE(clean) + (1 − κ)·CE(adversarial). Goodfellow's α = ½ mix is κ = 0.5; Madry's
 *   pure adversarial training is κ = 0.
 * - 'ibp' (IBP-VT, Gowal et al. 2019) / 'certrnn' (Cert-RNN-VT): κ·CE(clean) + (1 − κ)·
 *   CE(worst-case logits) over the ε-box, the worst case from interval bounds or from
 *   Cert-RNN's zonotopes (the difference zonotope z_c − z_y).
 * ε ramps up linearly from 0 and κ down from 1 (Gowal et al.'s schedule), see `scheduleAt`.
 *
 * The adversarial inputs are found OUTSIDE the gradient tape of the training step
 * (`prepareDefense`, the weights held fixed); `defenseLoss` is then a pure function of the
 * params, usable inside tf.grad / optimizer.minimize.
 */
import * as tf from '@tensorflow/tfjs'
import { Rng } from '../cert/index.ts'
import type { LogitBounds } from '../tf/box.ts'
import { inputBox } from '../tf/box.ts'
import type { Defense } from '../model/defense.ts'
import { embedTokens, logits } from '../tf/forward.ts'
import { intervalBounds } from '../tf/intervalBounds.ts'
import type { TfParams } from '../tf/params.ts'
import type { ZonotopeOptions } from '../tf/zonotopeBounds.ts'
import { zonotopeBounds } from '../tf/zonotopeBounds.ts'

export interface DefenseConfig {
  method: Defense
  /** the training ε: ℓ∞ radius in frame units (pixels, embedding coordinates) */
  eps: number
  /** the input domain (pixels: [0, 1]); adversarial points and boxes are intersected with it */
  clip?: readonly [number, number]
  /**
   * weight of the clean cross-entropy once the ramp is over: fgsm default 0.5 (Goodfellow's
   * α), pgd 0 (Madry), ibp / certrnn 0.5 (Gowal et al.)
   */
  kappa?: number
  /** PGD: steps (default 7), step length as a fraction of ε (default 2.5 / steps), random start (default true) */
  pgd?: { steps?: number; stepSize?: number; randomStart?: boolean }
  /** certrnn: zonotope options (default: consolidated) */
  zonotope?: ZonotopeOptions
  /**
   * which frames the threat perturbs: all of them (default), or `frames` random frames (one
   * draw for the whole batch, fresh every step, seeded by prepareDefense's seed: the
   * zonotope then gives noise symbols to those frames only)
   */
  perturb?: 'all' | { frames: number }
}

export function defaultKappa(method: Defense): number {
  return method === 'fgsm' ? 0.5 : method === 'pgd' ? 0 : method === 'none' ? 1 : 0.5
}

/** Gowal et al.'s schedule, in optimiser steps: ε from 0 to the target and κ from 1 down. */
export interface Schedule {
  /** steps with ε = 0 and κ = 1 (clean training) */
  warmupSteps: number
  /** steps over which ε and κ move linearly to their targets */
  rampSteps: number
}

export interface ScheduleValue {
  eps: number
  kappa: number
}

export function scheduleAt(cfg: DefenseConfig, schedule: Schedule, step: number): ScheduleValue {
  const kappa = cfg.kappa ?? defaultKappa(cfg.method)
  if (cfg.method === 'none') return { eps: 0, kappa: 1 }
  const t = step < schedule.warmupSteps ? 0 : schedule.rampSteps > 0 ? Math.min(1, (step - schedule.warmupSteps + 1) / schedule.rampSteps) : 1
  return { eps: cfg.eps * t, kappa: 1 - (1 - kappa) * t }
}

/** A training batch: frames [B, T, d] or token ids [B, T] (int32), and labels [B] (int32). */
export interface TrainBatch {
  frames?: tf.Tensor3D
  tokens?: tf.Tensor2D
  labels: tf.Tensor1D
}

/** What `prepareDefense` found outside the tape: the adversarial perturbation of the frames. */
export interface Prepared {
  /** [B, T, d], added to the (embedded) frames; null for the certified and clean losses */
  delta: tf.Tensor3D | null
  /** the frames the threat perturbs (null: all frames) */
  frames: number[] | null
  dispose(): void
}

/** `k` distinct random frames of T (sorted; all of them when k ≥ T). */
export function randomFrames(T: number, k: number, seed: number): number[] {
  return new Rng(seed)
    .shuffle(Array.from({ length: T }, (_v, t) => t))
    .slice(0, Math.min(k, T))
    .sort((a, b) => a - b)
}

/** [1, T, 1]: 1 on the given frames. */
export function frameMask(T: number, frames: readonly number[]): tf.Tensor3D {
  const m = new Float32Array(T)
  for (const t of frames) m[t] = 1
  return tf.tensor3d(m, [1, T, 1])
}

/** Mean cross-entropy of logits [B, C] with integer labels [B]. */
export function crossEntropy(z: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  const onehot = tf.oneHot(tf.cast(labels, 'int32'), z.shape[1])
  return tf.mean(tf.sub(tf.logSumExp(z, 1), tf.sum(tf.mul(z, onehot), 1))) as tf.Scalar
}

/** The batch's frames (the embedding lookup for token models: gradients reach the embedding). */
export function batchFrames(params: TfParams, batch: TrainBatch): tf.Tensor3D {
  if (batch.tokens && params.maskZero) throw new Error('training a model with mask_zero=True is not supported yet (its masked steps are not skipped in training): train with mask_zero=False')
  if (batch.tokens) return embedTokens(params, batch.tokens)
  if (!batch.frames) throw new Error('a batch needs frames or tokens')
  return batch.frames
}

/** The params without the embedding: for frames already embedded. */
const onFrames = (params: TfParams): TfParams => (params.embedding ? { ...params, embedding: null } : params)

/** Into the box: |δ| ≤ r (r: ε, or ε on the perturbed frames and 0 elsewhere), x + δ within the clip range. */
function projectDelta(x: tf.Tensor3D, delta: tf.Tensor, r: tf.Tensor, clip: readonly [number, number] | undefined): tf.Tensor3D {
  let d = tf.minimum(tf.maximum(delta, tf.neg(r)), r)
  if (clip) d = tf.sub(tf.clipByValue(tf.add(x, d), clip[0], clip[1]), x)
  return d as tf.Tensor3D
}

/**
 * FGSM / PGD perturbation of the batch at radius `eps` with the current weights (call
 * outside any gradient tape). Other defenses (or ε = 0): no perturbation.
 */
export function prepareDefense(params: TfParams, batch: TrainBatch, cfg: DefenseConfig, eps: number, seed = 0): Prepared {
  const perturb = cfg.perturb ?? 'all'
  const T = batch.tokens ? batch.tokens.shape[1] : batch.frames!.shape[1]
  const frames = perturb !== 'all' && cfg.method !== 'none' && eps > 0 ? randomFrames(T, perturb.frames, seed ^ 0x6d61736b) : null
  if ((cfg.method !== 'fgsm' && cfg.method !== 'pgd') || !(eps > 0)) return { delta: null, frames, dispose: () => {} }
  const delta = tf.tidy(() => {
    const x = batchFrames(params, batch)
    const fp = onFrames(params)
    const r = frames ? tf.mul(frameMask(T, frames), eps) : tf.scalar(eps)
    const lossAt = (d: tf.Tensor) => crossEntropy(logits(fp, tf.add(x, d) as tf.Tensor3D), batch.labels)
    const gradAt = tf.grad(lossAt)
    if (cfg.method === 'fgsm') return projectDelta(x, tf.mul(tf.sign(gradAt(tf.zerosLike(x))), r), r, cfg.clip)
    const steps = cfg.pgd?.steps ?? 7
    const alpha = (cfg.pgd?.stepSize ?? 2.5 / steps) * eps
    let d: tf.Tensor3D = cfg.pgd?.randomStart === false ? (tf.zerosLike(x) as tf.Tensor3D) : projectDelta(x, tf.mul(tf.randomUniform(x.shape, -1, 1, 'float32', seed), r), r, cfg.clip)
    for (let k = 0; k < steps; k++) d = projectDelta(x, tf.add(d, tf.mul(tf.sign(gradAt(d)), alpha)), r, cfg.clip)
    return d
  })
  return { delta, frames, dispose: () => delta.dispose() }
}

/** Worst-case logit bounds of the batch's ε-box (ibp or certrnn), on `perturbed` frames only when given. */
export function certifiedBounds(params: TfParams, frames: tf.Tensor3D, labels: tf.Tensor1D, cfg: DefenseConfig, eps: number, perturbed?: readonly number[] | null): LogitBounds {
  const box = inputBox(frames, eps, { clip: cfg.clip, frames: perturbed ?? undefined })
  const fp = onFrames(params)
  return cfg.method === 'certrnn' ? zonotopeBounds(fp, box, labels, cfg.zonotope) : intervalBounds(fp, box, labels)
}

export interface LossParts {
  loss: tf.Scalar
  /** clean logits [B, C] (for accuracy) */
  logits: tf.Tensor2D
  /** cross-entropy on the clean input */
  clean: tf.Scalar
  /** cross-entropy on the adversarial input / the worst-case logits (null: none at this ε) */
  robust: tf.Scalar | null
  /** ibp / certrnn: [B] 1 where the worst-case logits certify the label (all entries ≤ 0) */
  verified: tf.Tensor1D | null
}

/**
 * The defense's loss at (ε, κ) as a function of the params: call inside tf.grad /
 * optimizer.minimize (FGSM / PGD need `prepared` from `prepareDefense` at the same ε; so do
 * IBP / Cert-RNN with a random-frames threat, for its mask).
 */
export function defenseLoss(params: TfParams, batch: TrainBatch, cfg: DefenseConfig, at: ScheduleValue, prepared?: Prepared): LossParts {
  const frames = batchFrames(params, batch)
  const fp = onFrames(params)
  const z = logits(fp, frames)
  const clean = crossEntropy(z, batch.labels)
  const parts = (robust: tf.Scalar | null, verified: tf.Tensor1D | null = null): LossParts => ({
    loss: robust ? (tf.add(tf.mul(at.kappa, clean), tf.mul(1 - at.kappa, robust)) as tf.Scalar) : clean,
    logits: z,
    clean,
    robust,
    verified,
  })
  if (cfg.method === 'none' || !(at.eps > 0)) return parts(null)
  if (cfg.method === 'fgsm' || cfg.method === 'pgd') {
    if (!prepared?.delta) throw new Error(`${cfg.method}: call prepareDefense first (outside the gradient tape)`)
    return parts(crossEntropy(logits(fp, tf.add(frames, prepared.delta) as tf.Tensor3D), batch.labels))
  }
  const b = certifiedBounds(params, frames, batch.labels, cfg, at.eps, prepared?.frames)
  const worst = b.worst!
  // certified: z_c − z_y < 0 for every c ≠ y (entry y, 0, masked out)
  const others = tf.sub(worst, tf.mul(tf.oneHot(tf.cast(batch.labels, 'int32'), worst.shape[1]), 1e9))
  const verified = tf.cast(tf.less(tf.max(others, 1), 0), 'float32') as tf.Tensor1D
  // CE(worst): entry y of the worst-case logits is 0
  return parts(crossEntropy(worst, batch.labels), verified)
}
