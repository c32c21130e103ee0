/**
 * The defended-training loop, for the browser (a Web Worker) and Node alike: batches from
 * a source, one optimiser step per batch with the defense's loss at the scheduled (ε, κ),
 * callbacks per batch and per epoch, cooperative pause / cancel checked between batches,
 * and the event loop handed back between batches.
 */
import * as tf from '@tensorflow/tfjs'
import type { DefenseConfig, Schedule, ScheduleValue, TrainBatch } from './defenses.ts'
import { defenseLoss, prepareDefense, scheduleAt } from './defenses.ts'
import type { TfParams } from '../tf/params.ts'

/**
 * Set `paused` or `cancelled` from outside (a UI, a worker message); the loop looks between
 * batches. While paused it awaits `whilePaused()` (e.g. a promise resolved on resume) or,
 * without it, polls every 50 ms.
 */
export interface TrainControl {
  paused: boolean
  cancelled: boolean
  whilePaused?: () => Promise<void>
}

export interface StepResult extends ScheduleValue {
  loss: number
  /** clean accuracy of the batch */
  accuracy: number
  cleanLoss: number
  /** cross-entropy on the adversarial input / the worst-case logits (null when none) */
  robustLoss: number | null
  /** ibp / certrnn: fraction of the batch certified at this ε by the training bounds */
  verified: number | null
  size: number
}

export interface BatchInfo extends StepResult {
  epoch: number
  /** index of the batch in its epoch */
  batch: number
  /** optimiser steps so far, this one included */
  step: number
  seconds: number
}

export interface EpochInfo extends ScheduleValue {
  epoch: number
  /** sample-weighted means over the epoch's batches */
  loss: number
  accuracy: number
  robustLoss: number | null
  verified: number | null
  batches: number
  samples: number
  seconds: number
}

export type StopReason = 'done' | 'cancelled' | 'maxSteps' | 'maxSeconds' | 'callback'

export interface LoopOptions {
  params: TfParams
  optimizer: tf.Optimizer
  /** what to train (default: params.variables) */
  variables?: tf.Variable[]
  defense: DefenseConfig
  /** ε / κ schedule in optimiser steps (default: the target ε and κ from the first step) */
  schedule?: Schedule
  epochs: number
  /** the batches of an epoch; the loop disposes every batch's tensors after its step */
  batches: (epoch: number) => Iterable<TrainBatch> | AsyncIterable<TrainBatch>
  /** seeds the PGD random starts (default 0) */
  seed?: number
  /** steps already taken (resume a schedule) */
  startStep?: number
  control?: TrainControl
  onBatch?: (info: BatchInfo) => void | Promise<void>
  /** return 'stop' to end training after this epoch */
  onEpoch?: (info: EpochInfo) => void | 'stop' | Promise<void | 'stop'>
  maxSteps?: number
  maxSeconds?: number
  /** hand the event loop back between batches (default true) */
  yieldBetweenBatches?: boolean
}

export interface LoopResult {
  steps: number
  epochs: EpochInfo[]
  stoppedBecause: StopReason
  seconds: number
}

const nextTurn = () => new Promise<void>((resolve) => setTimeout(resolve, 0))
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** One optimiser step on a batch with the defense at (ε, κ). */
export function trainStep(
  params: TfParams,
  optimizer: tf.Optimizer,
  variables: tf.Variable[],
  batch: TrainBatch,
  defense: DefenseConfig,
  at: ScheduleValue,
  seed = 0,
): StepResult {
  if (variables.length === 0) throw new Error('nothing to train: the params have no variables (build them with paramsFromModel)')
  const prepared = prepareDefense(params, batch, defense, at.eps, seed)
  const kept: tf.Tensor[] = []
  try {
    const cost = optimizer.minimize(
      () => {
        const p = defenseLoss(params, batch, defense, at, prepared)
        const correct = tf.mean(tf.cast(tf.equal(tf.argMax(p.logits, 1), tf.cast(batch.labels, 'int32')), 'float32'))
        kept.push(tf.keep(correct), tf.keep(p.clean))
        if (p.robust) kept.push(tf.keep(p.robust))
        if (p.verified) kept.push(tf.keep(tf.mean(p.verified)))
        return p.loss
      },
      true,
      variables,
    )!
    const loss = cost.dataSync()[0]
    const [accuracy, cleanLoss, ...rest] = kept.map((t) => t.dataSync()[0])
    // (the clean loss may be the cost itself)
    if (!kept.includes(cost)) cost.dispose()
    const robust = defense.method !== 'none' && at.eps > 0 && kept.length > 2 ? rest[0] : null
    const verified = (defense.method === 'ibp' || defense.method === 'certrnn') && at.eps > 0 && kept.length > 3 ? rest[1] : null
    if (!Number.isFinite(loss)) throw new Error(`the ${defense.method} loss is ${loss}`)
    return { ...at, loss, accuracy, cleanLoss, robustLoss: robust, verified, size: batch.labels.shape[0] }
  } finally {
    kept.forEach((t) => t.dispose())
    prepared.dispose()
  }
}

function disposeBatch(b: TrainBatch) {
  b.frames?.dispose()
  b.tokens?.dispose()
  b.labels.dispose()
}

/** Train epochs of batches with the defense; see LoopOptions. */
export async function trainLoop(opts: LoopOptions): Promise<LoopResult> {
  const variables = opts.variables ?? opts.params.variables
  const schedule = opts.schedule ?? { warmupSteps: 0, rampSteps: 0 }
  const control = opts.control
  const t0 = performance.now()
  const elapsed = () => (performance.now() - t0) / 1000
  const epochs: EpochInfo[] = []
  let step = opts.startStep ?? 0
  let taken = 0
  let stoppedBecause: StopReason = 'done'

  /** between batches: honour pause / cancel and the budgets; false = stop */
  const mayContinue = async (): Promise<boolean> => {
    if (opts.yieldBetweenBatches !== false) await nextTurn()
    while (control?.paused && !control.cancelled) await (control.whilePaused ? control.whilePaused() : sleep(50))
    if (control?.cancelled) stoppedBecause = 'cancelled'
    else if (opts.maxSteps !== undefined && taken >= opts.maxSteps) stoppedBecause = 'maxSteps'
    else if (opts.maxSeconds !== undefined && elapsed() >= opts.maxSeconds) stoppedBecause = 'maxSeconds'
    else return true
    return false
  }

  outer: for (let epoch = 1; epoch <= opts.epochs; epoch++) {
    const te = performance.now()
    let n = 0
    let sums = { loss: 0, accuracy: 0, robust: 0, verified: 0, robustN: 0, verifiedN: 0 }
    let batches = 0
    let last: ScheduleValue = scheduleAt(opts.defense, schedule, step)
    let stopped = false
    for await (const batch of opts.batches(epoch)) {
      if (!(await mayContinue())) {
        disposeBatch(batch)
        stopped = true
        break
      }
      let r: StepResult
      try {
        last = scheduleAt(opts.defense, schedule, step)
        r = trainStep(opts.params, opts.optimizer, variables, batch, opts.defense, last, (opts.seed ?? 0) + step)
      } finally {
        disposeBatch(batch)
      }
      step++
      taken++
      n += r.size
      sums.loss += r.loss * r.size
      sums.accuracy += r.accuracy * r.size
      if (r.robustLoss !== null) {
        sums.robust += r.robustLoss * r.size
        sums.robustN += r.size
      }
      if (r.verified !== null) {
        sums.verified += r.verified * r.size
        sums.verifiedN += r.size
      }
      await opts.onBatch?.({ ...r, epoch, batch: batches, step, seconds: elapsed() })
      batches++
    }
    if (batches > 0) {
      const info: EpochInfo = {
        epoch,
        ...last,
        loss: sums.loss / n,
        accuracy: sums.accuracy / n,
        robustLoss: sums.robustN ? sums.robust / sums.robustN : null,
        verified: sums.verifiedN ? sums.verified / sums.verifiedN : null,
        batches,
        samples: n,
        seconds: (performance.now() - te) / 1000,
      }
      sums = { loss: 0, accuracy: 0, robust: 0, verified: 0, robustN: 0, verifiedN: 0 }
      epochs.push(info)
      if ((await opts.onEpoch?.(info)) === 'stop' && !stopped) {
        stoppedBecause = 'callback'
        break outer
      }
    }
    if (stopped) break
  }
  return { steps: taken, epochs, stoppedBecause, seconds: elapsed() }
}
