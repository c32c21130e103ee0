import { WorkerPool } from '../pool.ts'
import { LocalWorker } from '../local.ts'
import type { ToWorker } from '../protocol.ts'

/** The real handler behind a structured-clone message boundary, as in a Web Worker; can simulate a crash or a stuck worker. */
export class InProcessWorker extends LocalWorker {
  received: ToWorker[] = []
  /** simulate a crash on the next run message */
  crashNext = false
  /** simulate a worker stuck in synchronous work (ignores everything) */
  stuck = false
  postMessage(msg: ToWorker) {
    this.received.push(msg)
    super.postMessage(msg)
  }
  protected receive(msg: ToWorker) {
    if (this.stuck) return
    if (this.crashNext && msg.type === 'run') {
      this.crashNext = false
      this.onerror?.({ message: 'RangeError: out of memory', preventDefault() {} } as ErrorEvent)
      return
    }
    super.receive(msg)
  }
}

/** A pool of in-process workers, and the workers it started (in order). */
export function inProcessPool(size: number): { p: WorkerPool; workers: InProcessWorker[] } {
  const workers: InProcessWorker[] = []
  const p = new WorkerPool(() => {
    const w = new InProcessWorker()
    workers.push(w)
    return w
  }, size)
  return { p, workers }
}
