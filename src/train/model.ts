/**
 * The zoo's model shape as a TF.js Layers model: [Embedding →] SimpleRNN / LSTM / GRU
 * (stacked) → Dense softmax, Keras defaults (tanh / sigmoid, unit forget bias), seeded
 * initialisers. Used by the zoo's training (Node) and the app's live training (a worker).
 */
import type * as TF from '@tensorflow/tfjs'

export type ModelCell = 'simpleRnn' | 'lstm' | 'gru'

export interface ModelShape {
  /** the model's name (letters, digits, underscores) */
  name: string
  cell: ModelCell
  layers: number
  hidden: number
  classes: number
  input: { frames: [number, number] } | { vocab: number; dim: number }
}

export function buildModel(tf: typeof TF, shape: ModelShape, seed: number): TF.Sequential {
  let s = seed
  const next = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0)
  const model = tf.sequential({ name: shape.name })
  const { input } = shape
  if ('vocab' in input) {
    model.add(
      tf.layers.embedding({
        name: 'embedding',
        inputDim: input.vocab,
        outputDim: input.dim,
        batchInputShape: [null, null],
        embeddingsInitializer: tf.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed: next() }),
      }),
    )
  }
  const cellName = shape.cell === 'simpleRnn' ? 'rnn' : shape.cell
  for (let l = 0; l < shape.layers; l++) {
    const common = {
      name: shape.layers > 1 ? `${cellName}_${l + 1}` : cellName,
      units: shape.hidden,
      returnSequences: l < shape.layers - 1,
      kernelInitializer: tf.initializers.glorotUniform({ seed: next() }),
      recurrentInitializer: tf.initializers.orthogonal({ gain: 1, seed: next() }),
      ...(l === 0 && 'frames' in input ? { inputShape: input.frames } : {}),
    }
    if (shape.cell === 'simpleRnn') model.add(tf.layers.simpleRNN({ ...common, activation: 'tanh' }))
    else if (shape.cell === 'lstm') model.add(tf.layers.lstm({ ...common, activation: 'tanh', recurrentActivation: 'sigmoid', unitForgetBias: true }))
    else model.add(tf.layers.gru({ ...common, activation: 'tanh', recurrentActivation: 'sigmoid' }))
  }
  model.add(tf.layers.dense({ name: 'dense', units: shape.classes, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: next() }) }))
  return model
}

/** A Layers model as the files TF.js saves: model.json (one weight shard, weights.bin) and the shard. */
export async function modelFiles(tf: typeof TF, model: TF.LayersModel): Promise<{ modelJson: Record<string, unknown>; weights: ArrayBuffer }> {
  let out: { modelJson: Record<string, unknown>; weights: ArrayBuffer } | null = null
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      const data = a.weightData
      const weights = data instanceof ArrayBuffer ? data : Array.isArray(data) ? concat(data) : new ArrayBuffer(0)
      out = {
        modelJson: {
          format: 'layers-model',
          generatedBy: a.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
          convertedBy: null,
          modelTopology: a.modelTopology,
          weightsManifest: [{ paths: ['weights.bin'], weights: a.weightSpecs }],
        },
        weights,
      }
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }
    }),
  )
  return out!
}

function concat(parts: ArrayBuffer[]): ArrayBuffer {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.byteLength, 0))
  let off = 0
  for (const p of parts) {
    out.set(new Uint8Array(p), off)
    off += p.byteLength
  }
  return out.buffer
}
