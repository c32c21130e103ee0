/**
 * Every core for the command line: the certification jobs of `certify`, `evaluate`,
 * `reproduce` and `audit` run on `--jobs N` Node worker threads, each running the page's
 * worker handler (src/worker/handler.ts, protocol src/worker/protocol.ts) with its model
 * loaded once; `--jobs 1` runs the same handler in this thread. runBatch (src/run/batch.ts)
 * hands the jobs out, retries a job once when its worker crashed (the worker is replaced),
 * and gives the results back in job order; Ctrl-C / SIGTERM stops the workers and exits
 * with one line.
 *
 * Jobs and results are plain data (structured-clone safe): a job names its model by key.
 */
import { Worker } from 'node:worker_threads'
import type { NetworkIR } from '../../src/cert/index.ts'
import type { BatchCallbacks, Executor, JobContext } from '../../src/run/batch.ts'
import { inJobOrder, runBatch } from '../../src/run/batch.ts'
import type { WorkerFactory, WorkerLike } from '../../src/worker/client.ts'
import { WorkerCrashError } from '../../src/worker/client.ts'
import { LocalWorker } from '../../src/worker/local.ts'
import { WorkerPool } from '../../src/worker/pool.ts'
import { InputError } from './args.ts'
import type { Backend } from './tfBackend.ts'
import type { FromWorker, Job, JobResult, Progress, ToWorker } from '../../src/worker/protocol.ts'

/** A job of the command line: which model (a key of the run's models) and what to do. */
export interface ModelJob {
  model: string
  job: Job
}

const BOOT = new URL('./tsWorker.mjs', import.meta.url)
const CERT_WORKER = new URL('./certWorker.ts', import.meta.url)

/** Why a worker thread died, in words. */
function crashDetail(e: Error & { code?: string }): string {
  if (e.code === 'ERR_WORKER_OUT_OF_MEMORY') return `out of memory: ${e.message}`
  return `${e.name}: ${e.message.split('\n')[0]}`
}

/**
 * A worker thread behind the Web Worker interface the clients use: its messages, and an
 * uncaught error or an unexpected exit (e.g. out of memory) reported as `onerror`.
 */
export class ThreadWorker implements WorkerLike {
  onmessage: ((e: MessageEvent<FromWorker>) => void) | null = null
  onerror: ((e: ErrorEvent) => void) | null = null
  private readonly worker: Worker
  private ended = false

  constructor(entry: URL = CERT_WORKER, workerData: Record<string, unknown> = {}, resourceLimits?: import('node:worker_threads').ResourceLimits) {
    this.worker = new Worker(BOOT, { workerData: { ...workerData, entry: entry.href }, resourceLimits })
    this.worker.on('message', (data: FromWorker) => this.onmessage?.({ data } as MessageEvent<FromWorker>))
    this.worker.on('error', (e: Error) => this.fail(crashDetail(e)))
    this.worker.on('exit', (code) => this.fail(`the thread exited with code ${code}`))
  }

  private fail(message: string) {
    if (this.ended) return
    this.ended = true
    this.onerror?.({ message, preventDefault() {} } as ErrorEvent)
  }

  postMessage(msg: ToWorker) {
    this.worker.postMessage(msg)
  }

  terminate() {
    this.ended = true
    void this.worker.terminate()
  }
}

/** What a worker thread sets up before its first job. */
export interface ThreadSetup {
  /** TF.js backend (default: TF.js's own choice, cpu in Node) */
  backend?: Backend
}

/** Worker threads for `jobs` > 1, this thread for 1: the same handler either way. */
export const workerFactory = (jobs: number, setup: ThreadSetup = {}): WorkerFactory => (jobs > 1 ? () => new ThreadWorker(CERT_WORKER, { ...setup }) : () => new LocalWorker())

/**
 * The command line's executor: a pool of `jobs` workers; each job's model is sent to the
 * worker that runs it when that worker does not have it yet (so once per worker and model).
 * The command line has checked the inputs' lengths against its own --max-frames.
 */
export class CertExecutor implements Executor<ModelJob, JobResult, Progress> {
  readonly pool: WorkerPool
  private readonly models: ReadonlyMap<string, NetworkIR>

  constructor(models: ReadonlyMap<string, NetworkIR>, jobs: number, factory: WorkerFactory = workerFactory(jobs)) {
    this.models = models
    this.pool = new WorkerPool(factory, jobs)
  }

  get slots(): number {
    return this.pool.slots
  }

  async run({ model, job }: ModelJob, ctx: JobContext<Progress>): Promise<JobResult> {
    const client = this.pool.clients[ctx.slot]
    if (client.modelKey !== model) {
      const net = this.models.get(model)
      if (!net) throw new Error(`no model "${model}" in this run`)
      await client.load(model, net, { maxFrames: Infinity })
    }
    return this.pool.run(job, ctx)
  }

  transient(e: Error): boolean {
    return this.pool.transient(e)
  }

  dispose() {
    this.pool.dispose()
  }
}

export interface RunnerOptions {
  /** the script's name, for the messages */
  name: string
  /** how many workers (--jobs) */
  jobs: number
  /** workers to use instead of the default ones (tests) */
  factory?: WorkerFactory
  /** what each worker thread sets up first (this thread, with --jobs 1, is the caller's to set up) */
  setup?: ThreadSetup
  /** stop on these signals (default SIGINT, SIGTERM) */
  signals?: NodeJS.Signals[]
}

export interface BatchOptions<R> {
  /** what a job is, for messages (e.g. "sample 3, deepz") */
  describe: (index: number) => string
  /** the order in which jobs start (e.g. longest first); results still come in job order */
  order?: readonly number[]
  /** a failed job's result instead of stopping the run (e.g. a report that says it failed) */
  failed?: (index: number, message: string) => R
  /** each result, in job order (whatever order they finish in) */
  onResult?: (index: number, result: R) => void
}

/** A job failed (after its retry, if its worker crashed): the script stops with this message (exit code 1). */
export class JobError extends InputError {
  constructor(message: string) {
    super(message)
    this.name = 'JobError'
  }
}

/**
 * Certification jobs on `--jobs` workers, kept for several batches (a script that runs
 * many models keeps its workers and their TF.js). Each batch gives its results in job
 * order; the first failure stops it (no new job starts) and is thrown as a JobError naming
 * the job; a crashed worker is reported on stderr and its job retried once on a new one.
 * SIGINT/SIGTERM terminate the workers and end the process with one line (exit code 130 /
 * 143). `close()` when done.
 */
export class JobRunner {
  /** the models the jobs name, by key (add before running their jobs) */
  readonly models = new Map<string, NetworkIR>()
  private readonly executor: CertExecutor
  private readonly name: string
  private readonly signals: NodeJS.Signals[]
  private done = 0
  private total = 0

  constructor(opts: RunnerOptions) {
    this.name = opts.name
    this.executor = new CertExecutor(this.models, opts.jobs, opts.factory ?? workerFactory(opts.jobs, opts.setup))
    this.signals = opts.signals ?? ['SIGINT', 'SIGTERM']
    for (const s of this.signals) process.on(s, this.stop)
  }

  get jobs(): number {
    return this.executor.slots
  }

  private readonly stop = (signal: NodeJS.Signals) => {
    this.executor.dispose()
    console.error(`${this.name}: cancelled (${signal}) after ${this.done} of ${this.total} jobs; the workers are stopped`)
    process.exit(signal === 'SIGINT' ? 130 : 143)
  }

  async run<R>(jobs: ModelJob[], opts: BatchOptions<R>): Promise<R[]> {
    this.total += jobs.length
    const ordered = opts.onResult ? inJobOrder<R>(opts.onResult) : undefined
    const callbacks: BatchCallbacks<JobResult, Progress> = {
      onResult: (k, slot, r) => {
        this.done++
        ordered?.(k, slot, r as R)
      },
      onRetry: (k, slot, e) => console.error(`${this.name}: worker ${slot + 1} failed on ${opts.describe(k)} (${crashText(e)}); running it again on a new worker`),
    }
    const failed = opts.failed
    const message = (e: Error) => (e instanceof WorkerCrashError ? `${crashText(e)}, also when run again on a new worker` : e.message)
    if (failed) callbacks.onError = (k, slot, e) => ordered?.(k, slot, failed(k, message(e)))
    const r = await runBatch(jobs, this.executor, { ...callbacks, order: opts.order, stopOnError: !failed })
    const first = failed ? -1 : r.outcomes.findIndex((o) => o.status === 'failed')
    if (first >= 0) throw new JobError(`${opts.describe(first)}: ${message((r.outcomes[first] as { error: Error }).error)}`)
    return r.outcomes.map((o, k) => {
      if (o.status === 'done') return o.value as R
      if (o.status === 'failed' && failed) return failed(k, message(o.error))
      throw new JobError(`${opts.describe(k)}: not run (the run was stopped)`)
    })
  }

  close() {
    for (const s of this.signals) process.off(s, this.stop)
    this.executor.dispose()
  }
}

const crashText = (e: Error) => e.message.replace(/; a new one has been started, please run again$/, '')

/** Run one batch of jobs on a runner of its own (at most one worker per job). */
export async function runJobs<R>(models: ReadonlyMap<string, NetworkIR>, jobs: ModelJob[], opts: RunnerOptions & BatchOptions<R>): Promise<R[]> {
  const runner = new JobRunner({ ...opts, jobs: Math.max(1, Math.min(opts.jobs, jobs.length)) })
  for (const [key, net] of models) runner.models.set(key, net)
  try {
    return await runner.run(jobs, opts)
  } finally {
    runner.close()
  }
}
