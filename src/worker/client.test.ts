import { describe, expect, it } from 'vitest'
import { CancelledError, certifyThreat, compileNetwork, findBound, prepareSample, randomFrames, randomNetwork, Rng } from '../cert/index.ts'
import { CertClient, HARD_CANCEL_MS, WorkerCrashError } from './client.ts'
import type { Job, Progress } from './protocol.ts'
import { InProcessWorker } from './testing/inProcessWorker.ts'

/** `hardCancelMs` large by default so that a slow machine never turns a cooperative cancel into a restart. */
function setup(hardCancelMs = 600_000) {
  const workers: InProcessWorker[] = []
  const client = new CertClient(() => {
    const w = new InProcessWorker()
    workers.push(w)
    return w
  }, { hardCancelMs })
  return { client, workers }
}

const net = randomNetwork({ cell: 'lstm', hidden: [6], frameSize: 4, classes: 3, seed: 4 })
const input = { x: randomFrames(new Rng(3), 5, 4) }
const bound: Job = { kind: 'bound', input, threat: { kind: 'single' }, method: 'certrnn', margin: 'diff', search: 'paper' }

describe('certification worker client', () => {
  it('loads the model once and runs certify, bound and compare jobs with the library\'s results', async () => {
    const { client, workers } = setup()
    expect(await client.load('m1', net)).toEqual({ classes: 3, frameSize: 4 })
    const prep = prepareSample(compileNetwork(net), input)

    const progress: Progress[] = []
    const b = await client.run(bound, (p) => progress.push(p)).result
    expect(b.kind).toBe('bound')
    if (b.kind !== 'bound') return
    expect(b.result).toEqual(findBound(prep, { kind: 'single' }, { search: 'paper' }))
    expect(progress.at(-1)!.fraction).toBe(1)
    expect(progress.every((p, k) => k === 0 || p.fraction >= progress[k - 1].fraction)).toBe(true)

    const c = await client.run({ kind: 'certify', input, threat: { kind: 'all' }, method: 'deepz', margin: 'paper', eps: 0.01 }).result
    if (c.kind !== 'certify') throw new Error('wrong kind')
    expect(c.result.certified).toBe(certifyThreat(prep, { kind: 'all' }, 0.01, { method: 'deepz', margin: 'paper' }).certified)
    expect(c.logits).toHaveLength(3)

    const cmp = await client.run({ kind: 'compare', input, threat: { kind: 'all' }, margin: 'diff', eps: 0.01, search: 'fast', methods: ['certrnn', 'deepz', 'interval'] }).result
    if (cmp.kind !== 'compare') throw new Error('wrong kind')
    expect(cmp.rows.map((r) => r.method)).toEqual(['certrnn', 'deepz', 'interval'])
    expect(cmp.rows[0].bound.bound).toBeGreaterThanOrEqual(cmp.rows[2].bound.bound)

    // the model went to the worker once
    expect(workers).toHaveLength(1)
    expect(workers[0].received.filter((m) => m.type === 'load')).toHaveLength(1)
  })

  it('reports a model the certifier refuses, and an input that does not fit', async () => {
    const { client } = setup()
    const bad = structuredClone(net)
    const lstm = bad.layers[0]
    if (lstm.type === 'lstm') lstm.recurrentActivation = 'hard_sigmoid'
    await expect(client.load('bad', bad)).rejects.toThrow(/hard_sigmoid/)
    await client.load('good', net)
    await expect(client.run({ ...bound, input: { x: [[1, 2]] } }).result).rejects.toThrow(/frame 0 has 2 values, the model expects 4/)
    await expect(client.run({ ...bound, threat: { kind: 'frames', frames: [9] } }).result).rejects.toThrow(/beyond the input's 5 frames/)
    // over the frame cap: refused before any work, with an estimate
    await expect(client.run({ ...bound, input: { x: randomFrames(new Rng(2), 300, 4) } }).result).rejects.toThrow(/the input has 300 frames; the certifier's cap is 256 frames \(.*estimated .*\); raise the cap with the command line/)
    expect((await client.run(bound).result).kind).toBe('bound') // and the worker stays usable
  })

  it('cancels a running job cooperatively (the worker stops it) and stays usable', async () => {
    const { client, workers } = setup()
    await client.load('m', net)
    const slow: Job = { ...bound, input: { x: randomFrames(new Rng(1), 120, 4) } }
    let started!: () => void
    const running = new Promise<void>((r) => (started = r))
    const job = client.run(slow, () => started()) // the first progress report: the search is under way
    await running
    client.cancel(job.id)
    await expect(job.result).rejects.toBeInstanceOf(CancelledError)
    // the worker itself answered 'cancelled' (no hard restart): same worker, never terminated
    expect(workers).toHaveLength(1)
    expect(workers[0].terminated).toBe(false)
    expect((await client.run(bound).result).kind).toBe('bound')
  })

  it('replaces a worker that does not stop in time, re-sending the model', async () => {
    const { client, workers } = setup(HARD_CANCEL_MS)
    await client.load('m', net)
    const job = client.run(bound)
    workers[0].stuck = true
    client.cancel(job.id)
    await expect(job.result).rejects.toBeInstanceOf(CancelledError)
    expect(workers[0].terminated).toBe(true)
    const again = await client.run(bound).result
    expect(again.kind).toBe('bound')
    expect(workers).toHaveLength(2)
    expect(workers[1].received[0].type).toBe('load')
  })

  it('reports a crashed worker, starts a new one and keeps the model', async () => {
    const { client, workers } = setup()
    await client.load('m', net)
    workers[0].crashNext = true
    const crashed = client.run(bound).result
    await expect(crashed).rejects.toBeInstanceOf(WorkerCrashError)
    await expect(crashed).rejects.toThrow(/crashed \(RangeError: out of memory\)/)
    expect(client.modelKey).toBe('m')
    const after = await client.run(bound).result
    expect(after.kind).toBe('bound')
    expect(workers).toHaveLength(2)
  })

  it('refuses to run without a model', async () => {
    const { client } = setup()
    await expect(client.run(bound).result).rejects.toThrow(/no model is loaded/)
  })
})
