/**
 * The zoo's model shape as a TF.js Layers model: [Embedding [→ SpatialDropout1D]] [→ Conv1D]
 * → SimpleRNN / LSTM / GRU (stacked; optionally Bidirectional, optionally pooled over its
 * sequence by GlobalMaxPooling1D) [→ Dense(relu) …] → Dense softmax. Keras defaults (tanh /
 * sigmoid, unit forget bias) or TF.js's own (hard_sigmoid gates, no unit forget bias);
 * seeded initialisers. Used by the zoo's training (Node) and the app's live training (a worker).
 */
import type * as TF from '@tensorflow/tfjs'

export type ModelCell = 'simpleRnn' | 'lstm' | 'gru'

/**
 * The recurrent layers' settings: `keras` sets tanh / sigmoid gates (and, for LSTM, the unit
 * forget bias) explicitly, as Keras's defaults; `tfjs` passes none of them, i.e. TF.js's own
 * defaults as `tf.layers.lstm({units})` gets them: tanh, hard_sigmoid gates (slope 0.2), no
 * unit forget bias.
 */
export type RecurrentDefaults = 'keras' | 'tfjs'

export interface ConvShape {
  filters: number
  kernelSize: number
  /** TF.js's Conv1D has no 'causal' padding */
  padding: 'same' | 'valid'
  activation: 'relu' | 'linear'
}

export interface ModelShape {
  /** the model's name (letters, digits, underscores) */
  name: string
  cell: ModelCell
  layers: number
  hidden: number
  classes: number
  input: { frames: [number, number] } | { vocab: number; dim: number }
  /** default 'keras' */
  defaults?: RecurrentDefaults
  /** text: SpatialDropout1D of this rate after the Embedding (identity at inference) */
  spatialDropout?: number
  /** a Conv1D before the first recurrent layer */
  conv?: ConvShape
  /** every recurrent layer wrapped in Bidirectional (merge mode concat) */
  bidirectional?: boolean
  /** 'max': the last recurrent layer returns its sequence, reduced by GlobalMaxPooling1D */
  pooling?: 'max'
  /** hidden Dense(relu) layers before the output, their widths */
  head?: number[]
}

export function buildModel(tf: typeof TF, shape: ModelShape, seed: number): TF.Sequential {
  let s = seed
  const next = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0)
  const model = tf.sequential({ name: shape.name })
  const { input } = shape
  // the first layer gets the input shape
  let first: { inputShape?: [number, number] } = 'frames' in input ? { inputShape: input.frames } : {}
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
    if (shape.spatialDropout !== undefined) model.add(tf.layers.spatialDropout1d({ name: 'spatial_dropout1d', rate: shape.spatialDropout, seed: next() }))
  } else if (shape.spatialDropout !== undefined) throw new Error('SpatialDropout1D follows an Embedding: a text model only')
  if (shape.conv) {
    const c = shape.conv
    model.add(
      tf.layers.conv1d({
        name: 'conv1d',
        filters: c.filters,
        kernelSize: c.kernelSize,
        padding: c.padding,
        activation: c.activation,
        kernelInitializer: tf.initializers.glorotUniform({ seed: next() }),
        ...first,
      }),
    )
    first = {}
  }
  const cellName = shape.cell === 'simpleRnn' ? 'rnn' : shape.cell
  const tfjs = shape.defaults === 'tfjs'
  for (let l = 0; l < shape.layers; l++) {
    const name = shape.layers > 1 ? `${cellName}_${l + 1}` : cellName
    const common = {
      name,
      units: shape.hidden,
      returnSequences: l < shape.layers - 1 || shape.pooling === 'max',
      kernelInitializer: tf.initializers.glorotUniform({ seed: next() }),
      recurrentInitializer: tf.initializers.orthogonal({ gain: 1, seed: next() }),
      ...(l === 0 && !shape.bidirectional ? first : {}),
    }
    const keras = tfjs ? {} : { activation: 'tanh' as const, recurrentActivation: 'sigmoid' as const }
    const cell =
      shape.cell === 'simpleRnn'
        ? tf.layers.simpleRNN({ ...common, activation: 'tanh' })
        : shape.cell === 'lstm'
          ? tf.layers.lstm({ ...common, ...keras, ...(tfjs ? {} : { unitForgetBias: true }) })
          : tf.layers.gru({ ...common, ...keras })
    if (shape.bidirectional) {
      const bi = tf.layers.bidirectional({ name: `bidirectional${shape.layers > 1 ? `_${l + 1}` : ''}`, layer: cell as TF.RNN, mergeMode: 'concat', ...(l === 0 ? first : {}) })
      model.add(bi)
      // TF.js builds the backward layer from the forward one's config, seeds included: give
      // it initial weights of its own (same initialisers, fresh seeds; biases as built)
      const w = bi.getWeights()
      const half = w.length / 2
      const kernel = tf.initializers.glorotUniform({ seed: next() }).apply(w[half].shape)
      const recurrent = tf.initializers.orthogonal({ gain: 1, seed: next() }).apply(w[half + 1].shape)
      bi.setWeights([...w.slice(0, half), kernel, recurrent, ...w.slice(half + 2)])
      kernel.dispose()
      recurrent.dispose()
    } else model.add(cell)
  }
  if (shape.pooling === 'max') model.add(tf.layers.globalMaxPooling1d({ name: 'global_max_pooling1d' }))
  ;(shape.head ?? []).forEach((units, k) =>
    model.add(tf.layers.dense({ name: `dense_hidden${shape.head!.length > 1 ? `_${k + 1}` : ''}`, units, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: next() }) })),
  )
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
