/**
 * The job of a queue worker (`npm run worker`), run by BullMQ in a child process of the
 * worker (a sandboxed processor): one evaluation task, run as a local run runs it (the
 * page's worker code in this thread: evaluation.ts runTasks). The model is read from the job's path (or the worker's
 * --model), once per child, and its content hash checked against the job's. A problem with
 * the job's input or model fails the job for good (UnrecoverableError) with its message.
 */
import { hostname } from 'node:os'
import type { SandboxedJob } from 'bullmq'
import { UnrecoverableError } from 'bullmq'
import type { CompiledNetwork, NetworkIR } from '../../src/cert/index.ts'
import { compileNetwork } from '../../src/cert/index.ts'
import type { EvalSettings, EvalTask, WireResult } from './evaluation.ts'
import { checkTask, encodeResult, runTasks } from './evaluation.ts'
import { isInputError } from './args.ts'
import { loadModelHashed } from './loadModelDir.ts'
import type { EvalJobData } from './queue.ts'
import { MODEL_OVERRIDE_ENV } from './queue.ts'

interface Model {
  net: NetworkIR
  cn: CompiledNetwork
  hash: string
}
const models = new Map<string, Model>()

function modelFor(path: string, hash: string): Model {
  let m = models.get(path)
  if (!m || m.hash !== hash) {
    // (re)read: the files may have changed since this child read them
    const { net, hash: read } = loadModelHashed(path)
    m = { net, cn: compileNetwork(net), hash: read }
    models.set(path, m)
  }
  if (m.hash !== hash) {
    throw new UnrecoverableError(
      `the model at ${path} on worker ${hostname()} has content hash ${m.hash.slice(0, 12)}…, but the job was made for ${hash.slice(0, 12)}…: every worker must see the same model files (model.json and its weights) as the evaluate command`,
    )
  }
  return m
}

/** The task, its input checked first (a bad input fails the job for good, below). */
async function runTask(m: Model, settings: EvalSettings, task: EvalTask) {
  checkTask(m.cn, settings, task)
  const [result] = await runTasks(m.net, settings, [task], { name: 'worker', jobs: 1, signals: [] })
  return result
}

export default async function process(job: SandboxedJob<EvalJobData, WireResult>): Promise<WireResult> {
  const { model, settings, task } = job.data ?? {}
  if (typeof model?.path !== 'string' || typeof model.hash !== 'string' || typeof settings?.threat !== 'object' || typeof task?.index !== 'number' || typeof task.method !== 'string' || typeof task.input !== 'object') {
    throw new UnrecoverableError(`job ${job.id} is not an evaluation task of npm run evaluate (was it added by another program?)`)
  }
  try {
    const path = globalThis.process.env[MODEL_OVERRIDE_ENV] || model.path
    return encodeResult(await runTask(modelFor(path, model.hash), settings, task))
  } catch (e) {
    if (e instanceof UnrecoverableError) throw e
    // the input or the model: trying again cannot help
    if (isInputError(e)) throw new UnrecoverableError((e as Error).message)
    throw e
  }
}
