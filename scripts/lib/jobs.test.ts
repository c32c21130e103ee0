/**
 * The command line's executor on real Node worker threads: the page's handler gives the
 * same results on threads as in this thread, a worker that dies is reported and its job
 * run again on a new worker, and one that always dies fails the run with a clear message.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { SampleInput } from '../../src/cert/index.ts'
import { randomFrames, randomNetwork, Rng } from '../../src/cert/index.ts'
import type { BoundSummary } from '../../src/worker/protocol.ts'
import type { ModelJob } from './jobs.ts'
import { JobError, JobRunner, runJobs, ThreadWorker } from './jobs.ts'

const net = randomNetwork({ cell: 'lstm', hidden: [5], frameSize: 3, classes: 3, seed: 4 })
const inputs: SampleInput[] = Array.from({ length: 4 }, (_, k) => ({ x: randomFrames(new Rng(10 + k), 3, 3) }))
const jobs: ModelJob[] = inputs.map((input, k) => ({
  model: 'm',
  job: { kind: 'bound', input, threat: { kind: 'single' }, method: k % 2 ? 'deepz' : 'certrnn', margin: 'diff', search: 'fast' },
}))
const models = new Map([['m', net]])
const CRASHING = new URL('./testing/crashingWorker.ts', import.meta.url)
const describeJob = (k: number) => `input ${k}`
const bounds = (rs: BoundSummary[]) => rs.map((r) => r.result.perFrame)

afterEach(() => {
  vi.restoreAllMocks()
})

describe('the command line executor (worker threads)', () => {
  it('gives the same bounds on 2 worker threads as in this thread, in job order, loading the model once per worker', async () => {
    const here = await runJobs<BoundSummary>(models, jobs, { name: 't', jobs: 1, describe: describeJob })
    const order: number[] = []
    let threads = 0
    let loads = 0
    const factory = () => {
      threads++
      const w = new ThreadWorker()
      const post = w.postMessage.bind(w)
      w.postMessage = (msg) => {
        if (msg.type === 'load') loads++
        post(msg)
      }
      return w
    }
    const runner = new JobRunner({ name: 't', jobs: 2, signals: [], factory })
    runner.models.set('m', net)
    try {
      const there = await runner.run<BoundSummary>(jobs, { describe: describeJob, onResult: (k) => order.push(k) })
      expect(bounds(there)).toEqual(bounds(here))
      expect(there.map((r) => r.result.method)).toEqual(['certrnn', 'deepz', 'certrnn', 'deepz'])
      expect(order).toEqual([0, 1, 2, 3])
      expect(threads).toBe(2)
      expect(loads).toBe(2)
    } finally {
      runner.close()
    }
  })

  it('reports a worker thread that dies and runs its job again on a new one', async () => {
    const here = await runJobs<BoundSummary>(models, jobs.slice(0, 2), { name: 't', jobs: 1, describe: describeJob })
    const errors: string[] = []
    vi.spyOn(console, 'error').mockImplementation((m: string) => void errors.push(m))
    let started = 0
    // the first worker dies on its first job; the ones after it work
    const factory = () => new ThreadWorker(CRASHING, { crash: started++ === 0 })
    const there = await runJobs<BoundSummary>(models, jobs.slice(0, 2), { name: 'certify', jobs: 1, signals: [], factory, describe: describeJob })
    expect(bounds(there)).toEqual(bounds(here))
    expect(started).toBe(2)
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatch(/^certify: worker 1 failed on input 0 \(the certification worker crashed \(RangeError: simulated: Array buffer allocation failed\)\); running it again on a new worker$/)
  })

  it('fails the run with a clear message when the job kills its worker again', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {})
    const factory = () => new ThreadWorker(CRASHING, { crash: true })
    const run = runJobs<BoundSummary>(models, jobs, { name: 'certify', jobs: 1, signals: [], factory, describe: describeJob })
    await expect(run).rejects.toThrow(JobError)
    await expect(run).rejects.toThrow(/^input 0: the certification worker crashed \(RangeError: simulated: Array buffer allocation failed\), also when run again on a new worker$/)
  })

  it('turns failures into results when asked (the audit reports a failed model and goes on)', async () => {
    const bad: ModelJob = { model: 'nope', job: jobs[0].job }
    const r = await runJobs<BoundSummary | string>(models, [jobs[0], bad], { name: 't', jobs: 1, describe: describeJob, failed: (k, m) => `job ${k}: ${m}` })
    expect(r[1]).toBe('job 1: no model "nope" in this run')
    expect((r[0] as BoundSummary).kind).toBe('bound')
  })
})
