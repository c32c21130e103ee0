/**
 * The app's side of the certification worker: load a model once, run jobs with progress,
 * cancel them (cooperatively, or by restarting a worker that does not answer in time), and
 * survive a crashed worker by starting a new one and re-sending the model.
 */
import type { NetworkIR } from '../cert/index.ts'
import { CancelledError } from '../cert/index.ts'
import type { FromWorker, Job, JobResult, Progress, ToWorker } from './protocol.ts'
import type { WorkerPort } from './supervised.ts'
import { SupervisedWorker } from './supervised.ts'

export type WorkerLike = WorkerPort<ToWorker, FromWorker>

export type WorkerFactory = () => WorkerLike

/** How long a cancelled job may take to stop before its worker is replaced. */
export const HARD_CANCEL_MS = 400

/** How a worker treats the model's jobs (see the `load` message). */
export type LoadOptions = Pick<Extract<ToWorker, { type: 'load' }>, 'maxFrames'>

export class WorkerCrashError extends Error {
  constructor(detail: string) {
    super(`the certification worker crashed (${detail}); a new one has been started, please run again`)
    this.name = 'WorkerCrashError'
  }
}

interface Pending {
  resolve: (r: JobResult) => void
  reject: (e: Error) => void
  onProgress?: (p: Progress) => void
  cancelTimer?: ReturnType<typeof setTimeout>
}

export class CertClient {
  private readonly worker: SupervisedWorker<ToWorker, FromWorker>
  private nextId = 1
  private pending = new Map<number, Pending>()
  private model: { key: string; net: NetworkIR; options: LoadOptions } | null = null
  private loading: { key: string; promise: Promise<{ classes: number; frameSize: number }> } | null = null
  private loadWaiters: Array<{ key: string; resolve: (v: { classes: number; frameSize: number }) => void; reject: (e: Error) => void }> = []
  private readonly hardCancelMs: number

  /** `hardCancelMs`: how long a cancelled job may take to stop before its worker is replaced. */
  constructor(factory: WorkerFactory, options: { hardCancelMs?: number } = {}) {
    this.worker = new SupervisedWorker(factory, { message: (m) => this.receive(m), crash: (detail) => this.crash(detail) })
    this.hardCancelMs = options.hardCancelMs ?? HARD_CANCEL_MS
  }

  /** number of workers started (for tests and diagnostics) */
  get started(): number {
    return this.worker.started
  }

  private crash(detail: string) {
    const error = new WorkerCrashError(detail)
    this.failAll(() => error)
    for (const w of this.loadWaiters) w.reject(error)
    this.loadWaiters = []
    this.loading = null
  }

  /** Reject every pending job (the worker is gone). */
  private failAll(error: (id: number) => Error) {
    for (const [id, p] of this.pending) {
      clearTimeout(p.cancelTimer)
      p.reject(error(id))
    }
    this.pending.clear()
  }

  private receive(msg: FromWorker) {
    if (msg.type === 'loaded' || msg.type === 'loadError') {
      const waiters = this.loadWaiters.filter((w) => w.key === msg.modelKey)
      this.loadWaiters = this.loadWaiters.filter((w) => w.key !== msg.modelKey)
      if (this.loading?.key === msg.modelKey) this.loading = null
      for (const w of waiters) {
        if (msg.type === 'loaded') w.resolve({ classes: msg.classes, frameSize: msg.frameSize })
        else w.reject(new Error(msg.message))
      }
      if (msg.type === 'loadError' && this.model?.key === msg.modelKey) this.model = null
      return
    }
    const p = this.pending.get(msg.id)
    if (!p) return
    if (msg.type === 'progress') {
      p.onProgress?.(msg.progress)
      return
    }
    this.pending.delete(msg.id)
    clearTimeout(p.cancelTimer)
    if (msg.type === 'result') p.resolve(msg.result)
    else if (msg.type === 'cancelled') p.reject(new CancelledError())
    else p.reject(new Error(msg.message))
  }

  private send(key: string, net: NetworkIR, options: LoadOptions): Promise<{ classes: number; frameSize: number }> {
    const promise = new Promise<{ classes: number; frameSize: number }>((resolve, reject) => {
      this.loadWaiters.push({ key, resolve, reject })
    })
    this.loading = { key, promise }
    this.worker.post({ type: 'load', modelKey: key, net, ...options })
    return promise
  }

  /** Send a model to the worker (once per key; again only after a worker restart). */
  load(key: string, net: NetworkIR, options: LoadOptions = {}): Promise<{ classes: number; frameSize: number }> {
    if (this.loading?.key === key) return this.loading.promise
    this.model = { key, net, options }
    return this.send(key, net, options)
  }

  get modelKey(): string | null {
    return this.model?.key ?? null
  }

  /** Run a job on the loaded model. Returns its id (for cancel) and the result. */
  run(job: Job, onProgress?: (p: Progress) => void): { id: number; result: Promise<JobResult> } {
    const id = this.nextId++
    const model = this.model
    const result = new Promise<JobResult>((resolve, reject) => {
      if (!model) {
        reject(new Error('no model is loaded'))
        return
      }
      this.pending.set(id, { resolve, reject, onProgress })
      const post = () => this.worker.post({ type: 'run', id, modelKey: model.key, job })
      if (!this.worker.alive) {
        // a new worker (first use, or after a crash or a hard cancel): send the model first
        this.send(model.key, model.net, model.options).then(post, (e: Error) => {
          this.pending.delete(id)
          reject(e)
        })
      } else post()
    })
    return { id, result }
  }

  /** Cancel a job: asked politely first; a worker that does not stop in time is replaced. */
  cancel(id: number) {
    const p = this.pending.get(id)
    if (!p) return
    p.cancelTimer = this.worker.cancel(
      { type: 'cancel', id },
      this.hardCancelMs,
      () => !this.pending.has(id),
      () => {
        this.loading = null
        this.failAll((pid) => (pid === id ? new CancelledError() : new WorkerCrashError('restarted to cancel another job')))
      },
    )
  }

  dispose() {
    this.worker.terminate()
    this.failAll(() => new CancelledError())
  }
}
