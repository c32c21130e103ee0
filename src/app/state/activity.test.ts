import { describe, expect, it } from 'vitest'
import { appStore } from './store.ts'
import { cancelActivity, enqueueRun, submitRun, timeLeft } from './activity.ts'
import type { RunControl } from './activity.ts'
import { waitForState } from '../testing/waitForState.ts'

/** A run that waits until the test lets it go (or it is cancelled). */
function gate() {
  let open!: () => void
  const opened = new Promise<void>((r) => (open = r))
  const log: string[] = []
  const work = (name: string) => async (ctl: RunControl) => {
    log.push(`start ${name}`)
    ctl.progress(0.25, `${name} a quarter`)
    await Promise.race([opened, new Promise<void>((r) => ctl.signal.addEventListener('abort', () => r()))])
    log.push(ctl.signal.aborted ? `cancelled ${name}` : `end ${name}`)
  }
  return { open, log, work }
}

describe('the activity model', () => {
  it('runs one action at a time: a second one waits in the queue and starts after the first', async () => {
    const g = gate()
    const first = submitRun('first', g.work('a'))
    const second = submitRun('second', g.work('b'))
    expect(appStore.getState().activity.current?.label).toBe('first')
    expect(appStore.getState().activity.current?.fraction).toBe(0.25)
    expect(appStore.getState().activity.current?.detail).toBe('a a quarter')
    expect(appStore.getState().activity.queue.map((q) => q.label)).toEqual(['second'])
    g.open()
    await Promise.all([first, second])
    expect(g.log).toEqual(['start a', 'end a', 'start b', 'end b'])
    expect(appStore.getState().activity).toEqual({ current: null, queue: [] })
  })

  it('cancel stops the running action; a queued one can be taken out of the queue', async () => {
    const g = gate()
    const a = enqueueRun('a', g.work('a'))
    const b = enqueueRun('b', g.work('b'))
    const c = enqueueRun('c', g.work('c'))
    cancelActivity(b.id)
    expect(appStore.getState().activity.queue.map((q) => q.label)).toEqual(['c'])
    cancelActivity()
    expect(appStore.getState().activity.current?.cancelling).toBe(true)
    await a.done
    await b.done
    await waitForState(appStore, (s) => s.activity.current?.label === 'c')
    g.open()
    await c.done
    expect(g.log).toEqual(['start a', 'cancelled a', 'start c', 'end c'])
  })

  it('a double click is one run: the same key while it runs or waits is not queued again', async () => {
    const g = gate()
    const a1 = enqueueRun('Certify at ε = 0.01', g.work('a'), 'certify|digit 3|0.01')
    const a2 = enqueueRun('Certify at ε = 0.01', g.work('a again'), 'certify|digit 3|0.01')
    expect(a2.id).toBe(a1.id)
    expect(a2.done).toBe(a1.done)
    const b1 = enqueueRun('Compare methods', g.work('b'), 'compare|digit 3')
    const b2 = enqueueRun('Compare methods', g.work('b again'), 'compare|digit 3')
    expect(b2.id).toBe(b1.id)
    // the same label with other inputs (another key), or no key at all, is another run
    const c = enqueueRun('Certify at ε = 0.01', g.work('c'), 'certify|digit 4|0.01')
    const d = enqueueRun('Compare methods', g.work('d'))
    expect(appStore.getState().activity.queue.map((q) => q.id)).toEqual([b1.id, c.id, d.id])
    g.open()
    await Promise.all([a1.done, b1.done, c.done, d.done])
    expect(g.log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c', 'start d', 'end d'])
    // once it has finished, the same key runs again
    const again = enqueueRun('Certify at ε = 0.01', g.work('a'), 'certify|digit 3|0.01')
    expect(again.id).not.toBe(a1.id)
    await again.done
  })

  it('a failing action does not block the queue', async () => {
    const ran: string[] = []
    const bad = submitRun('bad', async () => {
      throw new Error('boom')
    })
    const good = submitRun('good', async () => {
      ran.push('good')
    })
    await Promise.all([bad, good])
    expect(ran).toEqual(['good'])
  })

  it('estimates the time left from the time so far and the fraction done', () => {
    expect(timeLeft(10_000, 0.5)).toBe(10_000)
    expect(timeLeft(10_000, 0.25)).toBe(30_000)
    expect(timeLeft(10_000, null)).toBeNull()
    expect(timeLeft(10_000, 0.01)).toBeNull()
    expect(timeLeft(100, 0.5)).toBeNull()
  })
})
