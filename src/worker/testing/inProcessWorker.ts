import type { WorkerLike } from '../client.ts'
import { createCertHandler } from '../handler.ts'
import type { FromWorker, ToWorker } from '../protocol.ts'

/** The real handler behind a structured-clone message boundary, as in a Web Worker. */
export class InProcessWorker implements WorkerLike {
  onmessage: ((e: MessageEvent<FromWorker>) => void) | null = null
  onerror: ((e: ErrorEvent) => void) | null = null
  terminated = false
  received: ToWorker[] = []
  private handle = createCertHandler((msg) => {
    if (!this.terminated) setTimeout(() => this.onmessage?.({ data: structuredClone(msg) } as MessageEvent<FromWorker>))
  })
  /** simulate a crash on the next run message */
  crashNext = false
  /** simulate a worker stuck in synchronous work (ignores everything) */
  stuck = false
  postMessage(msg: ToWorker) {
    this.received.push(msg)
    setTimeout(() => {
      if (this.terminated || this.stuck) return
      if (this.crashNext && msg.type === 'run') {
        this.crashNext = false
        this.onerror?.({ message: 'RangeError: out of memory', preventDefault() {} } as ErrorEvent)
        return
      }
      this.handle(structuredClone(msg))
    })
  }
  terminate() {
    this.terminated = true
  }
}

