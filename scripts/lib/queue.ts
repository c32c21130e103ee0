/**
 * `npm run evaluate -- --queue redis://…` and `npm run worker`: the evaluation's tasks as
 * BullMQ jobs on Redis (docs/scale-out.md).
 *
 * - A job carries its task (the input itself, plain data), the run's settings and the model
 *   as a folder (or file) path every worker can read — a shared volume, or the same path on
 *   every machine — with the content hash of the model's files: a worker that reads
 *   different bytes fails the job with a message saying so.
 * - Job ids are `<run key>-<input>-<method>-<input hash>`, the run key a hash of the model and
 *   the settings: the same run enqueued twice (a second `evaluate`, after a crash or a
 *   Redis restart) finds its jobs, done or not, instead of starting over; a result is stored
 *   once per job id (BullMQ's return value, written with the job's completion), so a job
 *   run twice (a killed worker's, retried elsewhere) is counted once.
 * - Workers run jobs in child processes (BullMQ's sandboxed processors): a long bound search
 *   never blocks the renewal of the job's lock, and a worker that dies (killed, machine
 *   lost) stops renewing it, so its job is found stalled and retried elsewhere.
 * - A job that fails on its input or model fails at once (UnrecoverableError), with its
 *   message; any other error is retried once (two attempts).
 */
import { hostname } from 'node:os'
import { fileURLToPath } from 'node:url'
// bullmq and ioredis are loaded when a queue is used (seconds that a local run does without)
import type { Job, Worker } from 'bullmq'
import type { Redis } from 'ioredis'
import type { Executor } from '../../src/run/batch.ts'
import { InputError, UsageError } from './args.ts'
import type { EvalResult, EvalSettings, EvalTask, WireResult } from './evaluation.ts'
import { decodeResult, taskKey } from './evaluation.ts'

export const DEFAULT_QUEUE_NAME = 'cert-rnn-evaluate'

/** A job's data: everything a worker needs. */
export interface EvalJobData {
  /** the model as the workers read it (a path), and the hash of its files */
  model: { path: string; hash: string }
  settings: EvalSettings
  task: EvalTask
}

/** How often a job may be tried: once more after an unexpected error (a crashed child process). */
const ATTEMPTS = 2

/** `--queue` values: a redis:// or rediss:// URL (host, port, database). */
export const redisUrl = (raw: string, flag: string): string => {
  let u: URL
  try {
    u = new URL(raw)
  } catch {
    throw new UsageError(`${flag} ${raw}: not a URL; give redis://host:port/db (e.g. redis://127.0.0.1:6379/0)`)
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new UsageError(`${flag} ${raw}: give a redis:// or rediss:// URL (e.g. redis://127.0.0.1:6379/0), not ${u.protocol}`)
  if (u.pathname.length > 1 && !/^\/\d+$/.test(u.pathname)) throw new UsageError(`${flag} ${raw}: the database (after the port) must be a number, e.g. redis://127.0.0.1:6379/0`)
  return raw
}

/** `--queue-name` values: BullMQ's rules (no ':'), and short. */
export const queueName = (raw: string, flag: string): string => {
  if (!/^[A-Za-z0-9._-]{1,100}$/.test(raw)) throw new UsageError(`${flag} ${raw}: use 1 to 100 letters, digits, '.', '_' or '-'`)
  return raw
}

/** The URL without its password, for messages. */
export const shownUrl = (url: string): string => {
  try {
    const u = new URL(url)
    if (u.password) u.password = '***'
    return u.toString()
  } catch {
    return url
  }
}

/**
 * A connection that waits out an outage: commands queue up while Redis is away and run when
 * it is back (a restarted Redis resumes the run); reconnects every ≤ 2 s.
 */
async function connect(url: string): Promise<Redis> {
  const { Redis } = await import('ioredis')
  return new Redis(url, { maxRetriesPerRequest: null, retryStrategy: (times) => Math.min(200 * times, 2000), lazyConnect: false })
}

/** Wait until Redis answers; at the first connection error (or after the timeout), say in one line why it does not. */
async function reachable(redis: Redis, url: string, timeoutMs = 15_000): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined
  let onError: ((e: Error) => void) | undefined
  const why = (detail: string) => new InputError(`cannot reach Redis at ${shownUrl(url)} (${detail}): is redis-server running there, and the URL right?`)
  const failed = new Promise<never>((_r, reject) => {
    onError = (e) => reject(why(e.message))
    redis.once('error', onError)
    timer = setTimeout(() => reject(why(`no answer within ${timeoutMs / 1000} s`)), timeoutMs)
  })
  try {
    await Promise.race([redis.ping(), failed])
  } finally {
    clearTimeout(timer)
    redis.off('error', onError!)
  }
}

/** The replies of a pipeline; its first error thrown (e.g. LOADING while a restarted Redis reads its data). */
async function replies(pipeline: ReturnType<Redis['pipeline']>): Promise<unknown[]> {
  const results = (await pipeline.exec()) ?? []
  const failed = results.find(([e]) => e)
  if (failed) throw failed[0]
  return results.map(([, r]) => r)
}

const jobIdOf = (runKey: string, t: EvalTask) => `${runKey}-${taskKey(t)}`

export interface QueueExecutorOptions {
  url: string
  name: string
  model: { path: string; hash: string }
  settings: EvalSettings
  /** the run's key (evaluation.ts runKey): the prefix of its job ids */
  runKey: string
  /** progress and status lines */
  log: (line: string) => void
  /** between looks at the jobs' states (default 500 ms) */
  pollMs?: number
}

export type QueueExecutor = Executor<EvalTask, EvalResult> & { close(): Promise<void> }

/**
 * An executor (src/run/batch.ts) that runs every task as a job on the queue: `run` enqueues
 * (in bulk, once per job id: a job already there, done or not, is found instead of added;
 * one that failed in an earlier run is retried) and resolves with the job's result once a
 * worker has stored it; a job that failed for good rejects with its message.
 */
export async function queueExecutor(opts: QueueExecutorOptions): Promise<QueueExecutor> {
  const { Queue } = await import('bullmq')
  const redis = await connect(opts.url)
  try {
    await reachable(redis, opts.url)
  } catch (e) {
    redis.disconnect()
    throw e
  }
  const queueConnection = await connect(opts.url) // ours to close: BullMQ leaves a connection it was given open
  const queue = new Queue<EvalJobData>(opts.name, { connection: queueConnection })
  queue.on('error', () => {}) // outages are reported by the poller
  const waiting = new Map<string, { task: EvalTask; resolve: (r: EvalResult) => void; reject: (e: Error) => void }>()
  let toAdd: Array<{ id: string; task: EvalTask }> = []
  let closed = false
  let down: string | null = null

  /** Enqueue what run() asked for (in chunks; what is not enqueued when Redis goes away stays to add). */
  const flush = async () => {
    while (toAdd.length) {
      const chunk = toAdd.slice(0, 500)
      // jobs that failed for good in an earlier run: retried (their input may have been fixed, or the worker)
      const failed = await replies(redis.pipeline(chunk.map(({ id }) => ['zscore', queue.keys.failed, id])))
      for (let j = 0; j < chunk.length; j++) {
        if (failed[j] === null) continue
        const job = await queue.getJob(chunk[j].id)
        if (job) await job.retry('failed')
      }
      await queue.addBulk(chunk.map(({ id, task }) => ({ name: task.method, data: { model: opts.model, settings: opts.settings, task }, opts: { jobId: id, attempts: ATTEMPTS, removeOnComplete: false, removeOnFail: false } })))
      toAdd = toAdd.slice(chunk.length)
    }
  }

  let lastChange = Date.now()
  let hinted = false
  const poll = async () => {
    const ids = [...waiting.keys()]
    for (let k = 0; k < ids.length && !closed; k += 1000) {
      const chunk = ids.slice(k, k + 1000)
      const states = await replies(redis.pipeline(chunk.flatMap((id) => [['zscore', queue.keys.completed, id], ['zscore', queue.keys.failed, id]])))
      const finished = chunk.flatMap((id, j) => {
        const done = states[2 * j] !== null
        const failed = states[2 * j + 1] !== null
        return done || failed ? [{ id, done }] : []
      })
      if (!finished.length) continue
      const fields = await replies(redis.pipeline(finished.map(({ id }) => ['hmget', queue.toKey(id), 'returnvalue', 'failedReason'])))
      finished.forEach(({ id, done }, j) => {
        const [value, reason] = fields[j] as Array<string | null>
        const w = waiting.get(id)
        if (!w || (done && !value)) return // (a completed job without its value: looked at again)
        waiting.delete(id)
        lastChange = Date.now()
        if (done) w.resolve(decodeResult(JSON.parse(value!) as WireResult))
        else w.reject(new Error(reason || 'the job failed without a message'))
      })
    }
    if (!hinted && waiting.size && Date.now() - lastChange > 30_000) {
      const counts = await queue.getJobCounts('active')
      if (!counts.active) {
        hinted = true
        opts.log(`no job has finished for 30 s and none is running: start workers with \`npm run worker -- --queue ${shownUrl(opts.url)} --queue-name ${opts.name}\``)
      }
    }
  }

  const loop = (async () => {
    while (!closed) {
      try {
        await flush()
        await poll()
        if (down) {
          opts.log(`Redis is back (${shownUrl(opts.url)}); the run goes on`)
          down = null
        }
      } catch (e) {
        const message = (e as Error).message
        if (!down) opts.log(`lost Redis at ${shownUrl(opts.url)} (${message}); waiting for it to come back`)
        down = message
      }
      await new Promise((r) => setTimeout(r, opts.pollMs ?? 500))
    }
  })()
  redis.on('error', (e: Error) => {
    if (!down) opts.log(`lost Redis at ${shownUrl(opts.url)} (${e.message}); waiting for it to come back`)
    down = e.message
  })
  // reconnected (Redis restarted, or the network was away): add the jobs still waited for once
  // more; those Redis kept are found (a no-op), those a Redis without persistence lost are made again
  redis.on('ready', () => {
    if (closed || !waiting.size) return
    const queued = new Set(toAdd.map((a) => a.id))
    for (const [id, w] of waiting) if (!queued.has(id)) toAdd.push({ id, task: w.task })
  })

  return {
    slots: Infinity,
    run(task) {
      const id = jobIdOf(opts.runKey, task)
      return new Promise<EvalResult>((resolve, reject) => {
        waiting.set(id, { task, resolve, reject })
        toAdd.push({ id, task })
      })
    },
    async close() {
      closed = true
      await loop
      await queue.close()
      queueConnection.disconnect()
      redis.disconnect()
    },
  }
}

// ---------------------------------------------------------------------------------------
// the worker

export interface WorkerOptions {
  url: string
  name: string
  /** jobs at a time (each in its own child process) */
  concurrency: number
  /** read the model from here instead of the jobs' path (the hash check still applies) */
  model?: string
  /** how long a job's lock lasts without renewal: a dead worker's job is retried after about this */
  lockMs: number
  /** how often this worker looks for stalled jobs (of any worker) */
  stalledCheckMs: number
  /** this worker's name (the jobs' processedBy) */
  workerName: string
  log: (line: string) => void
}

/** The child processes' code (a sandboxed BullMQ processor). */
const PROCESSOR = fileURLToPath(new URL('./queueProcessor.ts', import.meta.url))

/** Environment variable telling the processor to read the model from a given path. */
export const MODEL_OVERRIDE_ENV = 'CERT_RNN_WORKER_MODEL'

/** Start a worker; resolves once it is connected. `close()` lets the running jobs finish. */
export async function startWorker(opts: WorkerOptions): Promise<Worker<EvalJobData>> {
  const { Worker } = await import('bullmq')
  const probe = await connect(opts.url)
  try {
    await reachable(probe, opts.url)
  } finally {
    probe.disconnect()
  }
  const env = { ...process.env, ...(opts.model ? { [MODEL_OVERRIDE_ENV]: opts.model } : {}) }
  const connection = await connect(opts.url)
  const worker = new Worker<EvalJobData>(opts.name, PROCESSOR, {
    connection,
    concurrency: opts.concurrency,
    lockDuration: opts.lockMs,
    stalledInterval: opts.stalledCheckMs,
    maxStalledCount: 2, // a job whose worker died twice fails (it may be what kills them)
    name: opts.workerName,
    workerForkOptions: { env },
  })
  let down = false
  worker.on('error', (e) => {
    if (!down) opts.log(`lost Redis at ${shownUrl(opts.url)} (${e.message}); waiting for it to come back`)
    down = true
  })
  worker.on('ready', () => {
    if (down) opts.log(`Redis is back (${shownUrl(opts.url)})`)
    down = false
  })
  worker.on('completed', (job: Job<EvalJobData>) => opts.log(`job ${job.id} done`))
  worker.on('failed', (job: Job<EvalJobData> | undefined, e: Error) => opts.log(`job ${job?.id ?? '?'} failed: ${e.message}`))
  worker.on('stalled', (id: string) => opts.log(`job ${id} stalled (its worker stopped renewing its lock): back in the queue`))
  worker.on('closed', () => connection.disconnect()) // ours to close, as the queue's
  await worker.waitUntilReady()
  return worker
}

export const defaultWorkerName = () => `${hostname()}:${process.pid}`
