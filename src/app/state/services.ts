/**
 * The app's services — the workers behind the store's actions, in one place with explicit
 * injection: boot() gives the browser's module workers and TF.js predictions, tests give
 * in-process workers (`setWorkerFactory(() => new InProcessWorker())`) and a pool size.
 * It holds the one certification client (the certify view and the visualiser), the training
 * client, and the run guards of the pooled runs (Evaluate tab, defenses comparison).
 */
import type { SampleInput } from '../../cert/index.ts'
import { RunGuard } from '../../run/batch.ts'
import type { WorkerFactory } from '../../worker/client.ts'
import { CertClient } from '../../worker/client.ts'
import { poolSize, WorkerPool } from '../../worker/pool.ts'
import type { Job, JobResult, Progress } from '../../worker/protocol.ts'
import type { BoundJob } from '../../worker/split.ts'
import { splitBound, splitParts } from '../../worker/split.ts'
import type { TrainWorkerLike } from '../../worker/training/client.ts'
import { createBrowserTrainWorker, TrainClient } from '../../worker/training/client.ts'
import type { LoadedModel } from '../model/loaded.ts'
import type { Prediction } from '../model/predict.ts'

export type Predictor = (m: LoadedModel, input: SampleInput) => Promise<Prediction>

export interface ServiceConfig {
  /** the certification workers (none until boot or a test sets them) */
  certWorker: WorkerFactory | null
  trainWorker: () => TrainWorkerLike
  /** where the certify view's predictions come from (TF.js in the app) */
  predictor: Predictor | null
  /** cores for the worker pools (the browser's hardwareConcurrency) */
  cores: number | undefined
  /** where the MNIST subset for live training is served */
  dataBase: string
}

const config: ServiceConfig = {
  certWorker: null,
  trainWorker: createBrowserTrainWorker,
  predictor: null,
  cores: typeof navigator !== 'undefined' ? navigator.hardwareConcurrency : undefined,
  dataBase: `${import.meta.env?.BASE_URL ?? '/'}data/`,
}

let certClient: CertClient | null = null
let trainClient: TrainClient | null = null

/** The runs that use a pool of workers: a new one supersedes (cancels and silences) the previous. */
export const runs = { evaluation: new RunGuard(), defenses: new RunGuard() }

/** Inject services; clients of a replaced worker factory are disposed. */
export function configureServices(c: Partial<ServiceConfig>) {
  if (c.certWorker !== undefined) {
    certClient?.dispose()
    certClient = null
  }
  if (c.trainWorker !== undefined) {
    trainClient?.dispose()
    trainClient = null
  }
  Object.assign(config, c)
}

export const setWorkerFactory = (certWorker: WorkerFactory) => configureServices({ certWorker })

export const services = (): Readonly<ServiceConfig> => config

function certWorker(): WorkerFactory {
  if (!config.certWorker) throw new Error('no worker factory set')
  return config.certWorker
}

/** The certification client of the certify view and the visualiser (one worker). */
export function theCertClient(): CertClient {
  certClient ??= new CertClient(certWorker())
  return certClient
}

/** The certification client if one has been started (nothing to cancel otherwise). */
export const existingCertClient = (): CertClient | null => certClient

export function theTrainClient(): TrainClient {
  trainClient ??= new TrainClient(config.trainWorker)
  return trainClient
}

export const existingTrainClient = (): TrainClient | null => trainClient

/**
 * A fresh pool of certification workers for one run (one per core, at most `jobs`), given
 * to `work` and disposed when it ends.
 */
export async function withPool<T>(jobs: number, work: (pool: WorkerPool) => Promise<T>): Promise<T> {
  const pool = new WorkerPool(certWorker(), Math.min(poolSize(config.cores), Math.max(1, jobs)))
  try {
    return await work(pool)
  } finally {
    pool.dispose()
  }
}

/** The certify view's split bound search, if one is running (ids below 0: not the client's). */
let split: { id: number; controller: AbortController } | null = null
let splitCount = 0

/**
 * Run the certify view's job: a bound search that splits without changing its bounds
 * (`splitParts`: the paper search of the single-frame threat) on a pool of workers, one
 * part of the frames each; anything else on the one certification client. Returns an id
 * for `cancelJob` and the result.
 */
export function runCertifyJob(job: Job, model: LoadedModel, onProgress: (p: Progress) => void): { id: number; result: Promise<JobResult> } {
  const T = job.kind === 'bound' ? (job.input.tokens?.length ?? job.input.x?.length ?? 0) : 0
  if (job.kind !== 'bound' || splitParts(job, T, poolSize(config.cores)) < 2) return theCertClient().run(job, onProgress)
  const mine = { id: -++splitCount, controller: new AbortController() }
  split?.controller.abort()
  split = mine
  const result = withPool(splitParts(job, T, poolSize(config.cores)), async (pool) => {
    await pool.load(model.key, model.net)
    return splitBound(pool, job as BoundJob, T, { signal: mine.controller.signal, onProgress })
  }).finally(() => {
    if (split === mine) split = null
  })
  return { id: mine.id, result }
}

/** Cancel a job started by `runCertifyJob`. */
export function cancelJob(id: number) {
  if (id < 0) {
    if (split?.id === id) split.controller.abort()
  } else existingCertClient()?.cancel(id)
}
