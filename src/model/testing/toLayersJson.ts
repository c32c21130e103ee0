/**
 * Write a NetworkIR as a TF.js Layers model.json + weights.bin (float32), in the shapes the
 * different exporters produce: TF.js `model.save`, tensorflowjs_converter from Keras 2
 * (wrapped in model_config, explicit InputLayer, cell-scoped weight names), old Keras 2
 * (Sequential config as a bare array), Keras 3 (batch_shape, path-scoped weight names) and
 * linear Functional models (Keras 2 and Keras 3 inbound-node formats). For tests and demos.
 */
import type { LayerIR, NetworkIR, RecurrentLayer } from '../../cert/index.ts'
export type LayersJsonStyle = 'tfjs' | 'keras2' | 'keras2-old' | 'keras3' | 'functional' | 'functional-keras3'

export interface LayersJsonFiles {
  /** the parsed model.json */
  modelJson: Record<string, unknown>
  /** the single shard, 'weights.bin' */
  weights: ArrayBuffer
}

interface WeightSpec {
  name: string
  shape: number[]
  dtype: 'float32'
}

const CELL: Record<string, string> = { simpleRnn: 'simple_rnn_cell', lstm: 'lstm_cell', gru: 'gru_cell' }
const CLASS: Record<LayerIR['type'], string> = {
  embedding: 'Embedding',
  masking: 'Masking',
  simpleRnn: 'SimpleRNN',
  lstm: 'LSTM',
  gru: 'GRU',
  dense: 'Dense',
  batchNorm: 'BatchNormalization',
  pool: 'GlobalAveragePooling1D',
  flatten: 'Flatten',
  bidirectional: 'Bidirectional',
  conv1d: 'Conv1D',
}
function classOf(l: LayerIR): string {
  if (l.type === 'pool' && l.mode === 'last') throw new Error(`layer "${l.name}": the last step of a sequence has no Keras layer`)
  return l.type === 'pool' && l.mode === 'max' ? 'GlobalMaxPooling1D' : CLASS[l.type]
}

function rnnConfig(layer: RecurrentLayer, goBackwards = false): Record<string, unknown> {
  const c: Record<string, unknown> = {
    name: layer.name,
    units: layer.units,
    activation: layer.activation,
    use_bias: true,
    return_sequences: layer.returnSequences,
    return_state: false,
    go_backwards: goBackwards,
    stateful: false,
    unroll: false,
    dropout: 0,
    recurrent_dropout: 0,
  }
  if (layer.type !== 'simpleRnn') c.recurrent_activation = layer.recurrentActivation
  if (layer.type === 'gru') c.reset_after = layer.resetAfter
  return c
}

function rnnWeights(layer: RecurrentLayer, prefix = ''): Array<{ variable: string; shape: number[]; data: Float64Array }> {
  const k = layer.kernel.cols
  const biasShape = layer.type === 'gru' && layer.resetAfter ? [2, k] : [k]
  return [
    { variable: `${prefix}kernel`, shape: [layer.kernel.rows, k], data: layer.kernel.data },
    { variable: `${prefix}recurrent_kernel`, shape: [layer.recurrentKernel.rows, k], data: layer.recurrentKernel.data },
    { variable: `${prefix}bias`, shape: biasShape, data: layer.bias },
  ]
}

function layerConfig(layer: LayerIR): Record<string, unknown> {
  switch (layer.type) {
    case 'batchNorm':
      // the folded form with mean 0 and variance 1: γ = scale·√(1 + ε), β = offset
      return { name: layer.name, axis: -1, momentum: 0.99, epsilon: 0.001, center: true, scale: true }
    case 'pool':
    case 'flatten':
      return { name: layer.name }
    case 'masking':
      return { name: layer.name, mask_value: layer.maskValue }
    case 'embedding':
      return { name: layer.name, input_dim: layer.embeddings.rows, output_dim: layer.embeddings.cols, mask_zero: layer.maskZero === true }
    case 'dense':
      return { name: layer.name, units: layer.units, activation: layer.activation, use_bias: true }
    case 'conv1d':
      return {
        name: layer.name,
        filters: layer.filters,
        kernel_size: [layer.taps.length],
        strides: [layer.strides],
        padding: layer.padding,
        data_format: 'channels_last',
        dilation_rate: [layer.dilation],
        groups: 1,
        activation: layer.activation,
        use_bias: true,
      }
    case 'bidirectional':
      return {
        name: layer.name,
        merge_mode: layer.merge,
        layer: { class_name: CLASS[layer.forward.type], config: rnnConfig(layer.forward) },
        backward_layer: { class_name: CLASS[layer.backward.type], config: rnnConfig(layer.backward, true) },
      }
    default:
      return rnnConfig(layer)
  }
}

function weightsOf(layer: LayerIR): Array<{ variable: string; shape: number[]; data: Float64Array }> {
  switch (layer.type) {
    case 'pool':
    case 'flatten':
    case 'masking':
      return []
    case 'batchNorm': {
      const n = layer.scale.length
      return [
        { variable: 'gamma', shape: [n], data: layer.scale.map((v) => v * Math.sqrt(1 + 0.001)) },
        { variable: 'beta', shape: [n], data: layer.offset },
        { variable: 'moving_mean', shape: [n], data: new Float64Array(n) },
        { variable: 'moving_variance', shape: [n], data: new Float64Array(n).fill(1) },
      ]
    }
    case 'embedding':
      return [{ variable: 'embeddings', shape: [layer.embeddings.rows, layer.embeddings.cols], data: layer.embeddings.data }]
    case 'dense':
      return [
        { variable: 'kernel', shape: [layer.kernel.rows, layer.kernel.cols], data: layer.kernel.data },
        { variable: 'bias', shape: [layer.units], data: layer.bias },
      ]
    case 'conv1d': {
      const k = layer.taps.length
      const data = new Float64Array(k * layer.taps[0].data.length)
      layer.taps.forEach((m, j) => data.set(m.data, j * m.data.length))
      return [
        { variable: 'kernel', shape: [k, layer.taps[0].rows, layer.filters], data },
        { variable: 'bias', shape: [layer.filters], data: layer.bias },
      ]
    }
    case 'bidirectional':
      return [...rnnWeights(layer.forward, `${layer.forward.name}/`), ...rnnWeights(layer.backward, `${layer.backward.name}/`)]
    default:
      return rnnWeights(layer)
  }
}

function weightName(style: LayersJsonStyle, modelName: string, layer: LayerIR, variable: string): string {
  const cell = CELL[layer.type] as string | undefined
  if (style === 'keras2' || style === 'functional') return cell ? `${layer.name}/${cell}/${variable}` : `${layer.name}/${variable}`
  if (style === 'keras3') return cell ? `${modelName}/${layer.name}/${cell}/${variable}` : `${modelName}/${layer.name}/${variable}`
  if (style === 'functional-keras3') return `${modelName}/${layer.name}/${variable}`
  return `${layer.name}/${variable}`
}

export function toLayersJson(net: NetworkIR, style: LayersJsonStyle = 'tfjs'): LayersJsonFiles {
  const modelName = net.name ?? 'sequential'
  const flat = net.input.kind === 'frames' ? net.input.flatSize : undefined
  const batchShape = net.input.kind === 'tokens' ? [null, net.input.seqLen] : flat !== undefined ? [null, flat] : [null, net.input.seqLen, net.input.frameSize]
  const inputName = 'input_1'
  const inputLayer =
    style === 'keras3' || style === 'functional-keras3'
      ? { module: 'keras.layers', class_name: 'InputLayer', config: { batch_shape: batchShape, dtype: 'float32', sparse: false, name: inputName }, registered_name: null }
      : { class_name: 'InputLayer', config: { batch_input_shape: batchShape, dtype: 'float32', sparse: false, ragged: false, name: inputName } }
  // the layers, with those dropped at inference (Dropout …) back where they stood
  const configs: Array<{ className: string; config: Record<string, unknown> }> = []
  const dropped = net.dropped ?? []
  const putDropped = (at: number) =>
    dropped.filter((d) => d.at === at).forEach((d) => configs.push({ className: d.className, config: { name: d.name, rate: 0.2, ...(d.className === 'GaussianNoise' ? { stddev: 0.1 } : {}) } }))
  // a flat input: Keras's leading Reshape into the frames
  if (flat !== undefined && net.input.kind === 'frames') configs.push({ className: 'Reshape', config: { name: 'reshape', target_shape: [net.input.seqLen, net.input.frameSize] } })
  net.layers.forEach((l, k) => {
    putDropped(k)
    configs.push({ className: classOf(l), config: layerConfig(l) })
  })
  const layers: Array<Record<string, unknown>> = configs.map(({ className, config }, k) => {
    if (k === 0 && (style === 'tfjs' || style === 'keras2-old')) config.batch_input_shape = batchShape
    const entry: Record<string, unknown> = { class_name: className, config }
    if (style === 'keras3' || style === 'functional-keras3') entry.module = 'keras.layers'
    return entry
  })
  let topology: Record<string, unknown>
  if (style === 'functional' || style === 'functional-keras3') {
    const all = [{ ...inputLayer, name: inputName }, ...layers.map((l, k) => ({ ...l, name: String(configs[k].config.name) }))]
    let prev = inputName
    for (const l of all.slice(1)) {
      const node =
        style === 'functional'
          ? [[prev, 0, 0, {}]]
          : { args: [{ class_name: '__keras_tensor__', config: { shape: [null, null], dtype: 'float32', keras_history: [prev, 0, 0] } }], kwargs: { training: false } }
      Object.assign(l, { inbound_nodes: [node] })
      prev = String(l.name)
    }
    Object.assign(all[0], { inbound_nodes: [] })
    const config = { name: modelName, layers: all, input_layers: [[inputName, 0, 0]], output_layers: style === 'functional' ? [[prev, 0, 0]] : [prev, 0, 0] }
    topology =
      style === 'functional'
        ? { keras_version: '2.15.0', backend: 'tensorflow', model_config: { class_name: 'Functional', config } }
        : { class_name: 'Functional', config, keras_version: '3.6.0', backend: 'tensorflow' }
  } else if (style === 'keras2-old') {
    topology = { keras_version: '2.1.6', backend: 'tensorflow', model_config: { class_name: 'Sequential', config: layers } }
  } else if (style === 'keras2') {
    topology = { keras_version: '2.15.0', backend: 'tensorflow', model_config: { class_name: 'Sequential', config: { name: modelName, layers: [inputLayer, ...layers] } } }
  } else if (style === 'keras3') {
    topology = { class_name: 'Sequential', config: { name: modelName, trainable: true, layers: [inputLayer, ...layers] }, keras_version: '3.6.0', backend: 'tensorflow' }
  } else {
    topology = { class_name: 'Sequential', config: { name: modelName, layers }, keras_version: 'tfjs-layers 4.22.0', backend: 'tensor_flow.js' }
  }

  const specs: WeightSpec[] = []
  const chunks: Float64Array[] = []
  for (const layer of net.layers) {
    for (const w of weightsOf(layer)) {
      specs.push({ name: weightName(style, modelName, layer, w.variable), shape: w.shape, dtype: 'float32' })
      chunks.push(w.data)
    }
  }
  const total = chunks.reduce((a, c) => a + c.length, 0)
  const f32 = new Float32Array(total)
  let at = 0
  for (const c of chunks) {
    f32.set(c, at)
    at += c.length
  }
  return {
    modelJson: {
      modelTopology: topology,
      format: 'layers-model',
      generatedBy: style === 'tfjs' ? 'TensorFlow.js tfjs-layers v4.22.0' : 'keras v2.15.0',
      convertedBy: style === 'tfjs' ? null : 'TensorFlow.js Converter v4.22.0',
      weightsManifest: [{ paths: ['weights.bin'], weights: specs }],
    },
    weights: f32.buffer,
  }
}
