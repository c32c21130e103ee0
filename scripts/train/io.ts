/** Save and load TF.js Layers models on disk in Node: model.json + a single weights.bin. */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs'

/** A weight stored 8-bit quantized (TF.js's scheme: value = q·scale + min, decoded to float32). */
export interface Quantized {
  dtype: 'uint8'
  q: Uint8Array
  min: number
  scale: number
}

/**
 * Replace float32 weights by their quantized bytes (`quantized` maps weight names to the
 * values to store; the model's own values must already be their dequantization).
 */
function quantizeWeights(specs: tf.io.WeightsManifestEntry[], data: ArrayBuffer, quantized: Record<string, Quantized>): { specs: tf.io.WeightsManifestEntry[]; data: ArrayBuffer } {
  const parts: Uint8Array[] = []
  const out: tf.io.WeightsManifestEntry[] = []
  let offset = 0
  const used = new Set<string>()
  for (const spec of specs) {
    if (spec.dtype !== 'float32' || spec.quantization) throw new Error(`weight ${spec.name}: only float32 weights are expected`)
    const bytes = 4 * spec.shape.reduce((a, b) => a * b, 1)
    const q = quantized[spec.name]
    if (q) {
      if (q.q.length !== bytes / 4) throw new Error(`weight ${spec.name}: ${q.q.length} quantized values for ${bytes / 4} weights`)
      const stored = new Float32Array(data.slice(offset, offset + bytes))
      for (let i = 0; i < stored.length; i++) {
        if (Math.fround(q.q[i] * q.scale + q.min) !== stored[i]) throw new Error(`weight ${spec.name}: value ${i} is not the dequantization of its 8-bit code`)
      }
      parts.push(q.q)
      out.push({ ...spec, quantization: { dtype: 'uint8', min: q.min, scale: q.scale } })
      used.add(spec.name)
    } else {
      parts.push(new Uint8Array(data, offset, bytes))
      out.push(spec)
    }
    offset += bytes
  }
  for (const name of Object.keys(quantized)) if (!used.has(name)) throw new Error(`weight ${name} to quantize is not in the model`)
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    all.set(p, at)
    at += p.length
  }
  return { specs: out, data: all.buffer }
}

/**
 * Write `dir`/model.json and `dir`/weights.bin exactly as TF.js's own save would (with
 * `quantized`: those weights stored 8-bit, as TF.js's converter does).
 */
export async function saveModel(model: tf.LayersModel, dir: string, quantized?: Record<string, Quantized>): Promise<void> {
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      let specs = artifacts.weightSpecs ?? []
      let weights = artifacts.weightData ? tf.io.CompositeArrayBuffer.join(artifacts.weightData) : new ArrayBuffer(0)
      if (quantized) ({ specs, data: weights } = quantizeWeights(specs, weights, quantized))
      const modelJson = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        weightsManifest: [{ paths: ['weights.bin'], weights: specs }],
      }
      writeFileSync(join(dir, 'model.json'), JSON.stringify(modelJson))
      writeFileSync(join(dir, 'weights.bin'), new Uint8Array(weights))
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: weights.byteLength } }
    }),
  )
}

/** An IOHandler reading model.json and its (single-group) shards from a folder. */
export function fileHandler(dir: string): tf.io.IOHandler {
  return {
    load: async () => {
      const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as {
        modelTopology: object
        weightsManifest: Array<{ paths: string[]; weights: tf.io.WeightsManifestEntry[] }>
      }
      const weightSpecs = json.weightsManifest.flatMap((g) => g.weights)
      const buffers = json.weightsManifest.flatMap((g) => g.paths.map((p) => readFileSync(join(dir, p))))
      const all = Buffer.concat(buffers)
      const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer
      return { modelTopology: json.modelTopology, weightSpecs, weightData }
    },
  }
}

export function loadModel(dir: string): Promise<tf.LayersModel> {
  return tf.loadLayersModel(fileHandler(dir))
}
