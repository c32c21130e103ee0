/**
 * Saving a model with an 8-bit embedding (the defended text models) or float16 weights (the
 * zoo's newer models): TF.js decodes exactly the values the model was evaluated with, and so
 * does the certifier's loader.
 */
import * as tf from '@tensorflow/tfjs'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadModelDir } from '../lib/loadModelDir.ts'
import { floatToHalf, loadModel, quantizeFloat16, quantizeUint8, saveModel } from './io.ts'
import { halfToFloat } from '../../src/model/layersJson.ts'

const dir = mkdtempSync(join(tmpdir(), 'cert-rnn-io-'))

beforeAll(async () => {
  await tf.setBackend('cpu')
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('saveModel with an 8-bit weight', () => {
  it('round-trips: TF.js and the certifier read the dequantized values exactly; the file is smaller', async () => {
    const m = tf.sequential()
    m.add(tf.layers.embedding({ inputDim: 50, outputDim: 8, inputShape: [null], embeddingsInitializer: tf.initializers.randomUniform({ minval: -0.3, maxval: 0.2, seed: 1 }) }))
    m.add(tf.layers.simpleRNN({ units: 4, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }), recurrentInitializer: tf.initializers.glorotUniform({ seed: 3 }) }))
    m.add(tf.layers.dense({ units: 2, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) }))
    const emb = m.layers[0]
    const [w] = emb.getWeights()
    const q = quantizeUint8(w.dataSync() as Float32Array)
    expect(Math.max(...Array.from(w.dataSync(), (v, i) => Math.abs(v - q.dequantized[i])))).toBeLessThanOrEqual(q.scale / 2 + 1e-7)
    emb.setWeights([tf.tensor(q.dequantized, w.shape)])
    // frozen: the order of the saved weights changes (non-trainable ones last)
    emb.trainable = false
    await saveModel(m, dir, { [emb.weights[0].originalName]: q })
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'))
    const spec = json.weightsManifest[0].weights.find((s: { name: string }) => s.name === 'embedding/embeddings' || s.name.endsWith('/embeddings'))
    expect(spec.quantization).toEqual({ dtype: 'uint8', min: q.min, scale: q.scale })
    expect(readFileSync(join(dir, 'weights.bin')).byteLength).toBe(50 * 8 + 4 * (8 * 4 + 4 * 4 + 4 + 4 * 2 + 2))
    const back = await loadModel(dir)
    const decoded = back.layers[0].getWeights()[0].dataSync()
    expect(Array.from(decoded)).toEqual(Array.from(q.dequantized))
    const ir = loadModelDir(dir)
    const e = ir.layers[0]
    expect(e.type).toBe('embedding')
    if (e.type === 'embedding') expect(Array.from(e.embeddings.data)).toEqual(Array.from(q.dequantized))
    // every other weight as saved
    const rnn = ir.layers[1]
    if (rnn.type === 'simpleRnn') expect(Array.from(rnn.kernel.data)).toEqual(Array.from(m.layers[1].getWeights()[0].dataSync()))
    m.dispose()
    back.dispose()
  })

  it('refuses codes that are not the model’s values', async () => {
    const m = tf.sequential()
    m.add(tf.layers.embedding({ inputDim: 5, outputDim: 2, inputShape: [null] }))
    m.add(tf.layers.simpleRNN({ units: 2 }))
    const q = quantizeUint8(m.layers[0].getWeights()[0].dataSync() as Float32Array)
    await expect(saveModel(m, dir, { [m.layers[0].weights[0].originalName]: { ...q, min: q.min + 0.01 } })).rejects.toThrow(/not the dequantization/)
    m.dispose()
  })
})

describe('float16 storage', () => {
  it('floatToHalf is the nearest half (ties to even), subnormals, ±0, overflow and NaN included', () => {
    expect(floatToHalf(1)).toBe(0x3c00)
    expect(floatToHalf(-2)).toBe(0xc000)
    expect(floatToHalf(0)).toBe(0)
    expect(floatToHalf(-0)).toBe(0x8000)
    expect(floatToHalf(65504)).toBe(0x7bff)
    expect(floatToHalf(1e6)).toBe(0x7c00)
    expect(floatToHalf(-Infinity)).toBe(0xfc00)
    expect(Number.isNaN(halfToFloat(floatToHalf(Number.NaN)))).toBe(true)
    expect(floatToHalf(2 ** -24)).toBe(1)
    expect(floatToHalf(2 ** -26)).toBe(0)
    // 1 + 2^-11 lies halfway between 1 and 1 + 2^-10: to even (1); 1 + 3·2^-11: up
    expect(floatToHalf(1 + 2 ** -11)).toBe(0x3c00)
    expect(floatToHalf(1 + 3 * 2 ** -11)).toBe(0x3c02)
    // on seeded random floats of every scale: no neighbouring half (in magnitude; halves are
    // ordered as their bits) is nearer, and the sign is kept
    let s = 12345
    for (let k = 0; k < 5000; k++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0
      const v = Math.fround(((s / 2 ** 32) * 2 - 1) * 2 ** ((k % 40) - 28))
      const h = floatToHalf(v)
      const mine = Math.abs(halfToFloat(h) - v)
      const mag = h & 0x7fff
      for (const n of [mag - 1, mag + 1]) if (n >= 0 && n < 0x7c00) expect(Math.abs(halfToFloat(n) - Math.abs(v)), `v = ${v}`).toBeGreaterThanOrEqual(mine)
      expect(h & 0x8000 ? v <= 0 : v >= 0).toBe(true)
    }
  })

  it('round-trips: TF.js and the certifier read the halves exactly; the file is smaller', async () => {
    const m = tf.sequential()
    m.add(tf.layers.lstm({ units: 4, inputShape: [3, 5], kernelInitializer: tf.initializers.glorotUniform({ seed: 5 }), recurrentInitializer: tf.initializers.orthogonal({ seed: 6 }) }))
    m.add(tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 7 }) }))
    const quantized: Record<string, ReturnType<typeof quantizeFloat16>> = {}
    for (const layer of m.layers) {
      const ws = layer.getWeights()
      const qs = ws.map((w) => quantizeFloat16(w.dataSync() as Float32Array))
      layer.setWeights(qs.map((q, k) => tf.tensor(q.dequantized, ws[k].shape)))
      layer.weights.forEach((w, k) => (quantized[w.originalName] = qs[k]))
    }
    const before = Array.from((m.predict(tf.ones([1, 3, 5])) as tf.Tensor).dataSync())
    await saveModel(m, dir, quantized)
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'))
    for (const s of json.weightsManifest[0].weights) expect(s.quantization, s.name).toEqual({ dtype: 'float16' })
    expect(readFileSync(join(dir, 'weights.bin')).byteLength).toBe(2 * (4 * 4 * (5 + 4 + 1) + 4 * 3 + 3))
    const back = await loadModel(dir)
    back.layers.forEach((layer, l) => layer.getWeights().forEach((w, k) => expect(Array.from(w.dataSync())).toEqual(Array.from(quantized[m.layers[l].weights[k].originalName].dequantized))))
    expect(Array.from((back.predict(tf.ones([1, 3, 5])) as tf.Tensor).dataSync())).toEqual(before)
    const ir = loadModelDir(dir)
    const lstm = ir.layers[0]
    expect(lstm.type).toBe('lstm')
    if (lstm.type === 'lstm') expect(Array.from(lstm.recurrentKernel.data)).toEqual(Array.from(quantized[m.layers[0].weights[1].originalName].dequantized))
    m.dispose()
    back.dispose()
  })
})
