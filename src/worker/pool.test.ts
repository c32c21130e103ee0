import { describe, expect, it } from 'vitest'
import { compileNetwork, findBound, prepareSample, randomFrames, randomNetwork, Rng } from '../cert/index.ts'
import { poolSize } from './pool.ts'
import type { BoundSummary, Job } from './protocol.ts'
import { inProcessPool } from './testing/inProcessWorker.ts'

const net = randomNetwork({ cell: 'gru', hidden: [6], frameSize: 4, classes: 3, seed: 5 })
const rng = new Rng(9)
const inputs = Array.from({ length: 6 }, () => ({ x: randomFrames(rng, 4, 4) }))
const jobs: Job[] = inputs.map((input) => ({ kind: 'bound', input, threat: { kind: 'single' }, method: 'certrnn', margin: 'diff', search: 'fast' }))

const pool = inProcessPool

describe('worker pool', () => {
  it('sizes itself to the cores, within limits', () => {
    expect(poolSize(undefined)).toBe(2)
    expect(poolSize(0)).toBe(1)
    expect(poolSize(4)).toBe(4)
    expect(poolSize(64)).toBe(8)
  })

  it('sends the model to every worker once, spreads the jobs and returns the library\'s bounds', async () => {
    const { p, workers } = pool(3)
    await p.load('m', net)
    const results = new Map<number, BoundSummary>()
    const used = new Set<number>()
    const r = await p.runAll<BoundSummary>(jobs, { onResult: (i, w, res) => (results.set(i, res), used.add(w)) })
    expect(r).toEqual({ finished: 6, failed: 0, cancelled: false })
    expect(used.size).toBe(3)
    expect(workers).toHaveLength(3)
    for (const w of workers) expect(w.received.filter((m) => m.type === 'load')).toHaveLength(1)
    const cn = compileNetwork(net)
    inputs.forEach((input, i) => expect(results.get(i)!.result).toEqual(findBound(prepareSample(cn, input), { kind: 'single' }, { search: 'fast' })))
    p.dispose()
  })

  it('retries a job whose worker crashed once, and reports a job that fails', async () => {
    const { p, workers } = pool(2)
    await p.load('m', net)
    workers[0].crashNext = true
    const bad: Job = { kind: 'bound', input: { x: [[1, 2]] }, threat: { kind: 'single' }, method: 'certrnn', margin: 'diff', search: 'fast' }
    const errors: string[] = []
    const r = await p.runAll([...jobs.slice(0, 3), bad], { onError: (_i, _w, e) => errors.push(e.message) })
    expect(r).toEqual({ finished: 3, failed: 1, cancelled: false })
    expect(errors[0]).toMatch(/frame/)
    expect(workers.length).toBe(3) // the crashed worker was replaced
    p.dispose()
  })

  it('cancel stops handing out jobs and cancels the running ones', async () => {
    const { p } = pool(2)
    await p.load('m', net)
    let finished = 0
    const run = p.runAll(jobs, { onResult: () => finished++ })
    p.cancel()
    const r = await run
    expect(r.cancelled).toBe(true)
    expect(finished).toBeLessThan(jobs.length)
    p.dispose()
  })

  it('a pool cancelled while its model loads runs nothing', async () => {
    const { p } = pool(2)
    const loading = p.load('m', net)
    p.cancel()
    await loading
    let started = 0
    const r = await p.runAll(jobs, { onStart: () => started++ })
    expect(r).toEqual({ finished: 0, failed: 0, cancelled: true })
    expect(started).toBe(0)
    p.dispose()
  })
})
