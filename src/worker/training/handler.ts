/**
 * The training worker's logic, independent of the Worker global (tested in Node): build a
 * small MNIST model, train it with a defense (src/train), report every batch and epoch
 * (test accuracy and the Cert-RNN bound of a few test digits, certified by src/cert on the
 * epoch's weights read back through the TF.js model.json parser), honour pause / resume /
 * finish / cancel between batches, and hand back the model as TF.js files.
 */
import type * as TF from '@tensorflow/tfjs'
import { compileNetwork, findBound, prepareSample, Rng } from '../../cert/index.ts'
import { parseModelFiles } from '../../model/layersJson.ts'
import type { DefenseConfig, TrainBatch } from '../../train/defenses.ts'
import type { TrainControl } from '../../train/loop.ts'
import { trainLoop } from '../../train/loop.ts'
import { digitInput, digitPixels, readMnistSubset } from '../../train/mnistSubset.ts'
import type { MnistSubset } from '../../train/mnistSubset.ts'
import { buildModel, modelFiles } from '../../train/model.ts'
import { paramsFromModel } from '../../tf/params.ts'
import type { EpochReport, FromTrainer, ToTrainer, TrainConfig } from './protocol.ts'
import { configProblem, WATCHED_DIGITS } from './protocol.ts'

const PROGRESS_MS = 100

export function createTrainHandler(post: (msg: FromTrainer, transfer?: Transferable[]) => void) {
  let control: (TrainControl & { keep: boolean; resume: (() => void) | null }) | null = null
  return async (msg: ToTrainer) => {
    if (msg.type !== 'start') {
      if (!control) return
      if (msg.type === 'pause' && !control.paused) {
        control.paused = true
        post({ type: 'paused' })
      } else if (msg.type === 'resume' && control.paused) {
        control.paused = false
        control.resume?.()
        post({ type: 'resumed' })
      } else if (msg.type === 'finish' || msg.type === 'cancel') {
        control.keep = msg.type === 'finish'
        control.cancelled = true
        control.paused = false
        control.resume?.()
      }
      return
    }
    if (control) {
      post({ type: 'error', message: 'a training run is already going on in this worker' })
      return
    }
    const problem = configProblem(msg.config)
    if (problem) {
      post({ type: 'error', message: problem })
      return
    }
    const ctl: TrainControl & { keep: boolean; resume: (() => void) | null } = {
      paused: false,
      cancelled: false,
      keep: false,
      resume: null,
      whilePaused: () => new Promise<void>((r) => (ctl.resume = r)),
    }
    control = ctl
    try {
      const tf = await import('@tensorflow/tfjs')
      await tf.setBackend('cpu')
      await train(tf, msg.config, readMnistSubset(msg.meta, msg.data), ctl, post)
    } catch (e) {
      post({ type: 'error', message: (e as Error).message })
    } finally {
      control = null
    }
  }
}

async function train(tf: typeof TF, c: TrainConfig, data: MnistSubset, ctl: TrainControl & { keep: boolean }, post: (msg: FromTrainer, transfer?: Transferable[]) => void) {
  const t0 = performance.now()
  const F = 784 / c.T
  const model = buildModel(tf, { name: `live_${c.cell}_${c.T}_${c.hidden}`, cell: c.cell, layers: 1, hidden: c.hidden, classes: 10, input: { frames: [c.T, F] } }, c.seed)
  const params = paramsFromModel(model)
  const optimizer = tf.train.adam(c.learningRate)
  const rng = new Rng(c.seed)
  const used = rng.shuffle(Array.from({ length: data.train.n }, (_, i) => i)).slice(0, Math.min(c.trainSize, data.train.n))
  const batchesPerEpoch = Math.ceil(used.length / c.batchSize)
  const defense: DefenseConfig = { method: c.defense, eps: c.defense === 'none' ? 0 : c.eps, clip: [0, 1] }
  // Gowal et al.'s schedule, compressed: ε ramps up over the first half of the steps
  const total = batchesPerEpoch * c.epochs
  const schedule = { warmupSteps: 0, rampSteps: Math.max(1, Math.floor(total / 2)) }
  const testIdx = Array.from({ length: data.test.n }, (_, i) => i)
  const testX = tf.tensor3d(digitPixels(data.test, testIdx), [data.test.n, c.T, F])
  const watched = Array.from({ length: Math.min(WATCHED_DIGITS, data.test.n) }, (_, i) => digitInput(data.test, i, c.T))
  post({ type: 'started', batchesPerEpoch, testDigits: data.test.n })
  let lastPost = 0
  const history: EpochReport[] = []
  const testAccuracy = () =>
    tf.tidy(() => {
      const pred = (model.predict(testX) as TF.Tensor).argMax(-1).dataSync()
      let ok = 0
      for (let i = 0; i < pred.length; i++) if (pred[i] === data.test.labels[i]) ok++
      return ok / pred.length
    })
  try {
    const result = await trainLoop({
      params,
      optimizer,
      defense,
      schedule,
      epochs: c.epochs,
      seed: c.seed,
      control: ctl,
      batches: function* () {
        const order = rng.shuffle(used.slice())
        for (let a = 0; a < order.length; a += c.batchSize) {
          const part = order.slice(a, a + c.batchSize)
          const b: TrainBatch = {
            frames: tf.tensor3d(digitPixels(data.train, part), [part.length, c.T, F]),
            labels: tf.tensor1d(part.map((i) => data.train.labels[i]), 'int32'),
          }
          yield b
        }
      },
      onBatch: (b) => {
        const now = performance.now()
        if (now - lastPost >= PROGRESS_MS || b.batch === batchesPerEpoch - 1) {
          lastPost = now
          post({ type: 'batch', epoch: b.epoch, batch: b.batch + 1, batches: batchesPerEpoch, loss: b.loss, eps: b.eps, kappa: b.kappa })
        }
      },
      onEpoch: async (e) => {
        // certify the watched digits with src/cert on exactly the weights TF.js holds
        const files = await modelFiles(tf, model)
        const cn = compileNetwork(parseModelFiles(JSON.stringify(files.modelJson), new Map([['weights.bin', files.weights]])))
        const preps = watched.map((w) => prepareSample(cn, w))
        const report: EpochReport = {
          epoch: e.epoch,
          eps: e.eps,
          kappa: e.kappa,
          loss: e.loss,
          trainAccuracy: e.accuracy,
          verified: e.verified,
          testAccuracy: testAccuracy(),
          bounds: preps.map((p) => (p.predicted === p.label ? findBound(p, { kind: 'single' }, { method: 'certrnn', search: 'fast', clip: [0, 1] }).bound : 0)),
          predicted: preps.map((p) => p.predicted),
          labels: watched.map((w) => w.label),
          seconds: (performance.now() - t0) / 1000,
        }
        history.push(report)
        post({ type: 'epoch', report })
      },
    })
    if (result.stoppedBecause === 'cancelled' && !ctl.keep) {
      post({ type: 'cancelled' })
      return
    }
    const files = await modelFiles(tf, model)
    post(
      {
        type: 'done',
        model: {
          modelJson: files.modelJson,
          weights: files.weights,
          config: c,
          history,
          testAccuracy: history.length ? history[history.length - 1].testAccuracy : testAccuracy(),
          stoppedBecause: result.stoppedBecause === 'cancelled' ? 'finished early on request' : `${result.epochs.length} epoch${result.epochs.length === 1 ? '' : 's'}`,
          seconds: (performance.now() - t0) / 1000,
        },
      },
      [files.weights],
    )
  } finally {
    testX.dispose()
    optimizer.dispose()
    params.dispose()
    model.dispose()
  }
}
