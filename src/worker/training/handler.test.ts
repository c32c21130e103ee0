import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { describe, expect, it } from 'vitest'
import { compileNetwork, findBound, prepareSample } from '../../cert/index.ts'
import { parseModelFiles } from '../../model/layersJson.ts'
import { digitInput, readMnistSubset } from '../../train/mnistSubset.ts'
import type { MnistSubsetMeta } from '../../train/mnistSubset.ts'
import { createTrainHandler } from './handler.ts'
import type { FromTrainer, TrainConfig } from './protocol.ts'
import { configProblem } from './protocol.ts'

const dir = join(import.meta.dirname, '..', '..', '..', 'public', 'data')
const meta = JSON.parse(readFileSync(join(dir, 'mnist-subset.json'), 'utf8')) as MnistSubsetMeta
const bytes = () => {
  const b = readFileSync(join(dir, 'mnist-subset.bin'))
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer
}
const base: TrainConfig = { cell: 'simpleRnn', hidden: 8, T: 4, defense: 'ibp', eps: 0.01, epochs: 2, trainSize: 256, batchSize: 32, learningRate: 0.01, seed: 7 }

function run(config: TrainConfig, during?: (msgs: FromTrainer[], send: ReturnType<typeof createTrainHandler>) => void) {
  const msgs: FromTrainer[] = []
  let send: ReturnType<typeof createTrainHandler>
  const finished = new Promise<FromTrainer[]>((resolve) => {
    send = createTrainHandler((m) => {
      msgs.push(m)
      during?.(msgs, send)
      if (m.type === 'done' || m.type === 'cancelled' || m.type === 'error') resolve(msgs)
    })
  })
  void send!({ type: 'start', config, meta, data: bytes() })
  return finished
}

describe('training worker', () => {
  it('trains a small model with IBP-VT, reports batches and epochs, and returns a TF.js model the certifier reads exactly', async () => {
    const msgs = await run(base)
    expect(msgs[0]).toEqual({ type: 'started', batchesPerEpoch: 8, testDigits: meta.test })
    const epochs = msgs.filter((m) => m.type === 'epoch').map((m) => m.report)
    expect(epochs.map((e) => e.epoch)).toEqual([1, 2])
    expect(msgs.filter((m) => m.type === 'batch').length).toBeGreaterThan(1)
    // the ε ramp starts near 0 and reaches the target half way
    const batches = msgs.filter((m) => m.type === 'batch')
    expect(batches[0].type === 'batch' && batches[0].eps).toBeLessThan(0.005)
    expect(epochs[1].eps).toBeCloseTo(0.01, 10)
    expect(epochs[1].verified).not.toBeNull()
    expect(epochs[1].testAccuracy).toBeGreaterThan(0.2) // 10 classes: well above chance (0.1) after 512 digits
    const done = msgs.at(-1)!
    if (done.type !== 'done') throw new Error(`ended with ${done.type}`)
    const { modelJson, weights, history } = done.model
    expect(history).toEqual(epochs)
    const net = parseModelFiles(JSON.stringify(modelJson), new Map([['weights.bin', weights]]))
    const cn = compileNetwork(net)
    // the reported bounds are src/cert's bounds of these weights
    const data = readMnistSubset(meta, bytes())
    epochs[1].bounds.forEach((b, i) => {
      const prep = prepareSample(cn, digitInput(data.test, i, 4))
      expect(prep.predicted).toBe(epochs[1].predicted[i])
      expect(b).toBe(prep.predicted === prep.label ? findBound(prep, { kind: 'single' }, { method: 'certrnn', search: 'fast', clip: [0, 1] }).bound : 0)
    })
    // and TF.js loads the same files and predicts what the certifier's forward pass does
    const m = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: modelJson.modelTopology as object, weightSpecs: (modelJson.weightsManifest as Array<{ weights: tf.io.WeightsManifestEntry[] }>)[0].weights, weightData: weights }))
    const x = digitInput(data.test, 5, 4)
    const p = (m.predict(tf.tensor3d([x.x])) as tf.Tensor).argMax(-1).dataSync()[0]
    expect(p).toBe(prepareSample(cn, x).predicted)
  })

  it('pauses, resumes, finishes early keeping the model, or cancels discarding it', async () => {
    const events: string[] = []
    const msgs = await run({ ...base, defense: 'fgsm', epochs: 3 }, (ms, send) => {
      const last = ms.at(-1)!
      events.push(last.type)
      if (last.type === 'batch' && ms.filter((m) => m.type === 'batch').length === 1) {
        void send({ type: 'pause' })
      }
      if (last.type === 'paused') void send({ type: 'resume' })
      if (last.type === 'epoch') void send({ type: 'finish' })
    })
    expect(msgs.filter((m) => m.type === 'error')).toEqual([])
    expect(events).toContain('paused')
    expect(events).toContain('resumed')
    const done = msgs.at(-1)!
    expect(done.type).toBe('done')
    if (done.type === 'done') expect(done.model.stoppedBecause).toBe('finished early on request')
    expect(msgs.filter((m) => m.type === 'epoch')).toHaveLength(1)

    const cancelled = await run({ ...base, defense: 'none' }, (ms, send) => {
      if (ms.at(-1)!.type === 'started') void send({ type: 'cancel' })
    })
    expect(cancelled.at(-1)!.type).toBe('cancelled')
  })

  it('refuses a bad configuration with a specific message', async () => {
    expect(configProblem({ ...base, T: 5 })).toMatch(/frames must be one of/)
    expect(configProblem({ ...base, eps: 0 })).toMatch(/ε must be in \(0, 0.3\] for ibp/)
    expect(configProblem({ ...base, defense: 'none', eps: 0 })).toBeNull()
    expect(configProblem({ ...base, hidden: 500 })).toMatch(/hidden must be between 2 and 64/)
    const msgs = await run({ ...base, epochs: 0 })
    expect(msgs).toEqual([{ type: 'error', message: 'epochs must be between 1 and 30 (got 0)' }])
  })
})
