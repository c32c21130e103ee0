import type { WorkerLike } from './client.ts'
import { createCertHandler } from './handler.ts'
import type { FromWorker, ToWorker } from './protocol.ts'

/**
 * The certification handler in this thread, behind the same structured-clone message
 * boundary as a Web Worker or a worker thread: the command line's `--jobs 1` and the tests
 * run exactly the worker's code without starting one.
 */
export class LocalWorker implements WorkerLike {
  onmessage: ((e: MessageEvent<FromWorker>) => void) | null = null
  onerror: ((e: ErrorEvent) => void) | null = null
  terminated = false
  private handle = createCertHandler((msg) => {
    if (!this.terminated) setTimeout(() => this.onmessage?.({ data: structuredClone(msg) } as MessageEvent<FromWorker>))
  })

  postMessage(msg: ToWorker) {
    setTimeout(() => {
      if (!this.terminated) this.receive(structuredClone(msg))
    })
  }

  /** A message arrives in the "worker" (tests override it to simulate crashes). */
  protected receive(msg: ToWorker) {
    this.handle(msg)
  }

  terminate() {
    this.terminated = true
  }
}
