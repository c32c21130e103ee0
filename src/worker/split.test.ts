import { describe, expect, it } from 'vitest'
import { CancelledError, compileNetwork, findBound, prepareSample, randomFrames, randomNetwork, Rng } from '../cert/index.ts'
import type { Progress } from './protocol.ts'
import type { BoundJob } from './split.ts'
import { combineParts, frameParts, splitBound, splitParts } from './split.ts'
import { inProcessPool } from './testing/inProcessWorker.ts'

const net = randomNetwork({ cell: 'lstm', hidden: [6], frameSize: 3, classes: 3, seed: 8 })
const input = { x: randomFrames(new Rng(3), 7, 3) }
const job: BoundJob = { kind: 'bound', input, threat: { kind: 'single' }, method: 'certrnn', margin: 'diff', search: 'paper' }

async function pool(size: number) {
  const r = inProcessPool(size)
  await r.p.load('m', net)
  return r
}

describe('one sample\'s bound search split across workers', () => {
  it('deals the frames out round-robin, every frame once', () => {
    expect(frameParts(7, 3)).toEqual([[0, 3, 6], [1, 4], [2, 5]])
    expect(frameParts(2, 4)).toEqual([[0], [1]])
    expect(frameParts(5, 1)).toEqual([[0, 1, 2, 3, 4]])
  })

  it('splits only the searches whose frames are independent: the paper search of the single-frame threat', () => {
    expect(splitParts(job, 7, 2)).toBe(2)
    expect(splitParts(job, 1, 2)).toBe(1)
    expect(splitParts({ ...job, search: 'fast' }, 7, 2)).toBe(1) // each frame starts from the previous frame's bound
    expect(splitParts({ ...job, threat: { kind: 'all' } }, 7, 2)).toBe(1)
    expect(splitParts({ ...job, frames: [1, 2] }, 7, 2)).toBe(1)
  })

  it('gives the bounds of one search (per frame, minimum) with the parts on 3 workers, and progress to the end', async () => {
    const whole = findBound(prepareSample(compileNetwork(net), input), { kind: 'single' }, { search: 'paper' })
    const { p, workers } = await pool(3)
    const progress: Progress[] = []
    const r = await splitBound(p, job, 7, { onProgress: (q) => progress.push(q) })
    p.dispose()
    // the same grid point per frame; the evaluations spent differ, as each part's searches
    // start from their own neighbours' bounds (the located paper search), within the paper's 13 per frame
    expect({ ...r.result, evaluations: 0 }).toEqual({ ...whole, evaluations: 0 })
    expect(r.result.evaluations).toBeGreaterThan(0)
    expect(r.result.evaluations).toBeLessThanOrEqual(13 * 7)
    expect(r.predicted).toBe(whole.predicted)
    // each worker searched its part only
    const parts = workers.map((w) => w.received.flatMap((m) => (m.type === 'run' && m.job.kind === 'bound' ? [m.job.frames] : [])))
    expect(parts).toEqual([[[0, 3, 6]], [[1, 4]], [[2, 5]]])
    const fractions = progress.map((q) => q.fraction)
    expect(fractions.at(-1)).toBeCloseTo(1, 12)
    expect(fractions.every((f, k) => k === 0 || f >= fractions[k - 1] - 1e-12)).toBe(true)
  })

  it('runs a fast search as one job, with its bounds', async () => {
    const fast: BoundJob = { ...job, search: 'fast' }
    const whole = findBound(prepareSample(compileNetwork(net), input), { kind: 'single' }, { search: 'fast' })
    const { p, workers } = await pool(2)
    const r = await splitBound(p, fast, 7)
    p.dispose()
    expect(r.result).toEqual(whole)
    expect(workers.flatMap((w) => w.received.filter((m) => m.type === 'run'))).toHaveLength(1)
  })

  it('combines parts into the one search\'s result', () => {
    const part = (frames: number[], perFrame: number[], evaluations: number) => ({
      kind: 'bound' as const,
      predicted: 1,
      logits: [0, 1],
      ms: 5,
      result: { method: 'certrnn' as const, marginCheck: 'diff' as const, threat: 'single', search: 'paper' as const, predicted: 1, bound: Math.min(...frames.map((t) => perFrame[t])), perFrame, evaluations, resolution: 2 ** -13 },
    })
    const r = combineParts([part([0, 2], [0.5, NaN, 0.25], 26), part([1], [NaN, 0.125, NaN], 13)], [[0, 2], [1]], 9)
    expect(r.result.perFrame).toEqual([0.5, 0.125, 0.25])
    expect(r.result.bound).toBe(0.125)
    expect(r.result.evaluations).toBe(39)
    expect(r.ms).toBe(9)
  })

  it('cancels every part', async () => {
    const { p } = await pool(2)
    const controller = new AbortController()
    const run = splitBound(p, job, 7, { signal: controller.signal, onProgress: () => controller.abort() })
    await expect(run).rejects.toThrow(CancelledError)
    p.dispose()
  })
})
