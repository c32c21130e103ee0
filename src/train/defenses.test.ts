/**
 * The defenses on live tf.LayersModels (frame and token models, every cell type): the
 * params share the model's variables; every defense's loss has finite, non-zero gradients
 * with respect to every weight; a tiny training run with each defense lowers its own loss;
 * certified training raises the share of samples the certifier (src/cert) proves robust;
 * and the loop's callbacks, schedule, pause and cancel work.
 */
import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { certifyFrames, compileNetwork, prepareSample, Rng } from '../cert/index.ts'
import { parseLayersModel } from '../model/layersJson.ts'
import type { Defense } from '../model/defense.ts'
import { DEFENSES } from '../model/defense.ts'
import type { DefenseConfig, TrainBatch } from './defenses.ts'
import { defenseLoss, frameMask, prepareDefense, randomFrames, scheduleAt } from './defenses.ts'
import { logits, tokenLogits } from '../tf/forward.ts'
import { trainLoop } from './loop.ts'
import { paramsFromModel } from '../tf/params.ts'
import { registerScatterAdd } from './scatterAdd.ts'

beforeAll(async () => {
  await tf.setBackend('cpu')
  registerScatterAdd('cpu')
})

type Cell = 'simpleRnn' | 'lstm' | 'gru'

function model(cell: Cell, opts: { vocab?: number; frameSize?: number; units?: number; classes?: number; seed?: number } = {}): tf.Sequential {
  const units = opts.units ?? 6
  let seed = opts.seed ?? 1
  const init = () => tf.initializers.glorotUniform({ seed: seed++ })
  const m = tf.sequential()
  if (opts.vocab) m.add(tf.layers.embedding({ inputDim: opts.vocab, outputDim: 4, inputShape: [null], embeddingsInitializer: tf.initializers.randomUniform({ minval: -0.5, maxval: 0.5, seed: seed++ }) }))
  const common = { units, kernelInitializer: init(), recurrentInitializer: init(), ...(opts.vocab ? {} : { inputShape: [null, opts.frameSize ?? 3] }) }
  if (cell === 'simpleRnn') m.add(tf.layers.simpleRNN({ ...common, activation: 'tanh' }))
  else if (cell === 'lstm') m.add(tf.layers.lstm({ ...common, recurrentActivation: 'sigmoid' }))
  else m.add(tf.layers.gru({ ...common, recurrentActivation: 'sigmoid' }))
  m.add(tf.layers.dense({ units: opts.classes ?? 3, activation: 'softmax', kernelInitializer: init() }))
  return m
}

/** A tiny task: T frames of 3 values in [0, 1]; the class is which third the mean of frame 0 + frame 1 falls in. */
function frameTask(n: number, seed: number, T = 4): { x: number[][][]; y: number[] } {
  const rng = new Rng(seed)
  const x: number[][][] = []
  const y: number[] = []
  for (let k = 0; k < n; k++) {
    const s = Array.from({ length: T }, () => Array.from({ length: 3 }, () => rng.next()))
    const m = (s[0].reduce((a, b) => a + b, 0) + s[1].reduce((a, b) => a + b, 0)) / 6
    x.push(s)
    y.push(m < 0.42 ? 0 : m < 0.58 ? 1 : 2)
  }
  return { x, y }
}

const CONFIG = (method: Defense): DefenseConfig => ({ method, eps: 0.05, clip: [0, 1], pgd: { steps: 3 } })

describe('params from a live model', () => {
  it('share its variables and compute its logits (frames and tokens)', () => {
    for (const cell of ['simpleRnn', 'lstm', 'gru'] as Cell[]) {
      const m = model(cell)
      const p = paramsFromModel(m)
      expect(p.variables.length).toBe(m.trainableWeights.length)
      const x = tf.randomUniform([2, 5, 3], 0, 1, 'float32', 3) as tf.Tensor3D
      const want = tf.tidy(() => tf.log(m.predict(x) as tf.Tensor))
      const got = tf.tidy(() => tf.logSoftmax(logits(p, x)))
      expect(Math.max(...tf.sub(want, got).abs().dataSync())).toBeLessThan(1e-5)
      const t = model(cell, { vocab: 20 })
      const pt = paramsFromModel(t)
      expect(pt.embedding).not.toBeNull()
      const ids = tf.tensor2d([[1, 5, 7], [3, 3, 19]], [2, 3], 'int32')
      const w2 = tf.tidy(() => tf.log(t.predict(ids) as tf.Tensor))
      const g2 = tf.tidy(() => tf.logSoftmax(tokenLogits(pt, ids)))
      expect(Math.max(...tf.sub(w2, g2).abs().dataSync())).toBeLessThan(1e-5)
      tf.dispose([x, want, got, ids, w2, g2])
      m.dispose()
      t.dispose()
    }
  })

  it('leave a frozen layer out of the variables (also after the lazy build of a first predict)', () => {
    const t = model('lstm', { vocab: 20 })
    t.layers[0].trainable = false
    tf.tidy(() => t.predict(tf.tensor2d([[1, 2]], [1, 2], 'int32')))
    // (TF.js 4.22 resets the weight's own flag there)
    expect(t.layers[0].weights[0].trainable).toBe(true)
    const p = paramsFromModel(t)
    expect(p.variables.length).toBe(t.trainableWeights.length)
    expect(p.variables.some((v) => v === (t.layers[0].getWeights()[0] as unknown))).toBe(false)
    t.dispose()
  })
})

describe.each(DEFENSES)('%s loss', (method) => {
  it('has finite, non-zero gradients with respect to every weight (frame and token models, every cell)', () => {
    const cases: Array<{ cell: Cell; vocab?: number }> = [{ cell: 'simpleRnn' }, { cell: 'lstm', vocab: 12 }, { cell: 'gru' }, { cell: 'gru', vocab: 12 }]
    for (const c of cases) {
      const m = model(c.cell, { vocab: c.vocab })
      const p = paramsFromModel(m)
      const { x, y } = frameTask(8, 4)
      const batch: TrainBatch = c.vocab
        ? { tokens: tf.tensor2d(x.map((s) => s.map((f) => Math.floor(f[0] * 12))), [8, 4], 'int32'), labels: tf.tensor1d(y, 'int32') }
        : { frames: tf.tensor3d(x), labels: tf.tensor1d(y, 'int32') }
      const cfg: DefenseConfig = { ...CONFIG(method), clip: c.vocab ? undefined : [0, 1], eps: 0.1 }
      const at = { eps: 0.1, kappa: 0.5 }
      const prepared = prepareDefense(p, batch, cfg, at.eps, 1)
      const { value, grads } = tf.variableGrads(() => defenseLoss(p, batch, cfg, at, prepared).loss, p.variables)
      expect(Number.isFinite(value.dataSync()[0])).toBe(true)
      for (const v of p.variables) {
        const g = grads[v.name].dataSync()
        expect(g.every(Number.isFinite), `${method} ${c.cell}${c.vocab ? ' tokens' : ''}: ${v.name}`).toBe(true)
        expect(g.some((e) => e !== 0), `${method} ${c.cell}${c.vocab ? ' tokens' : ''}: ${v.name} has a zero gradient`).toBe(true)
      }
      tf.dispose([value, ...Object.values(grads), batch.frames, batch.tokens, batch.labels].filter((t): t is tf.Tensor => !!t))
      prepared.dispose()
      m.dispose()
    }
  })

  it('a tiny training run lowers its own loss', async () => {
    const m = model('simpleRnn', { units: 8, seed: 7 })
    const p = paramsFromModel(m)
    const cfg = CONFIG(method)
    const data = frameTask(96, 11)
    const all: TrainBatch = { frames: tf.tensor3d(data.x), labels: tf.tensor1d(data.y, 'int32') }
    const at = { eps: cfg.method === 'none' ? 0 : cfg.eps, kappa: 0.5 }
    const lossNow = () => {
      const prepared = prepareDefense(p, all, cfg, at.eps, 5)
      const l = tf.tidy(() => defenseLoss(p, all, cfg, at, prepared).loss.dataSync()[0])
      prepared.dispose()
      return l
    }
    const before = lossNow()
    const rng = new Rng(3)
    const r = await trainLoop({
      params: p,
      optimizer: tf.train.adam(0.03),
      defense: { ...cfg, kappa: 0.5 },
      epochs: 10,
      batches: function* () {
        const order = rng.shuffle(data.x.map((_, k) => k))
        for (let a = 0; a < order.length; a += 16) {
          const part = order.slice(a, a + 16)
          yield { frames: tf.tensor3d(part.map((k) => data.x[k])), labels: tf.tensor1d(part.map((k) => data.y[k]), 'int32') }
        }
      },
    })
    const after = lossNow()
    expect(r.steps).toBe(60)
    expect(r.epochs.length).toBe(10)
    expect(after, `${method}: loss ${before} → ${after}`).toBeLessThan(0.85 * before)
    tf.dispose([all.frames!, all.labels])
    m.dispose()
  })
})

describe('a random-frames threat', () => {
  it('draws k distinct frames, reproducibly', () => {
    expect(randomFrames(9, 3, 4)).toEqual(randomFrames(9, 3, 4))
    expect(new Set(randomFrames(9, 3, 4)).size).toBe(3)
    expect(randomFrames(3, 9, 1)).toEqual([0, 1, 2])
    const m = frameMask(4, [1, 3])
    expect(Array.from(m.dataSync())).toEqual([0, 1, 0, 1])
    m.dispose()
  })

  it('FGSM / PGD perturb only the drawn frames; IBP / Cert-RNN bound only those (looser bounds with more frames)', () => {
    const m = model('gru', { vocab: 12 })
    const p = paramsFromModel(m)
    const { x, y } = frameTask(8, 4)
    const batch: TrainBatch = { tokens: tf.tensor2d(x.map((s) => s.map((f) => Math.floor(f[0] * 12))), [8, 4], 'int32'), labels: tf.tensor1d(y, 'int32') }
    for (const method of ['fgsm', 'pgd'] as Defense[]) {
      const prep = prepareDefense(p, batch, { method, eps: 0.1, perturb: { frames: 1 } }, 0.1, 2)
      const [t] = prep.frames!
      const d = prep.delta!.arraySync()
      d.forEach((row) => row.forEach((f, k) => f.forEach((v) => (k === t ? expect(Math.abs(v)).toBeLessThanOrEqual(0.1 + 1e-7) : expect(Math.abs(v)).toBe(0)))))
      expect(d.flat(2).some((v) => v !== 0)).toBe(true)
      prep.dispose()
    }
    for (const method of ['ibp', 'certrnn'] as Defense[]) {
      const at = { eps: 0.1, kappa: 0 }
      const robust = (frames: number) => {
        const cfg: DefenseConfig = { method, eps: 0.1, perturb: { frames } }
        const prep = prepareDefense(p, batch, cfg, 0.1, 2)
        expect(prep.frames!.length).toBe(frames)
        const { value, grads } = tf.variableGrads(() => defenseLoss(p, batch, cfg, at, prep).loss, p.variables)
        for (const g of Object.values(grads)) expect(g.dataSync().every(Number.isFinite)).toBe(true)
        const v = value.dataSync()[0]
        tf.dispose([value, ...Object.values(grads)])
        prep.dispose()
        return v
      }
      expect(robust(1)).toBeLessThan(robust(4))
    }
    tf.dispose([batch.tokens!, batch.labels])
    m.dispose()
  })
})

/** The certifier's IR of a live model (through its saved artifacts, as the app loads it). */
async function irOf(m: tf.LayersModel) {
  let json: unknown
  let weights: ArrayBuffer | null = null
  await m.save(
    tf.io.withSaveHandler(async (a) => {
      json = { modelTopology: a.modelTopology, weightsManifest: [{ paths: ['weights.bin'], weights: a.weightSpecs }] }
      weights = tf.io.CompositeArrayBuffer.join(a.weightData!)
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }
    }),
  )
  return parseLayersModel(json, new Map([['weights.bin', weights!]]))
}

describe('certified training', () => {
  it('IBP-VT raises the share the certifier proves robust (interval); Cert-RNN-VT lowers the held-out worst-case loss (zonotope)', async () => {
    const data = frameTask(192, 21)
    const test = frameTask(40, 22)
    const eps = 0.05
    const result: Record<string, { interval: number; certrnn: number; correct: number; zonotopeCE: number }> = {}
    for (const method of ['none', 'ibp', 'certrnn'] as Defense[]) {
      const m = model('simpleRnn', { units: 8, seed: 5 })
      const p = paramsFromModel(m)
      const rng = new Rng(8)
      await trainLoop({
        params: p,
        optimizer: tf.train.adam(0.02),
        defense: { method, eps, clip: [0, 1], kappa: 0.5 },
        schedule: { warmupSteps: 12, rampSteps: 60 },
        epochs: 12,
        batches: function* () {
          const order = rng.shuffle(data.x.map((_, k) => k))
          for (let a = 0; a < order.length; a += 16) {
            const part = order.slice(a, a + 16)
            yield { frames: tf.tensor3d(part.map((k) => data.x[k])), labels: tf.tensor1d(part.map((k) => data.y[k]), 'int32') }
          }
        },
      })
      const cn = compileNetwork(await irOf(m))
      const r = { interval: 0, certrnn: 0, correct: 0, zonotopeCE: 0 }
      test.x.forEach((x, k) => {
        const prep = prepareSample(cn, { x, label: test.y[k] })
        if (prep.predicted !== test.y[k]) return
        r.correct++
        for (const mth of ['interval', 'certrnn'] as const) if (certifyFrames(prep, [0, 1, 2, 3], eps, { method: mth, clip: [0, 1] }).certified) r[mth]++
      })
      r.zonotopeCE = tf.tidy(() => {
        const at = { eps, kappa: 0 }
        return defenseLoss(p, { frames: tf.tensor3d(test.x), labels: tf.tensor1d(test.y, 'int32') }, { method: 'certrnn', eps, clip: [0, 1] }, at).robust!.dataSync()[0]
      })
      result[method] = r
      m.dispose()
    }
    const msg = JSON.stringify(result)
    expect(result.ibp.interval, msg).toBeGreaterThan(result.none.interval + 3)
    expect(result.certrnn.zonotopeCE, msg).toBeLessThan(result.none.zonotopeCE)
    expect(result.ibp.zonotopeCE, msg).toBeLessThan(result.none.zonotopeCE)
  })
})

describe('trainLoop', () => {
  const source = (n: number) =>
    function* () {
      const { x, y } = frameTask(n * 4, 2)
      for (let a = 0; a < x.length; a += 4) yield { frames: tf.tensor3d(x.slice(a, a + 4)), labels: tf.tensor1d(y.slice(a, a + 4), 'int32') }
    }

  it('reports every batch and epoch, follows the ε / κ schedule and frees the batches', async () => {
    const m = model('simpleRnn')
    const p = paramsFromModel(m)
    const before = tf.memory().numTensors
    const seen: Array<{ step: number; eps: number; kappa: number }> = []
    const epochs: number[] = []
    const cfg: DefenseConfig = { method: 'ibp', eps: 0.1, kappa: 0.5 }
    const schedule = { warmupSteps: 2, rampSteps: 4 }
    const r = await trainLoop({
      params: p,
      optimizer: tf.train.sgd(0.01),
      defense: cfg,
      schedule,
      epochs: 2,
      batches: source(5),
      onBatch: (b) => void seen.push({ step: b.step, eps: b.eps, kappa: b.kappa }),
      onEpoch: (e) => void epochs.push(e.batches),
    })
    expect(r.stoppedBecause).toBe('done')
    expect(epochs).toEqual([5, 5])
    expect(seen.map((s) => s.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    expect(seen.map((s) => s.eps)).toEqual([0, 0, 0.025, 0.05, 0.075, 0.1, 0.1, 0.1, 0.1, 0.1].map((e) => expect.closeTo(e, 12)))
    expect(seen[9].kappa).toBeCloseTo(0.5, 12)
    expect(seen[3].kappa).toBeCloseTo(0.75, 12)
    expect(scheduleAt(cfg, schedule, 100)).toEqual({ eps: 0.1, kappa: 0.5 })
    // the optimizer's slots aside, nothing is left behind
    expect(tf.memory().numTensors - before).toBeLessThanOrEqual(p.variables.length * 2 + 2)
    m.dispose()
  })

  it('pauses until resumed and stops when cancelled (between batches)', async () => {
    const m = model('simpleRnn')
    const p = paramsFromModel(m)
    const control = { paused: false, cancelled: false, whilePaused: undefined as undefined | (() => Promise<void>) }
    let resume!: () => void
    const steps: number[] = []
    let reachedPause!: () => void
    const pausedNow = new Promise<void>((r) => (reachedPause = r))
    const run = trainLoop({
      params: p,
      optimizer: tf.train.sgd(0.01),
      defense: { method: 'none', eps: 0 },
      epochs: 3,
      batches: source(4),
      control,
      onBatch: (b) => {
        steps.push(b.step)
        if (b.step === 2) {
          control.paused = true
          control.whilePaused = () => {
            reachedPause()
            return new Promise<void>((r) => (resume = r))
          }
        }
        if (b.step === 4) control.cancelled = true // after the resume: stop between batches
      },
    })
    await pausedNow // the loop waits in whilePaused: no batch runs while paused
    expect(steps).toEqual([1, 2])
    control.paused = false
    resume()
    const r = await run
    expect(r.stoppedBecause).toBe('cancelled')
    expect(steps).toEqual([1, 2, 3, 4])
    expect(r.steps).toBe(4)
    m.dispose()
  })

  it('stops at maxSteps and on request from onEpoch', async () => {
    const m = model('simpleRnn')
    const p = paramsFromModel(m)
    const a = await trainLoop({ params: p, optimizer: tf.train.sgd(0.01), defense: { method: 'none', eps: 0 }, epochs: 5, batches: source(4), maxSteps: 6 })
    expect([a.steps, a.stoppedBecause]).toEqual([6, 'maxSteps'])
    const b = await trainLoop({ params: p, optimizer: tf.train.sgd(0.01), defense: { method: 'fgsm', eps: 0.1 }, epochs: 5, batches: source(4), onEpoch: (e) => (e.epoch === 2 ? 'stop' : undefined) })
    expect([b.steps, b.epochs.length, b.stoppedBecause]).toEqual([8, 2, 'callback'])
    m.dispose()
  })
})
