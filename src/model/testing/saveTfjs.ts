/** A TF.js LayersModel saved as model.json + weights.bin, exactly as TF.js writes them to disk. For tests. */
import * as tf from '@tensorflow/tfjs'

export interface SavedTfjs {
  modelJson: Record<string, unknown>
  weights: ArrayBuffer
}

/** model.json (through JSON text, as on disk) + weights.bin of a TF.js model. */
export async function saveModel(model: tf.LayersModel): Promise<SavedTfjs> {
  let saved: SavedTfjs | undefined
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = {
        modelJson: {
          modelTopology: artifacts.modelTopology,
          format: artifacts.format,
          generatedBy: artifacts.generatedBy,
          convertedBy: artifacts.convertedBy,
          weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
        },
        weights: tf.io.CompositeArrayBuffer.join(artifacts.weightData),
      }
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }
    }),
  )
  if (!saved) throw new Error('save handler not called')
  return { modelJson: JSON.parse(JSON.stringify(saved.modelJson)) as Record<string, unknown>, weights: saved.weights }
}
