/**
 * A PyTorch model exported to ONNX and its twin built in TF.js (Keras 2 layers, @tensorflow/tfjs
 * in Node) from the same state_dict: TF.js's predictions agree with PyTorch's logits, and the
 * twin saved as model.json + weights.bin gets the same certified bounds as the .onnx file.
 * (No Keras 3 here; TF.js's GRU has no reset_after=True, PyTorch's GRU: GRU models are twinned
 * through a Keras-layout model.json in onnx.test.ts.)
 */
import * as tf from '@tensorflow/tfjs'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import type { LayerIR, Matrix, RecurrentLayer } from '../cert/index.ts'
import { compileNetwork, findBound, prepareSample } from '../cert/index.ts'
import { parseModelFiles } from './layersJson.ts'
import { parseOnnxModel } from './onnx.ts'
import { saveModel } from './testing/saveTfjs.ts'
import { torchNetwork } from './testing/torchState.ts'

beforeAll(async () => {
  await tf.setBackend('cpu')
})

const DIR = join(import.meta.dirname, 'testing', 'fixtures', 'onnx')
const json = (name: string, file: string) => JSON.parse(readFileSync(join(DIR, name, file), 'utf8'))

const matrix = (m: Matrix) => tf.tensor2d(Float32Array.from(m.data), [m.rows, m.cols])
const vector = (v: Float64Array) => tf.tensor1d(Float32Array.from(v))

/** a recurrent layer's Keras weights: kernel, recurrent kernel, bias */
const cellWeights = (l: RecurrentLayer) => [matrix(l.kernel), matrix(l.recurrentKernel), vector(l.bias)]

function weightsOf(l: LayerIR): tf.Tensor[] {
  if (l.type === 'bidirectional') return [...cellWeights(l.forward), ...cellWeights(l.backward)]
  if (l.type === 'dense') return [matrix(l.kernel), vector(l.bias)]
  return []
}

describe('lstm_bidirectional_max (nn.LSTM(bidirectional=True) → out.max(dim=0).values → Linear) and its TF.js twin', () => {
  it('TF.js Bidirectional(LSTM, concat) → GlobalMaxPooling1D → Dense agrees with PyTorch, and certifies the same bounds', async () => {
    const name = 'lstm_bidirectional_max'
    const [T, F, H, C] = [6, 4, 8, 3]
    const model = tf.sequential({
      layers: [
        tf.layers.bidirectional({ layer: tf.layers.lstm({ units: H, returnSequences: true, recurrentActivation: 'sigmoid' }) as tf.RNN, mergeMode: 'concat', inputShape: [T, F] }),
        tf.layers.globalMaxPooling1d(),
        tf.layers.dense({ units: C }),
      ],
    })
    // the state_dict in Keras layout (gate orders, summed LSTM biases; float32 in TF.js)
    const byHand = torchNetwork(json(name, 'torch_state.json'), { cell: 'lstm', frameSize: F, seqLen: T, take: 'max' })
    model.setWeights(byHand.layers.flatMap(weightsOf))
    const xs = (json(name, 'inputs.json') as { x: number[][][] }).x
    const ref = json(name, 'torch_ref.json').logits as number[][]
    const predicted = (model.predict(tf.tensor3d(xs)) as tf.Tensor).arraySync() as number[][]
    predicted.forEach((row, i) => row.forEach((v, k) => expect(Math.abs(v - ref[i][k])).toBeLessThan(1e-5)))

    const saved = await saveModel(model)
    const twin = compileNetwork(parseModelFiles(JSON.stringify(saved.modelJson), new Map([['weights.bin', saved.weights]])))
    const fromOnnx = compileNetwork(parseOnnxModel(new Uint8Array(readFileSync(join(DIR, name, 'model.onnx')))))
    expect(twin.net.layers.map((l) => l.type)).toEqual(['bidirectional', 'pool', 'dense'])
    for (const x of xs.slice(0, 2)) {
      const a = findBound(prepareSample(fromOnnx, { x }), { kind: 'all' })
      const b = findBound(prepareSample(twin, { x }), { kind: 'all' })
      expect(a.bound).toBeGreaterThan(0)
      // the twin's LSTM biases are PyTorch's two summed and rounded to float32
      expect(Math.abs(b.bound - a.bound)).toBeLessThanOrEqual(1e-6 * a.bound)
    }
  })
})
