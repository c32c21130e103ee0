/**
 * PGD / FGSM inside exactly the certificate's threat model, and the attack radius (an
 * UPPER bound on the true robustness radius).
 *
 * The region is the certifier's: an ℓ∞ ball of radius ε around the chosen frames only,
 * intersected with the clip range (src/cert/threat.ts inputRegion). The attack minimises
 * the margin logit_y − max_{c≠y} logit_c with signed-gradient steps in TF.js (float32),
 * many restarts (and many regions) batched as rows of one tensor. Success is NEVER decided
 * in float32: every candidate is mapped back to float64 (original frames + perturbation,
 * clamped into the float64 region, unperturbed frames restored) and re-run through the
 * certifier's own float64 forward pass (src/cert/runtime.ts); success means that float64
 * margin is ≤ 0, i.e. the label is no longer the strict winner at a point of the region.
 */
import * as tf from '@tensorflow/tfjs'
import type { Clip, CompiledNetwork, NetworkIR, Threat } from '../cert/index.ts'
import { checkClip, checkFrames, compileNetwork, perturbedFrames, Rng, SEARCH_RESOLUTION } from '../cert/index.ts'
import type { Ball } from './ball.ts'
import { ballOf, checkPerturbed, clampToBall, linfDistance, margin64 } from './ball.ts'
import type { TfForward } from './tfNetwork.ts'
import { buildTfForward } from './tfNetwork.ts'

/** A network ready to attack: the certifier's float64 runtime and the TF.js forward pass. */
export interface AttackModel {
  net: NetworkIR
  cn: CompiledNetwork
  tf: TfForward
  dispose(): void
}

export function createAttackModel(net: NetworkIR): AttackModel {
  const cn = compileNetwork(net)
  const fwd = buildTfForward(net)
  return { net, cn, tf: fwd, dispose: () => fwd.dispose() }
}

const cache = new WeakMap<NetworkIR, AttackModel>()

/** An AttackModel as is, or the (cached) one of a NetworkIR. */
export function attackModelOf(net: NetworkIR | AttackModel): AttackModel {
  if ('cn' in net && 'tf' in net) return net
  let m = cache.get(net)
  if (!m) {
    m = createAttackModel(net)
    cache.set(net, m)
  }
  return m
}

/** Free the tensors of a NetworkIR's cached AttackModel. */
export function releaseAttackModel(net: NetworkIR): void {
  cache.get(net)?.dispose()
  cache.delete(net)
}

export interface AttackOptions {
  /** each step's mask of a mask_zero token model (the prepared sample's `concrete.masks`) */
  masks?: readonly boolean[] | null
  /** gradient steps per restart (FGSM: 1) */
  steps: number
  /** starting points per region: the first at the clean input (unless startAtCenter is false), the others uniform in the region */
  restarts: number
  /** absolute step length (FGSM: steps 1, stepSize ε); default: stepRatio × ε of each region */
  stepSize?: number
  /** step length as a fraction of each region's ε when stepSize is not given (default 2.5 / steps) */
  stepRatio?: number
  /** the input domain the region is intersected with (as the certificate's clip) */
  clip?: Clip
  seed: number
  /** at most this many rows (regions × restarts) in one tensor (default 256) */
  batch?: number
  /** start the first restart at the clean input (default true) */
  startAtCenter?: boolean
  /** stop a batch early once every region in it has a float32 margin below −1e-4 (default true) */
  earlyStop?: boolean
}

export interface AttackResult {
  /** the float64 margin at `adversarial` is ≤ 0 */
  success: boolean
  /** float64 margin (certifier's forward) of the label at `adversarial` */
  margin: number
  /** the best input found, inside the region (checked in float64) */
  adversarial: Float64Array[]
  /** ℓ∞ distance of `adversarial` from the input */
  distance: number
  eps: number
  frames: number[]
  /** the best float32 margin TF.js saw on that row (diagnostics only: never used to decide success) */
  margin32: number
}

const EARLY_TOL = 1e-4

function checkOptions(opts: AttackOptions) {
  if (!(Number.isInteger(opts.steps) && opts.steps >= 1)) throw new Error(`steps must be a whole number ≥ 1, got ${opts.steps}`)
  if (!(Number.isInteger(opts.restarts) && opts.restarts >= 1)) throw new Error(`restarts must be a whole number ≥ 1, got ${opts.restarts}`)
  if (opts.stepSize !== undefined && !(opts.stepSize > 0 && Number.isFinite(opts.stepSize))) throw new Error(`stepSize must be a positive number, got ${opts.stepSize}`)
  if (opts.stepRatio !== undefined && !(opts.stepRatio > 0 && Number.isFinite(opts.stepRatio))) throw new Error(`stepRatio must be a positive number, got ${opts.stepRatio}`)
}

/**
 * Attack several regions of the same input at once (e.g. every frame alone at its own ε):
 * rows = regions × restarts, batched. Returns one result per region, in order.
 */
export function pgdAttackRegions(
  net: NetworkIR | AttackModel,
  frames: Float64Array[],
  label: number,
  regions: Array<{ frames: number[]; eps: number }>,
  opts: AttackOptions,
): AttackResult[] {
  checkOptions(opts)
  const model = attackModelOf(net)
  const { cn } = model
  checkFrames(cn, frames)
  checkClip(opts.clip, frames)
  if (!(Number.isInteger(label) && label >= 0 && label < cn.classes)) throw new Error(`label ${label} is not a class index (0…${cn.classes - 1})`)
  const balls = regions.map((r) => {
    if (!(r.eps > 0 && Number.isFinite(r.eps))) throw new Error(`ε must be a positive number, got ${r.eps}`)
    return ballOf(frames, r.frames, r.eps, opts.clip)
  })
  const perChunk = Math.max(1, Math.floor((opts.batch ?? 256) / opts.restarts))
  const rng = new Rng(opts.seed)
  const out: AttackResult[] = []
  for (let k = 0; k < balls.length; k += perChunk) out.push(...attackChunk(model, frames, label, balls.slice(k, k + perChunk), opts, rng))
  return out
}

/** PGD on the ℓ∞ ball of radius ε around the `perturbed` frames (FGSM: steps 1, stepSize ε, restarts 1). */
export function pgdAttack(net: NetworkIR | AttackModel, frames: Float64Array[], label: number, perturbed: number[], eps: number, opts: AttackOptions): AttackResult {
  return pgdAttackRegions(net, frames, label, [{ frames: perturbed, eps }], opts)[0]
}

/** FGSM: one signed-gradient step of length ε from the clean input. */
export function fgsmAttack(net: NetworkIR | AttackModel, frames: Float64Array[], label: number, perturbed: number[], eps: number, opts: { clip?: Clip; seed?: number } = {}): AttackResult {
  return pgdAttack(net, frames, label, perturbed, eps, { steps: 1, restarts: 1, stepSize: eps, clip: opts.clip, seed: opts.seed ?? 0, startAtCenter: true, earlyStop: false })
}

/** Margins logit_y − max_{c≠y} logit_c of a batch of logits [R, classes]. */
function marginTensor(logits: tf.Tensor2D, onehot: tf.Tensor2D): tf.Tensor1D {
  const y = tf.sum(tf.mul(logits, onehot), 1)
  const others = tf.max(tf.sub(logits, tf.mul(onehot, 1e9)), 1)
  return tf.sub(y, others)
}

function attackChunk(model: AttackModel, frames: Float64Array[], label: number, balls: Ball[], opts: AttackOptions, rng: Rng): AttackResult[] {
  const T = frames.length
  const F = model.cn.frameSize
  const R0 = opts.restarts
  const R = balls.length * R0
  const TF = T * F
  const stepRatio = opts.stepRatio ?? 2.5 / opts.steps
  const startAtCenter = opts.startAtCenter ?? true
  // per row: δ ∈ [dLo, dHi] (0 on unperturbed frames), initial δ, step length
  const dLo = new Float32Array(R * TF)
  const dHi = new Float32Array(R * TF)
  const d0 = new Float32Array(R * TF)
  const alpha = new Float32Array(R)
  const x32 = new Float32Array(TF)
  frames.forEach((f, t) => x32.set(f, t * F))
  balls.forEach((ball, p) => {
    for (let r = 0; r < R0; r++) {
      const row = p * R0 + r
      alpha[row] = opts.stepSize ?? stepRatio * ball.eps
      ball.frames.forEach((t, k) => {
        const x = frames[t]
        const base = row * TF + t * F
        for (let i = 0; i < F; i++) {
          const lo = Math.fround(ball.lo[k][i] - x[i])
          const hi = Math.fround(ball.hi[k][i] - x[i])
          dLo[base + i] = Math.min(lo, 0)
          dHi[base + i] = Math.max(hi, 0)
          if (startAtCenter && r === 0) d0[base + i] = 0
          else d0[base + i] = lo + (hi - lo) * rng.next()
          d0[base + i] = Math.min(hi, Math.max(lo, d0[base + i]))
        }
      })
    }
  })
  const onehotData = new Float32Array(R * model.cn.classes)
  for (let row = 0; row < R; row++) onehotData[row * model.cn.classes + label] = 1

  const x0 = tf.tensor3d(x32, [1, T, F])
  const lo = tf.tensor3d(dLo, [R, T, F])
  const hi = tf.tensor3d(dHi, [R, T, F])
  const step = tf.tensor3d(alpha, [R, 1, 1])
  const onehot = tf.tensor2d(onehotData, [R, model.cn.classes])
  let delta: tf.Tensor3D = tf.tensor3d(d0, [R, T, F])
  let bestD: tf.Tensor3D = delta.clone()
  let bestM: tf.Tensor1D = tf.fill([R], Infinity) as tf.Tensor1D
  const masks = opts.masks ?? undefined
  const lossOf = (d: tf.Tensor3D) => marginTensor(model.tf(tf.add(x0, d), masks), onehot)
  const valueAndGrad = tf.valueAndGrad(lossOf)
  const keepBest = (m: tf.Tensor1D, d: tf.Tensor3D) => {
    const [nm, nd] = tf.tidy(() => {
      const better = tf.less(m, bestM)
      return [tf.where(better, m, bestM), tf.where(tf.reshape(better, [R, 1, 1]), d, bestD)] as const
    })
    bestM.dispose()
    bestD.dispose()
    bestM = nm as tf.Tensor1D
    bestD = nd as tf.Tensor3D
  }
  const allSolved = (m: Float32Array | Int32Array | Uint8Array) => {
    for (let p = 0; p < balls.length; p++) {
      let solved = false
      for (let r = 0; r < R0; r++) if (m[p * R0 + r] < -EARLY_TOL) solved = true
      if (!solved) return false
    }
    return true
  }
  try {
    for (let s = 0; s < opts.steps; s++) {
      const { value, grad } = valueAndGrad(delta)
      keepBest(value as tf.Tensor1D, delta)
      const next = tf.tidy(() => tf.minimum(hi, tf.maximum(lo, tf.sub(delta, tf.mul(step, tf.sign(grad))))) as tf.Tensor3D)
      const stop = (opts.earlyStop ?? true) && allSolved(value.dataSync())
      value.dispose()
      grad.dispose()
      delta.dispose()
      delta = next
      if (stop) break
    }
    const last = tf.tidy(() => lossOf(delta))
    keepBest(last, delta)
    last.dispose()
    const best = bestD.dataSync() as Float32Array
    const finalD = delta.dataSync() as Float32Array
    const best32 = bestM.dataSync() as Float32Array
    // float64 verification of each row's best and final candidates
    return balls.map((ball, p) => {
      let result: AttackResult | null = null
      for (let r = 0; r < R0; r++) {
        const row = p * R0 + r
        for (const src of [best, finalD]) {
          const cand = frames.map((f) => f.slice())
          for (const t of ball.frames) {
            const base = row * TF + t * F
            for (let i = 0; i < F; i++) cand[t][i] = frames[t][i] + src[base + i]
          }
          const adv = clampToBall(frames, cand, ball)
          const m = margin64(model.cn, adv, label, opts.masks)
          if (!result || m < result.margin) {
            result = { success: m <= 0, margin: m, adversarial: adv, distance: linfDistance(adv, frames), eps: ball.eps, frames: ball.frames, margin32: best32[row] }
          }
        }
      }
      return result!
    })
  } finally {
    for (const t of [x0, lo, hi, step, onehot, delta, bestD, bestM]) t.dispose()
  }
}

export interface RadiusOptions extends AttackOptions {
  /** upper end of the search (default 1, as the certifier's) */
  maxEps?: number
  /** stop when the bracket is this narrow (default 2⁻¹³, the certifier's resolution) */
  resolution?: number
  /** first ε to try (per region for the single-frame threat), e.g. the certified bound; without it the search starts at maxEps */
  guess?: number | number[]
  /**
   * single-frame threat: only the sample's radius (the min over frames) is wanted; a frame
   * stops as soon as it failed at an ε at or above the best radius found so far on any frame
   * (its own radius is then reported as a lower-confidence value: the smallest success found,
   * or Infinity). Default false: every frame is searched to the resolution.
   */
  onlyMin?: boolean
  /** single-frame threat: search only these frames (the others report NaN) */
  frames?: number[]
  /** after every round of attacks: an estimate of the search's progress, 0…1 (brackets narrowed towards the resolution) */
  onRound?: (fraction: number) => void
}

export interface RadiusResult {
  /** smallest ε at which a verified adversarial input was found (min over frames for the single-frame threat); Infinity if none up to maxEps */
  radius: number
  /** single-frame threat: the radius of each frame alone (NaN for frames not searched); else null */
  perFrame: number[] | null
  /** the adversarial input at `radius` (null if none) */
  adversarial: Float64Array[] | null
  /** the frame of `adversarial` for the single-frame threat */
  frame: number | null
  /** float64 margin at `adversarial` */
  margin: number
  /** attack runs (regions attacked, summed over the rounds) */
  attacks: number
  rounds: number
}

interface Search {
  frames: number[]
  fails: number[]
  hi: number
  best: AttackResult | null
  next: number
  done: boolean
}

/**
 * The attack radius: for each region, the smallest ε in (0, maxEps] at which PGD finds a
 * float64-verified adversarial input, by bracketing from `guess` (doubling) and bisection
 * to `resolution`; every region of a round is attacked in one batch. An upper bound on the
 * true robustness radius (the found input is at ℓ∞ distance ≤ radius); Infinity if the
 * attack never succeeds. Single-frame threat: every frame alone, radius = min over frames.
 */
export function attackRadius(net: NetworkIR | AttackModel, frames: Float64Array[], label: number, threat: Threat, opts: RadiusOptions): RadiusResult {
  const model = attackModelOf(net)
  const maxEps = opts.maxEps ?? 1
  const res = opts.resolution ?? SEARCH_RESOLUTION
  if (!(maxEps > 0 && Number.isFinite(maxEps))) throw new Error(`maxEps must be a positive number, got ${maxEps}`)
  if (!(res > 0)) throw new Error(`resolution must be positive, got ${res}`)
  const T = frames.length
  const single = threat.kind === 'single'
  if (single && opts.frames) checkPerturbed(opts.frames, T)
  const chosen = single ? (opts.frames ? [...new Set(opts.frames)].sort((a, b) => a - b) : frames.map((_, t) => t)) : [0]
  const regions = single ? chosen.map((t) => [t]) : [perturbedFrames(threat, T)]
  const guesses = regions.map((_, k) => (Array.isArray(opts.guess) ? opts.guess[single ? chosen[k] : k] : opts.guess))
  const searches: Search[] = regions.map((f, k) => {
    const g = guesses[k]
    return { frames: f, fails: [], hi: Infinity, best: null, next: g !== undefined && g > 0 && Number.isFinite(g) ? Math.min(maxEps, Math.max(res, g)) : maxEps, done: false }
  })
  let attacks = 0
  let rounds = 0
  // the clean input itself may already be adversarial (margin ≤ 0): radius 0
  const m0 = margin64(model.cn, frames, label, opts.masks)
  if (m0 <= 0) {
    return { radius: 0, perFrame: single ? frames.map((_, t) => (chosen.includes(t) ? 0 : NaN)) : null, adversarial: frames.map((f) => f.slice()), frame: single ? chosen[0] : null, margin: m0, attacks, rounds }
  }
  for (;;) {
    const active = searches.filter((s) => !s.done)
    if (active.length === 0) break
    const results = pgdAttackRegions(
      model,
      frames,
      label,
      active.map((s) => ({ frames: s.frames, eps: s.next })),
      { ...opts, seed: opts.seed + 7919 * rounds },
    )
    attacks += active.length
    rounds++
    active.forEach((s, k) => {
      const r = results[k]
      const eps = s.next
      if (r.success) {
        const at = Math.min(eps, r.distance)
        if (at < s.hi) {
          s.hi = at
          s.best = r
        }
      } else s.fails.push(eps)
      const lo = Math.max(0, ...s.fails.filter((f) => f < s.hi))
      if (opts.onlyMin && lo >= Math.min(...searches.map((o) => o.hi))) s.done = true
      else if (s.hi === Infinity) {
        // no success yet: widen (doubling) up to maxEps
        if (lo >= maxEps) s.done = true
        else s.next = Math.min(maxEps, 2 * lo)
      } else if (s.hi - lo <= res) s.done = true
      else s.next = (lo + s.hi) / 2
    })
    if (opts.onRound) {
      // per search: done, or how far its bracket has narrowed from maxEps towards the resolution (log scale)
      const span = Math.log2(maxEps / res)
      const part = (s: Search) => {
        if (s.done) return 1
        const lo = Math.max(0, ...s.fails.filter((f) => f < s.hi))
        const width = Number.isFinite(s.hi) ? s.hi - lo : maxEps
        return Math.max(0, Math.min(1, 1 - Math.log2(Math.max(width, res) / res) / span))
      }
      opts.onRound(searches.reduce((a, s) => a + part(s), 0) / searches.length)
    }
  }
  const his = searches.map((s) => s.hi)
  let bestK = 0
  for (let k = 1; k < searches.length; k++) if (his[k] < his[bestK]) bestK = k
  const best = searches[bestK].best
  const perFrame = single ? frames.map(() => NaN) : null
  if (perFrame) chosen.forEach((t, k) => (perFrame[t] = his[k]))
  return {
    radius: his[bestK],
    perFrame,
    adversarial: best ? best.adversarial : null,
    frame: single && best ? chosen[bestK] : null,
    margin: best ? best.margin : NaN,
    attacks,
    rounds,
  }
}
