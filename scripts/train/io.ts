/** Save and load TF.js Layers models on disk in Node: model.json + a single weights.bin. */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { halfToFloat } from '../../src/model/layersJson.ts'

/**
 * A weight stored quantized, as the tensorflowjs converter writes it: 8-bit affine (TF.js's
 * scheme: value = q·scale + min) or IEEE half precision; TF.js decodes both to float32.
 */
export type Quantized = { dtype: 'uint8'; q: Uint8Array; min: number; scale: number } | { dtype: 'float16'; q: Uint16Array }

/** The codes and `dequantized`: exactly what TF.js's decodeWeights (and the certifier's loader) make of them. */
export type Uint8Weight = Extract<Quantized, { dtype: 'uint8' }> & { dequantized: Float32Array }
export type Float16Weight = Extract<Quantized, { dtype: 'float16' }> & { dequantized: Float32Array }
export type QuantizedWeight = Uint8Weight | Float16Weight

/** 8-bit affine quantization of a weight (TF.js's uint8 scheme: v = q·scale + min). */
export function quantizeUint8(values: Float32Array): Uint8Weight {
  let min = Infinity
  let max = -Infinity
  for (const v of values) {
    if (v < min) min = v
    if (v > max) max = v
  }
  const scale = max > min ? (max - min) / 255 : 1
  const q = new Uint8Array(values.length)
  const dequantized = new Float32Array(values.length)
  for (let i = 0; i < values.length; i++) {
    q[i] = Math.max(0, Math.min(255, Math.round((values[i] - min) / scale)))
    dequantized[i] = q[i] * scale + min
  }
  return { dtype: 'uint8', q, min, scale, dequantized }
}

const f32 = new Float32Array(1)
const u32 = new Uint32Array(f32.buffer)

/** The IEEE half nearest to a float32 value (ties to even; overflow → ±∞), as its 16 bits. */
export function floatToHalf(v: number): number {
  f32[0] = v
  const x = u32[0]
  const sign = (x >>> 16) & 0x8000
  const exp = (x >>> 23) & 0xff
  let mant = x & 0x7fffff
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0)
  const e = exp - 127 + 15
  if (e >= 31) return sign | 0x7c00
  let h: number
  let rem: number
  let halfway: number
  if (e <= 0) {
    // subnormal half (or zero): the implicit 1 joins the mantissa
    if (e < -10) return sign
    mant |= 0x800000
    const shift = 14 - e
    h = mant >>> shift
    rem = mant & ((1 << shift) - 1)
    halfway = 1 << (shift - 1)
  } else {
    h = (e << 10) | (mant >>> 13)
    rem = mant & 0x1fff
    halfway = 0x1000
  }
  // rounding up may carry into the exponent (up to ∞): still the nearest half
  if (rem > halfway || (rem === halfway && h & 1)) h++
  return sign | h
}

/** Half-precision storage of a weight (the converter's `--quantize_float16`). */
export function quantizeFloat16(values: Float32Array): Float16Weight {
  const q = new Uint16Array(values.length)
  const dequantized = new Float32Array(values.length)
  for (let i = 0; i < values.length; i++) {
    q[i] = floatToHalf(values[i])
    dequantized[i] = halfToFloat(q[i])
  }
  return { dtype: 'float16', q, dequantized }
}

const decoded = (q: Quantized, i: number): number => (q.dtype === 'uint8' ? Math.fround(q.q[i] * q.scale + q.min) : halfToFloat(q.q[i]))

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
        if (decoded(q, i) !== stored[i]) throw new Error(`weight ${spec.name}: value ${i} is not the dequantization of its ${q.dtype === 'uint8' ? '8-bit code' : 'half'}`)
      }
      // little-endian bytes, as TF.js reads them
      parts.push(q.dtype === 'uint8' ? q.q : new Uint8Array(Uint16Array.from(q.q).buffer))
      out.push({ ...spec, quantization: q.dtype === 'uint8' ? { dtype: 'uint8', min: q.min, scale: q.scale } : { dtype: 'float16' } })
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
 * `quantized`: those weights stored 8-bit or float16, as TF.js's converter does).
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
