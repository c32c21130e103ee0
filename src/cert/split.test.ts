/**
 * Refinement by input splitting (./split.ts): every leaf of a split is checked by sampling
 * (points of its own box, half of them vertices, and a PGD attack inside it) against its
 * certified bounds, the leaves are checked to tile the region, a split is never looser than
 * no split (margins, and the paper search's bound), and the checks are shown to catch an
 * unsound split (a dropped branch; a part certified over less than its box).
 */
import { describe, expect, it } from 'vitest'
import type { PreparedSample } from './certify.ts'
import { certifyBoxes, certifyFrames, findBound, prepareSample, splitLeaves } from './certify.ts'
import type { RandomNetworkSpec } from './randomNetwork.ts'
import { randomFrames, randomNetwork } from './randomNetwork.ts'
import { Rng } from './rng.ts'
import { compileNetwork, forward } from './runtime.ts'
import type { SplitLeaf } from './split.ts'
import { splitRegion } from './split.ts'
import type { FrameBox } from './threat.ts'
import { regionBoxes } from './threat.ts'

const CASES: Array<{ name: string } & Omit<RandomNetworkSpec, 'frameSize' | 'classes' | 'seed'>> = [
  { name: 'SimpleRNN', cell: 'simpleRnn', hidden: [6] },
  { name: 'LSTM', cell: 'lstm', hidden: [5] },
  { name: 'GRU', cell: 'gru', hidden: [5] },
  { name: 'token LSTM', cell: 'lstm', hidden: [4], vocab: 20 },
]

const T = 4
const FRAME = 3
const TOL = 1e-9
const POINTS = 1_500

function samples(c: (typeof CASES)[number], count: number): PreparedSample[] {
  const cn = compileNetwork(randomNetwork({ ...c, frameSize: FRAME, classes: 3, seed: 41 }))
  const rng = new Rng(5)
  return Array.from({ length: count }, () =>
    prepareSample(cn, c.vocab ? { tokens: Array.from({ length: T }, () => 1 + Math.floor(rng.next() * (c.vocab! - 1))) } : { x: randomFrames(rng, T, FRAME) }),
  )
}

/** The input with the boxes' frames replaced by a point of the boxes (a vertex half the time). */
function pointIn(rng: Rng, prep: PreparedSample, boxes: FrameBox[]): Float64Array[] {
  const x = prep.frames.map((f) => f.slice())
  const vertex = rng.next() < 0.5
  for (const b of boxes) for (let i = 0; i < b.lo.length; i++) x[b.frame][i] = vertex ? (rng.next() < 0.5 ? b.lo[i] : b.hi[i]) : rng.uniform(b.lo[i], b.hi[i])
  return x
}

const logitsOf = (prep: PreparedSample, x: Float64Array[]) => forward(prep.cn, x, undefined, prep.concrete.masks).logits

/** How many of the point's logits and logit differences fall outside the leaf's bounds. */
function outside(prep: PreparedSample, leaf: Pick<SplitLeaf, 'margins' | 'logitLo' | 'logitHi'>, x: Float64Array[]): number {
  const l = logitsOf(prep, x)
  let bad = 0
  for (let c = 0; c < l.length; c++) {
    const tol = TOL * (1 + Math.abs(l[c]))
    if (l[c] < leaf.logitLo[c] - tol || l[c] > leaf.logitHi[c] + tol) bad++
    if (c !== prep.predicted && l[prep.predicted] - l[c] < leaf.margins[c] - tol) bad++
  }
  return bad
}

/** PGD (finite differences) on the worst certified class's margin, inside the leaf's box. */
function pgdInside(rng: Rng, prep: PreparedSample, leaf: SplitLeaf, steps = 15): Float64Array[] {
  let worst = -1
  for (let c = 0; c < leaf.margins.length; c++) if (c !== prep.predicted && (worst < 0 || leaf.margins[c] < leaf.margins[worst])) worst = c
  const f = (x: Float64Array[]) => {
    const l = logitsOf(prep, x)
    return l[prep.predicted] - l[worst]
  }
  const x = pointIn(rng, prep, leaf.boxes)
  for (let s = 0; s < steps; s++) {
    for (const b of leaf.boxes) {
      const v = x[b.frame]
      const grad = v.map((_u, i) => {
        const keep = v[i]
        v[i] = keep + 1e-6
        const up = f(x)
        v[i] = keep - 1e-6
        const down = f(x)
        v[i] = keep
        return up - down
      })
      for (let i = 0; i < v.length; i++) v[i] = Math.min(b.hi[i], Math.max(b.lo[i], v[i] - ((b.hi[i] - b.lo[i]) / 4) * Math.sign(grad[i])))
    }
  }
  return x
}

/** Violations of every leaf's bounds by sampled points of its box and a PGD point. */
function leafViolations(rng: Rng, prep: PreparedSample, leaves: SplitLeaf[]): number {
  let bad = 0
  for (const leaf of leaves) {
    for (let k = 0; k < POINTS / leaves.length + 50; k++) bad += outside(prep, leaf, pointIn(rng, prep, leaf.boxes))
    bad += outside(prep, leaf, pgdInside(rng, prep, leaf))
  }
  return bad
}

const inside = (x: Float64Array[], boxes: FrameBox[]) => boxes.every((b) => b.lo.every((lo, i) => x[b.frame][i] >= lo && x[b.frame][i] <= b.hi[i]))

/**
 * Do the leaves tile the region? Each leaf inside it, their volumes (2^−depth of it) sum to
 * it, and sampled points of the region each lie in some leaf. Returns the failures.
 */
function tilingFailures(rng: Rng, prep: PreparedSample, region: FrameBox[], leaves: SplitLeaf[]): number {
  let bad = 0
  for (const leaf of leaves) for (const b of leaf.boxes) {
    const r = region.find((q) => q.frame === b.frame)!
    if (b.lo.some((lo, i) => lo < r.lo[i] || b.hi[i] > r.hi[i] || lo > b.hi[i])) bad++
  }
  if (Math.abs(leaves.reduce((s, l) => s + 2 ** -l.depth, 0) - 1) > 1e-12) bad++
  for (let k = 0; k < 500; k++) {
    const x = pointIn(rng, prep, region)
    if (!leaves.some((l) => inside(x, l.boxes))) bad++
  }
  return bad
}

/** A sample, region and ε just past tight's bound (not certified without a split, not hopeless). */
function nearThreshold(prep: PreparedSample, frames: number[]): number {
  const b = findBound(prep, frames.length === 1 ? { kind: 'frames', frames } : { kind: 'all' }, { method: 'tight', search: 'fast' }).bound
  return b * 1.04
}

describe.each(CASES)('$name: input splitting', (c) => {
  it('every leaf’s bounds hold on sampled points and PGD inside it, and the leaves tile the region', () => {
    const rng = new Rng(99)
    let split = 0
    for (const prep of samples(c, 3)) {
      for (const frames of [[1], [0, 1, 2, 3]]) {
        const eps = nearThreshold(prep, frames)
        const { leaves, runs, result } = splitLeaves(prep, frames, eps, { method: 'tight', splits: 12 })
        expect(runs).toBeLessThanOrEqual(13)
        if (leaves.length > 1) split++
        expect(tilingFailures(rng, prep, regionBoxes(prep.frames, frames, eps, undefined), leaves)).toBe(0)
        expect(leafViolations(rng, prep, leaves)).toBe(0)
        // the region's verdict is the leaves' (smallest margin), and what certifyFrames says
        expect(result.margin).toBe(Math.min(...leaves.map((l) => l.margin)))
        expect(result.certified).toBe(leaves.every((l) => l.certified))
        const direct = certifyFrames(prep, frames, eps, { method: 'tight', splits: 12 })
        expect(direct.margin).toBe(result.margin)
      }
    }
    // the regions just past the bound do get split
    expect(split).toBeGreaterThanOrEqual(2)
  })

  it('a split is never looser than no split: margins class by class, and the paper search’s bound', () => {
    let better = 0
    for (const prep of samples(c, 2)) {
      for (const frames of [[T - 1], [0, 1, 2, 3]]) {
        const e0 = nearThreshold(prep, frames)
        for (const eps of [e0 / 2, e0, e0 * 1.1]) {
          const base = certifyFrames(prep, frames, eps, { method: 'tight' })
          const split = certifyFrames(prep, frames, eps, { method: 'tight', splits: 8 })
          for (let k = 0; k < base.margins.length; k++) if (k !== prep.predicted) expect(split.margins[k]).toBeGreaterThanOrEqual(base.margins[k])
          expect(split.margin).toBeGreaterThanOrEqual(base.margin)
          if (base.certified) expect(split.certified).toBe(true)
          if (split.margin > base.margin) better++
        }
      }
      const b0 = findBound(prep, { kind: 'single' }, { method: 'tight', search: 'paper' })
      const b1 = findBound(prep, { kind: 'single' }, { method: 'tight', search: 'paper', splits: 8 })
      b1.perFrame!.forEach((b, t) => expect(b).toBeGreaterThanOrEqual(b0.perFrame![t]))
    }
    // splitting does tighten (it is not a no-op)
    expect(better).toBeGreaterThan(0)
  })
})

describe('the split checks catch an unsound split', () => {
  const prep = samples(CASES[1], 1)[0]
  const frames = [0, 1, 2, 3]
  const eps = nearThreshold(prep, frames)
  const region = regionBoxes(prep.frames, frames, eps, undefined)

  it('a dropped branch: the leaves no longer tile the region', () => {
    const { leaves } = splitLeaves(prep, frames, eps, { method: 'tight', splits: 6 })
    expect(leaves.length).toBeGreaterThanOrEqual(2)
    expect(tilingFailures(new Rng(1), prep, region, leaves)).toBe(0)
    // drop the first leaf: its points are in no leaf (and the volumes no longer add up)
    expect(tilingFailures(new Rng(1), prep, region, leaves.slice(1))).toBeGreaterThan(0)
  })

  it('a part certified over less than its box: its sampled points fall outside its bounds', () => {
    const sound = splitRegion(region, (boxes) => certifyBoxes(prep, boxes, { method: 'tight' }), { budget: 6, label: prep.predicted, giveUpBelow: -Infinity })
    expect(leafViolations(new Rng(2), prep, sound.leaves)).toBe(0)
    // each part certified on its box shrunk to a tenth around its centre
    const shrink = (boxes: FrameBox[]) =>
      boxes.map((b) => {
        const lo = b.lo.map((v, i) => (v + b.hi[i]) / 2 - (b.hi[i] - v) / 20)
        const hi = b.lo.map((v, i) => (v + b.hi[i]) / 2 + (b.hi[i] - v) / 20)
        return { frame: b.frame, lo, hi }
      })
    const unsound = splitRegion(region, (boxes) => certifyBoxes(prep, shrink(boxes), { method: 'tight' }), { budget: 6, label: prep.predicted, giveUpBelow: -Infinity })
    expect(leafViolations(new Rng(2), prep, unsound.leaves)).toBeGreaterThan(0)
  })
})

describe('splitLeaves for the views', () => {
  it('gives each leaf its box, the bisection that made it, its verdict and (asked for) its trace', () => {
    const prep = samples(CASES[0], 1)[0]
    const frames = [1]
    const eps = nearThreshold(prep, frames)
    const { leaves, result } = splitLeaves(prep, frames, eps, { method: 'tight', splits: 6 }, { zonotopes: false })
    expect(leaves.length).toBeGreaterThan(1)
    const root = certifyFrames(prep, frames, eps, { method: 'tight', trace: { sink: [] } })
    for (const leaf of leaves) {
      expect(leaf.split).not.toBeNull()
      const b = leaf.boxes[0]
      const s = leaf.split!
      expect(s.frame).toBe(1)
      expect(leaf.depth).toBeGreaterThan(0)
      // the last bisection bounds the leaf on its side
      expect(s.half === 'lower' ? b.hi[s.index] : b.lo[s.index]).toBe(s.at)
      expect(leaf.certified).toBe(leaf.margin > 0)
      // its trace: the same operations as the whole region's, the logits bounding its centre's
      expect(leaf.trace!.length).toBeGreaterThan(0)
      const last = leaf.trace!.at(-1)!
      const centre = prep.frames.map((f) => f.slice())
      for (let i = 0; i < b.lo.length; i++) centre[1][i] = (b.lo[i] + b.hi[i]) / 2
      const l = logitsOf(prep, centre)
      l.forEach((v, k) => {
        expect(v).toBeGreaterThanOrEqual(last.bounds.lo[k] - TOL)
        expect(v).toBeLessThanOrEqual(last.bounds.hi[k] + TOL)
      })
    }
    expect(result.margin).toBeGreaterThanOrEqual(root.margin)
    // no split asked for: one leaf, the whole region
    const one = splitLeaves(prep, frames, eps, { method: 'tight', splits: 0 })
    expect(one.leaves).toHaveLength(1)
    expect(one.leaves[0].split).toBeNull()
    expect(one.leaves[0].margin).toBe(certifyFrames(prep, frames, eps, { method: 'tight' }).margin)
  })
})
