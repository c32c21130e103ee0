/**
 * Threat models: an ℓ∞ ball of radius ε around one frame, a chosen set of frames or all
 * frames, optionally intersected with the input domain [lo, hi].
 */
import type { SymbolSource, Zonotope } from './zonotope.ts'
import { zonotopeConstant, zonotopeFromBox } from './zonotope.ts'

export type Threat = { kind: 'single' } | { kind: 'all' } | { kind: 'frames'; frames: number[] }

export type Clip = readonly [number, number]

/** Parse the CLI/URL form: `single`, `all` or `frames=0,3,5`. */
export function parseThreat(text: string): Threat {
  const s = text.trim()
  if (s === 'single') return { kind: 'single' }
  if (s === 'all') return { kind: 'all' }
  const m = /^frames=(.+)$/.exec(s)
  if (m) {
    const parts = m[1].split(',').map((p) => p.trim())
    const frames = parts.map(Number)
    if (parts.some((p) => p === '') || frames.some((f) => !Number.isInteger(f) || f < 0)) {
      throw new Error(`threat "${text}": frames must be non-negative integers, e.g. frames=0,3,5`)
    }
    return { kind: 'frames', frames: [...new Set(frames)].sort((a, b) => a - b) }
  }
  throw new Error(`threat "${text}" is not one of: single, all, frames=i,j,...`)
}

export function threatLabel(t: Threat): string {
  return t.kind === 'frames' ? `frames=${t.frames.join(',')}` : t.kind
}

/** The frames a threat perturbs jointly, for a sequence of length T (single: none alone). */
export function perturbedFrames(t: Threat, T: number): number[] {
  if (t.kind === 'all') return Array.from({ length: T }, (_, k) => k)
  if (t.kind === 'frames') {
    const bad = t.frames.filter((f) => f >= T)
    if (bad.length) throw new Error(`threat frames ${bad.join(', ')} are beyond the input's ${T} frames (0…${T - 1})`)
    if (t.frames.length === 0) throw new Error('the threat names no frame')
    return t.frames
  }
  throw new Error('a single-frame threat is searched frame by frame: pick the frame first')
}

export function checkEps(eps: number): void {
  if (!Number.isFinite(eps) || eps <= 0) throw new Error(`ε must be a positive number, got ${eps}`)
  if (eps > 1e6) throw new Error(`ε = ${eps} is too large to mean anything (at most 1e6)`)
}

export function checkClip(clip: Clip | undefined, frames: Float64Array[]): void {
  if (!clip) return
  const [lo, hi] = clip
  if (!(Number.isFinite(lo) && Number.isFinite(hi) && lo < hi)) throw new Error(`clip range [${lo}, ${hi}] is not a valid interval`)
  frames.forEach((f, t) => {
    for (let i = 0; i < f.length; i++) {
      if (f[i] < lo || f[i] > hi) throw new Error(`frame ${t} value ${i} is ${f[i]}, outside the clip range [${lo}, ${hi}]`)
    }
  })
}

/** The box of one perturbed frame (the input region of a certificate, or a part of it). */
export interface FrameBox {
  frame: number
  lo: Float64Array
  hi: Float64Array
}

/** The boxes of radius ε (clipped) around the perturbed frames, in ascending frame order. */
export function regionBoxes(frames: Float64Array[], perturbed: number[], eps: number, clip: Clip | undefined): FrameBox[] {
  const set = new Set(perturbed)
  const out: FrameBox[] = []
  frames.forEach((x, t) => {
    if (!set.has(t)) return
    const lo = new Float64Array(x.length)
    const hi = new Float64Array(x.length)
    for (let i = 0; i < x.length; i++) {
      lo[i] = x[i] - eps
      hi[i] = x[i] + eps
      if (clip) {
        lo[i] = Math.max(lo[i], clip[0])
        hi[i] = Math.min(hi[i], clip[1])
      }
    }
    out.push({ frame: t, lo, hi })
  })
  return out
}

/**
 * Input zonotopes: the given boxes on their frames (one fresh symbol per coordinate of
 * non-zero width, frame after frame, so these are the run's first symbols), constants elsewhere.
 */
export function boxInputs(frames: Float64Array[], boxes: FrameBox[], symbols: SymbolSource): Zonotope[] {
  const byFrame = new Map(boxes.map((b) => [b.frame, b]))
  return frames.map((x, t) => {
    const b = byFrame.get(t)
    return b ? zonotopeFromBox(b.lo, b.hi, symbols) : zonotopeConstant(x)
  })
}

/** Input zonotopes: a box of radius ε (clipped) on the perturbed frames, constants elsewhere. */
export function inputRegion(frames: Float64Array[], perturbed: number[], eps: number, clip: Clip | undefined, symbols: SymbolSource): Zonotope[] {
  return boxInputs(frames, regionBoxes(frames, perturbed, eps, clip), symbols)
}
