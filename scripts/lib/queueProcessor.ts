/**
 * The job of a queue worker (`npm run worker`), run by BullMQ in a child process of the
 * worker (a sandboxed processor): one evaluation task, with the same code as a local run
 * (evaluation.ts runEvalTask). The model is read from the job's path (or the worker's
 * --model), once per child, and its content hash checked against the job's. A problem with
 * the job's input or model fails the job for good (UnrecoverableError) with its message.
 */
import { hostname } from 'node:os'
import type { SandboxedJob } from 'bullmq'
import { UnrecoverableError } from 'bullmq'
import type { EvalModel, WireResult } from './evaluation.ts'
import { encodeResult, evalModel, runEvalTask } from './evaluation.ts'
import { isInputError } from './args.ts'
import { loadModelHashed } from './loadModelDir.ts'
import type { EvalJobData } from './queue.ts'
import { MODEL_OVERRIDE_ENV } from './queue.ts'

const models = new Map<string, { model: EvalModel; hash: string }>()

async function modelFor(path: string, hash: string, attack: boolean): Promise<EvalModel> {
  let m = models.get(path)
  if (!m || m.hash !== hash || (attack && !m.model.pgd)) {
    // (re)read: the files may have changed since this child read them
    const { net, hash: read } = loadModelHashed(path)
    m = { model: await evalModel(net, attack), hash: read }
    models.set(path, m)
  }
  if (m.hash !== hash) {
    throw new UnrecoverableError(
      `the model at ${path} on worker ${hostname()} has content hash ${m.hash.slice(0, 12)}…, but the job was made for ${hash.slice(0, 12)}…: every worker must see the same model files (model.json and its weights) as the evaluate command`,
    )
  }
  return m.model
}

export default async function process(job: SandboxedJob<EvalJobData, WireResult>): Promise<WireResult> {
  const { model, settings, task } = job.data ?? {}
  if (typeof model?.path !== 'string' || typeof model.hash !== 'string' || typeof settings?.threat !== 'object' || typeof task?.index !== 'number' || typeof task.method !== 'string' || typeof task.input !== 'object') {
    throw new UnrecoverableError(`job ${job.id} is not an evaluation task of npm run evaluate (was it added by another program?)`)
  }
  try {
    const path = globalThis.process.env[MODEL_OVERRIDE_ENV] || model.path
    return encodeResult(runEvalTask(await modelFor(path, model.hash, task.method === 'attack'), settings, task))
  } catch (e) {
    if (e instanceof UnrecoverableError) throw e
    // the input or the model: trying again cannot help
    if (isInputError(e)) throw new UnrecoverableError((e as Error).message)
    throw e
  }
}
