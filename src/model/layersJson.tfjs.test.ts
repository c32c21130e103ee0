/**
 * Agreement with TF.js: models built and saved by TF.js itself, parsed by parseLayersModel,
 * run by our float64 forward pass, compared with model.predict (cpu backend, float32).
 */
import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import type { NetworkIR } from '../cert/index.ts'
import { compileNetwork, forward, isRecurrent, prepareSample, randomNetwork, Rng, tokenMasks } from '../cert/index.ts'
import { parseLayersModel } from './layersJson.ts'
import { saveModel } from './testing/saveTfjs.ts'
import { toLayersJson } from './testing/toLayersJson.ts'

beforeAll(async () => {
  await tf.setBackend('cpu')
})

/** Seeded weights of scale ~0.6 (biases too), so that the nonlinearities matter. */
function randomizeWeights(model: tf.LayersModel, seed: number, scale = 0.6) {
  const rng = new Rng(seed)
  const ws = model.getWeights().map((w) => {
    const n = w.shape.reduce((a, b) => a * b, 1)
    const v = Float32Array.from({ length: n }, () => rng.normal() * scale)
    return tf.tensor(v, w.shape, 'float32')
  })
  model.setWeights(ws)
  ws.forEach((w) => w.dispose())
}

function softmax(v: Float64Array): Float64Array {
  const m = Math.max(...v)
  const e = v.map((x) => Math.exp(x - m))
  const s = e.reduce((a, b) => a + b, 0)
  return e.map((x) => x / s)
}

/** Our outputs (softmax-ed when the output layer has softmax) for a batch of frame sequences. */
function ours(net: NetworkIR, inputs: number[][][] | number[][]): Float64Array[] {
  const cn = compileNetwork(net)
  const last = net.layers[net.layers.length - 1]
  const soft = last.type === 'dense' && last.activation === 'softmax'
  return inputs.map((sample) => {
    const frames = cn.embedding
      ? (sample as number[]).map((t) => cn.embedding!.embeddings.data.slice(t * cn.frameSize, (t + 1) * cn.frameSize))
      : (sample as number[][]).map((f) => Float64Array.from(f))
    const { logits } = forward(cn, frames, undefined, cn.embedding ? tokenMasks(cn, sample as number[]) : null)
    return soft ? softmax(logits) : logits
  })
}

function maxAbsDiff(a: Float64Array[], b: number[][]): number {
  let d = 0
  a.forEach((row, i) => row.forEach((v, j) => (d = Math.max(d, Math.abs(v - b[i][j])))))
  return d
}

async function agree(model: tf.LayersModel, inputs: number[][][] | number[][], check?: (net: NetworkIR) => void) {
  const { modelJson, weights } = await saveModel(model)
  const net = parseLayersModel(modelJson, new Map([['weights.bin', weights]]))
  check?.(net)
  const x = tf.tensor(inputs as number[][][])
  const y = model.predict(x) as tf.Tensor
  const expected = (await y.array()) as number[][]
  x.dispose()
  y.dispose()
  const got = ours(net, inputs)
  expect(got.length).toBe(expected.length)
  expect(got[0].length).toBe(expected[0].length)
  const diff = maxAbsDiff(got, expected)
  expect(diff).toBeLessThanOrEqual(1e-5)
  // the outputs are not trivially saturated or constant
  const spread = Math.max(...expected.map((r) => Math.max(...r) - Math.min(...r)))
  expect(spread).toBeGreaterThan(1e-2)
  return net
}

function randomInputs(seed: number, batch: number, T: number, F: number): number[][][] {
  const rng = new Rng(seed)
  return Array.from({ length: batch }, () => Array.from({ length: T }, () => Array.from({ length: F }, () => rng.uniform(-1, 1))))
}

/** Random weights, with positive moving variances for batch normalization. */
function randomizeWithBatchNorm(model: tf.LayersModel, seed: number, scale = 0.6) {
  randomizeWeights(model, seed, scale)
  const ws = model.weights.map((w, k) => {
    const v = model.getWeights()[k]
    return /moving_variance/.test(w.originalName) ? tf.add(tf.abs(v), 0.2) : v
  })
  model.setWeights(ws)
}

describe('masking: TF.js models with Masking and Embedding maskZero agree with TF.js predict', () => {
  it('Masking(0) → LSTM (returnSequences) → GRU → Dense softmax, all-zero frames at the start, middle and end', async () => {
    const model = tf.sequential()
    model.add(tf.layers.masking({ maskValue: 0, inputShape: [null, 4] }))
    model.add(tf.layers.lstm({ units: 5, recurrentActivation: 'sigmoid', returnSequences: true }))
    model.add(tf.layers.gru({ units: 4, recurrentActivation: 'sigmoid' }))
    model.add(tf.layers.dense({ units: 3, activation: 'softmax' }))
    randomizeWeights(model, 41, 0.9)
    const inputs = randomInputs(42, 4, 6, 4)
    const zero = [[0], [2, 3], [5], [1, 5]]
    inputs.forEach((x, s) => zero[s].forEach((t) => (x[t] = x[t].map(() => 0))))
    await agree(model, inputs, (n) => expect(n.layers[0]).toEqual({ type: 'masking', name: expect.stringMatching(/^masking/), maskValue: 0 }))
  })

  it('Embedding (maskZero) → Bidirectional(GRU, returnSequences, concat) → GRU → Dense softmax, right- and inner-padded', async () => {
    const model = tf.sequential()
    model.add(tf.layers.embedding({ inputDim: 9, outputDim: 4, maskZero: true, inputLength: 6 }))
    model.add(tf.layers.bidirectional({ layer: tf.layers.gru({ units: 4, recurrentActivation: 'sigmoid', returnSequences: true }) as tf.RNN, mergeMode: 'concat' }))
    model.add(tf.layers.gru({ units: 4, recurrentActivation: 'sigmoid' }))
    model.add(tf.layers.dense({ units: 3, activation: 'softmax' }))
    randomizeWeights(model, 43, 0.9)
    const tokens = [
      [3, 5, 1, 0, 0, 0],
      [2, 0, 7, 8, 4, 0],
      [0, 6, 6, 2, 1, 3],
      [8, 7, 6, 5, 4, 3],
    ]
    await agree(model, tokens, (n) => expect(n.layers[0]).toMatchObject({ type: 'embedding', maskZero: true }))
  })
})

describe('the sequence pipeline: TF.js models with layers around the recurrence agree with TF.js predict', () => {
  it('SpatialDropout1D → BatchNormalization → LSTM (returnSequences) → TimeDistributed(Dense) → GlobalAveragePooling1D → Dense softmax', async () => {
    const model = tf.sequential()
    model.add(tf.layers.spatialDropout1d({ rate: 0.2, inputShape: [null, 5] }))
    model.add(tf.layers.batchNormalization({}))
    model.add(tf.layers.lstm({ units: 6, recurrentActivation: 'sigmoid', returnSequences: true }))
    model.add(tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 4, activation: 'tanh' }) }))
    model.add(tf.layers.globalAveragePooling1d({}))
    model.add(tf.layers.dense({ units: 3, activation: 'softmax' }))
    randomizeWithBatchNorm(model, 31, 0.9)
    await agree(model, randomInputs(32, 4, 6, 5), (n) => {
      expect(n.layers.map((l) => l.type)).toEqual(['batchNorm', 'lstm', 'dense', 'pool', 'dense'])
      expect(n.dropped).toEqual([{ name: expect.stringMatching(/^spatial_dropout1d/), className: 'SpatialDropout1D', at: 0 }])
      expect(n.layers[2]).toMatchObject({ activation: 'tanh', units: 4 })
    })
  })

  it('Reshape (24 → 4 × 6) → GRU → Dense: the flat input or the frames', async () => {
    const model = tf.sequential()
    model.add(tf.layers.reshape({ targetShape: [4, 6], inputShape: [24] }))
    model.add(tf.layers.gru({ units: 5, recurrentActivation: 'sigmoid' }))
    model.add(tf.layers.dense({ units: 3 }))
    randomizeWeights(model, 33, 0.8)
    const { modelJson, weights } = await saveModel(model)
    const net = parseLayersModel(modelJson, new Map([['weights.bin', weights]]))
    expect(net.input).toEqual({ kind: 'frames', frameSize: 6, seqLen: 4, flatSize: 24 })
    const rng = new Rng(34)
    const flat = Array.from({ length: 3 }, () => Array.from({ length: 24 }, () => rng.uniform(-1, 1)))
    const y = tf.tidy(() => (model.predict(tf.tensor2d(flat)) as tf.Tensor).arraySync() as number[][])
    const cn = compileNetwork(net)
    flat.forEach((row, i) => {
      const viaRow = prepareSample(cn, { x: [row] }).concrete.logits
      const viaFrames = prepareSample(cn, { x: Array.from({ length: 4 }, (_v, t) => row.slice(6 * t, 6 * t + 6)) }).concrete.logits
      expect(Array.from(viaRow)).toEqual(Array.from(viaFrames))
      viaRow.forEach((v, c) => expect(Math.abs(v - y[i][c])).toBeLessThanOrEqual(1e-5))
    })
  })

  it('GaussianNoise → GaussianDropout → SimpleRNN (returnSequences) → Flatten → Dense(relu) → Dense', async () => {
    const model = tf.sequential()
    model.add(tf.layers.gaussianNoise({ stddev: 0.3, inputShape: [5, 3] }))
    model.add(tf.layers.gaussianDropout({ rate: 0.3 }))
    model.add(tf.layers.simpleRNN({ units: 4, returnSequences: true }))
    model.add(tf.layers.flatten({}))
    model.add(tf.layers.dense({ units: 6, activation: 'relu' }))
    model.add(tf.layers.dense({ units: 3 }))
    randomizeWeights(model, 35, 0.7)
    await agree(model, randomInputs(36, 4, 5, 3), (n) => {
      expect(n.layers.map((l) => l.type)).toEqual(['simpleRnn', 'flatten', 'dense', 'dense'])
      expect(n.dropped?.map((d) => `${d.className}@${d.at}`)).toEqual(['GaussianNoise@0', 'GaussianDropout@0'])
    })
  })

  it('Embedding → SpatialDropout1D → GRU (returnSequences) → GlobalMaxPooling1D → Dense(relu) → Dense softmax', async () => {
    const model = tf.sequential()
    model.add(tf.layers.embedding({ inputDim: 15, outputDim: 4, inputLength: 6 }))
    model.add(tf.layers.spatialDropout1d({ rate: 0.2 }))
    model.add(tf.layers.gru({ units: 5, recurrentActivation: 'sigmoid', returnSequences: true }))
    model.add(tf.layers.globalMaxPooling1d({}))
    model.add(tf.layers.dense({ units: 6, activation: 'relu' }))
    model.add(tf.layers.dense({ units: 2, activation: 'softmax' }))
    randomizeWeights(model, 39, 1)
    const rng = new Rng(40)
    await agree(
      model,
      Array.from({ length: 4 }, () => Array.from({ length: 6 }, () => rng.int(15))),
      (n) => {
        expect(n.layers.map((l) => l.type)).toEqual(['embedding', 'gru', 'pool', 'dense', 'dense'])
        expect(n.layers[2]).toMatchObject({ mode: 'max' })
      },
    )
  })

  it('the toxic-comment shape in TF.js: Embedding → SpatialDropout1D → Bidirectional(LSTM, returnSequences, concat) → GlobalMaxPooling1D → Dense(relu) → Dense softmax', async () => {
    const model = tf.sequential()
    model.add(tf.layers.embedding({ inputDim: 15, outputDim: 4, inputLength: 6 }))
    model.add(tf.layers.spatialDropout1d({ rate: 0.2 }))
    model.add(tf.layers.bidirectional({ layer: tf.layers.lstm({ units: 4, returnSequences: true }) as tf.RNN, mergeMode: 'concat' }))
    model.add(tf.layers.globalMaxPooling1d({}))
    model.add(tf.layers.dense({ units: 6, activation: 'relu' }))
    model.add(tf.layers.dense({ units: 2, activation: 'softmax' }))
    randomizeWeights(model, 41, 1)
    const rng = new Rng(42)
    await agree(
      model,
      Array.from({ length: 4 }, () => Array.from({ length: 6 }, () => rng.int(15))),
      (n) => {
        expect(n.layers.map((l) => l.type)).toEqual(['embedding', 'bidirectional', 'pool', 'dense', 'dense'])
        expect(n.layers[1]).toMatchObject({ merge: 'concat', returnSequences: true, forward: { type: 'lstm', hardSigmoidSlope: 0.2 }, backward: { type: 'lstm' } })
      },
    )
  })

  it.each(['sum', 'ave', 'mul'] as const)('Bidirectional(GRU, %s) → Dense', async (mergeMode) => {
    const model = tf.sequential()
    model.add(tf.layers.bidirectional({ layer: tf.layers.gru({ units: 4, recurrentActivation: 'sigmoid' }) as tf.RNN, mergeMode, inputShape: [null, 3] }))
    model.add(tf.layers.dense({ units: 3 }))
    randomizeWeights(model, 43, 0.9)
    await agree(model, randomInputs(44, 4, 5, 3), (n) => {
      expect(n.layers[0]).toMatchObject({ type: 'bidirectional', merge: mergeMode })
    })
  })

  it.each([
    ['same', 1, 1],
    ['valid', 2, 1],
    // TF.js has no causal padding (NotImplementedError): it is checked against the definition in the soundness and domain suites
    ['same', 1, 2],
  ] as const)('Conv1D (%s, strides %d, dilation %d, relu) → GRU → Dense', async (padding, strides, dilationRate) => {
    const model = tf.sequential()
    model.add(tf.layers.conv1d({ filters: 4, kernelSize: 3, padding, strides, dilationRate, activation: 'relu', inputShape: [9, 3] }))
    model.add(tf.layers.gru({ units: 4, recurrentActivation: 'sigmoid' }))
    model.add(tf.layers.dense({ units: 3 }))
    randomizeWeights(model, 45, 0.8)
    await agree(model, randomInputs(46, 4, 9, 3), (n) => {
      expect(n.layers[0]).toMatchObject({ type: 'conv1d', padding, strides, dilation: dilationRate })
    })
  })

  it('Dense per frame (relu) → LSTM → BatchNormalization on the vector → Dense', async () => {
    const model = tf.sequential()
    model.add(tf.layers.dense({ units: 4, activation: 'relu', inputShape: [null, 3] }))
    model.add(tf.layers.lstm({ units: 5, recurrentActivation: 'sigmoid' }))
    model.add(tf.layers.batchNormalization({}))
    model.add(tf.layers.dense({ units: 3 }))
    randomizeWithBatchNorm(model, 37, 0.9)
    await agree(model, randomInputs(38, 4, 6, 3), (n) => {
      expect(n.layers.map((l) => l.type)).toEqual(['dense', 'lstm', 'batchNorm', 'dense'])
    })
  })
})

describe('parseLayersModel agrees with TF.js predict', () => {
  it("TF.js's default LSTM (tf.layers.lstm({units}): hard_sigmoid gates, slope 0.2) → Dense", async () => {
    const model = tf.sequential()
    model.add(tf.layers.lstm({ units: 8, inputShape: [null, 5] }))
    model.add(tf.layers.dense({ units: 4 }))
    randomizeWeights(model, 21, 1.2)
    await agree(model, randomInputs(22, 6, 6, 5), (n) => {
      expect(n.layers[0]).toMatchObject({ type: 'lstm', recurrentActivation: 'hard_sigmoid', hardSigmoidSlope: 0.2 })
    })
  })

  it("TF.js's default GRU (hard_sigmoid gates) → Dense(relu) → Dense softmax", async () => {
    const model = tf.sequential()
    model.add(tf.layers.gru({ units: 6, inputShape: [null, 3] }))
    model.add(tf.layers.dense({ units: 5, activation: 'relu' }))
    model.add(tf.layers.dense({ units: 3, activation: 'softmax' }))
    randomizeWeights(model, 23, 1.2)
    await agree(model, randomInputs(24, 6, 7, 3), (n) => {
      expect(n.layers.map((l) => `${l.type}:${'activation' in l ? l.activation : ''}`)).toEqual(['gru:tanh', 'dense:relu', 'dense:softmax'])
      expect(n.layers[0]).toMatchObject({ hardSigmoidSlope: 0.2 })
    })
  })

  it('SimpleRNN (relu) → Dense → Activation(softmax)', async () => {
    const model = tf.sequential()
    model.add(tf.layers.simpleRNN({ units: 7, activation: 'relu', inputShape: [null, 4] }))
    model.add(tf.layers.dense({ units: 3 }))
    model.add(tf.layers.activation({ activation: 'softmax' }))
    randomizeWeights(model, 25, 0.5)
    await agree(model, randomInputs(26, 4, 6, 4), (n) => {
      expect(n.layers.map((l) => `${l.type}:${'activation' in l ? l.activation : ''}`)).toEqual(['simpleRnn:relu', 'dense:softmax'])
    })
  })

  it('SimpleRNN (tanh) → Dense linear', async () => {
    const model = tf.sequential()
    model.add(tf.layers.simpleRNN({ units: 7, inputShape: [null, 4] }))
    model.add(tf.layers.dense({ units: 3 }))
    randomizeWeights(model, 1)
    const net = await agree(model, randomInputs(11, 4, 6, 4), (n) => {
      expect(n.input).toEqual({ kind: 'frames', frameSize: 4, seqLen: null })
      expect(n.layers.map((l) => l.type)).toEqual(['simpleRnn', 'dense'])
    })
    expect(net.layers[1]).toMatchObject({ activation: 'linear', units: 3 })
  })

  it('LSTM (sigmoid) → Dense softmax, fixed sequence length', async () => {
    const model = tf.sequential()
    model.add(tf.layers.lstm({ units: 8, recurrentActivation: 'sigmoid', inputShape: [6, 5] }))
    model.add(tf.layers.dense({ units: 4, activation: 'softmax' }))
    randomizeWeights(model, 2)
    await agree(model, randomInputs(12, 4, 6, 5), (n) => {
      expect(n.input).toEqual({ kind: 'frames', frameSize: 5, seqLen: 6 })
      expect(n.layers[0]).toMatchObject({ type: 'lstm', recurrentActivation: 'sigmoid', activation: 'tanh', returnSequences: false })
    })
  })

  it('GRU (reset_after false, sigmoid) → Dropout → Dense softmax', async () => {
    const model = tf.sequential()
    model.add(tf.layers.gru({ units: 6, recurrentActivation: 'sigmoid', inputShape: [null, 3] }))
    model.add(tf.layers.dropout({ rate: 0.3 }))
    model.add(tf.layers.dense({ units: 3, activation: 'softmax' }))
    randomizeWeights(model, 3, 0.8)
    await agree(model, randomInputs(13, 4, 7, 3), (n) => {
      expect(n.layers.map((l) => l.type)).toEqual(['gru', 'dense'])
      expect(n.layers[0]).toMatchObject({ resetAfter: false })
    })
  })

  it('stacked LSTM → LSTM (returnSequences) → Dense tanh → Dense linear', async () => {
    const model = tf.sequential()
    model.add(tf.layers.lstm({ units: 6, recurrentActivation: 'sigmoid', returnSequences: true, inputShape: [null, 4] }))
    model.add(tf.layers.lstm({ units: 5, recurrentActivation: 'sigmoid' }))
    model.add(tf.layers.dense({ units: 4, activation: 'tanh' }))
    model.add(tf.layers.dense({ units: 2 }))
    randomizeWeights(model, 4, 0.8)
    await agree(model, randomInputs(14, 3, 6, 4), (n) => {
      expect(n.layers.map((l) => l.type)).toEqual(['lstm', 'lstm', 'dense', 'dense'])
      expect(n.layers[0]).toMatchObject({ returnSequences: true })
    })
  })

  it('Embedding → LSTM token model → Dense softmax', async () => {
    const model = tf.sequential()
    model.add(tf.layers.embedding({ inputDim: 20, outputDim: 5, inputLength: 6 }))
    model.add(tf.layers.lstm({ units: 6, recurrentActivation: 'sigmoid' }))
    model.add(tf.layers.dense({ units: 3, activation: 'softmax' }))
    randomizeWeights(model, 5, 1)
    const rng = new Rng(15)
    const tokens = Array.from({ length: 4 }, () => Array.from({ length: 6 }, () => rng.int(20)))
    await agree(model, tokens, (n) => {
      expect(n.input).toEqual({ kind: 'tokens', seqLen: 6 })
      expect(n.layers[0]).toMatchObject({ type: 'embedding' })
    })
  })

  it('a Functional (tf.model) linear chain: input → GRU → Dense', async () => {
    const input = tf.input({ shape: [null, 3] })
    const h = tf.layers.gru({ units: 5, recurrentActivation: 'sigmoid' }).apply(input) as tf.SymbolicTensor
    const out = tf.layers.dense({ units: 3 }).apply(h) as tf.SymbolicTensor
    const model = tf.model({ inputs: input, outputs: out })
    randomizeWeights(model, 6, 0.8)
    await agree(model, randomInputs(16, 3, 5, 3))
  })

  it('weights split over two groups and several shards (odd byte boundaries)', async () => {
    const model = tf.sequential()
    model.add(tf.layers.lstm({ units: 5, recurrentActivation: 'sigmoid', inputShape: [null, 3] }))
    model.add(tf.layers.dense({ units: 3 }))
    randomizeWeights(model, 7)
    const { modelJson, weights } = await saveModel(model)
    const specs = (modelJson.weightsManifest as Array<{ weights: Array<{ shape: number[] }> }>)[0].weights
    // group 1: the LSTM's three weights in 3 shards cut at odd offsets; group 2: the Dense
    const sizes = specs.map((s) => 4 * s.shape.reduce((a, b) => a * b, 1))
    const g1 = sizes.slice(0, 3).reduce((a, b) => a + b, 0)
    const all = new Uint8Array(weights)
    const shards = new Map<string, ArrayBuffer>([
      ['group1-shard1of3.bin', all.slice(0, 7).buffer],
      ['group1-shard2of3.bin', all.slice(7, g1 - 5).buffer],
      ['group1-shard3of3.bin', all.slice(g1 - 5, g1).buffer],
      ['group2-shard1of1.bin', all.slice(g1).buffer],
    ])
    const split = {
      ...modelJson,
      weightsManifest: [
        { paths: ['group1-shard1of3.bin', 'group1-shard2of3.bin', 'group1-shard3of3.bin'], weights: specs.slice(0, 3) },
        { paths: ['./group2-shard1of1.bin'], weights: specs.slice(3) },
      ],
    }
    const a = parseLayersModel(modelJson, new Map([['weights.bin', weights]]))
    const b = parseLayersModel(split, (p) => shards.get(p.replace(/^\.\//, '')))
    const c = parseLayersModel(split, shards)
    expect(b).toEqual(a)
    expect(c).toEqual(a)
  })
})

describe('GRU reset_after=true against a TF.js-ops reference', () => {
  /** Keras GRU, reset_after=true, in float32 TF.js ops; gate order z, r, h. */
  function referenceGru(
    x: tf.Tensor2D,
    W: tf.Tensor2D,
    U: tf.Tensor2D,
    bias: tf.Tensor2D,
    u: number,
    returnSequences: boolean,
  ): tf.Tensor2D {
    return tf.tidy(() => {
      const T = x.shape[0]
      const bx = bias.slice([0, 0], [1, 3 * u])
      const bh = bias.slice([1, 0], [1, 3 * u])
      let h: tf.Tensor2D = tf.zeros([1, u])
      const outs: tf.Tensor2D[] = []
      for (let t = 0; t < T; t++) {
        const xt = x.slice([t, 0], [1, x.shape[1]])
        const xw = tf.add(tf.matMul(xt, W), bx) // [1, 3u]
        const hu = tf.add(tf.matMul(h, U), bh) // [1, 3u]
        const z = tf.sigmoid(tf.add(xw.slice([0, 0], [1, u]), hu.slice([0, 0], [1, u])))
        const r = tf.sigmoid(tf.add(xw.slice([0, u], [1, u]), hu.slice([0, u], [1, u])))
        const hh = tf.tanh(tf.add(xw.slice([0, 2 * u], [1, u]), tf.mul(r, hu.slice([0, 2 * u], [1, u]))))
        h = tf.add(tf.mul(z, h), tf.mul(tf.sub(1, z), hh)) as tf.Tensor2D
        outs.push(h)
      }
      return returnSequences ? (tf.concat(outs, 0) as tf.Tensor2D) : h
    })
  }

  function scaledGruNet(seed: number): NetworkIR {
    // two stacked reset_after GRUs; weights scaled up (biases too) so gates are not all ~0.5
    // Keras-like names: 'gru' is a prefix of 'gru_1', which the weight lookup must not confuse
    const net = randomNetwork({ cell: 'gruResetAfter', hidden: [6, 5], frameSize: 4, classes: 3, seed, scale: 2.5 })
    const rng = new Rng(seed + 100)
    net.name = 'sequential'
    net.layers.forEach((l, k) => {
      if (l.type !== 'dense' && !isRecurrent(l)) return
      l.name = ['gru', 'gru_1', 'dense'][k]
      l.bias = l.bias.map(() => rng.normal() * 0.7)
    })
    return net
  }

  it.each(['tfjs', 'keras2', 'keras3', 'functional-keras3'] as const)('hand-written model.json (%s style) matches the reference within 1e-5', async (style) => {
    const source = scaledGruNet(21)
    const { modelJson, weights } = toLayersJson(source, style)
    const net = parseLayersModel(JSON.parse(JSON.stringify(modelJson)), new Map([['weights.bin', weights]]))
    expect(net.layers.map((l) => l.type)).toEqual(['gru', 'gru', 'dense'])
    for (const l of net.layers) if (l.type === 'gru') expect(l.resetAfter).toBe(true)
    // the reference reads the weights straight from weights.bin by the manifest, independently of the parser
    const specs = (modelJson.weightsManifest as Array<{ weights: Array<{ name: string; shape: number[] }> }>)[0].weights
    const file = new Map<string, tf.Tensor>()
    let at = 0
    for (const spec of specs) {
      const n = spec.shape.reduce((a, b) => a * b, 1)
      const parts = spec.name.split('/').filter((p) => p !== 'gru_cell')
      file.set(parts.slice(-2).join('/'), tf.tensor(new Float32Array(weights, at, n), spec.shape))
      at += 4 * n
    }
    const w = (name: string) => {
      const t = file.get(name)
      if (!t) throw new Error(`no weight ${name} in ${[...file.keys()].join(', ')}`)
      return t as tf.Tensor2D
    }
    const cn = compileNetwork(net)
    const inputs = randomInputs(22, 4, 7, 4)
    let worst = 0
    let spread = 0
    for (const sample of inputs) {
      const ref = tf.tidy(() => {
        const x = tf.tensor2d(sample)
        const h1 = referenceGru(x, w('gru/kernel'), w('gru/recurrent_kernel'), w('gru/bias'), 6, true)
        const h2 = referenceGru(h1, w('gru_1/kernel'), w('gru_1/recurrent_kernel'), w('gru_1/bias'), 5, false)
        return tf.add(tf.matMul(h2, w('dense/kernel')), w('dense/bias'))
      })
      const expected = (await ref.array()) as number[][]
      ref.dispose()
      const { logits } = forward(cn, sample.map((f) => Float64Array.from(f)))
      worst = Math.max(worst, maxAbsDiff([logits], expected))
      spread = Math.max(spread, Math.max(...expected[0]) - Math.min(...expected[0]))
    }
    file.forEach((t) => t.dispose())
    expect(worst).toBeLessThanOrEqual(1e-5)
    expect(spread).toBeGreaterThan(1e-2)
  })

  it('reset_after is inferred from the bias shape [2, 3u] when the config omits it', () => {
    const { modelJson, weights } = toLayersJson(scaledGruNet(23), 'tfjs')
    const layers = ((modelJson.modelTopology as { config: { layers: Array<{ config: Record<string, unknown> }> } }).config.layers)
    delete layers[0].config.reset_after
    delete layers[1].config.reset_after
    const net = parseLayersModel(modelJson, new Map([['weights.bin', weights]]))
    for (const l of net.layers) if (l.type === 'gru') expect(l.resetAfter).toBe(true)
  })
})
