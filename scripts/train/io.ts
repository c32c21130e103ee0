/** Save and load TF.js Layers models on disk in Node: model.json + a single weights.bin. */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs'

/** Write `dir`/model.json and `dir`/weights.bin exactly as TF.js's own save would. */
export async function saveModel(model: tf.LayersModel, dir: string): Promise<void> {
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const modelJson = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
      }
      const weights = artifacts.weightData ? tf.io.CompositeArrayBuffer.join(artifacts.weightData) : new ArrayBuffer(0)
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
