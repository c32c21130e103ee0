import { describe, expect, it } from 'vitest'
import { createPlotQueue } from './plotQueue.ts'

/** A queue whose idle slots run when the test says so, and drawings the test finishes by hand. */
function harness(giveUpMs?: number) {
  const slots: Array<() => void> = []
  const queue = createPlotQueue({ idle: (f) => slots.push(f), giveUpMs })
  const log: string[] = []
  const open = new Map<string, () => void>()
  const job = (name: string) => () =>
    new Promise<void>((resolve) => {
      log.push(name)
      open.set(name, resolve)
    })
  /** run every idle slot due, and let the promises settle */
  const idle = async () => {
    for (let k = 0; k < 5; k++) {
      await new Promise((r) => setTimeout(r, 0))
      while (slots.length) slots.shift()!()
    }
    await new Promise((r) => setTimeout(r, 0))
  }
  const finish = async (name: string) => {
    open.get(name)!()
    await idle()
  }
  return { queue, log, job, idle, finish }
}

describe('plotQueue: one 3-D drawing at a time, in idle time', () => {
  it('draws the plots one after another, the next only once the one before has finished', async () => {
    const { queue, log, job, idle, finish } = harness()
    const a = {}
    const b = {}
    queue.schedule(a, job('a1'))
    queue.schedule(b, job('b1'))
    expect(log).toEqual([]) // nothing before the page is idle
    await idle()
    expect(log).toEqual(['a1'])
    expect(queue.waiting).toBe(1)
    await idle()
    expect(log).toEqual(['a1']) // b waits while a draws
    await finish('a1')
    expect(log).toEqual(['a1', 'b1'])
    expect(queue.waiting).toBe(0)
  })

  it('a plot that asks again before its turn keeps its place and draws only its latest figure', async () => {
    const { queue, log, job, idle, finish } = harness()
    const a = {}
    const b = {}
    const c = {}
    queue.schedule(a, job('a1'))
    queue.schedule(b, job('b1'))
    queue.schedule(c, job('c1'))
    await idle()
    queue.schedule(c, job('c2'))
    queue.schedule(b, job('b2'))
    await finish('a1')
    await finish('b2')
    expect(log).toEqual(['a1', 'b2', 'c2'])
  })

  it('a drawing taken out before its turn is never drawn; one going on finishes', async () => {
    const { queue, log, job, idle, finish } = harness()
    const a = {}
    const b = {}
    const cancelA = queue.schedule(a, job('a1'))
    const cancelB = queue.schedule(b, job('b1'))
    await idle()
    cancelA() // already drawing: no effect
    cancelB()
    await finish('a1')
    expect(log).toEqual(['a1'])
    expect(queue.waiting).toBe(0)
  })

  it('a drawing that never reports back is given up, and the queue moves on', async () => {
    const { queue, log, job, idle } = harness(5)
    queue.schedule({}, job('stuck'))
    queue.schedule({}, job('next'))
    await idle()
    await new Promise((r) => setTimeout(r, 20))
    await idle()
    expect(log).toEqual(['stuck', 'next'])
  })
})
