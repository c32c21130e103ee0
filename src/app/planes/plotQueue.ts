/**
 * The 3-D panels' drawing queue. A plotly gl3d plot takes hundreds of milliseconds of the main
 * thread to draw (and more without a GPU), and the planes views have one per method: drawn in
 * one go they froze the page for seconds. Here each plot draws in its own turn, one at a
 * time, when the page is idle, so input is handled between two plots and the cheap 2-D
 * drawing comes first. A plot that asks again before its turn keeps its place with its
 * latest drawing (the earlier one is never drawn).
 */

/** One drawing: resolves when the plot is drawn (or has failed). */
export type PlotJob = () => Promise<void>

export interface PlotQueueOptions {
  /** run `f` when the page is idle (default: requestIdleCallback, else a timeout) */
  idle?: (f: () => void) => void
  /** a drawing that never reports back is given up after this long (ms), so the queue moves on */
  giveUpMs?: number
}

export interface PlotQueue {
  /** Queue `job` for `key` (one plot); returns a function that takes it out if it has not started. */
  schedule(key: object, job: PlotJob): () => void
  /** drawings waiting (not counting the one going) */
  readonly waiting: number
}

const defaultIdle = (f: () => void) => {
  if (typeof requestIdleCallback === 'function') requestIdleCallback(() => f(), { timeout: 250 })
  else setTimeout(f, 16)
}

export function createPlotQueue(opts: PlotQueueOptions = {}): PlotQueue {
  const idle = opts.idle ?? defaultIdle
  const giveUpMs = opts.giveUpMs ?? 15_000
  const waiting = new Map<object, PlotJob>()
  let busy = false
  const pump = () => {
    if (busy) return
    const next = waiting.entries().next()
    if (next.done) return
    const [key, job] = next.value
    waiting.delete(key)
    busy = true
    let timer: ReturnType<typeof setTimeout> | undefined
    const giveUp = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, giveUpMs)
    })
    Promise.race([Promise.resolve().then(job), giveUp])
      .catch(() => undefined)
      .then(() => {
        clearTimeout(timer)
        busy = false
        idle(pump)
      })
  }
  return {
    schedule(key, job) {
      waiting.set(key, job)
      if (!busy) idle(pump)
      return () => {
        if (waiting.get(key) === job) waiting.delete(key)
      }
    },
    get waiting() {
      return waiting.size
    },
  }
}

/** The page's one queue: every 3-D panel draws through it. */
export const plotQueue = createPlotQueue()
