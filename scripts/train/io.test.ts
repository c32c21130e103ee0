/**
 * Saving a model with an 8-bit embedding (the defended text models): TF.js decodes exactly
 * the values the model trained with, and so does the certifier's loader.
 */
import * as tf from '@tensorflow/tfjs'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadModelDir } from '../lib/loadModelDir.ts'
import { quantizeUint8 } from './defended.ts'
import { loadModel, saveModel } from './io.ts'

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
