/**
 * TF.js Layers model (model.json + weight shards) → the certifier's NetworkIR.
 *
 * Pure: no TF.js import, so it runs in the worker, the CLI and tests. Reads the formats
 * written by TF.js itself (`model.save`), by tensorflowjs_converter from Keras 2 / Keras 3
 * (`modelTopology.model_config`), Sequential (new `config.layers` or old array `config`)
 * and linear-chain Functional/Model topologies. Everything the certifier cannot handle
 * soundly is refused with an UnsupportedModelError naming the layer and the setting;
 * broken files (bad JSON, missing shards, short buffers) with a ModelFileError, and so are
 * files declaring more than the limits of ./limits.ts (checked before anything is allocated
 * or read).
 */
import type { BatchNormLayer, BidirectionalLayer, Conv1dLayer, DenseLayer, DroppedLayer, EmbeddingLayer, InputSpec, LayerIR, MaskingLayer, Matrix, NetworkIR, PoolLayer, RecurrentLayer } from '../cert/index.ts'
import { convGeometry, UnsupportedModelError, validateNetwork } from '../cert/index.ts'
import { formatBytes, formatCount, jsonTextProblem, LIMITS } from './limits.ts'

/**
 * The files themselves are broken, inconsistent or incomplete (as opposed to a well-formed
 * model the certifier does not support). A subclass, so that catching UnsupportedModelError
 * catches every refusal to load.
 */
export class ModelFileError extends UnsupportedModelError {
  constructor(message: string) {
    super(message)
    this.name = 'ModelFileError'
  }
}

/**
 * Shards on demand: `size` first (undefined: missing), so that a group whose files do not
 * add up to what the manifest declares is refused before any of them is read.
 */
export interface ShardReader {
  size(path: string): number | undefined
  read(path: string): ArrayBuffer
}

export type WeightSource = Map<string, ArrayBuffer> | ((path: string) => ArrayBuffer | undefined) | ShardReader

type Json = Record<string, unknown>

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`
}

// ---------------------------------------------------------------------------------------
// Topology: the layer list in execution order

interface KerasLayer {
  className: string
  name: string
  config: Json
}

/**
 * Whose words a message uses: a Keras file (converted by tensorflowjs_converter, or a
 * .keras / .h5 file read directly) gets Keras's Python spelling (`mask_zero=False`,
 * `recurrent_activation='sigmoid'`), a model saved by TF.js gets TF.js's
 * (`maskZero: false`, `recurrentActivation: 'sigmoid'`).
 */
export type Dialect = 'keras' | 'tfjs'

function camel(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase())
}

/** A setting as the file's framework writes it in code: `go_backwards=True` / `goBackwards: true`. */
function setting(dialect: Dialect, key: string, value: boolean | string): string {
  if (dialect === 'keras') return `${key}=${typeof value === 'boolean' ? (value ? 'True' : 'False') : `'${value}'`}`
  return `${camel(key)}: ${typeof value === 'boolean' ? String(value) : `'${camel(value)}'`}`
}


/** Keras/TF.js model.json (TF.js's model.save writes keras_version 'tfjs-layers …'). */
function dialectOf(modelJson: Json, topology: Json): Dialect {
  const by = typeof modelJson.generatedBy === 'string' ? modelJson.generatedBy : ''
  const version = typeof topology.keras_version === 'string' ? topology.keras_version : ''
  if (/tensorflow\.js|tfjs/i.test(by) || /^tfjs/i.test(version)) return 'tfjs'
  return 'keras'
}


/** `modelTopology` as TF.js writes it ({class_name, config}) or as the converter does ({model_config: …}). */
function modelConfig(topology: Json): { className: string; config: unknown } {
  const mc = isObject(topology.model_config) ? topology.model_config : topology
  if (typeof mc.class_name !== 'string') {
    throw new ModelFileError('model.json: modelTopology has no class_name (expected a Sequential or Functional model)')
  }
  return { className: mc.class_name, config: mc.config }
}

function toLayer(raw: unknown, k: number): KerasLayer & { raw: Json } {
  if (!isObject(raw) || typeof raw.class_name !== 'string') {
    throw new ModelFileError(`model.json: layer ${k} of the topology has no class_name`)
  }
  const config = isObject(raw.config) ? raw.config : {}
  const name = typeof config.name === 'string' ? config.name : typeof raw.name === 'string' ? raw.name : `layer_${k}`
  return { className: raw.class_name, name, config, raw }
}

/** Names of the layers whose outputs feed a Functional layer node, from either serialization. */
function inboundLayers(layer: KerasLayer & { raw: Json }): string[][] {
  const nodes = layer.raw.inbound_nodes
  if (!Array.isArray(nodes)) return []
  return nodes.map((node) => {
    const names: string[] = []
    if (Array.isArray(node)) {
      // Keras 2 / TF.js: [[name, nodeIndex, tensorIndex, kwargs], …]
      for (const entry of node) {
        if (Array.isArray(entry) && typeof entry[0] === 'string') {
          names.push(entry[0])
          collectTensorRefs(entry[3], names)
        }
      }
    } else if (isObject(node)) {
      // Keras 3: {args: [{class_name: '__keras_tensor__', config: {keras_history: [name, n, t]}}], kwargs}
      collectKerasTensors(node.args, names)
      collectKerasTensors(node.kwargs, names)
    }
    return names
  })
}

/** Parsed JSON reached by recursion deeper than model files nest (text is checked before parsing; objects given directly are checked here). */
function checkDepth(depth: number): void {
  if (depth > LIMITS.jsonDepth) {
    throw new ModelFileError(`model.json: a layer's inbound_nodes nest more than ${LIMITS.jsonDepth} deep; the limit is ${LIMITS.jsonDepth}`)
  }
}

/** Keras 2 kwargs such as initial_state=[[name, 0, 0], …]: extra tensor inputs. */
function collectTensorRefs(v: unknown, out: string[], depth = 0): void {
  checkDepth(depth)
  if (Array.isArray(v)) {
    if (v.length >= 3 && typeof v[0] === 'string' && typeof v[1] === 'number' && typeof v[2] === 'number') out.push(v[0])
    else for (const x of v) collectTensorRefs(x, out, depth + 1)
  } else if (isObject(v)) {
    for (const x of Object.values(v)) collectTensorRefs(x, out, depth + 1)
  }
}

function collectKerasTensors(v: unknown, out: string[], depth = 0): void {
  checkDepth(depth)
  if (Array.isArray(v)) {
    for (const x of v) collectKerasTensors(x, out, depth + 1)
  } else if (isObject(v)) {
    if (v.class_name === '__keras_tensor__' && isObject(v.config) && Array.isArray(v.config.keras_history)) {
      out.push(String(v.config.keras_history[0]))
      return
    }
    for (const x of Object.values(v)) collectKerasTensors(x, out, depth + 1)
  }
}

/** [[name, 0, 0], …] or Keras 3's single [name, 0, 0]. */
function endpointNames(v: unknown): string[] {
  if (!Array.isArray(v)) return []
  if (typeof v[0] === 'string') return [v[0]]
  return v.filter((e): e is unknown[] => Array.isArray(e)).map((e) => String(e[0]))
}

function checkLayerCount(n: number): void {
  if (n > LIMITS.layers) {
    throw new ModelFileError(`model.json: the model has ${formatCount(n)} layers; the limit is ${formatCount(LIMITS.layers)}`)
  }
}

function sequentialLayers(config: unknown): KerasLayer[] {
  const list = Array.isArray(config) ? config : isObject(config) && Array.isArray(config.layers) ? config.layers : null
  if (!list) throw new ModelFileError('model.json: the Sequential model has no layer list')
  checkLayerCount(list.length)
  return list.map(toLayer)
}

function functionalLayers(className: string, config: unknown): KerasLayer[] {
  if (!isObject(config) || !Array.isArray(config.layers)) {
    throw new ModelFileError(`model.json: the ${className} model has no layer list`)
  }
  checkLayerCount(config.layers.length)
  const layers = config.layers.map(toLayer)
  const inputs = endpointNames(config.input_layers)
  const outputs = endpointNames(config.output_layers)
  if (inputs.length !== 1 || outputs.length !== 1) {
    throw new UnsupportedModelError(
      `the model has ${inputs.length} inputs and ${outputs.length} outputs; only single-input, single-output models that are a linear chain of layers are supported`,
    )
  }
  const byName = new Map(layers.map((l) => [l.name, l]))
  const consumers = new Map<string, string[]>()
  for (const layer of layers) {
    const nodes = inboundLayers(layer)
    if (nodes.length > 1) {
      throw new UnsupportedModelError(`layer '${layer.name}' (${layer.className}) is called ${nodes.length} times; shared layers are not supported`)
    }
    if (nodes.length === 0) continue
    const from = nodes[0]
    if (from.length !== 1) {
      throw new UnsupportedModelError(
        `layer '${layer.name}' (${layer.className}) has ${from.length} inputs (${from.join(', ')}); only linear chains of single-input layers are supported`,
      )
    }
    const list = consumers.get(from[0]) ?? []
    list.push(layer.name)
    consumers.set(from[0], list)
  }
  const chain: KerasLayer[] = []
  const onChain = new Set<KerasLayer>()
  let current = byName.get(inputs[0])
  if (!current) throw new ModelFileError(`model.json: the input layer '${inputs[0]}' is not in the layer list`)
  for (;;) {
    chain.push(current)
    onChain.add(current)
    const next = consumers.get(current.name) ?? []
    if (next.length > 1) {
      throw new UnsupportedModelError(`layer '${current.name}' feeds ${next.length} layers (${next.join(', ')}); only linear chains are supported`)
    }
    if (next.length === 0) break
    const layer = byName.get(next[0])
    if (!layer || onChain.has(layer)) throw new ModelFileError(`model.json: the layer graph is broken at '${next[0]}'`)
    current = layer
  }
  if (current.name !== outputs[0]) {
    throw new UnsupportedModelError(`the output layer '${outputs[0]}' is not at the end of the chain from the input (which ends at '${current.name}')`)
  }
  if (chain.length !== layers.length) {
    const off = layers.filter((l) => !onChain.has(l)).map((l) => l.name)
    throw new UnsupportedModelError(`layers ${off.map((n) => `'${n}'`).join(', ')} are not on the chain from the input to the output; only linear chains are supported`)
  }
  return chain
}

interface Ordered {
  modelName?: string
  layers: KerasLayer[]
  /** Keras 3 Sequential's build_input_shape, a fallback for the input shape */
  buildShape: (number | null)[] | null
}

function orderedLayers(topology: Json): Ordered {
  const { className, config } = modelConfig(topology)
  const modelName = isObject(config) && typeof config.name === 'string' ? config.name : undefined
  const buildShape = isObject(config) && Array.isArray(config.build_input_shape) ? (config.build_input_shape as (number | null)[]) : null
  if (className === 'Sequential') return { modelName, layers: sequentialLayers(config), buildShape }
  if (className === 'Functional' || className === 'Model') return { modelName, layers: functionalLayers(className, config), buildShape }
  throw new UnsupportedModelError(`model class '${className}' is not supported; save a Sequential or Functional model`)
}

// ---------------------------------------------------------------------------------------
// Config helpers

function num(layer: KerasLayer, key: string): number {
  const v = layer.config[key]
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
    throw new ModelFileError(`layer '${layer.name}' (${layer.className}): '${key}' is ${JSON.stringify(v)}, expected a positive integer`)
  }
  return v
}

function flag(layer: KerasLayer, key: string, dflt: boolean): boolean {
  const v = layer.config[key]
  return v === undefined || v === null ? dflt : v === true
}

/** Activation name in Keras's snake_case spelling (TF.js JS names such as hardSigmoid too). */
function activation(layer: KerasLayer, key: string, dflt: string): string {
  const v = layer.config[key]
  if (v === undefined) return dflt
  if (v === null) return 'linear' // Keras: activation=None is the identity
  let name: string
  if (typeof v === 'string') name = v
  else if (isObject(v) && typeof v.config === 'string') name = v.config // Keras 3 serialized function
  else if (isObject(v) && typeof v.class_name === 'string') name = v.class_name
  else name = JSON.stringify(v)
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase()
}

/** batch input shape from any of the spellings Keras and TF.js use. */
function batchShape(layer: KerasLayer): (number | null)[] | null {
  const c = layer.config
  for (const key of ['batch_input_shape', 'batchInputShape', 'batch_shape']) {
    if (Array.isArray(c[key])) return c[key] as (number | null)[]
  }
  for (const key of ['input_shape', 'inputShape']) {
    if (Array.isArray(c[key])) return [null, ...(c[key] as (number | null)[])]
  }
  return null
}

const IGNORED = new Set([
  'Dropout',
  'SpatialDropout1D',
  'GaussianDropout',
  'GaussianNoise',
  'AlphaDropout',
  'ActivityRegularization',
])

function refuse(layer: KerasLayer, why: string): never {
  throw new UnsupportedModelError(`layer '${layer.name}' (${layer.className}): ${why}`)
}

const ACCEPTED = [
  'InputLayer',
  'Reshape (leading, flat → frames)',
  'Masking (first layer)',
  'Embedding (mask_zero either)',
  'SimpleRNN',
  'LSTM',
  'GRU',
  'Bidirectional (concat, sum, ave, mul)',
  'Conv1D (valid, same, causal)',
  'Dense (on vectors or every step)',
  'TimeDistributed(Dense)',
  'Activation',
  'BatchNormalization',
  'GlobalAveragePooling1D',
  'GlobalMaxPooling1D',
  'Flatten',
]

/** Every layer class the loader accepts, including those skipped as the identity at inference. */
export const SUPPORTED_LAYERS = `${ACCEPTED.join(', ')}; ignored at inference (the identity): ${[...IGNORED].join(', ')}`

function refusalFor(layer: KerasLayer): string {
  switch (layer.className) {
    case 'Reshape':
      return 'Reshape is supported only as the first layer, turning a flat input of T·F values into T frames of F (e.g. 784 → (28, 28)); the certifier perturbs the reshaped frames'
    case 'LayerNormalization':
      return 'LayerNormalization is not supported (its per-step statistics couple the features); use BatchNormalization or none'
    case 'Attention':
    case 'AdditiveAttention':
    case 'MultiHeadAttention':
      return 'attention layers are not supported: the certifier handles chains of recurrent, Dense, normalization and pooling layers'
    case 'Sequential':
    case 'Functional':
    case 'Model':
      return 'nested models are not supported; flatten the model into one Sequential'
    case 'RNN':
      return 'the generic RNN wrapper is not supported; use the SimpleRNN, LSTM or GRU layers'
    default:
      return `this layer type is not supported (supported: ${SUPPORTED_LAYERS})`
  }
}

// ---------------------------------------------------------------------------------------
// Weights: manifest entries, shards, lookup by layer

interface ManifestEntry {
  name: string
  shape: number[]
  dtype: string
  quantization: unknown
  group: number
  /** byte offset inside the group's concatenated shards (null if unknown) */
  offset: number | null
  bytes: number | null
  /** number of values (the product of the shape) */
  values: number
}

interface Group {
  paths: string[]
  needs: number | null
  data?: Uint8Array
}

function bytesPerElement(dtype: string, quantization: unknown): number | null {
  if (isObject(quantization)) {
    const q = quantization.dtype
    return q === 'uint8' || q === 'int8' ? 1 : q === 'uint16' || q === 'float16' ? 2 : null
  }
  switch (dtype) {
    case 'float32':
    case 'int32':
    case 'uint32':
      return 4
    case 'float16':
    case 'int16':
    case 'uint16':
      return 2
    case 'bool':
    case 'uint8':
    case 'int8':
      return 1
    case 'complex64':
    case 'float64':
    case 'int64':
      return 8
    default:
      return null // string or unknown
  }
}

function baseName(path: string): string {
  const parts = path.split(/[\\/]/)
  return parts[parts.length - 1]
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s)
  } catch {
    return s
  }
}

/**
 * The file, among files picked or dropped together with model.json (no folders: keyed by
 * file name, or by path), that a weights-manifest path names: the exact key, else with
 * leading './' removed, else by file name (also percent-decoded), so that 'weights.bin',
 * './weights.bin', 'group1-shard1of1.bin' and a converter's absolute URL
 * 'https://host/dir/group1-shard1of1.bin' all find the file the user picked. The one lookup
 * for the certifier (parseModelFiles) and for TF.js predictions in the app. The CLI reads
 * from disk instead, strictly inside the model folder (scripts/lib/loadModelDir.ts).
 */
export function findShard<T>(files: ReadonlyMap<string, T>, manifestPath: string): T | undefined {
  const direct = files.get(manifestPath)
  if (direct !== undefined) return direct
  const stripped = manifestPath.replace(/^(\.\/)+/, '')
  const candidates = [stripped, safeDecode(stripped), baseName(stripped), safeDecode(baseName(stripped))]
  for (const c of candidates) {
    const f = files.get(c)
    if (f !== undefined) return f
  }
  // keys given as paths (e.g. 'model/weights.bin'): match on the file name
  const want = safeDecode(baseName(stripped))
  for (const [key, f] of files) if (baseName(key) === want) return f
  return undefined
}

function readerFor(source: WeightSource): ShardReader {
  if (source instanceof Map) {
    return {
      size: (path) => findShard(source, path)?.byteLength,
      read: (path) => findShard(source, path)!,
    }
  }
  if (typeof source === 'function') {
    return {
      size: (path) => source(path)?.byteLength,
      read: (path) => source(path)!,
    }
  }
  return source
}

/** 132 bytes; 99 MB (99,000,000 bytes) */
function byteCount(n: number): string {
  return n < 1000 ? `${n} bytes` : `${formatBytes(n)} (${formatCount(n)} bytes)`
}

function shardsProblem(group: Group, g: number, sizes: number[]): string | null {
  const total = sizes.reduce((a, b) => a + b, 0)
  const what =
    group.paths.length === 1
      ? `${group.paths[0]} is ${byteCount(total)}`
      : `the shards of weight group ${g + 1} (${group.paths.join(' + ')}) are ${byteCount(total)} in all`
  if (group.needs !== null) return total === group.needs ? null : `${what} but the manifest needs ${byteCount(group.needs)}`
  // an entry of unknown size (a string dtype): at least not more than any model may hold
  const most = 4 * LIMITS.parameters
  return total > most ? `${what}; the limit is ${formatBytes(most)}` : null
}

/** keras.src.utils.naming.to_snake_case: 'SimpleRNN' → 'simple_rnn', 'Conv1D' → 'conv1d'. */
export function kerasSnakeCase(name: string): string {
  return name
    .replace(/\W+/g, '')
    .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase()
}

/**
 * Where Keras 3's native format (.keras, model.weights.h5) keeps each layer's variables:
 * not under the layer's name but under `layers/<snake_case class name>`, numbered `_1`,
 * `_2`… for repeated classes in the model's layer order (keras.src.saving.saving_lib
 * `_save_container_state`); the tensorflowjs converter keeps these paths
 * (`layers/lstm/cell/vars/0`). Layer name → path.
 */
export function kerasSavePaths(layers: ReadonlyArray<{ className: string; name: string }>): Map<string, string> {
  const used = new Map<string, number>()
  const paths = new Map<string, string>()
  for (const layer of layers) {
    let key = kerasSnakeCase(layer.className)
    const n = used.get(key)
    used.set(key, n === undefined ? 0 : n + 1)
    if (n !== undefined) key = `${key}_${n + 1}`
    paths.set(layer.name, `layers/${key}`)
  }
  return paths
}

/** A weight name of Keras 3's native format, kept by the converter: 'layers/lstm/cell/vars/0'. */
export function isKerasSaveName(name: string): boolean {
  return /^layers\/.+\/vars\/\d+$/.test(name)
}

/** The order in which each layer creates its variables, i.e. the N of `vars/N`. */
const VAR_ORDER: Record<string, readonly string[]> = {
  Dense: ['kernel', 'bias'],
  Embedding: ['embeddings'],
  SimpleRNN: ['kernel', 'recurrent_kernel', 'bias'],
  LSTM: ['kernel', 'recurrent_kernel', 'bias'],
  GRU: ['kernel', 'recurrent_kernel', 'bias'],
}
const RNN_CLASSES = new Set(['SimpleRNN', 'LSTM', 'GRU'])

/** IEEE 754 half-precision bits → its value (exact: every half is a float32), as TF.js decodes `--quantize_float16` weights. */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1
  const exponent = (h >> 10) & 0x1f
  const mantissa = h & 0x3ff
  if (exponent === 0) return sign * mantissa * 2 ** -24
  if (exponent === 31) return mantissa ? Number.NaN : sign * Number.POSITIVE_INFINITY
  return sign * (1024 + mantissa) * 2 ** (exponent - 25)
}

class Weights {
  readonly entries: ManifestEntry[] = []
  /** Keras 3 native-format weight names (`layers/<layer>/…/vars/N`): layer name → its save path and class */
  private savePaths = new Map<string, { path: string; className: string }>()
  private readonly byName = new Map<string, ManifestEntry>()
  private readonly split: Array<{ e: ManifestEntry; parts: string[] }> = []
  private readonly groups: Group[] = []
  private readonly reader: ShardReader
  private readonly pending: Array<() => void> = []

  constructor(manifest: unknown, source: WeightSource) {
    if (!Array.isArray(manifest)) throw new ModelFileError('model.json: weightsManifest is not a list of weight groups')
    this.reader = readerFor(source)
    let weights = 0
    let shards = 0
    manifest.forEach((group, g) => {
      if (!isObject(group) || !Array.isArray(group.paths) || !Array.isArray(group.weights)) {
        throw new ModelFileError(`model.json: weight group ${g + 1} needs 'paths' and 'weights' lists`)
      }
      weights += group.weights.length
      shards += group.paths.length
      if (weights > LIMITS.weights) throw new ModelFileError(`model.json: the weights manifest lists more than ${formatCount(LIMITS.weights)} weights; the limit is ${formatCount(LIMITS.weights)}`)
      if (shards > LIMITS.shards) throw new ModelFileError(`model.json: the weights manifest lists more than ${formatCount(LIMITS.shards)} shard files; the limit is ${formatCount(LIMITS.shards)}`)
      const paths = group.paths.map((p) => {
        if (typeof p !== 'string' || p === '') throw new ModelFileError(`model.json: weight group ${g + 1} has a shard path ${JSON.stringify(p)}; expected a file name`)
        return p
      })
      let offset: number | null = 0
      for (const w of group.weights) {
        if (!isObject(w) || typeof w.name !== 'string' || !Array.isArray(w.shape)) {
          throw new ModelFileError(`model.json: weight group ${g + 1} has an entry without a name or shape`)
        }
        if (!w.shape.every((d) => typeof d === 'number' && Number.isInteger(d) && d >= 0)) {
          throw new ModelFileError(`model.json: weight '${w.name}' has shape ${JSON.stringify(w.shape)}; expected a list of whole numbers`)
        }
        const shape = w.shape as number[]
        const dtype = typeof w.dtype === 'string' ? w.dtype : String(w.dtype)
        const per = bytesPerElement(dtype, w.quantization)
        const values = shape.reduce((a, b) => a * b, 1)
        const bytes = per === null ? null : per * values
        const entry: ManifestEntry = { name: w.name, shape, dtype, quantization: w.quantization, group: g, offset, bytes, values }
        this.entries.push(entry)
        this.byName.set(w.name.replace(/:\d+$/, ''), entry)
        this.split.push({ e: entry, parts: w.name.replace(/:\d+$/, '').split('/') })
        offset = offset === null || bytes === null ? null : offset + bytes
      }
      this.groups.push({ paths, needs: offset })
    })
  }

  /**
   * The manifest entry holding `variable` ('kernel', …) of the layer named `layer`. Names
   * seen in the wild: 'lstm/kernel' (TF.js), 'lstm/lstm_cell/kernel' (Keras 2),
   * 'sequential/lstm/kernel' or 'sequential/lstm/lstm_cell/kernel' (Keras 3), with or
   * without ':0'. The owner is the path part before the variable, skipping a '*_cell' part;
   * failing that, any path part equal to the layer name.
   */
  find(layer: string, variable: string): ManifestEntry | undefined {
    return this.findByName(layer, variable) ?? this.findBySavePath(layer, variable)
  }

  /** Read `layers/<class>/vars/N` names too, if the manifest has them (a .keras conversion). */
  useSavePaths(layers: KerasLayer[]): void {
    if (!this.entries.some((e) => isKerasSaveName(e.name))) return
    for (const [name, path] of kerasSavePaths(layers)) {
      const layer = layers.find((l) => l.name === name)!
      this.savePaths.set(name, { path, className: layer.className })
    }
  }

  /** The name a weight has in a .keras conversion ('layers/lstm/cell/vars/0'), or null. */
  savePathOf(layer: string, variable: string): string | null {
    const at = this.savePaths.get(layer)
    if (!at) return null
    const k = VAR_ORDER[at.className]?.indexOf(variable) ?? -1
    if (k < 0) return null
    return `${at.path}${RNN_CLASSES.has(at.className) ? '/cell' : ''}/vars/${k}`
  }

  private findBySavePath(layer: string, variable: string): ManifestEntry | undefined {
    const name = this.savePathOf(layer, variable)
    return name === null ? undefined : this.byName.get(name)
  }

  private findByName(layer: string, variable: string): ManifestEntry | undefined {
    const named = this.split.filter(({ parts }) => parts.length >= 2 && parts[parts.length - 1] === variable)
    const owner = (parts: string[]) => {
      let k = parts.length - 2
      if (k > 0 && parts[k].endsWith('_cell')) k--
      return parts[k]
    }
    let candidates = named.filter(({ parts }) => owner(parts) === layer)
    if (candidates.length === 0) candidates = named.filter(({ parts }) => parts.slice(0, -1).includes(layer))
    if (candidates.length <= 1) return candidates[0]?.e
    throw new ModelFileError(
      `layer '${layer}': weight '${variable}' is ambiguous in the weights manifest (${candidates.map(({ e }) => `'${e.name}'`).join(', ')})`,
    )
  }

  /**
   * A float32 weight of the expected shape, as float64. Names, shapes and dtypes are checked
   * now; the values are filled in by `load()`, so that a wrong shape is reported as such
   * rather than as the byte-count mismatch it also causes. The caller has checked the
   * expected shape against the limits (checkDeclaredSizes).
   */
  read(layer: string, variable: string, expected: number[]): Float64Array {
    const e = this.find(layer, variable)
    if (!e) {
      const saved = this.savePathOf(layer, variable)
      throw new ModelFileError(
        saved === null
          ? `layer '${layer}': weight '${variable}' is missing from the weights manifest (expected a weight named '${layer}/${variable}')`
          : `layer '${layer}': weight '${variable}' is missing from the weights manifest, which uses .keras-converter weight names (expected '${saved}'); convert the model's .h5 file instead, or drop the .keras file itself`,
      )
    }
    if (e.shape.length !== expected.length || e.shape.some((d, k) => d !== expected[k])) {
      throw new ModelFileError(`layer '${layer}': weight '${variable}' has shape ${fmtShape(e.shape)}, expected ${fmtShape(expected)}`)
    }
    // 8- / 16-bit affine quantization (TF.js's uint8 / uint16 scheme): the weight IS the
    // float32 value TF.js decodes, fround(q·scale + min)
    // float16 quantization (--quantize_float16): the weight IS the half's value, exactly as TF.js decodes it
    let affine: { bytes: 1 | 2; scale: number; min: number } | null = null
    let half = false
    if (isObject(e.quantization)) {
      const q = e.quantization
      const ok = (q.dtype === 'uint8' || q.dtype === 'uint16') && typeof q.scale === 'number' && typeof q.min === 'number' && Number.isFinite(q.scale) && Number.isFinite(q.min)
      half = q.dtype === 'float16' && e.dtype === 'float32'
      if ((!ok && !half) || e.dtype !== 'float32') {
        throw new UnsupportedModelError(
          `layer '${layer}': weight '${variable}' is quantized to ${String(q.dtype)}; only float32 weights are supported, or the converter's uint8 / uint16 (with scale and min) and float16 quantization (convert without other quantization)`,
        )
      }
      if (ok) affine = { bytes: q.dtype === 'uint8' ? 1 : 2, scale: q.scale as number, min: q.min as number }
    }
    if (e.dtype !== 'float32') {
      throw new UnsupportedModelError(`layer '${layer}': weight '${variable}' has dtype ${e.dtype}; only float32 weights are supported`)
    }
    const offset = e.offset
    if (offset === null) {
      throw new ModelFileError(`layer '${layer}': weight '${variable}' cannot be located: an earlier weight in its group has a dtype of unknown size`)
    }
    const out = new Float64Array(expected.reduce((a, b) => a * b, 1))
    this.pending.push(() => {
      const data = this.groupData(e.group)
      if (half) {
        const view = new DataView(data.buffer, data.byteOffset + offset, 2 * out.length)
        for (let k = 0; k < out.length; k++) out[k] = halfToFloat(view.getUint16(2 * k, true))
        return
      }
      if (affine) {
        const { bytes, scale, min } = affine
        const view = new DataView(data.buffer, data.byteOffset + offset, bytes * out.length)
        for (let k = 0; k < out.length; k++) out[k] = Math.fround((bytes === 1 ? view.getUint8(k) : view.getUint16(2 * k, true)) * scale + min)
        return
      }
      const view = new DataView(data.buffer, data.byteOffset + offset, 4 * out.length)
      for (let k = 0; k < out.length; k++) out[k] = view.getFloat32(4 * k, true)
    })
    return out
  }

  /**
   * The manifest's own declarations against the limits (weights no layer uses included: their
   * bytes are read with the shards).
   */
  checkLimits(): void {
    let total = 0
    for (const e of this.entries) {
      if (e.values > LIMITS.arrayValues) {
        throw new ModelFileError(
          `model.json: weight '${e.name}' has shape ${fmtShape(e.shape)}, ${formatCount(e.values)} values (${formatBytes(8 * e.values)} as float64); the limit is ${formatCount(LIMITS.arrayValues)} values (${formatBytes(8 * LIMITS.arrayValues)}) per weight`,
        )
      }
      total += e.values
    }
    if (total > LIMITS.parameters) {
      throw new ModelFileError(
        `model.json: the weights manifest declares ${formatCount(total)} values (${formatBytes(8 * total)} as float64); the limit is ${formatCount(LIMITS.parameters)} (${formatBytes(8 * LIMITS.parameters)})`,
      )
    }
  }

  private readonly after: Array<() => void> = []

  /** Run `f` once the arrays are filled (values derived from weights, e.g. a folded normalization). */
  afterLoad(f: () => void): void {
    this.after.push(f)
  }

  /** Read the shards and fill every array `read` returned. */
  load(): void {
    this.checkLimits()
    for (const fill of this.pending) fill()
    this.pending.length = 0
    for (const f of this.after) f()
    this.after.length = 0
  }

  private groupData(g: number): Uint8Array {
    const group = this.groups[g]
    if (group.data) return group.data
    // sizes first: nothing is read unless the group's files add up to what the manifest declares
    const sizes = group.paths.map((path) => {
      const size = this.reader.size(path)
      if (size === undefined) {
        throw new ModelFileError(`shard '${path}' is missing: model.json's weightsManifest lists it; provide it together with model.json`)
      }
      return size
    })
    const before = shardsProblem(group, g, sizes)
    if (before) throw new ModelFileError(before)
    const buffers = group.paths.map((path) => new Uint8Array(this.reader.read(path)))
    const after = shardsProblem(
      group,
      g,
      buffers.map((b) => b.byteLength),
    )
    if (after) throw new ModelFileError(after) // a file changed between its size and its bytes
    const total = buffers.reduce((a, b) => a + b.byteLength, 0)
    let data: Uint8Array
    if (buffers.length === 1) data = buffers[0]
    else {
      data = new Uint8Array(total)
      let at = 0
      for (const b of buffers) {
        data.set(b, at)
        at += b.byteLength
      }
    }
    group.data = data
    return data
  }
}

function matrix(rows: number, cols: number, data: Float64Array): Matrix {
  return { rows, cols, data }
}

// ---------------------------------------------------------------------------------------
// Layers → IR

const GATES = { SimpleRNN: 1, LSTM: 4, GRU: 3 } as const
const KNOWN = new Set(['Embedding', 'SimpleRNN', 'LSTM', 'GRU', 'Dense', 'Activation', 'BatchNormalization', 'GlobalAveragePooling1D', 'GlobalMaxPooling1D', 'Flatten', 'TimeDistributed', 'Reshape', 'Bidirectional', 'Conv1D', 'Masking'])
/** class names come from the file: no inherited keys ('constructor', …) */
const isRecurrent = (className: string): className is keyof typeof GATES => Object.hasOwn(GATES, className)

/**
 * The weight arrays every layer's config declares (units, input_dim, output_dim and the
 * input width), against the limits, before any of them is allocated.
 */
function checkDeclaredSizes(body: KerasLayer[], inputWidth: number | null): void {
  let total = 0
  const claim = (layer: KerasLayer, what: string, shape: number[], cause: string) => {
    const n = shape.reduce((a, b) => a * b, 1)
    if (n > LIMITS.arrayValues) {
      throw new ModelFileError(
        `layer '${layer.name}' (${layer.className}) declares ${cause}: its ${what} ${fmtShape(shape)} would hold ${formatCount(n)} values and need ${formatBytes(8 * n)} as float64; the limit is ${formatCount(LIMITS.arrayValues)} values (${formatBytes(8 * LIMITS.arrayValues)}) per weight`,
      )
    }
    total += n
    if (total > LIMITS.parameters) {
      throw new ModelFileError(
        `the layers up to '${layer.name}' (${layer.className}) declare ${formatCount(total)} weights, which would need ${formatBytes(8 * total)} as float64; the limit is ${formatCount(LIMITS.parameters)} weights (${formatBytes(8 * LIMITS.parameters)}) in all`,
      )
    }
  }
  let width = inputWidth
  for (const layer of body) {
    if (layer.className === 'Embedding') {
      const vocab = num(layer, 'input_dim')
      const dim = num(layer, 'output_dim')
      claim(layer, 'embedding matrix', [vocab, dim], `input_dim=${vocab} and output_dim=${dim}`)
      width = dim
    } else if (isRecurrent(layer.className)) {
      const units = num(layer, 'units')
      const k = GATES[layer.className]
      if (width !== null) claim(layer, 'kernel', [width, k * units], `units=${units} on inputs of width ${width}`)
      claim(layer, 'recurrent kernel', [units, k * units], `units=${units}`)
      width = units
    } else if (layer.className === 'Dense') {
      const units = num(layer, 'units')
      if (width !== null) claim(layer, 'kernel', [width, units], `units=${units} on inputs of width ${width}`)
      width = units
    } else if (layer.className === 'Flatten' || layer.className === 'Bidirectional' || layer.className === 'Conv1D') width = null // checked on the weights' own shapes
  }
}

/**
 * The slope of hard_sigmoid as the file means it: Keras 3 defines it as relu6(x + 3)/6
 * (slope 1/6); Keras 2 and TF.js as clip(0.2·x + 0.5, 0, 1).
 */
function hardSigmoidSlope(topology: Record<string, unknown>): number {
  const v = topology.keras_version
  return typeof v === 'string' && /^3\./.test(v) ? 1 / 6 : 0.2
}

function recurrentLayer(layer: KerasLayer, width: number, weights: Weights, slope: number, dialect: Dialect): RecurrentLayer {
  const cls = layer.className as keyof typeof GATES
  const c = layer.config
  const say = (key: string, value: boolean | string) => setting(dialect, key, value)
  if (flag(layer, 'go_backwards', false)) refuse(layer, `${say('go_backwards', true)} is not supported (the certifier reads the sequence forwards); retrain with ${say('go_backwards', false)}`)
  if (flag(layer, 'stateful', false)) refuse(layer, `${say('stateful', true)} is not supported; re-create the layer with ${say('stateful', false)}`)
  if (flag(layer, 'return_state', false)) refuse(layer, `${say('return_state', true)} is not supported; save the model with ${say('return_state', false)}`)
  if (flag(layer, 'time_major', false)) refuse(layer, `${say('time_major', true)} is not supported; save the model with ${say('time_major', false)}`)
  const units = num(layer, 'units')
  const k = GATES[cls]
  const useBias = flag(layer, 'use_bias', true)
  const kernel = matrix(width, k * units, weights.read(layer.name, 'kernel', [width, k * units]))
  const recurrentKernel = matrix(units, k * units, weights.read(layer.name, 'recurrent_kernel', [units, k * units]))
  const returnSequences = flag(layer, 'return_sequences', false)
  const act = activation(layer, 'activation', 'tanh')
  const zeroOutput = flag(layer, 'zero_output_for_mask', false)
  const base = { name: layer.name, units, kernel, recurrentKernel, returnSequences, activation: act, ...(zeroOutput ? { zeroOutputForMask: true } : {}) }
  if (cls === 'SimpleRNN') {
    const bias = useBias ? weights.read(layer.name, 'bias', [units]) : new Float64Array(units)
    return { ...base, type: 'simpleRnn', bias }
  }
  // not set: TF.js's default, hard_sigmoid
  const recurrentActivation = activation(layer, 'recurrent_activation', 'hard_sigmoid')
  const gates = recurrentActivation === 'hard_sigmoid' ? { hardSigmoidSlope: slope } : {}
  if (cls === 'LSTM') {
    const bias = useBias ? weights.read(layer.name, 'bias', [4 * units]) : new Float64Array(4 * units)
    return { ...base, type: 'lstm', recurrentActivation, ...gates, bias }
  }
  // GRU: reset_after from the config, else from the bias's shape ([2, 3u] means reset_after)
  let resetAfter: boolean
  if (typeof c.reset_after === 'boolean') resetAfter = c.reset_after
  else resetAfter = useBias ? weights.find(layer.name, 'bias')?.shape.length === 2 : false
  let bias: Float64Array
  if (!useBias) bias = new Float64Array((resetAfter ? 6 : 3) * units)
  else bias = weights.read(layer.name, 'bias', resetAfter ? [2, 3 * units] : [3 * units])
  return { ...base, type: 'gru', recurrentActivation, ...gates, resetAfter, bias }
}

function denseLayer(layer: KerasLayer, width: number, weights: Weights): DenseLayer {
  const c = layer.config
  if (typeof c.lora_rank === 'number' && c.lora_rank > 0) refuse(layer, `LoRA-adapted Dense layers are not supported (lora_rank=${c.lora_rank}); merge the adapter first (layer.disable_lora()) and save again`)
  const units = num(layer, 'units')
  const kernel = matrix(width, units, weights.read(layer.name, 'kernel', [width, units]))
  const bias = flag(layer, 'use_bias', true) ? weights.read(layer.name, 'bias', [units]) : new Float64Array(units)
  return { type: 'dense', name: layer.name, units, kernel, bias, activation: activation(layer, 'activation', 'linear') }
}

/** A positive whole number, or a one-element list of one (Keras writes kernel_size=(3,)). */
function oneInt(layer: KerasLayer, key: string, dflt: number): number {
  const raw = layer.config[key] ?? layer.config[key.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase())]
  const v = Array.isArray(raw) && raw.length === 1 ? raw[0] : (raw ?? dflt)
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) refuse(layer, `'${key}' is ${JSON.stringify(raw)}, expected a positive whole number`)
  return v
}

/** Conv1D over the steps (channels last, one group): the kernel [k, in, filters] as k taps. */
function conv1dLayer(layer: KerasLayer, width: number, weights: Weights, dialect: Dialect): Conv1dLayer {
  const c = layer.config
  const say = (key: string, value: boolean | string) => setting(dialect, key, value)
  const format = c.data_format ?? c.dataFormat
  if (format !== undefined && format !== null && format !== 'channels_last' && format !== 'channelsLast') {
    refuse(layer, `${say('data_format', String(format))} is not supported; use ${say('data_format', 'channels_last')}`)
  }
  if (c.groups !== undefined && c.groups !== 1) refuse(layer, `grouped convolutions (groups=${JSON.stringify(c.groups)}) are not supported; use groups=1`)
  const padding = c.padding ?? 'valid'
  if (padding !== 'valid' && padding !== 'same' && padding !== 'causal') refuse(layer, `${say('padding', String(padding))} is not supported; use valid, same or causal`)
  const filters = num(layer, 'filters')
  const k = oneInt(layer, 'kernel_size', 1)
  const strides = oneInt(layer, 'strides', 1)
  const dilation = oneInt(layer, 'dilation_rate', 1)
  const kernel = weights.read(layer.name, 'kernel', [k, width, filters])
  const bias = flag(layer, 'use_bias', true) ? weights.read(layer.name, 'bias', [filters]) : new Float64Array(filters)
  // filled by load(): the taps are views of the kernel, tap j = kernel[j]
  const taps = Array.from({ length: k }, (_v, j) => matrix(width, filters, kernel.subarray(j * width * filters, (j + 1) * width * filters)))
  return { type: 'conv1d', name: layer.name, filters, taps, bias, strides, dilation, padding, activation: activation(layer, 'activation', 'linear') }
}

/**
 * Bidirectional around SimpleRNN, LSTM or GRU: the forward layer from `layer`, the backward
 * one from `backward_layer` (Keras 3) or the same config (Keras 2, TF.js). Weights are named
 * after the inner layers ('bidirectional/forward_lstm/…/kernel'); Keras 2 and TF.js configs
 * name the inner layer 'lstm' and its weights 'forward_lstm', 'backward_lstm'.
 */
function bidirectionalLayer(layer: KerasLayer, width: number, weights: Weights, slope: number, dialect: Dialect): BidirectionalLayer {
  const c = layer.config
  const say = (key: string, value: boolean | string) => setting(dialect, key, value)
  const merge = 'merge_mode' in c ? c.merge_mode : 'mergeMode' in c ? c.mergeMode : 'concat'
  if (merge === null) refuse(layer, `${say('merge_mode', 'None')} (two outputs) is not supported; merge the directions with concat, sum, ave or mul`)
  if (merge !== 'concat' && merge !== 'sum' && merge !== 'ave' && merge !== 'mul') {
    refuse(layer, `${say('merge_mode', String(merge))} is not supported; use concat, sum, ave or mul`)
  }
  const inner = (raw: unknown, what: string): KerasLayer => {
    const cls = isObject(raw) ? raw.class_name : undefined
    if (!isObject(raw) || typeof cls !== 'string' || !isObject(raw.config)) refuse(layer, `its ${what} layer is unreadable`)
    if (!isRecurrent(cls)) refuse(layer, `Bidirectional is supported around SimpleRNN, LSTM and GRU; it wraps ${cls}`)
    const config = raw.config as Json
    return { className: cls, name: typeof config.name === 'string' ? config.name : layer.name, config }
  }
  const fwd = inner(c.layer, 'forward')
  if (flag(fwd, 'go_backwards', false)) refuse(layer, `its forward layer has ${say('go_backwards', true)}; wrap a layer with ${say('go_backwards', false)}`)
  const bwd = c.backward_layer !== undefined && c.backward_layer !== null ? inner(c.backward_layer, 'backward') : fwd
  // weights: under the inner layers' names, or 'forward_' / 'backward_' + the wrapped layer's name
  const base = fwd.name.replace(/^forward_/, '')
  const owner = (name: string, fallback: string) => (weights.find(name, 'kernel') ? name : fallback)
  const fName = owner(fwd.name, `forward_${base}`)
  const bName = bwd === fwd ? `backward_${base}` : owner(bwd.name, `backward_${base}`)
  // the backward layer reads the sequence from its end: its go_backwards is the wrapper's business
  const forward = recurrentLayer({ ...fwd, name: fName }, width, weights, slope, dialect)
  const backward = recurrentLayer({ ...bwd, name: bName, config: { ...bwd.config, go_backwards: false } }, width, weights, slope, dialect)
  return { type: 'bidirectional', name: layer.name, forward, backward, merge, returnSequences: forward.returnSequences }
}

/** The inner layer of a TimeDistributed wrapper: Dense only, read as a per-step Dense named after the wrapper. */
function timeDistributedDense(layer: KerasLayer, width: number, weights: Weights): DenseLayer {
  const inner = layer.config.layer
  const cls = isObject(inner) ? inner.class_name : undefined
  if (!isObject(inner) || cls !== 'Dense' || !isObject(inner.config)) {
    refuse(layer, `TimeDistributed is supported around Dense only; it wraps ${typeof cls === 'string' ? cls : 'an unreadable layer'}`)
  }
  const innerName = typeof inner.config.name === 'string' ? inner.config.name : layer.name
  // the weights are named after the inner layer (Keras: 'time_distributed/dense/kernel') or the wrapper
  const owner = weights.find(innerName, 'kernel') ? innerName : layer.name
  const dense = denseLayer({ ...layer, name: owner, className: 'Dense', config: inner.config }, width, weights)
  return { ...dense, name: layer.name }
}

/** BatchNormalization at inference on the last axis, folded: x·γ/√(var + ε) + (β − mean·γ/√(var + ε)). */
function batchNormLayer(layer: KerasLayer, width: number, rank: number, weights: Weights): BatchNormLayer {
  const c = layer.config
  const axis = Array.isArray(c.axis) && c.axis.length === 1 ? c.axis[0] : (c.axis ?? -1)
  if (axis !== -1 && axis !== rank - 1) {
    refuse(layer, `normalization over axis ${JSON.stringify(c.axis)} is not supported; the certifier normalizes the features (the last axis, axis=-1)`)
  }
  const eps = typeof c.epsilon === 'number' && c.epsilon >= 0 ? c.epsilon : 1e-3
  const gamma = flag(layer, 'scale', true) ? weights.read(layer.name, 'gamma', [width]) : new Float64Array(width).fill(1)
  const beta = flag(layer, 'center', true) ? weights.read(layer.name, 'beta', [width]) : new Float64Array(width)
  const mean = weights.read(layer.name, 'moving_mean', [width])
  const variance = weights.read(layer.name, 'moving_variance', [width])
  const scale = new Float64Array(width)
  const offset = new Float64Array(width)
  // folded once the shards are read
  weights.afterLoad(() => {
    for (let i = 0; i < width; i++) {
      scale[i] = gamma[i] / Math.sqrt(variance[i] + eps)
      offset[i] = beta[i] - mean[i] * scale[i]
    }
  })
  return { type: 'batchNorm', name: layer.name, scale, offset }
}

/** GlobalAveragePooling1D / GlobalMaxPooling1D over the steps (channels last, no kept dimension). */
function poolLayer(layer: KerasLayer, dialect: Dialect): PoolLayer {
  const format = layer.config.data_format ?? layer.config.dataFormat
  if (format !== undefined && format !== null && format !== 'channels_last' && format !== 'channelsLast') {
    refuse(layer, `${setting(dialect, 'data_format', String(format))} is not supported; pool over the steps with ${setting(dialect, 'data_format', 'channels_last')}`)
  }
  if (flag(layer, 'keepdims', false)) refuse(layer, `${setting(dialect, 'keepdims', true)} is not supported; use ${setting(dialect, 'keepdims', false)}`)
  return { type: 'pool', name: layer.name, mode: layer.className === 'GlobalMaxPooling1D' ? 'max' : 'avg' }
}

function embeddingLayer(layer: KerasLayer, weights: Weights): EmbeddingLayer {
  const vocab = num(layer, 'input_dim')
  const dim = num(layer, 'output_dim')
  const maskZero = flag(layer, 'mask_zero', false)
  return { type: 'embedding', name: layer.name, embeddings: matrix(vocab, dim, weights.read(layer.name, 'embeddings', [vocab, dim])), ...(maskZero ? { maskZero } : {}) }
}

/** Masking(mask_value): the value a step's every feature must equal to be masked (default 0). */
function maskingLayer(layer: KerasLayer, dialect: Dialect): MaskingLayer {
  const v = layer.config.mask_value ?? layer.config.maskValue ?? 0
  if (typeof v !== 'number' || !Number.isFinite(v)) refuse(layer, `${setting(dialect, 'mask_value', JSON.stringify(v))} is not supported; the mask value must be a finite number`)
  return { type: 'masking', name: layer.name, maskValue: v }
}

/** seqLen from a batch shape entry: a positive integer, else null. */
function seqLenOf(v: unknown): number | null {
  return typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : null
}

/**
 * Convert a parsed TF.js Layers model.json and its weight shards into the certifier IR
 * (validated with validateNetwork). `weightBuffers` maps the manifest's shard paths
 * (or their file names) to their bytes, or is a function doing that lookup.
 */
export function parseLayersModel(modelJson: unknown, weightBuffers: WeightSource): NetworkIR {
  if (!isObject(modelJson)) throw new ModelFileError('model.json does not hold a JSON object')
  const topology = modelJson.modelTopology
  const format = modelJson.format
  if (format === 'graph-model' || (isObject(topology) && Array.isArray(topology.node))) {
    throw new UnsupportedModelError('this is a TF.js graph model; only Layers models are supported (convert the Keras model with --output_format tfjs_layers_model)')
  }
  if (!isObject(topology)) {
    throw new ModelFileError("model.json has no modelTopology: this is not a TF.js Layers model (expected the model.json written by model.save or tensorflowjs_converter)")
  }
  if (modelJson.weightsManifest === undefined) {
    throw new ModelFileError('model.json has no weightsManifest: the weights are missing (save the model with its weights)')
  }
  const weights = new Weights(modelJson.weightsManifest, weightBuffers)
  const dialect = dialectOf(modelJson, topology)
  const { modelName, layers: kerasLayers, buildShape } = orderedLayers(topology)
  weights.useSavePaths(kerasLayers)

  // input shape: an InputLayer, or the first real layer's batch_input_shape
  let shape: (number | null)[] | null = null
  const body: KerasLayer[] = []
  for (const layer of kerasLayers) {
    if (layer.className === 'InputLayer') {
      if (body.length > 0) refuse(layer, 'an InputLayer may only come first')
      shape = batchShape(layer)
      continue
    }
    if (!KNOWN.has(layer.className) && !IGNORED.has(layer.className)) refuse(layer, refusalFor(layer))
    if (body.length === 0 && !shape) shape = batchShape(layer)
    body.push(layer)
  }
  const real = body.filter((l) => !IGNORED.has(l.className))
  if (real.length === 0) throw new UnsupportedModelError('the model has no layers')
  if (!body.some((l) => isRecurrent(l.className) || l.className === 'Bidirectional')) throw new UnsupportedModelError('the model has no recurrent layer (SimpleRNN, LSTM or GRU)')
  shape ??= buildShape

  let input: InputSpec
  let width: number | null
  const first = real[0]
  const reshape = first.className === 'Reshape' ? first : null
  if (first.className === 'Embedding') {
    const inputLength = seqLenOf(first.config.input_length)
    if (shape && shape.length !== 2) {
      throw new UnsupportedModelError(`the token input has shape ${JSON.stringify(shape)}; an Embedding model needs [batch, time]`)
    }
    input = { kind: 'tokens', seqLen: inputLength ?? (shape ? seqLenOf(shape[1]) : null) }
    width = null
  } else if (reshape) {
    // a flat input of T·F values reshaped into T frames of F (the MNIST 784 → 28 × 28)
    const target = reshape.config.target_shape ?? reshape.config.targetShape
    const flat = shape && shape.length === 2 ? seqLenOf(shape[1]) : null
    if (!Array.isArray(target) || target.length !== 2 || flat === null) {
      refuse(reshape, `a leading Reshape must turn a flat input [batch, N] into frames [batch, T, F]; got input ${JSON.stringify(shape)} and target shape ${JSON.stringify(target)}`)
    }
    let [T, F] = target as unknown[]
    if (T === -1 && seqLenOf(F) !== null) T = flat / (F as number)
    if (F === -1 && seqLenOf(T) !== null) F = flat / (T as number)
    if (seqLenOf(T) === null || seqLenOf(F) === null || (T as number) * (F as number) !== flat) {
      refuse(reshape, `target shape ${JSON.stringify(target)} does not split the ${flat} input values into T frames of F`)
    }
    width = F as number
    input = { kind: 'frames', frameSize: width, seqLen: T as number, flatSize: flat }
  } else {
    if (shape && shape.length !== 3) {
      throw new UnsupportedModelError(`the input has shape ${JSON.stringify(shape)}; a recurrent model needs [batch, time, features]`)
    }
    width = shape ? seqLenOf(shape[2]) : null
    if (width === null && isRecurrent(first.className)) {
      // no recorded input shape: take the frame size from the first kernel
      width = weights.find(first.name, 'kernel')?.shape[0] ?? null
    }
    if (width === null) throw new UnsupportedModelError('the model does not record its input shape (set inputShape on the first layer)')
    input = { kind: 'frames', frameSize: width, seqLen: shape ? seqLenOf(shape[1]) : null }
  }

  checkDeclaredSizes(body, width)
  const layers: LayerIR[] = []
  const dropped: DroppedLayer[] = []
  // the layer's input: a sequence [batch, time, width] or a vector [batch, width]
  let sequence = true
  let steps = input.seqLen
  const known = (layer: KerasLayer, w: number | null): number => {
    if (w === null) refuse(layer, 'its input width is unknown')
    return w
  }
  for (const layer of body) {
    if (IGNORED.has(layer.className)) {
      // the identity at inference: dropped, listed for the model card
      dropped.push({ name: layer.name, className: layer.className, at: layers.length })
      continue
    }
    switch (layer.className) {
      case 'Reshape':
        if (layer !== reshape) refuse(layer, refusalFor(layer))
        break
      case 'Embedding': {
        const emb = embeddingLayer(layer, weights)
        layers.push(emb)
        width = emb.embeddings.cols
        break
      }
      case 'Masking':
        if (layer !== real[0]) refuse(layer, `Masking is supported only as the first layer, on the input frames${real[0].className === 'Embedding' ? ` (token models mask with the Embedding's ${setting(dialect, 'mask_zero', true)})` : ''}`)
        layers.push(maskingLayer(layer, dialect))
        break
      case 'SimpleRNN':
      case 'LSTM':
      case 'GRU': {
        const rnn = recurrentLayer(layer, known(layer, width), weights, hardSigmoidSlope(topology), dialect)
        layers.push(rnn)
        width = rnn.units
        sequence = rnn.returnSequences
        break
      }
      case 'Conv1D': {
        const conv = conv1dLayer(layer, known(layer, width), weights, dialect)
        layers.push(conv)
        width = conv.filters
        if (steps !== null) steps = convGeometry(conv, steps).length
        break
      }
      case 'Bidirectional': {
        const bi = bidirectionalLayer(layer, known(layer, width), weights, hardSigmoidSlope(topology), dialect)
        layers.push(bi)
        width = bi.merge === 'concat' ? bi.forward.units + bi.backward.units : bi.forward.units
        sequence = bi.returnSequences
        break
      }
      case 'Dense':
      case 'TimeDistributed': {
        const w = known(layer, width)
        const dense = layer.className === 'Dense' ? denseLayer(layer, w, weights) : timeDistributedDense(layer, w, weights)
        layers.push(dense)
        width = dense.units
        break
      }
      case 'BatchNormalization':
        layers.push(batchNormLayer(layer, known(layer, width), sequence ? 3 : 2, weights))
        break
      case 'GlobalAveragePooling1D':
      case 'GlobalMaxPooling1D':
        layers.push(poolLayer(layer, dialect))
        sequence = false
        break
      case 'Flatten': {
        const T = steps
        if (sequence && T === null) refuse(layer, 'Flatten needs a fixed number of steps: give the input a fixed length')
        // on a vector Flatten changes nothing
        if (!sequence) dropped.push({ name: layer.name, className: 'Flatten', at: layers.length })
        else {
          layers.push({ type: 'flatten', name: layer.name })
          width = known(layer, width) * (T as number)
        }
        sequence = false
        break
      }
      case 'Activation': {
        // folded into the Dense layer before it (Dense then Activation is Dense with that activation)
        const act = activation(layer, 'activation', 'linear')
        const prev = layers[layers.length - 1]
        if (act === 'linear') break
        if (prev?.type !== 'dense' || prev.activation !== 'linear') {
          refuse(layer, `an Activation layer is supported only right after a Dense layer without an activation; set activation='${act}' on the layer before it instead`)
        }
        layers[layers.length - 1] = { ...prev, activation: act }
        break
      }
      default:
        refuse(layer, refusalFor(layer))
    }
  }
  weights.load()
  const net: NetworkIR = { input, layers }
  if (dropped.length) net.dropped = dropped
  if (modelName) net.name = modelName
  validateNetwork(net)
  return net
}

/**
 * model.json text plus the files picked with it (shards by name) → validated NetworkIR,
 * with clear messages for text that is not JSON and for graph models.
 */
export function parseModelFiles(modelJsonText: string, files: WeightSource): NetworkIR {
  return parseLayersModel(parseModelJson(modelJsonText), files)
}

/** model.json text → its JSON, refused first (by one linear scan) if too long or nested too deep. */
export function parseModelJson(modelJsonText: string, what = 'model.json'): unknown {
  const problem = jsonTextProblem(modelJsonText, what)
  if (problem) throw new ModelFileError(problem)
  try {
    return JSON.parse(modelJsonText)
  } catch (e) {
    throw new ModelFileError(`${what} is not valid JSON: ${e instanceof Error ? e.message : String(e)}`)
  }
}
