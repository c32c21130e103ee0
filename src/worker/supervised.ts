/**
 * One Web Worker behind a client, shared by the certification and the training clients:
 * started on first use, replaced after a crash (an uncaught error in the worker) or a hard
 * cancel; a cancel asks the worker first and terminates it when it has not stopped in time.
 * The clients keep their own pending jobs and decide what a crash or a kill means for them.
 */

/** The part of a Worker the clients use (a real module Worker, or an in-process one in tests). */
export interface WorkerPort<In, Out> {
  postMessage(msg: In, transfer?: Transferable[]): void
  terminate(): void
  onmessage: ((e: MessageEvent<Out>) => void) | null
  onerror: ((e: ErrorEvent) => void) | null
}

export interface SupervisedEvents<Out> {
  message: (msg: Out) => void
  /** the worker threw an uncaught error; it has been terminated (the next post starts a new one) */
  crash: (detail: string) => void
}

export class SupervisedWorker<In, Out> {
  private worker: WorkerPort<In, Out> | null = null
  /** number of workers started (for tests and diagnostics) */
  started = 0
  private readonly factory: () => WorkerPort<In, Out>
  private readonly events: SupervisedEvents<Out>

  constructor(factory: () => WorkerPort<In, Out>, events: SupervisedEvents<Out>) {
    this.factory = factory
    this.events = events
  }

  /** Whether a worker is running now (a new one would need the model again). */
  get alive(): boolean {
    return this.worker !== null
  }

  post(msg: In, transfer?: Transferable[]) {
    const w = this.ensure()
    if (transfer) w.postMessage(msg, transfer)
    else w.postMessage(msg)
  }

  /** Post only to a worker that is running (pause, resume, cancel: nothing to tell a new one). */
  tell(msg: In) {
    this.worker?.postMessage(msg)
  }

  /** Stop the worker now; the next post starts a new one. */
  terminate() {
    this.worker?.terminate()
    this.worker = null
  }

  /**
   * Ask the worker to stop (`msg`); if `stopped()` is still false after `ms`, terminate it
   * and call `killed`. Returns the timer, to clear when the work ends.
   */
  cancel(msg: In, ms: number, stopped: () => boolean, killed: () => void): ReturnType<typeof setTimeout> | undefined {
    if (!this.worker) return undefined
    this.worker.postMessage(msg)
    return setTimeout(() => {
      if (stopped()) return
      this.terminate()
      killed()
    }, ms)
  }

  private ensure(): WorkerPort<In, Out> {
    if (this.worker) return this.worker
    const w = this.factory()
    this.started++
    w.onmessage = (e) => {
      if (this.worker === w) this.events.message(e.data)
    }
    w.onerror = (e) => {
      e.preventDefault?.()
      if (this.worker !== w) return
      this.terminate()
      this.events.crash(e.message || 'an uncaught error')
    }
    this.worker = w
    return w
  }
}
