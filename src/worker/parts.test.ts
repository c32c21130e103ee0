/** The split job (the abstraction view's "Split the input into parts") and its shaping of the certifier's leaves. */
import { describe, expect, it } from 'vitest'
import type { FrameBox, SplitLeaf } from '../cert/index.ts'
import { certifyFrames, compileNetwork, prepareSample, randomFrames, randomNetwork, regionBoxes, Rng, splitLeaves } from '../cert/index.ts'
import { CertClient } from './client.ts'
import { splitParts } from './parts.ts'
import type { SplitSummary } from './protocol.ts'
import { InProcessWorker } from './testing/inProcessWorker.ts'

const box = (frame: number, lo: number[], hi: number[]): FrameBox => ({ frame, lo: Float64Array.from(lo), hi: Float64Array.from(hi) })
const leaf = (boxes: FrameBox[], margins: number[], lo: number[], hi: number[], depth: number): SplitLeaf => {
  const margin = Math.min(...margins.filter((m) => !Number.isNaN(m)))
  return { boxes, split: null, depth, margin, margins: Float64Array.from(margins), logitLo: Float64Array.from(lo), logitHi: Float64Array.from(hi), certified: margin > 0 }
}

describe('splitParts: the leaves as parts of the region', () => {
  it('names the coordinates each part was cut along, its margin against the runner-up, its verdict and the two scores', () => {
    const region = [box(1, [0, 0.2], [0.4, 0.6]), box(3, [0.5, 0.5], [0.7, 0.9])]
    const leaves = [
      leaf([box(1, [0, 0.2], [0.2, 0.6]), box(3, [0.5, 0.5], [0.7, 0.9])], [NaN, 0.3, 0.1], [1, -1, -2], [2, 0, 0.5], 1),
      leaf([box(1, [0.2, 0.2], [0.4, 0.6]), box(3, [0.5, 0.7], [0.7, 0.9])], [NaN, -0.05, 0.2], [1.1, -0.9, -1], [2, 1.2, 0], 2),
      leaf([box(1, [0.2, 0.2], [0.4, 0.6]), box(3, [0.5, 0.5], [0.7, 0.7])], [NaN, 0.02, 0.04], [1.1, -0.9, -1], [2, 0.5, 0], 2),
    ]
    const parts = splitParts(leaves, region, 0)
    expect(parts.map((p) => p.cuts)).toEqual([
      [{ frame: 1, index: 0, lo: 0, hi: 0.2 }],
      [
        { frame: 1, index: 0, lo: 0.2, hi: 0.4 },
        { frame: 3, index: 1, lo: 0.7, hi: 0.9 },
      ],
      [
        { frame: 1, index: 0, lo: 0.2, hi: 0.4 },
        { frame: 3, index: 1, lo: 0.5, hi: 0.7 },
      ],
    ])
    expect(parts.map((p) => [p.margin, p.against, p.certified, p.depth])).toEqual([
      [0.1, 2, true, 1],
      [-0.05, 1, false, 2],
      [0.02, 1, true, 2],
    ])
    expect(parts[1].predictedLogit).toEqual([1.1, 2])
    expect(parts[1].againstLogit).toEqual([-0.9, 1.2])
    // the whole region, never split: no cut
    expect(splitParts([leaf(region, [NaN, 0.3, 0.1], [1, -1, -2], [2, 0, 0.5], 0)], region, 0)[0].cuts).toEqual([])
    expect(() => splitParts([leaf([box(2, [0], [1])], [NaN, 1], [0, 0], [1, 1], 0)], region, 0)).toThrow('frame 2')
  })
})

describe('the split job', () => {
  // a region tight does not certify at once but a split does (the certifier's own split tests' kind of case)
  const net = randomNetwork({ cell: 'lstm', hidden: [4], frameSize: 3, classes: 3, seed: 6 })
  const input = { x: randomFrames(new Rng(1), 3, 3) }
  const cn = compileNetwork(net)
  const prep = prepareSample(cn, input)
  const frames = [1, 2]

  /** an ε between where tight certifies the whole region at once and where it fails by far */
  function epsToSplit(): number {
    let lo = 0
    let hi = 1
    for (let k = 0; k < 30; k++) {
      const mid = (lo + hi) / 2
      if (certifyFrames(prep, frames, mid, { method: 'tight' }).certified) lo = mid
      else hi = mid
    }
    return hi * 1.02
  }

  it('returns the certifier\'s leaves as parts that tile the region, and the region\'s verdict', async () => {
    const eps = epsToSplit()
    const client = new CertClient(() => new InProcessWorker())
    await client.load('m', net)
    const r = (await client.run({ kind: 'split', input, frames, eps, budget: 8, margin: 'diff' }).result) as SplitSummary
    const direct = splitLeaves(prep, frames, eps, { method: 'tight', splits: 8 })
    expect(r.method).toBe('tight')
    expect(r.predicted).toBe(prep.predicted)
    expect(r.runs).toBe(direct.runs)
    expect(r.parts).toEqual(splitParts(direct.leaves, regionBoxes(prep.frames, frames, eps, undefined), prep.predicted))
    expect(r.parts.length).toBeGreaterThan(1)
    expect(r.certified).toBe(r.parts.every((p) => p.certified))
    expect(r.margin).toBe(Math.min(...r.parts.map((p) => p.margin)))
    // every part was cut; the parts' volumes add up to the region's (they tile it)
    const region = regionBoxes(prep.frames, frames, eps, undefined)
    const width = (f: number, i: number) => region.find((b) => b.frame === f)!.hi[i] - region.find((b) => b.frame === f)!.lo[i]
    let volume = 0
    for (const p of r.parts) {
      expect(p.cuts.length).toBeGreaterThan(0)
      expect(p.depth).toBeGreaterThan(0)
      volume += p.cuts.reduce((v, c) => v * ((c.hi - c.lo) / width(c.frame, c.index)), 1)
    }
    expect(volume).toBeCloseTo(1, 12)
  })

  it('refuses a budget outside 1…64 with a clear message', async () => {
    const client = new CertClient(() => new InProcessWorker())
    await client.load('m', net)
    for (const budget of [0, 65, 2.5]) {
      await expect(client.run({ kind: 'split', input, frames, eps: 0.01, budget, margin: 'diff' }).result).rejects.toThrow(`whole number from 1 to 64, got ${budget}`)
    }
  })
})
