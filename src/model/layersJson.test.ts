/**
 * parseLayersModel without TF.js: the topology/weight formats of the different exporters,
 * and every refusal with its message.
 */
import { describe, expect, it } from 'vitest'
import type { CellType, LayerIR, NetworkIR } from '../cert/index.ts'
import { compileNetwork, forward, randomNetwork, UnsupportedModelError } from '../cert/index.ts'
import { ModelFileError, parseLayersModel, parseModelFiles } from './layersJson.ts'
import type { LayersJsonStyle } from './testing/toLayersJson.ts'
import { toLayersJson } from './testing/toLayersJson.ts'

// model.json is edited freely in these tests
type Json = Record<string, any>

/** A random network with Keras-like layer names (lstm, lstm_1, …, dense). */
function net(cell: CellType, hidden: number[], opts: { vocab?: number; seed?: number; frameSize?: number; classes?: number } = {}): NetworkIR {
  const n = randomNetwork({ cell, hidden, frameSize: opts.frameSize ?? 3, classes: opts.classes ?? 3, seed: opts.seed ?? 1, vocab: opts.vocab })
  const base = cell === 'simpleRnn' ? 'simple_rnn' : cell === 'gruResetAfter' ? 'gru' : cell
  let k = 0
  for (const l of n.layers) {
    if (l.type === 'embedding' || l.type === 'dense') continue
    l.name = k === 0 ? base : `${base}_${k}`
    k++
  }
  n.name = 'sequential'
  return n
}

function files(n: NetworkIR, style: LayersJsonStyle = 'tfjs'): { json: Json; weights: ArrayBuffer } {
  const { modelJson, weights } = toLayersJson(n, style)
  return { json: JSON.parse(JSON.stringify(modelJson)) as Json, weights }
}

function parse(json: Json, weights: ArrayBuffer, path = 'weights.bin'): NetworkIR {
  return parseLayersModel(json, new Map([[path, weights]]))
}

/** The tfjs-style Sequential layer list, to edit. */
function layersOf(json: Json): Json[] {
  return json.modelTopology.config.layers as Json[]
}

function specs(json: Json): Json[] {
  return json.weightsManifest[0].weights as Json[]
}

function rounded(l: LayerIR): unknown {
  const r = (v: Float64Array) => Array.from(v, Math.fround)
  switch (l.type) {
    case 'embedding':
      return { ...l, embeddings: { ...l.embeddings, data: r(l.embeddings.data) } }
    case 'dense':
      return { ...l, kernel: { ...l.kernel, data: r(l.kernel.data) }, bias: r(l.bias) }
    case 'simpleRnn':
    case 'lstm':
    case 'gru':
      return { ...l, kernel: { ...l.kernel, data: r(l.kernel.data) }, recurrentKernel: { ...l.recurrentKernel, data: r(l.recurrentKernel.data) }, bias: r(l.bias) }
    case 'bidirectional':
      return { ...l, forward: rounded(l.forward), backward: rounded(l.backward) }
    default:
      return l
  }
}

function plain(l: LayerIR): unknown {
  return JSON.parse(JSON.stringify(l, (_k, v: unknown) => (v instanceof Float64Array ? Array.from(v) : v)))
}

describe('exporter formats', () => {
  const styles: LayersJsonStyle[] = ['tfjs', 'keras2', 'keras2-old', 'keras3', 'functional', 'functional-keras3']
  const nets: Array<[string, NetworkIR]> = [
    ['stacked LSTM', net('lstm', [5, 4], { seed: 2 })],
    ['token GRU reset_after', net('gruResetAfter', [4], { vocab: 12, seed: 3 })],
    ['SimpleRNN', net('simpleRnn', [6], { seed: 4 })],
    ['GRU', net('gru', [4, 3], { seed: 5 })],
  ]
  for (const style of styles) {
    it.each(nets)(`${style}: %s parses back to the same IR (float32-rounded)`, (_name, source) => {
      const { json, weights } = files(source, style)
      const parsed = parse(json, weights)
      expect(parsed.input).toEqual(source.input)
      expect(parsed.layers.map(plain)).toEqual(source.layers.map((l) => plain(rounded(l) as LayerIR)))
      const cn = compileNetwork(parsed)
      const x = Array.from({ length: 4 }, (_v, t) => Float64Array.from({ length: cn.frameSize }, (_w, i) => Math.sin(t + i)))
      expect(forward(cn, x).logits.every(Number.isFinite)).toBe(true)
    })
  }

  it('the input shape: seqLen from batch_input_shape, token seqLen from input_length', () => {
    const source = net('lstm', [4], { vocab: 10 })
    const { json, weights } = files(source)
    layersOf(json)[0].config.input_length = 7
    expect(parse(json, weights).input).toEqual({ kind: 'tokens', seqLen: 7 })
    const frames = net('lstm', [4])
    const f = files(frames)
    layersOf(f.json)[0].config.batch_input_shape = [null, 12, 3]
    expect(parse(f.json, f.weights).input).toEqual({ kind: 'frames', frameSize: 3, seqLen: 12 })
  })

  it('no recorded input shape: the frame size comes from the first kernel', () => {
    const { json, weights } = files(net('gru', [4], { frameSize: 5 }))
    delete layersOf(json)[0].config.batch_input_shape
    expect(parse(json, weights).input).toEqual({ kind: 'frames', frameSize: 5, seqLen: null })
  })

  it('Dropout-family layers are skipped; use_bias=false gives a zero bias', () => {
    const { json, weights } = files(net('lstm', [4]))
    const ls = layersOf(json)
    ls.splice(1, 0, { class_name: 'Dropout', config: { name: 'dropout', rate: 0.5 } }, { class_name: 'SpatialDropout1D', config: { name: 'sd', rate: 0.1 } })
    ls[0].config.use_bias = false
    const without = specs(json).filter((s) => s.name !== 'lstm/bias')
    json.weightsManifest[0].weights = without
    // drop the bias bytes (4·4u = 64 bytes after kernel [3,16] and recurrent kernel [4,16])
    const cut = new Uint8Array(weights)
    const kept = new Uint8Array(cut.length - 64)
    kept.set(cut.subarray(0, 4 * (3 * 16 + 4 * 16)))
    kept.set(cut.subarray(4 * (3 * 16 + 4 * 16) + 64), 4 * (3 * 16 + 4 * 16))
    const parsed = parse(json, kept.buffer)
    expect(parsed.layers.map((l) => l.type)).toEqual(['lstm', 'dense'])
    const lstm = parsed.layers[0]
    expect(lstm.type === 'lstm' && Array.from(lstm.bias).every((v) => v === 0)).toBe(true)
  })

  it("weight names with ':0' suffixes and shard paths with './' and directories", () => {
    const { json, weights } = files(net('simpleRnn', [4]))
    for (const s of specs(json)) s.name = `${s.name}:0`
    json.weightsManifest[0].paths = ['./weights.bin']
    expect(() => parse(json, weights, 'some/dir/weights.bin')).not.toThrow()
  })

  it('weight lookup is not confused by layer-name prefixes or a model named like a layer', () => {
    for (const style of ['keras3', 'functional-keras3', 'keras2'] as const) {
      const source = net('lstm', [4, 4], { seed: 8 })
      source.name = 'lstm' // weights 'lstm/lstm/…' and 'lstm/lstm_1/…'
      const { json, weights } = files(source, style)
      expect(parse(json, weights).layers.map(plain)).toEqual(source.layers.map((l) => plain(rounded(l) as LayerIR)))
    }
  })

  it('parseModelFiles reads the model.json text', () => {
    const { json, weights } = files(net('lstm', [3]))
    const parsed = parseModelFiles(JSON.stringify(json), new Map([['weights.bin', weights]]))
    expect(parsed.layers).toHaveLength(2)
  })
})

describe('model.json files as the converters write them', () => {
  /** Seeded float32 values for every manifest entry, laid out in manifest order. */
  function shardFor(weights: Json[]): { buffer: ArrayBuffer; values: Map<string, number[]> } {
    const values = new Map<string, number[]>()
    const all: number[] = []
    let seed = 1
    for (const w of weights) {
      const n = (w.shape as number[]).reduce((a, b) => a * b, 1)
      const v = Array.from({ length: n }, (_x, k) => Math.fround(Math.sin(seed * 12.9898 + k * 78.233)))
      seed++
      values.set(w.name as string, v)
      all.push(...v)
    }
    return { buffer: Float32Array.from(all).buffer, values }
  }

  it('Keras 2.15 via tensorflowjs_converter: model_config, InputLayer, batch size in the shape, weights sorted by name', () => {
    const init = { module: 'keras.initializers', class_name: 'GlorotUniform', config: { seed: null }, registered_name: null }
    const modelJson: Json = {
      format: 'layers-model',
      generatedBy: 'keras v2.15.0',
      convertedBy: 'TensorFlow.js Converter v4.17.0',
      modelTopology: {
        keras_version: '2.15.0',
        backend: 'tensorflow',
        model_config: {
          class_name: 'Sequential',
          config: {
            name: 'sequential_1',
            layers: [
              { class_name: 'InputLayer', config: { batch_input_shape: [64, null], dtype: 'float32', sparse: false, ragged: false, name: 'embedding_1_input' } },
              { class_name: 'Embedding', config: { name: 'embedding_1', trainable: true, dtype: 'float32', batch_input_shape: [64, null], input_dim: 9, output_dim: 4, embeddings_initializer: init, mask_zero: false, input_length: null } },
              { class_name: 'LSTM', config: { name: 'lstm', trainable: true, dtype: 'float32', return_sequences: false, return_state: false, go_backwards: false, stateful: false, unroll: false, time_major: false, units: 5, activation: 'tanh', recurrent_activation: 'sigmoid', use_bias: true, kernel_initializer: init, unit_forget_bias: true, dropout: 0.0, recurrent_dropout: 0.0, implementation: 2 } },
              { class_name: 'Dense', config: { name: 'dense', trainable: true, dtype: 'float32', units: 9, activation: 'linear', use_bias: true, kernel_initializer: init } },
            ],
          },
        },
        training_config: { loss: 'loss', optimizer_config: { class_name: 'Custom>Adam', config: { name: 'Adam' } } },
      },
      weightsManifest: [
        {
          paths: ['group1-shard1of1.bin'],
          weights: [
            { name: 'dense/kernel', shape: [5, 9], dtype: 'float32' },
            { name: 'dense/bias', shape: [9], dtype: 'float32' },
            { name: 'embedding_1/embeddings', shape: [9, 4], dtype: 'float32' },
            { name: 'lstm/lstm_cell/kernel', shape: [4, 20], dtype: 'float32' },
            { name: 'lstm/lstm_cell/recurrent_kernel', shape: [5, 20], dtype: 'float32' },
            { name: 'lstm/lstm_cell/bias', shape: [20], dtype: 'float32' },
          ],
        },
      ],
    }
    const { buffer, values } = shardFor(modelJson.weightsManifest[0].weights)
    const parsed = parse(modelJson, buffer, 'group1-shard1of1.bin')
    expect(parsed.input).toEqual({ kind: 'tokens', seqLen: null })
    const [emb, lstm, dense] = parsed.layers
    if (emb.type !== 'embedding' || lstm.type !== 'lstm' || dense.type !== 'dense') throw new Error('layer types')
    expect(Array.from(emb.embeddings.data)).toEqual(values.get('embedding_1/embeddings'))
    expect(Array.from(lstm.kernel.data)).toEqual(values.get('lstm/lstm_cell/kernel'))
    expect(Array.from(lstm.recurrentKernel.data)).toEqual(values.get('lstm/lstm_cell/recurrent_kernel'))
    expect(Array.from(lstm.bias)).toEqual(values.get('lstm/lstm_cell/bias'))
    expect(Array.from(dense.kernel.data)).toEqual(values.get('dense/kernel'))
    expect(Array.from(dense.bias)).toEqual(values.get('dense/bias'))
    expect(parsed.name).toBe('sequential_1')
  })

  it('Keras 3 via tensorflowjs_converter: batch_shape, DTypePolicy, model-prefixed weight names, URL shard paths', () => {
    const policy = { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null }
    const modelJson: Json = {
      format: 'layers-model',
      generatedBy: 'keras v3.6.0',
      convertedBy: 'TensorFlow.js Converter v4.22.0',
      modelTopology: {
        keras_version: '3.6.0',
        backend: 'tensorflow',
        model_config: {
          class_name: 'Sequential',
          config: {
            name: 'sequential',
            trainable: true,
            dtype: policy,
            layers: [
              { class_name: 'InputLayer', config: { batch_shape: [null, 10, 3], dtype: 'float32', sparse: false, ragged: false, name: 'input_layer', optional: false } },
              { class_name: 'GRU', config: { name: 'gru', trainable: true, dtype: policy, return_sequences: false, return_state: false, go_backwards: false, stateful: false, unroll: false, zero_output_for_mask: false, units: 4, activation: 'tanh', recurrent_activation: 'sigmoid', use_bias: true, reset_after: true, seed: null, use_cudnn: 'auto' }, build_config: { input_shape: [null, 10, 3] } },
              { class_name: 'Dropout', config: { name: 'dropout', trainable: true, dtype: policy, rate: 0.2, seed: null, noise_shape: null } },
              { class_name: 'Dense', config: { name: 'dense', trainable: true, dtype: policy, units: 2, activation: 'softmax', use_bias: true, lora_rank: null } },
            ],
            build_input_shape: [null, 10, 3],
          },
        },
      },
      weightsManifest: [
        {
          paths: ['https://example.org/models/gru/group1-shard1of1.bin'],
          weights: [
            { name: 'sequential/gru/gru_cell/kernel', shape: [3, 12], dtype: 'float32' },
            { name: 'sequential/gru/gru_cell/recurrent_kernel', shape: [4, 12], dtype: 'float32' },
            { name: 'sequential/gru/gru_cell/bias', shape: [2, 12], dtype: 'float32' },
            { name: 'sequential/dense/kernel', shape: [4, 2], dtype: 'float32' },
            { name: 'sequential/dense/bias', shape: [2], dtype: 'float32' },
          ],
        },
      ],
    }
    const { buffer, values } = shardFor(modelJson.weightsManifest[0].weights)
    const parsed = parse(modelJson, buffer, 'group1-shard1of1.bin')
    expect(parsed.input).toEqual({ kind: 'frames', frameSize: 3, seqLen: 10 })
    const [gru, dense] = parsed.layers
    if (gru.type !== 'gru' || dense.type !== 'dense') throw new Error('layer types')
    expect(gru.resetAfter).toBe(true)
    expect(Array.from(gru.bias)).toEqual(values.get('sequential/gru/gru_cell/bias'))
    expect(Array.from(gru.recurrentKernel.data)).toEqual(values.get('sequential/gru/gru_cell/recurrent_kernel'))
    expect(dense.activation).toBe('softmax')
    expect(Array.from(dense.kernel.data)).toEqual(values.get('sequential/dense/kernel'))
  })
})

describe('refusals', () => {
  const lstm = () => files(net('lstm', [4]))

  it('text that is not JSON', () => {
    expect(() => parseModelFiles('{"modelTopology": ', new Map())).toThrow(/^model\.json is not valid JSON: /)
    expect(() => parseModelFiles('{"modelTopology": ', new Map())).toThrow(ModelFileError)
  })

  it('a graph model', () => {
    const graph = { format: 'graph-model', modelTopology: { node: [], library: {}, versions: {} }, weightsManifest: [] }
    expect(() => parseModelFiles(JSON.stringify(graph), new Map())).toThrow(/this is a TF\.js graph model; only Layers models are supported/)
    const { format: _f, ...noFormat } = graph
    expect(() => parseLayersModel(noFormat, new Map())).toThrow(/graph model/)
  })

  it('JSON without modelTopology or weightsManifest', () => {
    expect(() => parseLayersModel({ hello: 1 }, new Map())).toThrow(/no modelTopology/)
    const { json } = lstm()
    delete json.weightsManifest
    expect(() => parseLayersModel(json, new Map())).toThrow(/no weightsManifest/)
  })

  it('a Bidirectional layer with two outputs (merge_mode None), an unknown merge, or around a non-recurrent layer', () => {
    const { json, weights } = lstm()
    const ls = layersOf(json)
    const inner = ls[0]
    ls[0] = { class_name: 'Bidirectional', config: { name: 'bidirectional', merge_mode: null, layer: inner, batch_input_shape: [null, null, 3] } }
    expect(() => parse(json, weights)).toThrow("layer 'bidirectional' (Bidirectional): mergeMode: 'None' (two outputs) is not supported; merge the directions with concat, sum, ave or mul")
    ls[0].config.merge_mode = 'max'
    expect(() => parse(json, weights)).toThrow("layer 'bidirectional' (Bidirectional): mergeMode: 'max' is not supported; use concat, sum, ave or mul")
    ls[0].config.merge_mode = 'sum'
    ls[0].config.layer = { class_name: 'Dense', config: { name: 'dense_in', units: 3 } }
    expect(() => parse(json, weights)).toThrow("layer 'bidirectional' (Bidirectional): Bidirectional is supported around SimpleRNN, LSTM and GRU; it wraps Dense")
  })

  it('a Bidirectional layer in TF.js and Keras 3 files: both directions, every merge mode', () => {
    for (const merge of ['concat', 'sum', 'ave', 'mul'] as const) {
      for (const style of ['tfjs', 'keras3'] as const) {
        const n = randomNetwork({ cell: 'gruResetAfter', hidden: [3], frameSize: 3, classes: 2, seed: 8, bidirectional: merge })
        n.name = 'sequential'
        const { json, weights } = files(n, style)
        const got = parse(json, weights)
        expect(got.layers.map(plain)).toEqual(n.layers.map((l) => plain(rounded(l) as LayerIR)))
      }
    }
  })

  it('a Masking layer first loads (its mask value); elsewhere it is refused', () => {
    const { json, weights } = lstm()
    layersOf(json).unshift({ class_name: 'Masking', config: { name: 'masking', mask_value: 0.5, batch_input_shape: [null, null, 3] } })
    expect(parse(json, weights).layers[0]).toEqual({ type: 'masking', name: 'masking', maskValue: 0.5 })
    layersOf(json).splice(1, 0, { class_name: 'Masking', config: { name: 'masking_2', mask_value: 0 } })
    expect(() => parse(json, weights)).toThrow("layer 'masking_2' (Masking): Masking is supported only as the first layer, on the input frames")
    expect(() => parse(json, weights)).toThrow(UnsupportedModelError)
  })

  it('other layer types name the layer and its class', () => {
    const { json, weights } = lstm()
    layersOf(json).unshift({ class_name: 'LocallyConnected1D', config: { name: 'local', filters: 3, kernel_size: [3], batch_input_shape: [null, null, 3] } })
    expect(() => parse(json, weights)).toThrow(
      "layer 'local' (LocallyConnected1D): this layer type is not supported (supported: InputLayer, Reshape (leading, flat → frames), Masking (first layer), Embedding (mask_zero either), SimpleRNN, LSTM, GRU, Bidirectional (concat, sum, ave, mul), Conv1D (valid, same, causal), Dense (on vectors or every step), TimeDistributed(Dense), Activation, BatchNormalization, GlobalAveragePooling1D, GlobalMaxPooling1D, Flatten; ignored at inference (the identity): Dropout, SpatialDropout1D, GaussianDropout, GaussianNoise, AlphaDropout, ActivityRegularization)",
    )
  })

  it('Conv1D settings the certifier does not take: channels_first, groups, another padding', () => {
    const n = randomNetwork({ cell: 'gru', hidden: [3], frameSize: 3, classes: 2, seed: 9, before: [{ kind: 'conv1d', filters: 4, kernelSize: 2, padding: 'same', activation: 'relu' }] })
    n.name = 'sequential'
    for (const [key, value, message] of [
      ['data_format', 'channels_first', "data_format='channels_first' is not supported; use data_format='channels_last'"],
      ['groups', 2, 'grouped convolutions (groups=2) are not supported; use groups=1'],
      ['padding', 'full', "padding='full' is not supported; use valid, same or causal"],
    ] as const) {
      const { json, weights } = files(n, 'keras3')
      expect(parse(json, weights).layers[0].type).toBe('conv1d')
      layersOf(json).find((l) => l.class_name === 'Conv1D')!.config[key] = value
      expect(() => parse(json, weights)).toThrow(`(Conv1D): ${message}`)
    }
  })

  it("an Embedding with mask_zero loads; a Masking layer after it is refused in the words of the file's framework", () => {
    const { json, weights } = files(net('lstm', [4], { vocab: 10 }))
    layersOf(json)[0].config.mask_zero = true
    expect(parse(json, weights).layers[0]).toMatchObject({ type: 'embedding', maskZero: true })
    layersOf(json).splice(1, 0, { class_name: 'Masking', config: { name: 'masking', mask_value: 0 } })
    expect(() => parse(json, weights)).toThrow("(token models mask with the Embedding's maskZero: true)")
    const k = files(net('lstm', [4], { vocab: 10 }), 'keras3')
    layersOf(k.json)[1].config.mask_zero = true
    expect(parse(k.json, k.weights).layers[0]).toMatchObject({ type: 'embedding', maskZero: true })
    layersOf(k.json).splice(2, 0, { class_name: 'Masking', config: { name: 'masking', mask_value: 0 } })
    expect(() => parse(k.json, k.weights)).toThrow("(token models mask with the Embedding's mask_zero=True)")
  })

  it('a relu SimpleRNN loads; other activations are refused (by validateNetwork)', () => {
    const { json, weights } = files(net('simpleRnn', [4]))
    layersOf(json)[0].config.activation = 'relu'
    expect(parse(json, weights).layers[0]).toMatchObject({ type: 'simpleRnn', activation: 'relu' })
    layersOf(json)[0].config.activation = 'elu'
    expect(() => parse(json, weights)).toThrow(/simple_rnn.*activation "elu" is not supported; use tanh, sigmoid, relu or linear/)
  })

  it('an Activation layer folds into the Dense layer before it; elsewhere it is refused', () => {
    const { json, weights } = lstm()
    layersOf(json).push({ class_name: 'Activation', config: { name: 'act', activation: 'softmax' } })
    const ir = parse(json, weights)
    expect(ir.layers.map((l) => l.type)).toEqual(['lstm', 'dense'])
    expect(ir.layers[1]).toMatchObject({ activation: 'softmax' })
    layersOf(json).splice(1, 0, { class_name: 'Activation', config: { name: 'act2', activation: 'relu' } })
    expect(() => parse(json, weights)).toThrow(/layer 'act2' \(Activation\): an Activation layer is supported only right after a Dense layer without an activation/)
  })

  it("hard_sigmoid gates (TF.js's default when recurrent_activation is not set): slope 0.2, Keras 3's 1/6; other gate activations refused", () => {
    const { json, weights } = lstm()
    delete layersOf(json)[0].config.recurrent_activation
    expect(parse(json, weights).layers[0]).toMatchObject({ type: 'lstm', recurrentActivation: 'hard_sigmoid', hardSigmoidSlope: 0.2 })
    const g = files(net('gru', [4]))
    layersOf(g.json)[0].config.recurrent_activation = 'hardSigmoid'
    expect(parse(g.json, g.weights).layers[0]).toMatchObject({ type: 'gru', recurrentActivation: 'hard_sigmoid', hardSigmoidSlope: 0.2 })
    ;(g.json.modelTopology as Record<string, unknown>).keras_version = '3.15.1'
    expect(parse(g.json, g.weights).layers[0]).toMatchObject({ hardSigmoidSlope: 1 / 6 })
    layersOf(g.json)[0].config.recurrent_activation = 'tanh'
    expect(() => parse(g.json, g.weights)).toThrow(/recurrent activation "tanh" is not supported; use sigmoid or hard_sigmoid/)
  })

  it('a relu output Dense (refused by validateNetwork)', () => {
    const { json, weights } = lstm()
    layersOf(json)[1].config.activation = 'relu'
    expect(() => parse(json, weights)).toThrow(/Dense\): activation "relu" is not supported on the output layer/)
  })

  it('a missing shard', () => {
    const { json, weights } = lstm()
    const all = new Uint8Array(weights)
    json.weightsManifest[0].paths = ['group1-shard1of2.bin', 'group1-shard2of2.bin']
    const shards = new Map([['group1-shard1of2.bin', all.slice(0, 40).buffer]])
    expect(() => parseLayersModel(json, shards)).toThrow(/shard 'group1-shard2of2\.bin' is missing/)
    expect(() => parseLayersModel(json, () => undefined)).toThrow(/shard 'group1-shard1of2\.bin' is missing/)
  })

  it('a short (or long) weights buffer', () => {
    const { json, weights } = lstm()
    const need = weights.byteLength
    expect(need).toBeLessThan(1000) // sizes below 1 KB are given in bytes only
    expect(() => parse(json, weights.slice(0, need - 8))).toThrow(new RegExp(`^weights\\.bin is ${need - 8} bytes but the manifest needs ${need} bytes$`))
    expect(() => parse(json, new ArrayBuffer(need + 4))).toThrow(/weights\.bin is \d+ bytes but the manifest needs/)
    json.weightsManifest[0].paths = ['a.bin', 'b.bin']
    expect(() => parseLayersModel(json, new Map([['a.bin', weights.slice(0, 8)], ['b.bin', weights.slice(8, 16)]]))).toThrow(
      new RegExp(`the shards of weight group 1 \\(a\\.bin \\+ b\\.bin\\) are 16 bytes in all but the manifest needs ${need}`),
    )
  })

  it('a weight of the wrong shape', () => {
    const { json, weights } = files(net('lstm', [8, 32]))
    const spec = specs(json).find((s) => s.name === 'lstm_1/recurrent_kernel')!
    spec.shape = [32, 64]
    expect(() => parse(json, weights)).toThrow("layer 'lstm_1': weight 'recurrent_kernel' has shape [32,64], expected [32,128]")
    // a broken file, and still an UnsupportedModelError for callers that catch only that
    expect(() => parse(json, weights)).toThrow(ModelFileError)
    expect(() => parse(json, weights)).toThrow(UnsupportedModelError)
  })

  it('a missing weight', () => {
    const { json, weights } = lstm()
    specs(json).find((s) => s.name === 'lstm/recurrent_kernel')!.name = 'lstm/something_else'
    expect(() => parse(json, weights)).toThrow(/layer 'lstm': weight 'recurrent_kernel' is missing from the weights manifest/)
  })

  it('float16 / int32 / quantized weights', () => {
    const { json, weights } = lstm()
    specs(json)[0].dtype = 'int32'
    expect(() => parse(json, weights)).toThrow(/layer 'lstm': weight 'kernel' has dtype int32; only float32 weights are supported/)
    specs(json)[0].dtype = 'float16'
    expect(() => parse(json, weights)).toThrow(/dtype float16; only float32/)
    specs(json)[0].dtype = 'float32'
    specs(json)[0].quantization = { dtype: 'int4' }
    expect(() => parse(json, weights)).toThrow(/weight 'kernel' is quantized to int4; only float32 weights are supported/)
    specs(json)[0].dtype = 'int32'
    specs(json)[0].quantization = { dtype: 'float16' }
    expect(() => parse(json, weights)).toThrow(/weight 'kernel' is quantized to float16; only float32 weights are supported/)
  })

  it('uint8 / uint16 quantized weights: the values TF.js decodes, fround(q·scale + min)', () => {
    for (const [dtype, bytes] of [['uint8', 1], ['uint16', 2]] as const) {
      const source = net('lstm', [4], { vocab: 12, seed: 6 })
      const { json, weights } = files(source)
      const all = specs(json)
      const k = all.findIndex((w) => w.name.endsWith('embeddings'))
      const n = all[k].shape.reduce((a: number, b: number) => a * b, 1)
      const before = all.slice(0, k).reduce((o: number, w: Json) => o + 4 * w.shape.reduce((a: number, b: number) => a * b, 1), 0)
      const codes = Array.from({ length: n }, (_v, i) => (i * 37) % (bytes === 1 ? 256 : 65536))
      const [scale, min] = [0.0031, -0.4]
      const q = bytes === 1 ? new Uint8Array(codes) : new Uint8Array(new Uint16Array(codes).buffer)
      const src = new Uint8Array(weights)
      const out = new Uint8Array(src.length - 4 * n + bytes * n)
      out.set(src.subarray(0, before), 0)
      out.set(q, before)
      out.set(src.subarray(before + 4 * n), before + bytes * n)
      all[k].quantization = { dtype, scale, min }
      const parsed = parse(json, out.buffer)
      const emb = parsed.layers[0]
      expect(emb.type).toBe('embedding')
      if (emb.type === 'embedding') expect(Array.from(emb.embeddings.data)).toEqual(codes.map((c) => Math.fround(c * scale + min)))
      // the weights after it are read from the right offsets
      expect(parsed.layers.slice(1).map(plain)).toEqual(source.layers.slice(1).map((l) => plain(rounded(l) as LayerIR)))
      all[k].quantization = { dtype }
      expect(() => parse(json, out.buffer)).toThrow(/is quantized to uint8|is quantized to uint16/)
    }
  })

  it('go_backwards, stateful, return_state: TF.js and Keras spellings', () => {
    for (const [key, tfjs, keras] of [
      ['go_backwards', /layer 'lstm' \(LSTM\): goBackwards: true is not supported.*retrain with goBackwards: false/, /layer 'lstm' \(LSTM\): go_backwards=True is not supported.*retrain with go_backwards=False/],
      ['stateful', /stateful: true is not supported; re-create the layer with stateful: false/, /stateful=True is not supported; re-create the layer with stateful=False/],
      ['return_state', /returnState: true is not supported/, /return_state=True is not supported/],
    ] as const) {
      const { json, weights } = lstm()
      layersOf(json)[0].config[key] = true
      expect(() => parse(json, weights)).toThrow(tfjs)
      const k = files(net('lstm', [4]), 'keras3')
      layersOf(k.json)[1].config[key] = true
      expect(() => parse(k.json, k.weights)).toThrow(keras)
    }
  })

  it('a model with no recurrent layer', () => {
    const { json, weights } = lstm()
    const ls = layersOf(json)
    ls.shift()
    ls[0].config.batch_input_shape = [null, 4]
    expect(() => parse(json, weights)).toThrow(/the model has no recurrent layer/)
  })

  it('a non-linear Functional model (two inputs; branching)', () => {
    const { json, weights } = files(net('lstm', [4]), 'functional')
    const config = json.modelTopology.model_config.config
    config.input_layers.push(['input_2', 0, 0])
    expect(() => parse(json, weights)).toThrow(/2 inputs and 1 outputs/)
    config.input_layers.pop()
    const dense = config.layers[2]
    config.layers.push({ ...dense, name: 'dense_2', config: { ...dense.config, name: 'dense_2' }, inbound_nodes: [[['lstm', 0, 0, {}]]] })
    expect(() => parse(json, weights)).toThrow(/layer 'lstm' feeds 2 layers \(dense, dense_2\); only linear chains are supported/)
  })

  it('an unsupported model class', () => {
    const { json, weights } = lstm()
    json.modelTopology.class_name = 'MyModel'
    expect(() => parse(json, weights)).toThrow(/model class 'MyModel' is not supported/)
  })
})

describe('hostile model.json: limits checked before allocating (src/model/limits.ts)', () => {
  const lstm = () => files(net('lstm', [4]))
  const perWeight = 'the limit is 32,000,000 values (256 MB) per weight'

  /** The message of parsing `json` (fails the test if it parses or throws anything but a ModelFileError). */
  function refusal(run: () => unknown): string {
    try {
      run()
    } catch (e) {
      expect(e).toBeInstanceOf(ModelFileError)
      return (e as Error).message
    }
    throw new Error('parsed')
  }

  it('LSTM units=2,000,000: the recurrent kernel would need 128 TB', () => {
    const { json, weights } = lstm()
    layersOf(json)[0].config.units = 2_000_000
    expect(refusal(() => parse(json, weights))).toBe(
      `layer 'lstm' (LSTM) declares units=2000000: its recurrent kernel [2000000,8000000] would hold 16,000,000,000,000 values and need 128 TB as float64; ${perWeight}`,
    )
    // the same text through parseModelFiles (no 'Invalid typed array length')
    expect(refusal(() => parseModelFiles(JSON.stringify(json), new Map([['weights.bin', weights]])))).toMatch(/^layer 'lstm' \(LSTM\) declares units=2000000/)
  })

  it('units=1e300 (an integer to JSON) is refused by size, not by a RangeError', () => {
    const { json, weights } = lstm()
    layersOf(json)[0].config.units = 1e300
    expect(refusal(() => parse(json, weights))).toMatch(/^layer 'lstm' \(LSTM\) declares units=1e\+300 on inputs of width 3: its kernel \[3,4e\+300\] would hold 1\.2e\+301 values/)
  })

  it('an Embedding with input_dim=1,000,000,000', () => {
    const { json, weights } = files(net('lstm', [4], { vocab: 10 }))
    layersOf(json)[0].config.input_dim = 1e9
    layersOf(json)[0].config.output_dim = 64
    expect(refusal(() => parse(json, weights))).toBe(
      `layer 'embedding' (Embedding) declares input_dim=1000000000 and output_dim=64: its embedding matrix [1000000000,64] would hold 64,000,000,000 values and need 512 GB as float64; ${perWeight}`,
    )
  })

  it('a Dense layer with units=100,000,000', () => {
    const { json, weights } = lstm()
    layersOf(json)[1].config.units = 1e8
    expect(refusal(() => parse(json, weights))).toBe(
      `layer 'dense' (Dense) declares units=100000000 on inputs of width 4: its kernel [4,100000000] would hold 400,000,000 values and need 3.2 GB as float64; ${perWeight}`,
    )
  })

  it('weights each under the per-weight limit but more than 50 million in all', () => {
    const { json, weights } = files(net('lstm', [4, 4]))
    for (const l of layersOf(json).slice(0, 2)) l.config.units = 2800
    expect(refusal(() => parse(json, weights))).toBe(
      "the layers up to 'lstm_1' (LSTM) declare 62,753,600 weights, which would need 502 MB as float64; the limit is 50,000,000 weights (400 MB) in all",
    )
  })

  it('a huge weight in the manifest that no layer uses (its bytes would be read)', () => {
    const { json, weights } = lstm()
    specs(json).push({ name: 'junk/kernel', shape: [100000, 100000], dtype: 'float32' })
    expect(refusal(() => parse(json, weights))).toBe(
      `model.json: weight 'junk/kernel' has shape [100000,100000], 10,000,000,000 values (80 GB as float64); ${perWeight}`,
    )
    specs(json).pop()
    specs(json).push({ name: 'junk/a', shape: [30e6], dtype: 'float32' }, { name: 'junk/b', shape: [30e6], dtype: 'float32' })
    expect(refusal(() => parse(json, weights))).toMatch(/^model\.json: the weights manifest declares 60,000,\d{3} values \(480 MB as float64\); the limit is 50,000,000 \(400 MB\)$/)
  })

  it('manifest shapes that are not lists of whole numbers, shard paths that are not names', () => {
    const { json, weights } = lstm()
    specs(json)[0].shape = [-1, 16]
    expect(refusal(() => parse(json, weights))).toBe(`model.json: weight '${specs(json)[0].name}' has shape [-1,16]; expected a list of whole numbers`)
    specs(json)[0].shape = ['3', 16]
    expect(refusal(() => parse(json, weights))).toMatch(/has shape \["3",16\]; expected a list of whole numbers/)
    const other = lstm()
    other.json.weightsManifest[0].paths = [5]
    expect(refusal(() => parse(other.json, other.weights))).toBe('model.json: weight group 1 has a shard path 5; expected a file name')
  })

  it('more than 10,000 manifest weights or shard files', () => {
    const { json, weights } = lstm()
    for (let k = 0; k < 10_001; k++) specs(json).push({ name: `w${k}/kernel`, shape: [1], dtype: 'float32' })
    expect(refusal(() => parse(json, weights))).toBe('model.json: the weights manifest lists more than 10,000 weights; the limit is 10,000')
    const other = lstm()
    other.json.weightsManifest[0].paths = Array.from({ length: 10_001 }, (_, k) => `shard${k}.bin`)
    expect(refusal(() => parse(other.json, other.weights))).toBe('model.json: the weights manifest lists more than 10,000 shard files; the limit is 10,000')
  })

  it('200,000 layers (Sequential and Functional) are refused by their count, before any per-layer work', () => {
    const { json, weights } = lstm()
    const ls = layersOf(json)
    for (let k = 0; k < 200_000; k++) ls.push({ class_name: 'Dropout', config: { name: `dropout_${k}`, rate: 0.1 } })
    expect(refusal(() => parseModelFiles(JSON.stringify(json), new Map([['weights.bin', weights]])))).toBe('model.json: the model has 200,002 layers; the limit is 1,000')
    const fn = files(net('lstm', [4]), 'functional')
    const config = fn.json.modelTopology.model_config.config
    for (let k = 0; k < 200_000; k++) config.layers.push({ class_name: 'Dropout', name: `d${k}`, config: { name: `d${k}` }, inbound_nodes: [] })
    expect(refusal(() => parse(fn.json, fn.weights))).toBe('model.json: the model has 200,003 layers; the limit is 1,000')
  })

  it('200,000-deep nesting in inbound_nodes: refused by a scan of the text (no stack overflow)', () => {
    const { json, weights } = files(net('lstm', [4]), 'functional')
    const config = json.modelTopology.model_config.config
    config.layers[1].inbound_nodes[0][0][3] = { initial_state: 'DEEP' }
    const depth = 200_000
    const text = JSON.stringify(json).replace('"DEEP"', '['.repeat(depth) + ']'.repeat(depth))
    const message = refusal(() => parseModelFiles(text, new Map([['weights.bin', weights]])))
    expect(message).toMatch(/^model\.json nests objects and lists more than 64 deep \(at character \d+\); model files nest about 12 deep, the limit is 64$/)
  })

  it('deep nesting handed over as an object (parseLayersModel): refused, Keras 2 and Keras 3 nodes', () => {
    let deep: unknown = ['x', 0, 'not a tensor']
    for (let k = 0; k < 200_000; k++) deep = [deep]
    const k2 = files(net('lstm', [4]), 'functional')
    k2.json.modelTopology.model_config.config.layers[1].inbound_nodes[0][0][3] = { initial_state: deep }
    expect(refusal(() => parse(k2.json, k2.weights))).toBe("model.json: a layer's inbound_nodes nest more than 64 deep; the limit is 64")
    const k3 = files(net('lstm', [4]), 'functional-keras3')
    k3.json.modelTopology.config.layers[1].inbound_nodes[0].kwargs = { mask: deep }
    expect(refusal(() => parse(k3.json, k3.weights))).toBe("model.json: a layer's inbound_nodes nest more than 64 deep; the limit is 64")
  })

  it('model.json text above 64 MB is refused before JSON.parse', () => {
    const text = `{"pad": "${'x'.repeat(64e6)}"}`
    expect(refusal(() => parseModelFiles(text, new Map()))).toBe('model.json is 64,000,011 bytes; the limit is 64 MB')
  })

  it("class names like 'constructor' and '__proto__' are unknown layer types, not inherited properties", () => {
    for (const cls of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      const { json, weights } = lstm()
      layersOf(json)[0].class_name = cls
      expect(() => parse(json, weights)).toThrow(`(${cls}): this layer type is not supported`)
    }
  })
})

describe('the sequence pipeline: layers around the recurrence, and their refusals', () => {
  /** LSTM (sequences) → BatchNormalization → GlobalAveragePooling1D → Dense, in a TF.js or Keras 3 file. */
  function pooled(style: LayersJsonStyle) {
    const n = randomNetwork({ cell: 'lstm', hidden: [4], frameSize: 3, classes: 3, seed: 2, returnSequences: true, after: [{ kind: 'batchNorm' }, { kind: 'pool', mode: 'avg' }] })
    n.name = 'sequential'
    const f = files(n, style)
    const ls = layersOf(f.json)
    return { ...f, n, layer: (cls: string) => ls.find((l) => l.class_name === cls)!, ls }
  }

  it('loads in both dialects, batch normalization folded (float32 weights, within 1e-6)', () => {
    for (const style of ['tfjs', 'keras3'] as const) {
      const { json, weights, n } = pooled(style)
      const got = parse(json, weights)
      expect(got.layers.map((l) => l.type)).toEqual(['lstm', 'batchNorm', 'pool', 'dense'])
      const bn = got.layers[1]
      const want = n.layers[1]
      if (bn.type !== 'batchNorm' || want.type !== 'batchNorm') throw new Error('not batch norm')
      bn.scale.forEach((v, i) => expect(Math.abs(v - want.scale[i])).toBeLessThan(1e-6))
      bn.offset.forEach((v, i) => expect(Math.abs(v - want.offset[i])).toBeLessThan(1e-6))
    }
  })

  it('GlobalAveragePooling1D: channels_first and keepdims refused, in the file’s words', () => {
    for (const [style, format, keep] of [
      ['tfjs', "dataFormat: 'channelsFirst' is not supported; pool over the steps with dataFormat: 'channelsLast'", 'keepdims: true is not supported; use keepdims: false'],
      ['keras3', "data_format='channels_first' is not supported; pool over the steps with data_format='channels_last'", 'keepdims=True is not supported; use keepdims=False'],
    ] as const) {
      const a = pooled(style)
      a.layer('GlobalAveragePooling1D').config.data_format = 'channels_first'
      expect(() => parse(a.json, a.weights)).toThrow(`(GlobalAveragePooling1D): ${format}`)
      const b = pooled(style)
      b.layer('GlobalAveragePooling1D').config.keepdims = true
      expect(() => parse(b.json, b.weights)).toThrow(`(GlobalAveragePooling1D): ${keep}`)
    }
  })

  it('BatchNormalization over another axis is refused', () => {
    const { json, weights, layer } = pooled('keras3')
    layer('BatchNormalization').config.axis = 1
    expect(() => parse(json, weights)).toThrow("(BatchNormalization): normalization over axis 1 is not supported; the certifier normalizes the features (the last axis, axis=-1)")
  })

  it('TimeDistributed around anything but Dense; a Reshape that is not first; LayerNormalization; attention', () => {
    const td = pooled('keras3')
    td.ls.splice(2, 0, { module: 'keras.layers', class_name: 'TimeDistributed', config: { name: 'time_distributed', layer: { class_name: 'Conv1D', config: { name: 'conv' } } } })
    expect(() => parse(td.json, td.weights)).toThrow("layer 'time_distributed' (TimeDistributed): TimeDistributed is supported around Dense only; it wraps Conv1D")
    const rs = pooled('keras3')
    rs.ls.splice(2, 0, { module: 'keras.layers', class_name: 'Reshape', config: { name: 'reshape', target_shape: [2, 2] } })
    expect(() => parse(rs.json, rs.weights)).toThrow("layer 'reshape' (Reshape): Reshape is supported only as the first layer, turning a flat input of T·F values into T frames of F (e.g. 784 → (28, 28)); the certifier perturbs the reshaped frames")
    for (const [cls, message] of [
      ['LayerNormalization', 'LayerNormalization is not supported (its per-step statistics couple the features); use BatchNormalization or none'],
      ['MultiHeadAttention', 'attention layers are not supported: the certifier handles chains of recurrent, Dense, normalization and pooling layers'],
    ]) {
      const m = pooled('keras3')
      m.ls.splice(2, 0, { module: 'keras.layers', class_name: cls, config: { name: 'x' } })
      expect(() => parse(m.json, m.weights)).toThrow(`layer 'x' (${cls}): ${message}`)
    }
  })

  it('a leading Reshape must split the flat input into frames', () => {
    const n = randomNetwork({ cell: 'gru', hidden: [3], frameSize: 4, classes: 2, seed: 3 })
    const { json, weights } = files(n, 'keras3')
    const ls = layersOf(json)
    ls[0].config.batch_shape = [null, 20]
    ls.splice(1, 0, { module: 'keras.layers', class_name: 'Reshape', config: { name: 'reshape', target_shape: [-1, 4] } })
    expect(parse(json, weights).input).toEqual({ kind: 'frames', frameSize: 4, seqLen: 5, flatSize: 20 })
    ls[1].config.target_shape = [3, 4]
    expect(() => parse(json, weights)).toThrow("layer 'reshape' (Reshape): target shape [3,4] does not split the 20 input values into T frames of F")
  })

  it('Flatten needs a fixed length; a sequence reaching the output layer is refused', () => {
    const n = randomNetwork({ cell: 'simpleRnn', hidden: [3], frameSize: 2, classes: 2, seed: 4, returnSequences: true, after: [{ kind: 'flatten' }], seqLen: 5 })
    n.name = 'sequential'
    const { json, weights } = files(n, 'keras3')
    expect(parse(json, weights).layers.map((l) => l.type)).toEqual(['simpleRnn', 'flatten', 'dense'])
    layersOf(json)[0].config.batch_shape = [null, null, 2]
    expect(() => parse(json, weights)).toThrow("(Flatten): Flatten needs a fixed number of steps: give the input a fixed length")
    const seq = pooled('keras3')
    seq.ls.splice(seq.ls.findIndex((l) => l.class_name === 'GlobalAveragePooling1D'), 1)
    expect(() => parse(seq.json, seq.weights)).toThrow('(Dense) receives a sequence: the recurrent layer before it must have return_sequences=false (or a pooling or Flatten layer must come between)')
  })
})
