/**
 * A pool of certification workers for data-set evaluation: one CertClient per worker, the
 * model sent to each once; an executor for `runBatch` (src/run/batch.ts), which hands the
 * jobs out in order to whichever worker is free. Each client keeps its own crash recovery
 * and hard cancel; a crashed job is retried once on a fresh worker before it counts as failed.
 */
import type { NetworkIR } from '../cert/index.ts'
import type { BatchCallbacks, Executor, JobContext } from '../run/batch.ts'
import { runBatch } from '../run/batch.ts'
import type { WorkerFactory } from './client.ts'
import { CertClient, WorkerCrashError } from './client.ts'
import type { Job, JobResult, Progress } from './protocol.ts'

/** One worker per core, at most `max` (the browser's hardwareConcurrency when known). */
export function poolSize(cores: number | undefined, max = 8): number {
  return Math.max(1, Math.min(max, Math.floor(cores ?? 2) || 1))
}

export type PoolCallbacks<R> = BatchCallbacks<R, Progress>

/** The app's executor for `runBatch`: job k of a batch runs on worker `slot`. */
export class WorkerPool implements Executor<Job, JobResult, Progress> {
  readonly clients: CertClient[]
  private readonly controller = new AbortController()

  constructor(factory: WorkerFactory, size: number) {
    this.clients = Array.from({ length: Math.max(1, size) }, () => new CertClient(factory))
  }

  get size(): number {
    return this.clients.length
  }

  get slots(): number {
    return this.clients.length
  }

  /** Send the model to every worker. */
  async load(key: string, net: NetworkIR): Promise<void> {
    await Promise.all(this.clients.map((c) => c.load(key, net)))
  }

  run(job: Job, { slot, signal, onProgress }: JobContext<Progress>): Promise<JobResult> {
    const client = this.clients[slot]
    const { id, result } = client.run(job, onProgress)
    const cancel = () => client.cancel(id)
    signal.addEventListener('abort', cancel, { once: true })
    return result.finally(() => signal.removeEventListener('abort', cancel))
  }

  /** This pool as an executor of jobs whose results the caller knows to be `R`s (bound jobs give BoundSummary). */
  of<R extends JobResult>(): Executor<Job, R, Progress> {
    return this as unknown as Executor<Job, R, Progress>
  }

  /** a crashed worker has been replaced by its client: the job is worth one more try */
  transient(e: Error): boolean {
    return e instanceof WorkerCrashError
  }

  /**
   * Run every job (`runBatch` on this pool, cancelled by `cancel`); resolves when all have
   * finished, failed or been cancelled.
   */
  async runAll<R extends JobResult>(jobs: Job[], cb: PoolCallbacks<R> = {}): Promise<{ finished: number; failed: number; cancelled: boolean }> {
    const { finished, failed, cancelled } = await runBatch(jobs, this.of<R>(), { ...cb, signal: this.controller.signal })
    return { finished, failed, cancelled }
  }

  /** Stop handing out jobs and cancel the running ones; the pool stays cancelled (also while a model is still loading). */
  cancel() {
    this.controller.abort()
  }

  dispose() {
    this.controller.abort()
    for (const c of this.clients) c.dispose()
  }
}
