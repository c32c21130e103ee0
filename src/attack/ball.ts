/**
 * The threat model's region in float64, exactly as the certifier builds it
 * (src/cert/threat.ts inputRegion: [x − ε, x + ε] on the perturbed frames, intersected with
 * the clip range, every other frame fixed), the float64 margin of a label, a fast float64
 * forward pass that reuses the clean run's states before the first perturbed frame, and
 * random sampling of the region.
 */
import type { Clip, CompiledNetwork, ConcreteRun } from '../cert/index.ts'
import { forward, Rng } from '../cert/index.ts'
import { batchForward } from './batch64.ts'

/** Per perturbed frame (in the order given), the box [lo, hi] of the region. */
export interface Ball {
  frames: number[]
  eps: number
  lo: Float64Array[]
  hi: Float64Array[]
}

export function checkPerturbed(perturbed: number[], T: number): number[] {
  if (perturbed.length === 0) throw new Error('no frame to perturb')
  for (const t of perturbed) {
    if (!Number.isInteger(t) || t < 0 || t >= T) throw new Error(`frame ${t} is not one of the input's ${T} frames (0…${T - 1})`)
  }
  return [...new Set(perturbed)].sort((a, b) => a - b)
}

/** The region: the same float64 expressions as the certifier's input zonotopes. */
export function ballOf(frames: Float64Array[], perturbed: number[], eps: number, clip?: Clip): Ball {
  if (!(eps >= 0) || !Number.isFinite(eps)) throw new Error(`ε must be a finite number ≥ 0, got ${eps}`)
  const ps = checkPerturbed(perturbed, frames.length)
  const lo: Float64Array[] = []
  const hi: Float64Array[] = []
  for (const t of ps) {
    const x = frames[t]
    const l = new Float64Array(x.length)
    const h = new Float64Array(x.length)
    for (let i = 0; i < x.length; i++) {
      l[i] = x[i] - eps
      h[i] = x[i] + eps
      if (clip) {
        l[i] = Math.max(l[i], clip[0])
        h[i] = Math.min(h[i], clip[1])
      }
    }
    lo.push(l)
    hi.push(h)
  }
  return { frames: ps, eps, lo, hi }
}

/** Clamp a candidate into the region (in place on a copy): unperturbed frames are reset. */
export function clampToBall(original: Float64Array[], candidate: Float64Array[], ball: Ball): Float64Array[] {
  const out = original.map((f) => f.slice())
  ball.frames.forEach((t, k) => {
    const c = candidate[t]
    const o = out[t]
    const lo = ball.lo[k]
    const hi = ball.hi[k]
    for (let i = 0; i < o.length; i++) {
      const v = Number.isFinite(c[i]) ? c[i] : o[i]
      o[i] = Math.min(hi[i], Math.max(lo[i], v))
    }
  })
  return out
}

/** Is the input inside the region (exactly, in float64)? */
export function insideBall(original: Float64Array[], x: Float64Array[], ball: Ball): boolean {
  if (x.length !== original.length) return false
  const set = new Set(ball.frames)
  for (let t = 0; t < x.length; t++) {
    if (x[t].length !== original[t].length) return false
    if (!set.has(t)) {
      for (let i = 0; i < x[t].length; i++) if (x[t][i] !== original[t][i]) return false
    }
  }
  for (let k = 0; k < ball.frames.length; k++) {
    const f = x[ball.frames[k]]
    for (let i = 0; i < f.length; i++) if (!(f[i] >= ball.lo[k][i] && f[i] <= ball.hi[k][i])) return false
  }
  return true
}

/** ℓ∞ distance between two inputs (over all frames). */
export function linfDistance(a: Float64Array[], b: Float64Array[]): number {
  let d = 0
  for (let t = 0; t < a.length; t++) for (let i = 0; i < a[t].length; i++) d = Math.max(d, Math.abs(a[t][i] - b[t][i]))
  return d
}

/**
 * Margin of `label`: logit_label − max_{c ≠ label} logit_c. The certificate promises a
 * margin > 0 everywhere in the region; margin ≤ 0 means the label is no longer the strict
 * winner (the prediction changed, or is tied).
 */
export function marginOf(logits: ArrayLike<number>, label: number): number {
  let m = Infinity
  for (let c = 0; c < logits.length; c++) if (c !== label) m = Math.min(m, logits[label] - logits[c])
  return m
}

/** The float64 margin with the certifier's own forward pass (src/cert/runtime.ts). */
export function margin64(cn: CompiledNetwork, x: Float64Array[], label: number, masks: readonly boolean[] | null = null): number {
  return marginOf(forward(cn, x, undefined, masks).logits, label)
}

/** The float64 forward pass from frame `start` on, from the clean run's states (the certifier's own). */
export { forwardFrom } from '../cert/index.ts'

export interface SampleOptions {
  samples: number
  seed: number
  /** fraction of the samples drawn at vertices of the box (default 0.5) */
  vertexFraction?: number
}

export interface SampleResult {
  samples: number
  /** samples whose float64 margin is ≤ 0 (confirmed with the certifier's forward pass) */
  violations: number
  /** smallest float64 margin seen */
  minMargin: number
  /** the input with the smallest margin */
  worst: Float64Array[] | null
  /** the violating inputs (at most 10 kept) */
  examples: Float64Array[][]
}

const BLOCK = 64

/**
 * Draw random points of the region (a `vertexFraction` of them at vertices, the rest
 * uniform) and evaluate the float64 margin of `label` at each: in blocks with the batched
 * float64 forward (batch64.ts), and every sample whose margin is ≤ 0, and the worst one, again
 * with the certifier's own forward pass, which decides.
 */
export function sampleBall(cn: CompiledNetwork, clean: ConcreteRun, frames: Float64Array[], label: number, ball: Ball, opts: SampleOptions): SampleResult {
  const rng = new Rng(opts.seed)
  const vf = opts.vertexFraction ?? 0.5
  const start = ball.frames[0]
  const T = frames.length
  const F = cn.frameSize
  const fwd = batchForward(cn, clean, T)
  const slot = new Map(ball.frames.map((t, k) => [t, k]))
  const K = cn.classes
  let violations = 0
  let minMargin = Infinity
  let worst: Float64Array[] | null = null
  const examples: Float64Array[][] = []
  const blocks = ball.frames.map(() => new Float64Array(BLOCK * F))
  const pointOf = (s: number) =>
    frames.map((f, t) => {
      const k = slot.get(t)
      return k === undefined ? f.slice() : blocks[k].slice(s * F, (s + 1) * F)
    })
  for (let done = 0; done < opts.samples; done += BLOCK) {
    const S = Math.min(BLOCK, opts.samples - done)
    for (let s = 0; s < S; s++) {
      const vertex = rng.next() < vf
      ball.frames.forEach((_, k) => {
        const lo = ball.lo[k]
        const hi = ball.hi[k]
        const b = blocks[k]
        const o = s * F
        if (vertex) for (let i = 0; i < F; i++) b[o + i] = rng.next() < 0.5 ? lo[i] : hi[i]
        else for (let i = 0; i < F; i++) b[o + i] = Math.min(hi[i], lo[i] + (hi[i] - lo[i]) * rng.next())
      })
    }
    const logits = fwd.run(S, start, (t) => {
      const k = slot.get(t)
      return k === undefined ? { data: frames[t], shared: true } : { data: blocks[k], shared: false }
    })
    for (let s = 0; s < S; s++) {
      const m = marginOf(logits.subarray(s * K, (s + 1) * K), label)
      if (m <= 0) {
        // the certifier's forward pass decides
        const x = pointOf(s)
        const m64 = margin64(cn, x, label, clean.masks)
        if (m64 <= 0) {
          violations++
          if (examples.length < 10) examples.push(x)
        }
        if (m64 < minMargin) {
          minMargin = m64
          worst = x
        }
      } else if (m < minMargin) {
        minMargin = m
        worst = pointOf(s)
      }
    }
  }
  // report the worst margin as the certifier's forward pass computes it
  if (worst) minMargin = margin64(cn, worst, label, clean.masks)
  return { samples: opts.samples, violations, minMargin, worst, examples }
}
