/**
 * Keras model files read directly, without tensorflowjs_converter:
 *   .keras  Keras 3's native format, a zip of config.json (the model config) and
 *           model.weights.h5 (HDF5: `layers/<class>/vars/N`, `layers/<rnn>/cell/vars/N`,
 *           plus the optimizer's `optimizer/vars/N`, skipped);
 *   .h5     the legacy HDF5 format (Keras 2, and Keras 3's `model.save('x.h5')`): the
 *           `model_config` attribute and `model_weights/<layer>/<weight name>` datasets
 *           listed by the groups' `layer_names` / `weight_names` attributes.
 * Either becomes exactly what the converter would write (a TF.js Layers model.json and one
 * float32 shard, weights named as the converter names them), so that parseLayersModel reads
 * it like any converted model: one reader, one set of checks and messages.
 *
 * fflate unzips, jsfive (pure JavaScript, ~40 KB gzipped) reads HDF5. The app imports this
 * module dynamically, only when such a file is dropped; the CLI imports it directly.
 */
import { strFromU8, unzipSync } from 'fflate'
import type { Dataset as H5Dataset, Group as H5Group } from 'jsfive'
import { File as H5File, Group as H5GroupClass } from 'jsfive'
import type { NetworkIR } from '../cert/index.ts'
import type { KerasFileKind } from './kerasFileKind.ts'
import { kerasFileKind } from './kerasFileKind.ts'
import { kerasSavePaths, ModelFileError, parseLayersModel, parseModelJson } from './layersJson.ts'
import { formatBytes, formatBytesOver, formatCount, LIMITS } from './limits.ts'

/** The shard name of the converted weights (the model.json's only weight file). */
export const KERAS_SHARD = 'weights.bin'

/** model.weights.h5 holds the model's float32 weights and the optimizer's (Adam: two more copies) */
export const MAX_WEIGHTS_H5_BYTES = 12 * LIMITS.parameters

export interface KerasFileModel {
  kind: KerasFileKind
  /** the model.json the converter would have written */
  modelJson: Record<string, unknown>
  /** its one shard, KERAS_SHARD */
  weights: ArrayBuffer
}

type Json = Record<string, unknown>

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e)
}

function isGroup(node: H5Group | H5Dataset): node is H5Group {
  return node instanceof H5GroupClass
}

/** `path` inside `group`, or undefined (jsfive throws a string for a missing member). */
function member(group: H5Group, path: string): H5Group | H5Dataset | undefined {
  try {
    return group.get(path)
  } catch {
    return undefined
  }
}

/** An attribute that Keras writes as text (jsfive gives strings; some writers give bytes). */
function text(v: unknown): string | null {
  if (typeof v === 'string') return v
  if (v instanceof Uint8Array) return new TextDecoder().decode(v)
  return null
}

function textList(v: unknown): string[] | null {
  if (!Array.isArray(v) && !ArrayBuffer.isView(v)) return null
  const list = Array.from(v as ArrayLike<unknown>, text)
  return list.every((s): s is string => s !== null) ? list : null
}

/** Weights gathered from the HDF5 file, in file order, checked against the limits before their values are read. */
class Collected {
  readonly names: string[] = []
  readonly shapes: number[][] = []
  private readonly datasets: H5Dataset[] = []
  private total = 0
  private readonly file: string

  constructor(file: string) {
    this.file = file
  }

  add(name: string, d: H5Dataset): void {
    const shape = Array.from(d.shape ?? [])
    if (d.dtype !== '<f4') {
      throw new ModelFileError(`${this.file}: weight '${name}' is stored as ${JSON.stringify(d.dtype)}; only float32 weights are supported (save the model with a float32 dtype policy)`)
    }
    const n = shape.reduce((a, b) => a * b, 1)
    if (n > LIMITS.arrayValues) {
      throw new ModelFileError(`${this.file}: weight '${name}' has shape [${shape.join(',')}], ${formatCount(n)} values; the limit is ${formatCount(LIMITS.arrayValues)} values per weight`)
    }
    this.total += n
    if (this.total > LIMITS.parameters) {
      throw new ModelFileError(`${this.file}: the weights hold more than ${formatCount(LIMITS.parameters)} values; the limit is ${formatCount(LIMITS.parameters)}`)
    }
    this.names.push(name)
    this.shapes.push(shape)
    this.datasets.push(d)
  }

  /** The converter's output: model.json around `modelConfig`, one float32 shard. */
  model(kind: KerasFileKind, modelConfig: Json, version: string, backend: string | null): KerasFileModel {
    const data = new Float32Array(this.total)
    let at = 0
    this.datasets.forEach((d, k) => {
      let values: ArrayLike<number>
      try {
        values = d.value
      } catch (e) {
        throw new ModelFileError(`${this.file}: weight '${this.names[k]}' could not be read (${message(e)})`)
      }
      const n = this.shapes[k].reduce((a, b) => a * b, 1)
      if (values.length !== n) throw new ModelFileError(`${this.file}: weight '${this.names[k]}' holds ${values.length} values, its shape ${n}`)
      data.set(values, at)
      at += n
    })
    const modelJson = {
      format: 'layers-model',
      generatedBy: `keras v${version}`,
      convertedBy: `Cert-RNN Studio: read directly from ${this.file}`,
      modelTopology: { keras_version: version, backend, model_config: modelConfig },
      weightsManifest: [{ paths: [KERAS_SHARD], weights: this.names.map((name, k) => ({ name, shape: this.shapes[k], dtype: 'float32' })) }],
    }
    return { kind, modelJson, weights: data.buffer }
  }
}

function openHdf5(bytes: Uint8Array, what: string): H5Group {
  const buffer = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? (bytes.buffer as ArrayBuffer) : (bytes.slice().buffer as ArrayBuffer)
  try {
    return new H5File(buffer, what)
  } catch (e) {
    throw new ModelFileError(`${what} is not a readable HDF5 file (${message(e)})`)
  }
}

function modelConfigOf(json: unknown, what: string): Json {
  if (typeof json !== 'object' || json === null || Array.isArray(json) || typeof (json as Json).class_name !== 'string') {
    throw new ModelFileError(`${what} has no model class_name (expected a Sequential or Functional model)`)
  }
  return json as Json
}

/** Keras 3 .keras: config.json + model.weights.h5 (`layers/…/vars/N`, the converter's names). */
function readDotKeras(bytes: Uint8Array, file: string): KerasFileModel {
  const wanted = new Set(['config.json', 'model.weights.h5', 'metadata.json'])
  let tooBig: string | null = null
  let entries: Record<string, Uint8Array>
  try {
    entries = unzipSync(bytes, {
      filter: (f) => {
        if (!wanted.has(f.name)) return false
        const limit = f.name === 'model.weights.h5' ? MAX_WEIGHTS_H5_BYTES : LIMITS.jsonBytes
        if (f.originalSize > limit) {
          tooBig ??= `${file}: ${f.name} is ${formatBytesOver(f.originalSize, limit)} unpacked; the limit is ${formatBytes(limit)}`
          return false
        }
        return true
      },
    })
  } catch (e) {
    throw new ModelFileError(`${file} is not a readable zip (${message(e)}); a .keras file is the zip that model.save('model.keras') writes`)
  }
  if (tooBig) throw new ModelFileError(tooBig)
  const config = entries['config.json']
  const weightsH5 = entries['model.weights.h5']
  if (!config || !weightsH5) {
    throw new ModelFileError(`${file} has no ${config ? 'model.weights.h5' : 'config.json'}: a .keras file written by model.save('model.keras') holds config.json and model.weights.h5`)
  }
  const modelConfig = modelConfigOf(parseModelJson(strFromU8(config), `${file}: config.json`), `${file}: config.json`)
  let version = '3'
  if (entries['metadata.json']) {
    const meta = parseModelJson(strFromU8(entries['metadata.json']), `${file}: metadata.json`) as Json | null
    if (meta && typeof meta.keras_version === 'string') version = meta.keras_version
  }
  const h5 = openHdf5(weightsH5, `${file}: model.weights.h5`)
  const layers = member(h5, 'layers')
  const out = new Collected(file)
  if (layers && isGroup(layers)) {
    const walk = (group: H5Group, path: string) => {
      for (const key of group.keys) {
        const node = group.get(key)
        const at = `${path}/${key}`
        if (isGroup(node)) walk(node, at)
        else if (/\/vars\/\d+$/.test(at)) out.add(at, node)
      }
    }
    walk(layers, 'layers')
    checkSavePaths(layers, modelConfig, file)
  }
  return out.model('keras', modelConfig, version, null)
}

/**
 * The layer each `layers/<path>/vars` group names (its `name` attribute) must be the one the
 * loader assigns that path to (kerasSavePaths): refuse rather than read a layer's weights
 * into another.
 */
function checkSavePaths(layers: H5Group, modelConfig: Json, file: string): void {
  const config = modelConfig.config as Json | undefined
  const list = config && Array.isArray(config.layers) ? (config.layers as Json[]) : []
  const named = list.map((l) => ({ className: String(l.class_name), name: String((l.config as Json | undefined)?.name ?? l.name) }))
  const expected = new Map([...kerasSavePaths(named)].map(([name, path]) => [path, name]))
  for (const key of layers.keys) {
    const vars = member(layers, `${key}/vars`)
    const name = vars ? text(vars.attrs.name) : null
    const want = expected.get(`layers/${key}`)
    if (name !== null && want !== undefined && name !== want) {
      throw new ModelFileError(`${file}: model.weights.h5 keeps layer '${name}' under 'layers/${key}', where layer '${want}' was expected; this .keras layout is not supported (save the model as .h5, or convert it)`)
    }
  }
}

/** Legacy HDF5 (.h5): model_config + model_weights/<layer>/<weight name>, as the converter reads it. */
function readH5(bytes: Uint8Array, file: string): KerasFileModel {
  const h5 = openHdf5(bytes, file)
  const configText = text(h5.attrs.model_config)
  const weights = member(h5, 'model_weights')
  if (configText === null) {
    const weightsOnly = textList(h5.attrs.layer_names) !== null || (weights !== undefined && isGroup(weights))
    throw new ModelFileError(
      weightsOnly
        ? `${file} holds only weights (model.save_weights), not the model: save the whole model with model.save('model.keras') or model.save('model.h5')`
        : `${file} is an HDF5 file without a Keras model (no model_config attribute): save the model with model.save('model.h5') or model.save('model.keras')`,
    )
  }
  const modelConfig = modelConfigOf(parseModelJson(configText, `${file}: model_config`), `${file}: model_config`)
  const version = text(h5.attrs.keras_version) ?? (weights && text(weights.attrs.keras_version)) ?? '2'
  const backend = text(h5.attrs.backend)
  const out = new Collected(file)
  if (weights && isGroup(weights)) {
    const layerNames = textList(weights.attrs.layer_names) ?? weights.keys
    for (const layer of layerNames) {
      const group = member(weights, layer)
      if (!group || !isGroup(group)) continue
      const names = textList(group.attrs.weight_names) ?? []
      for (const name of names) {
        const d = member(group, name)
        if (!d || isGroup(d)) throw new ModelFileError(`${file}: layer '${layer}' lists weight '${name}', which is not in model_weights/${layer}`)
        out.add(name, d)
      }
    }
  }
  return out.model('h5', modelConfig, version, backend)
}

/** A .keras or .h5 file → the converter's model.json and shard (see the module comment). */
export function readKerasFile(bytes: Uint8Array, file: string): KerasFileModel {
  const kind = kerasFileKind(bytes)
  if (kind === 'keras') return readDotKeras(bytes, file)
  if (kind === 'h5') return readH5(bytes, file)
  throw new ModelFileError(`${file} is neither a Keras .keras file (a zip) nor an HDF5 .h5 file`)
}

/** A .keras or .h5 file → the certifier's IR, with the converted files (for TF.js in the app). */
export function parseKerasFile(bytes: Uint8Array, file: string): KerasFileModel & { net: NetworkIR } {
  const model = readKerasFile(bytes, file)
  const net = parseLayersModel(model.modelJson, new Map([[KERAS_SHARD, model.weights]]))
  return { ...model, net }
}
