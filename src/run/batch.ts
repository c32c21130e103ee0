/**
 * Running a batch of jobs — bound searches, attacks, model audits — on an executor, written
 * once for the app (a pool of Web Workers) and the command line (in this process, or child
 * processes): jobs start in order (or a given order) on whichever slot is free, each job
 * reports its start, progress and result or error, a failure the executor calls transient
 * (a crashed worker, replaced) is retried once, an AbortSignal cancels, and the results come
 * back in job order. A run started by a newer one of the same kind is stale: `RunGuard`
 * cancels it and silences its callbacks, so a late result never overwrites a newer run's.
 *
 * Pure: no DOM, React, Node or package imports.
 */

/** What a job gets from the batch while it runs. */
export interface JobContext<P> {
  /** which of the executor's slots runs it (a worker, a process) */
  slot: number
  /** aborted when the batch is cancelled: stop soon (the executor decides how) */
  signal: AbortSignal
  onProgress: (progress: P) => void
}

/** Where jobs run: `slots` at a time. */
export interface Executor<J, R, P = never> {
  readonly slots: number
  run(job: J, ctx: JobContext<P>): Promise<R>
  /** a failure worth one more try (e.g. a crashed worker that has been replaced) */
  transient?(error: Error): boolean
}

/** An executor that runs jobs in this process, one at a time (the command line). */
export function inProcess<J, R, P = never>(run: (job: J, ctx: JobContext<P>) => R | Promise<R>): Executor<J, R, P> {
  return { slots: 1, run: async (job, ctx) => run(job, ctx) }
}

export interface BatchCallbacks<R, P> {
  onStart?: (index: number, slot: number) => void
  onProgress?: (index: number, slot: number, progress: P) => void
  onResult?: (index: number, slot: number, result: R) => void
  /** a job failed (not cancelled); the batch goes on with the others */
  onError?: (index: number, slot: number, error: Error) => void
  /** a job failed transiently (e.g. its worker crashed) and runs once more */
  onRetry?: (index: number, slot: number, error: Error) => void
}

export interface BatchOptions<R, P> extends BatchCallbacks<R, P> {
  /** cancels the batch: no new job starts, running ones see their signal aborted */
  signal?: AbortSignal
  /** the run this batch belongs to: once a newer run has begun, callbacks stop */
  run?: RunTicket
  /** the order in which jobs start (indices into `jobs`; default: as listed), e.g. longest first */
  order?: readonly number[]
  /** how often a transient failure is retried (default 1) */
  retries?: number
  /** start no new job after a failure (the command line stops at the first error) */
  stopOnError?: boolean
}

export type Outcome<R> = { status: 'done'; value: R } | { status: 'failed'; error: Error } | { status: 'cancelled' }

export interface BatchResult<R> {
  /** per job, in job order */
  outcomes: Array<Outcome<R>>
  finished: number
  failed: number
  cancelled: boolean
  /** a newer run superseded this one (its callbacks were silenced) */
  stale: boolean
}

/** Run every job; resolves when all have finished, failed or been cancelled. */
export async function runBatch<J, R, P = never>(jobs: readonly J[], executor: Executor<J, R, P>, opts: BatchOptions<R, P> = {}): Promise<BatchResult<R>> {
  const signal = opts.signal && opts.run ? anySignal([opts.signal, opts.run.signal]) : (opts.signal ?? opts.run?.signal ?? new AbortController().signal)
  const live = () => !opts.run || opts.run.current
  const order = opts.order ?? jobs.map((_j, k) => k)
  const retries = opts.retries ?? 1
  const outcomes: Array<Outcome<R>> = jobs.map(() => ({ status: 'cancelled' }))
  let next = 0
  let finished = 0
  let failed = 0
  const slot = async (s: number) => {
    while (!signal.aborted && !(opts.stopOnError && failed) && next < order.length) {
      const index = order[next++]
      if (live()) opts.onStart?.(index, s)
      for (let attempt = 0; ; attempt++) {
        try {
          const value = await executor.run(jobs[index], { slot: s, signal, onProgress: (p) => live() && opts.onProgress?.(index, s, p) })
          finished++
          outcomes[index] = { status: 'done', value }
          if (live()) opts.onResult?.(index, s, value)
        } catch (e) {
          if (signal.aborted) break
          const error = e instanceof Error ? e : new Error(String(e))
          if (attempt < retries && executor.transient?.(error)) {
            if (live()) opts.onRetry?.(index, s, error)
            continue
          }
          failed++
          outcomes[index] = { status: 'failed', error }
          if (live()) opts.onError?.(index, s, error)
        }
        break
      }
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(executor.slots, order.length)) }, (_x, s) => slot(s)))
  return { outcomes, finished, failed, cancelled: signal.aborted, stale: !live() }
}

/**
 * `onResult` in job order: results that finish early wait for the ones before them (what
 * a run prints per result is then the same whatever the number of slots).
 */
export function inJobOrder<R>(onResult: (index: number, result: R) => void): (index: number, slot: number, result: R) => void {
  const waiting = new Map<number, R>()
  let next = 0
  return (index, _slot, result) => {
    waiting.set(index, result)
    while (waiting.has(next)) {
      const r = waiting.get(next) as R
      waiting.delete(next)
      onResult(next++, r)
    }
  }
}

/** The values of a batch in job order; throws the first failure. */
export function valuesOf<R>(result: BatchResult<R>): R[] {
  const failure = result.outcomes.find((o) => o.status === 'failed')
  if (failure) throw failure.error
  return result.outcomes.map((o) => {
    if (o.status === 'done') return o.value
    throw new Error('the batch was cancelled')
  })
}

/**
 * The command line's batch: the jobs one after another in this process, stopping at the
 * first failure (thrown); the values in job order.
 */
export async function runInProcess<J, R>(jobs: readonly J[], run: (job: J, index: number) => R, callbacks: BatchCallbacks<R, never> = {}): Promise<R[]> {
  const indexed = jobs.map((job, k) => ({ job, k }))
  return valuesOf(await runBatch(indexed, inProcess(({ job, k }: (typeof indexed)[number]) => run(job, k)), { ...callbacks, stopOnError: true }))
}

/** One run of a kind of work; `current` until a newer run of the same kind begins. */
export interface RunTicket {
  readonly id: number
  readonly signal: AbortSignal
  readonly current: boolean
}

/**
 * The runs of one kind (the Evaluate tab's, the comparison's): beginning a run cancels and
 * supersedes the previous one, so its late results can be recognised and ignored.
 */
export class RunGuard {
  private latest: { id: number; controller: AbortController } | null = null
  private count = 0

  begin(): RunTicket {
    this.latest?.controller.abort()
    const mine = { id: ++this.count, controller: new AbortController() }
    this.latest = mine
    const isLatest = () => this.latest === mine
    return {
      id: mine.id,
      signal: mine.controller.signal,
      get current() {
        return isLatest()
      },
    }
  }

  /** Cancel the current run (it stays current: it reports its own end). */
  cancel() {
    this.latest?.controller.abort()
  }

  /** Cancel the current run and make it stale (nothing it reports is wanted any more). */
  drop() {
    this.cancel()
    this.latest = null
  }
}

function anySignal(signals: AbortSignal[]): AbortSignal {
  const c = new AbortController()
  for (const s of signals) {
    if (s.aborted) c.abort()
    else s.addEventListener('abort', () => c.abort(), { once: true })
  }
  return c.signal
}
