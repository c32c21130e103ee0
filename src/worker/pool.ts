/**
 * A pool of certification workers for data-set evaluation: one CertClient per worker, the
 * model sent to each once, jobs handed out in order to whichever worker is free. Each
 * client keeps its own crash recovery and hard cancel; a crashed job is retried once on a
 * fresh worker before it counts as failed.
 */
import type { NetworkIR } from '../cert/index.ts'
import { CancelledError } from '../cert/index.ts'
import type { WorkerFactory } from './client.ts'
import { CertClient, WorkerCrashError } from './client.ts'
import type { Job, JobResult, Progress } from './protocol.ts'

/** One worker per core, at most `max` (the browser's hardwareConcurrency when known). */
export function poolSize(cores: number | undefined, max = 8): number {
  return Math.max(1, Math.min(max, Math.floor(cores ?? 2) || 1))
}

export interface PoolCallbacks<R> {
  /** a job started on worker w */
  onStart?: (index: number, worker: number) => void
  onProgress?: (index: number, worker: number, p: Progress) => void
  onResult?: (index: number, worker: number, result: R) => void
  /** a job failed (not cancelled): its error; the pool goes on with the others */
  onError?: (index: number, worker: number, error: Error) => void
}

export class WorkerPool {
  readonly clients: CertClient[]
  private cancelled = false
  private running = new Map<number, { client: CertClient; id: number }>()

  constructor(factory: WorkerFactory, size: number) {
    this.clients = Array.from({ length: Math.max(1, size) }, () => new CertClient(factory))
  }

  get size(): number {
    return this.clients.length
  }

  /** Send the model to every worker. */
  async load(key: string, net: NetworkIR): Promise<void> {
    await Promise.all(this.clients.map((c) => c.load(key, net)))
  }

  /**
   * Run every job; resolves when all have finished, failed or been cancelled. Returns how
   * many finished. Jobs start in order; results arrive as workers finish.
   */
  async runAll<R extends JobResult>(jobs: Job[], cb: PoolCallbacks<R> = {}): Promise<{ finished: number; failed: number; cancelled: boolean }> {
    let next = 0
    let finished = 0
    let failed = 0
    const worker = async (w: number) => {
      const client = this.clients[w]
      while (!this.cancelled && next < jobs.length) {
        const index = next++
        cb.onStart?.(index, w)
        for (let attempt = 0; ; attempt++) {
          const { id, result } = client.run(jobs[index], (p) => cb.onProgress?.(index, w, p))
          this.running.set(w, { client, id })
          try {
            const r = (await result) as R
            finished++
            cb.onResult?.(index, w, r)
            break
          } catch (e) {
            if (e instanceof CancelledError || this.cancelled) break
            // a crashed worker has been replaced by its client: retry the job once
            if (e instanceof WorkerCrashError && attempt === 0) continue
            failed++
            cb.onError?.(index, w, e as Error)
            break
          } finally {
            this.running.delete(w)
          }
        }
      }
    }
    await Promise.all(this.clients.map((_c, w) => worker(w)))
    return { finished, failed, cancelled: this.cancelled }
  }

  /** Stop handing out jobs and cancel the running ones; the pool stays cancelled (also while a model is still loading). */
  cancel() {
    this.cancelled = true
    for (const { client, id } of this.running.values()) client.cancel(id)
  }

  dispose() {
    this.cancelled = true
    for (const c of this.clients) c.dispose()
  }
}
