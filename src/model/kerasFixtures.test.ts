/**
 * Real Keras 3.15 models (testing/fixtures/keras3, converted by tensorflowjs 4.22): every
 * model the certifier supports loads from the converted TF.js folder, from the original
 * .h5 and from the .keras file (read directly, no converter), with the same weights; its
 * float64 forward agrees with Keras's logits; certificates hold under sampling. Models with
 * layers the certifier refuses are refused with a message naming the layer.
 */
import * as tf from '@tensorflow/tfjs'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { loadModelDir } from '../../scripts/lib/loadModelDir.ts'
import type { LayerIR, NetworkIR, SampleInput } from '../cert/index.ts'
import { certifyThreat, compileNetwork, forward, isRecurrent, prepareSample, Rng } from '../cert/index.ts'
import { parseKerasFile, readKerasFile } from './kerasFile.ts'
import { halfToFloat, kerasSavePaths, kerasSnakeCase, parseLayersModel } from './layersJson.ts'

const DIR = join(import.meta.dirname, 'testing', 'fixtures', 'keras3')
const at = (name: string, file = '') => join(DIR, name, file)
const json = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T

interface Ref {
  logits: number[][]
  predicted: number[]
}

/** The model in each of its formats: the converted folder, the .h5, the .keras (when there is one). */
function formats(name: string): Array<[string, string]> {
  const out: Array<[string, string]> = [['TF.js folder', at(name)]]
  for (const ext of ['h5', 'keras']) if (existsSync(at(name, `${name}.${ext}`))) out.push([`.${ext}`, at(name, `${name}.${ext}`)])
  return out
}

function logitsOf(net: NetworkIR, input: SampleInput): Float64Array {
  return prepareSample(compileNetwork(net), input).concrete.logits
}

function weightArrays(l: LayerIR): Float64Array[] {
  if (l.type === 'embedding') return [l.embeddings.data]
  if (l.type === 'dense') return [l.kernel.data, l.bias]
  if (l.type === 'batchNorm') return [l.scale, l.offset]
  if (l.type === 'conv1d') return [...l.taps.map((m) => m.data), l.bias]
  if (l.type === 'bidirectional') return [...weightArrays(l.forward), ...weightArrays(l.backward)]
  if (!isRecurrent(l)) return []
  return [l.kernel.data, l.recurrentKernel.data, l.bias]
}

const SUPPORTED = [
  { name: 'dotkeras-lstm', cell: 'lstm' },
  { name: 'dotkeras-gru-resetafter', cell: 'gru' },
  { name: 'dotkeras-text-lstm', cell: 'lstm' },
  { name: 'stacked-gru-lstm', cell: 'gru' },
  { name: 'qfloat16-lstm', cell: 'lstm' },
  // the sequence pipeline
  { name: 'spatialdropout-bn-lstm', cell: 'batchNorm' },
  { name: 'gru-seq-globalavg', cell: 'gru' },
  { name: 'timedistributed-dense-pool', cell: 'lstm' },
  { name: 'reshape-784-lstm', cell: 'lstm' },
  { name: 'lstm-seq-globalmax', cell: 'lstm' },
  { name: 'bidir-lstm-concat', cell: 'bidirectional' },
  { name: 'bidir-gru-sum', cell: 'bidirectional' },
  { name: 'toxic-classic', cell: 'bidirectional' },
  { name: 'conv1d-gru', cell: 'conv1d' },
]

describe.each(SUPPORTED)('$name', ({ name, cell }) => {
  const inputs = json<SampleInput[]>(at(name, 'inputs.json'))
  const ref = json<Ref>(at(name, 'keras_ref.json'))
  // keras_ref is the float32 model's; the float16 conversion differs by ~1e-3 (its README)
  const tolerance = (format: string) => (name === 'qfloat16-lstm' && format === 'TF.js folder' ? 2e-3 : 1e-5)

  it.each(formats(name))('%s: loads and agrees with Keras', (format, path) => {
    const net = loadModelDir(path)
    expect(net.layers.find((l) => l.type !== 'embedding')?.type).toBe(cell)
    inputs.forEach((input, i) => {
      const logits = logitsOf(net, input)
      expect(logits.length).toBe(ref.logits[i].length)
      logits.forEach((v, k) => expect(Math.abs(v - ref.logits[i][k])).toBeLessThan(tolerance(format)))
    })
  })

  it('every format holds the same weights, bit for bit (float16: the halves, as float32)', () => {
    const [first, ...rest] = formats(name).map(([, path]) => loadModelDir(path))
    for (const other of rest) {
      expect(other.layers.map((l) => l.type)).toEqual(first.layers.map((l) => l.type))
      other.layers.forEach((l, k) => {
        const want = weightArrays(first.layers[k]).map((a) => Array.from(a))
        const got = weightArrays(l).map((a) => Array.from(a))
        if (name === 'qfloat16-lstm') got.forEach((a, j) => a.forEach((v, i) => expect(Math.abs(v - want[j][i])).toBeLessThan(1e-3)))
        else expect(got).toEqual(want)
      })
    }
  })

  it('certificates hold under sampling (ε = 0.001, all frames; 1,000 points of the ball keep the class)', () => {
    const net = loadModelDir(formats(name).at(-1)![1])
    const cn = compileNetwork(net)
    const rng = new Rng(13)
    const eps = 0.001
    let certified = 0
    for (const input of inputs.slice(0, 3)) {
      const prep = prepareSample(cn, input)
      const r = certifyThreat(prep, { kind: 'all' }, eps)
      if (!r.certified) continue
      certified++
      for (let s = 0; s < 1000; s++) {
        const x = prep.frames.map((f) => f.map((v) => v + rng.uniform(-eps, eps)))
        const l = forward(cn, x).logits
        const best = l.indexOf(Math.max(...l))
        expect(best).toBe(prep.predicted)
      }
    }
    expect(certified).toBeGreaterThan(0)
  })
})

describe('the three formats, as files', () => {
  it('readKerasFile: .keras gives the converter weight names (optimizer left out), .h5 the Keras weight names', () => {
    const dk = readKerasFile(new Uint8Array(readFileSync(at('dotkeras-lstm', 'dotkeras-lstm.keras'))), 'dotkeras-lstm.keras')
    const names = (m: typeof dk) => (m.modelJson.weightsManifest as Array<{ weights: Array<{ name: string }> }>)[0].weights.map((w) => w.name)
    expect(dk.kind).toBe('keras')
    const converted = json<{ weightsManifest: Array<{ weights: Array<{ name: string }> }> }>(at('dotkeras-lstm', 'model.json'))
    expect(names(dk).sort()).toEqual(converted.weightsManifest[0].weights.map((w) => w.name).filter((n) => !n.startsWith('optimizer/')).sort())
    const h5 = readKerasFile(new Uint8Array(readFileSync(at('dotkeras-lstm', 'dotkeras-lstm.h5'))), 'dotkeras-lstm.h5')
    expect(h5.kind).toBe('h5')
    expect(names(h5).sort()).toEqual(['sequential_8/dense_10/bias', 'sequential_8/dense_10/kernel', 'sequential_8/lstm_6/lstm_cell/bias', 'sequential_8/lstm_6/lstm_cell/kernel', 'sequential_8/lstm_6/lstm_cell/recurrent_kernel'])
  })

  it('a file that is neither a zip nor HDF5; a zip without model.weights.h5', () => {
    expect(() => readKerasFile(new TextEncoder().encode('{"hello": 1}'), 'x.keras')).toThrow("x.keras is neither a Keras .keras file (a zip) nor an HDF5 .h5 file")
    const zipped = readFileSync(at('dotkeras-lstm', 'dotkeras-lstm.keras'))
    expect(() => readKerasFile(new Uint8Array(zipped.subarray(0, 200)), 'cut.keras')).toThrow(/cut\.keras is not a readable zip|cut\.keras has no/)
  })

  it('.keras-converter names the loader cannot match say so, with the fix', () => {
    const mj = json<{ weightsManifest: Array<{ weights: Array<{ name: string }> }> }>(at('dotkeras-lstm', 'model.json'))
    const w = mj.weightsManifest[0].weights.find((e) => e.name === 'layers/lstm/cell/vars/1')!
    w.name = 'layers/lstm/cell/vars/9'
    const shard = readFileSync(at('dotkeras-lstm', 'group1-shard1of1.bin'))
    expect(() => parseLayersModel(mj, new Map([['group1-shard1of1.bin', shard.buffer.slice(shard.byteOffset, shard.byteOffset + shard.byteLength)]]))).toThrow(
      "layer 'lstm_6': weight 'recurrent_kernel' is missing from the weights manifest, which uses .keras-converter weight names (expected 'layers/lstm/cell/vars/1'); convert the model's .h5 file instead, or drop the .keras file itself",
    )
  })

  it("Keras's save paths: snake_case class names, numbered per class in layer order", () => {
    expect(['SimpleRNN', 'LSTM', 'GRU', 'Conv1D', 'GlobalMaxPooling1D', 'InputLayer', 'Dense'].map(kerasSnakeCase)).toEqual([
      'simple_rnn',
      'lstm',
      'gru',
      'conv1d',
      'global_max_pooling1d',
      'input_layer',
      'dense',
    ])
    const layers = [
      { className: 'InputLayer', name: 'in' },
      { className: 'LSTM', name: 'a' },
      { className: 'Dropout', name: 'd' },
      { className: 'LSTM', name: 'b' },
      { className: 'Dense', name: 'c' },
      { className: 'LSTM', name: 'e' },
    ]
    expect([...kerasSavePaths(layers)]).toEqual([
      ['in', 'layers/input_layer'],
      ['a', 'layers/lstm'],
      ['d', 'layers/dropout'],
      ['b', 'layers/lstm_1'],
      ['c', 'layers/dense'],
      ['e', 'layers/lstm_2'],
    ])
  })
})

describe('float16-quantized weights (--quantize_float16)', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu')
  })

  it('IEEE half → value, exactly: normals, subnormals, zeros, infinities', () => {
    expect(halfToFloat(0x3c00)).toBe(1)
    expect(halfToFloat(0xc000)).toBe(-2)
    expect(halfToFloat(0x7bff)).toBe(65504)
    expect(halfToFloat(0x0001)).toBe(2 ** -24)
    expect(halfToFloat(0x03ff)).toBe(1023 * 2 ** -24)
    expect(halfToFloat(0x0400)).toBe(2 ** -14)
    expect(Object.is(halfToFloat(0x8000), -0)).toBe(true)
    expect(halfToFloat(0x7c00)).toBe(Infinity)
    expect(halfToFloat(0xfc00)).toBe(-Infinity)
    expect(halfToFloat(0x7e00)).toBeNaN()
  })

  it('every half decodes as TF.js decodes it', () => {
    const all = new Uint16Array(65536).map((_v, k) => k)
    const [t] = Object.values(tf.io.decodeWeights(all.buffer, [{ name: 'w', shape: [65536], dtype: 'float32', quantization: { dtype: 'float16' } }]))
    const theirs = t.dataSync()
    const ours = Float32Array.from(all, halfToFloat)
    for (let k = 0; k < 65536; k++) {
      if (Number.isNaN(ours[k])) expect(theirs[k]).toBeNaN()
      else expect(theirs[k]).toBe(ours[k])
    }
  })

  it("qfloat16-lstm's weights are exactly TF.js's decoding of the shard", () => {
    const mj = json<{ weightsManifest: Array<{ weights: tf.io.WeightsManifestEntry[] }> }>(at('qfloat16-lstm', 'model.json'))
    const shard = readFileSync(at('qfloat16-lstm', 'group1-shard1of1.bin'))
    const decoded = tf.io.decodeWeights(shard.buffer.slice(shard.byteOffset, shard.byteOffset + shard.byteLength), mj.weightsManifest[0].weights)
    const net = loadModelDir(at('qfloat16-lstm'))
    const [lstm, dense] = net.layers
    if (lstm.type !== 'lstm' || dense.type !== 'dense') throw new Error('layer types')
    const tfjs = (n: string) => Array.from(decoded[n].dataSync())
    expect(Array.from(lstm.kernel.data)).toEqual(tfjs('sequential_18/lstm_11/lstm_cell/kernel'))
    expect(Array.from(lstm.recurrentKernel.data)).toEqual(tfjs('sequential_18/lstm_11/lstm_cell/recurrent_kernel'))
    expect(Array.from(lstm.bias)).toEqual(tfjs('sequential_18/lstm_11/lstm_cell/bias'))
    expect(Array.from(dense.kernel.data)).toEqual(tfjs('sequential_18/dense_21/kernel'))
    expect(Array.from(dense.bias)).toEqual(tfjs('sequential_18/dense_21/bias'))
  })
})

describe('masking fixtures (once refused): they load from the folder and from the .h5 read directly, masks included', () => {
  it.each([
    ['masking-lstm', { type: 'masking', name: 'masking', maskValue: 0 }],
    ['text-maskzero-gru', { type: 'embedding', maskZero: true }],
  ])('%s', (name, first) => {
    expect(loadModelDir(at(name)).layers[0]).toMatchObject(first)
    const file = at(name, `${name}.h5`)
    expect(parseKerasFile(new Uint8Array(readFileSync(file)), `${name}.h5`).net.layers[0]).toMatchObject(first)
  })
})
