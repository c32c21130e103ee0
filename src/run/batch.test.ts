import { describe, expect, it } from 'vitest'
import type { Executor, JobContext } from './batch.ts'
import { inJobOrder, inProcess, RunGuard, runBatch, runInProcess, valuesOf } from './batch.ts'

class Transient extends Error {}

/**
 * A test executor: each job is a number; a job resolves with its square when the test
 * releases it (so the test decides the order in which jobs finish), rejects when its
 * signal is aborted, and `failures` lists how many times a job fails before it succeeds.
 */
function gated(slots: number, failures: Record<number, { times: number; transient: boolean }> = {}) {
  const waiting = new Map<number, { ctx: JobContext<number>; release: () => void }>()
  const attempts = new Map<number, number>()
  const started: Array<[job: number, slot: number]> = []
  let onStarted: (() => void) | null = null
  const exec: Executor<number, number, number> = {
    slots,
    transient: (e) => e instanceof Transient,
    run: (job, ctx) =>
      new Promise<number>((resolve, reject) => {
        started.push([job, ctx.slot])
        const n = (attempts.get(job) ?? 0) + 1
        attempts.set(job, n)
        ctx.signal.addEventListener('abort', () => reject(new Error('cancelled')), { once: true })
        waiting.set(job, {
          ctx,
          release: () => {
            waiting.delete(job)
            const f = failures[job]
            if (f && n <= f.times) reject(f.transient ? new Transient(`job ${job} crashed`) : new Error(`job ${job} is bad`))
            else resolve(job * job)
          },
        })
        onStarted?.()
      }),
  }
  /** resolves when `job` is waiting to be released */
  const waitFor = async (job: number) => {
    while (!waiting.has(job)) await new Promise<void>((r) => (onStarted = r))
    return waiting.get(job)!
  }
  return { exec, waiting, waitFor, started, attempts }
}

describe('runBatch', () => {
  it('returns results in job order whatever order they finish in, and reports each job', async () => {
    const g = gated(2)
    const events: string[] = []
    const run = runBatch([1, 2, 3, 4], g.exec, {
      onStart: (i, s) => events.push(`start ${i}@${s}`),
      onProgress: (i, _s, p) => events.push(`progress ${i} ${p}`),
      onResult: (i, _s, r) => events.push(`result ${i} ${r}`),
    })
    ;(await g.waitFor(2)).ctx.onProgress(0.5)
    ;(await g.waitFor(2)).release() // the second job finishes first
    ;(await g.waitFor(3)).release()
    ;(await g.waitFor(1)).release()
    ;(await g.waitFor(4)).release()
    const r = await run
    expect(r).toMatchObject({ finished: 4, failed: 0, cancelled: false, stale: false })
    expect(valuesOf(r)).toEqual([1, 4, 9, 16])
    expect(events).toEqual(['start 0@0', 'start 1@1', 'progress 1 0.5', 'result 1 4', 'start 2@1', 'result 2 9', 'start 3@1', 'result 0 1', 'result 3 16'])
  })

  it('starts jobs in the given order', async () => {
    const r = await runBatch([10, 20, 30], inProcess((j: number) => j + 1), { order: [2, 0, 1] })
    expect(valuesOf(r)).toEqual([11, 21, 31])
    const seen: number[] = []
    await runBatch([10, 20, 30], inProcess((j: number) => void seen.push(j)), { order: [2, 0, 1] })
    expect(seen).toEqual([30, 10, 20])
  })

  it('retries a job that failed transiently once, then reports it; other failures are reported at once', async () => {
    const g = gated(1, { 1: { times: 5, transient: true }, 2: { times: 1, transient: true }, 3: { times: 1, transient: false } })
    const errors: Array<[number, string]> = []
    const retries: Array<[number, string]> = []
    const run = runBatch([1, 2, 3], g.exec, { onError: (i, _s, e) => errors.push([i, e.message]), onRetry: (i, _s, e) => retries.push([i, e.message]) })
    for (const job of [1, 1, 2, 2, 3]) (await g.waitFor(job)).release()
    const r = await run
    expect(g.attempts).toEqual(new Map([[1, 2], [2, 2], [3, 1]]))
    expect(errors).toEqual([[0, 'job 1 crashed'], [2, 'job 3 is bad']])
    expect(retries).toEqual([[0, 'job 1 crashed'], [1, 'job 2 crashed']])
    expect(r).toMatchObject({ finished: 1, failed: 2, cancelled: false })
    expect(r.outcomes.map((o) => o.status)).toEqual(['failed', 'done', 'failed'])
    expect(() => valuesOf(r)).toThrow('job 1 crashed')
  })

  it('cancel: no new job starts, the running ones are aborted and count as cancelled, not failed', async () => {
    const g = gated(2)
    const controller = new AbortController()
    const errors: number[] = []
    const run = runBatch([1, 2, 3, 4, 5], g.exec, { signal: controller.signal, onError: (i) => errors.push(i) })
    ;(await g.waitFor(1)).release()
    await g.waitFor(3)
    controller.abort()
    const r = await run
    expect(r).toMatchObject({ finished: 1, failed: 0, cancelled: true })
    expect(r.outcomes.map((o) => o.status)).toEqual(['done', 'cancelled', 'cancelled', 'cancelled', 'cancelled'])
    expect(g.started.map(([j]) => j)).toEqual([1, 2, 3])
    expect(errors).toEqual([])
  })

  it('a batch whose signal is already aborted runs nothing', async () => {
    let ran = 0
    const r = await runBatch([1, 2], inProcess(() => ran++), { signal: AbortSignal.abort() })
    expect(r).toMatchObject({ finished: 0, cancelled: true })
    expect(ran).toBe(0)
  })
})

describe('runInProcess (the command line)', () => {
  it('runs the jobs in order and returns their values', async () => {
    const done: number[] = []
    expect(await runInProcess([3, 1, 2], (j, k) => j * 10 + k, { onResult: (i) => done.push(i) })).toEqual([30, 11, 22])
    expect(done).toEqual([0, 1, 2])
  })
  it('stops at the first failure and throws it', async () => {
    const ran: number[] = []
    const run = runInProcess([1, 2, 3], (j) => {
      ran.push(j)
      if (j === 2) throw new Error('two is bad')
      return j
    })
    await expect(run).rejects.toThrow('two is bad')
    expect(ran).toEqual([1, 2])
  })
})

describe('RunGuard', () => {
  it('a newer run cancels the older one and silences its callbacks', async () => {
    const guard = new RunGuard()
    const g1 = gated(1)
    const g2 = gated(1)
    const seen: string[] = []
    const first = guard.begin()
    const run1 = runBatch([1, 2], g1.exec, { run: first, onResult: (i) => seen.push(`old ${i}`), onStart: (i) => seen.push(`old start ${i}`) })
    await g1.waitFor(1)
    const second = guard.begin()
    expect(first.current).toBe(false)
    expect(first.signal.aborted).toBe(true)
    expect(second.current).toBe(true)
    const run2 = runBatch([3], g2.exec, { run: second, onResult: (i, _s, r) => seen.push(`new ${i} ${r}`) })
    ;(await g2.waitFor(3)).release()
    const [r1, r2] = await Promise.all([run1, run2])
    expect(r1).toMatchObject({ cancelled: true, stale: true, finished: 0 })
    expect(r2).toMatchObject({ cancelled: false, stale: false, finished: 1 })
    expect(seen).toEqual(['old start 0', 'new 0 9'])
  })

  it('a late result of a superseded run is not reported', async () => {
    const guard = new RunGuard()
    // an executor that ignores its signal and answers anyway
    let release = () => {}
    const stubborn: Executor<number, number> = { slots: 1, run: (j) => new Promise((r) => (release = () => r(j))) }
    const seen: number[] = []
    const old = runBatch([7], stubborn, { run: guard.begin(), onResult: (_i, _s, r) => seen.push(r) })
    await Promise.resolve()
    guard.begin()
    release()
    const r = await old
    expect(r.stale).toBe(true)
    expect(r.outcomes[0]).toEqual({ status: 'done', value: 7 })
    expect(seen).toEqual([])
  })

  it('cancel keeps the run current (it reports its own end); drop makes it stale', async () => {
    const guard = new RunGuard()
    const a = guard.begin()
    guard.cancel()
    expect(a.signal.aborted).toBe(true)
    expect(a.current).toBe(true)
    guard.drop()
    expect(a.current).toBe(false)
  })
})

describe('inJobOrder', () => {
  it('hands results on in job order, holding back the ones that finish early', () => {
    const seen: Array<[number, string]> = []
    const cb = inJobOrder<string>((k, r) => seen.push([k, r]))
    cb(2, 0, 'c')
    cb(1, 1, 'b')
    expect(seen).toEqual([])
    cb(0, 0, 'a')
    expect(seen).toEqual([[0, 'a'], [1, 'b'], [2, 'c']])
    cb(4, 1, 'e')
    cb(3, 0, 'd')
    expect(seen.map(([k]) => k)).toEqual([0, 1, 2, 3, 4])
  })

  it('with runBatch: the same sequence whatever order the jobs finish in', async () => {
    const g = gated(3)
    const seen: number[] = []
    const retried: number[] = []
    const run = runBatch([1, 2, 3], g.exec, { onResult: inJobOrder((k) => seen.push(k)), onRetry: (k) => retried.push(k) })
    ;(await g.waitFor(3)).release()
    ;(await g.waitFor(2)).release()
    expect(seen).toEqual([])
    ;(await g.waitFor(1)).release()
    await run
    expect(seen).toEqual([0, 1, 2])
    expect(retried).toEqual([])
  })
})
