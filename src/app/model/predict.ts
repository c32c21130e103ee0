/**
 * The prediction and confidence shown beside a certificate, from TF.js (loaded lazily so
 * the first paint does not wait for it). Models TF.js cannot load fall back to the
 * certifier's float64 forward pass, and say so: those known beforehand (Keras 3 files:
 * their InputLayer's batch_shape, .keras weight names) without trying, others (GRU
 * reset_after=true, …) when TF.js throws.
 */
import type { SampleInput } from '../../cert/index.ts'
import { argmax, compileNetwork, prepareSample } from '../../cert/index.ts'
import { findShard, isKerasSaveName } from '../../model/layersJson.ts'
import type { LoadedModel } from './loaded.ts'

export interface Prediction {
  predicted: number
  probabilities: number[]
  source: 'tfjs' | 'onnxruntime' | 'float64'
  note?: string
}

/** what computed a prediction, as the results say it */
export const PREDICTION_SOURCES: Record<Prediction['source'], string> = { tfjs: 'TF.js', onnxruntime: 'ONNX Runtime', float64: 'float64 forward pass' }

export function softmax(v: ArrayLike<number>): number[] {
  const m = Math.max(...Array.from(v))
  const e = Array.from(v, (x) => Math.exp(x - m))
  const s = e.reduce((a, b) => a + b, 0)
  return e.map((x) => x / s)
}

const tfModels = new WeakMap<LoadedModel, Promise<unknown>>()

/** A weight shard of the model, found as the certifier found it (by path, './' or file name). */
export function shardOf(m: Pick<LoadedModel, 'shards'>, path: string): ArrayBuffer {
  const buf = findShard(m.shards, path)
  if (!buf) throw new Error(`shard '${path}' is missing`)
  return buf
}

type Json = Record<string, unknown>
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v)

/**
 * Why TF.js (4.22) cannot load this model.json, when it is known without trying, or null.
 * Every Keras 3 file, converted or read directly, is one: TF.js's InputLayer needs
 * batch_input_shape, and it matches weights to layers by name.
 */
export function tfjsObstacle(modelJson: unknown): string | null {
  if (!isObject(modelJson)) return null
  const manifest = Array.isArray(modelJson.weightsManifest) ? modelJson.weightsManifest : []
  const names = manifest.flatMap((g) => (isObject(g) && Array.isArray(g.weights) ? g.weights : [])).map((w) => (isObject(w) ? String(w.name) : ''))
  if (names.some(isKerasSaveName)) return 'TF.js cannot match the weight names of a Keras 3 .keras file (layers/…/vars/N) to its layers'
  const topology = isObject(modelJson.modelTopology) ? modelJson.modelTopology : {}
  const model = isObject(topology.model_config) ? topology.model_config : topology
  const layers = isObject(model.config) && Array.isArray(model.config.layers) ? model.config.layers : []
  const input = layers.find((l) => isObject(l) && l.class_name === 'InputLayer' && isObject(l.config) && 'batch_shape' in l.config && !('batch_input_shape' in l.config))
  if (input) return "TF.js cannot read a Keras 3 InputLayer (batch_shape)"
  return null
}

async function tfModel(m: LoadedModel) {
  let p = tfModels.get(m)
  if (!p) {
    p = (async () => {
      const tf = await import('@tensorflow/tfjs')
      await tf.setBackend('cpu')
      const mj = m.modelJson as { modelTopology: object; weightsManifest: Array<{ paths: string[]; weights: unknown[] }> }
      const specs = mj.weightsManifest.flatMap((g) => g.weights)
      const buffers = mj.weightsManifest.flatMap((g) => g.paths.map((path) => new Uint8Array(shardOf(m, path))))
      const total = buffers.reduce((s, b) => s + b.length, 0)
      const data = new Uint8Array(total)
      let off = 0
      for (const b of buffers) {
        data.set(b, off)
        off += b.length
      }
      const model = await tf.loadLayersModel(tf.io.fromMemory(mj.modelTopology, specs as never, data.buffer))
      return { tf, model }
    })()
    tfModels.set(m, p)
  }
  return p as Promise<{ tf: typeof import('@tensorflow/tfjs'); model: import('@tensorflow/tfjs').LayersModel }>
}

function outputIsSoftmax(m: LoadedModel): boolean {
  const last = m.net.layers[m.net.layers.length - 1]
  return last.type === 'dense' && last.activation === 'softmax'
}

function float64Prediction(m: LoadedModel, input: SampleInput, why: string, runtime = 'TF.js'): Prediction {
  const prep = prepareSample(compileNetwork(m.net), input)
  return {
    predicted: prep.predicted,
    probabilities: softmax(prep.concrete.logits),
    source: 'float64',
    note: `${runtime} could not run this model (${why}); the certifier's float64 forward pass is shown instead`,
  }
}

export async function predict(m: LoadedModel, input: SampleInput): Promise<Prediction> {
  if (m.onnx) return predictOnnx(m, input)
  const obstacle = tfjsObstacle(m.modelJson)
  if (obstacle) return float64Prediction(m, input, obstacle)
  try {
    const { tf, model } = await tfModel(m)
    const x = input.tokens ? tf.tensor2d([input.tokens], [1, input.tokens.length]) : tf.tensor3d([input.x!])
    const y = model.predict(x) as import('@tensorflow/tfjs').Tensor
    const out = Array.from(await y.data())
    x.dispose()
    y.dispose()
    const probabilities = outputIsSoftmax(m) ? out : softmax(out)
    return { predicted: argmax(probabilities), probabilities, source: 'tfjs' }
  } catch (e) {
    return float64Prediction(m, input, (e as Error).message.split('\n')[0])
  }
}

/** An uploaded .onnx model: onnxruntime-web (lazy), else the float64 forward pass. */
async function predictOnnx(m: LoadedModel, input: SampleInput): Promise<Prediction> {
  try {
    const { onnxLogits } = await import('./predictOnnx.ts')
    const out = await onnxLogits(m.onnx!, input)
    const probabilities = outputIsSoftmax(m) ? out : softmax(out)
    return { predicted: argmax(probabilities), probabilities, source: 'onnxruntime' }
  } catch (e) {
    return float64Prediction(m, input, (e as Error).message.split('\n')[0], 'ONNX Runtime')
  }
}
