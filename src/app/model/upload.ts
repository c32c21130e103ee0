/**
 * "Load your own model": sort the dropped or picked files into model.json, its weight
 * shards and an optional tokenizer, or a Keras .keras / .h5 file (read without a converter;
 * its reader, with fflate and jsfive, is imported only when such a file is dropped), and
 * turn them into the certifier's IR, with a specific message for every way this can go
 * wrong. Pure (no DOM): the view reads the files.
 */
import type { NetworkIR } from '../../cert/index.ts'
import { compileNetwork } from '../../cert/index.ts'
import { hasKerasFileName, kerasFileKind } from '../../model/kerasFileKind.ts'
import { parseLayersModel } from '../../model/layersJson.ts'
import { fileSizeProblem, formatBytes, formatBytesOver, jsonTextProblem, LIMITS } from '../../model/limits.ts'
import type { Tokenizer } from '../../model/tokenizer.ts'
import { loadTokenizer } from '../../model/tokenizer.ts'
import type { LoadedModel } from './loaded.ts'
import { classNamesFor, imageShape } from './loaded.ts'

export interface UploadedFile {
  name: string
  bytes: ArrayBuffer
}

export class UploadError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'UploadError'
  }
}

export interface UploadedModel {
  name: string
  net: NetworkIR
  /** the original model.json text and shards, for TF.js predictions */
  modelJson: unknown
  shards: Map<string, ArrayBuffer>
  tokenizer: Tokenizer | null
  classes: number
  /** an examples.json (an inputs file: `{"examples": [...]}`) that came with the model, unparsed */
  examples?: { name: string; data: unknown } | null
}

/** all files together: the largest weights a model may have (src/model/limits.ts), model.json and a tokenizer */
export const MAX_UPLOAD_BYTES = 300e6

/**
 * Refuse files by their sizes alone: the view calls this with File.size before reading any
 * file into memory, readUpload again with the bytes.
 */
export function checkUploadSizes(files: ReadonlyArray<{ name: string; size: number }>): void {
  const total = files.reduce((s, f) => s + f.size, 0)
  if (total > MAX_UPLOAD_BYTES) throw new UploadError(`the files add up to ${formatBytesOver(total, MAX_UPLOAD_BYTES)}; the limit is ${formatBytes(MAX_UPLOAD_BYTES)}`)
  for (const f of files) {
    if (f.name.toLowerCase().endsWith('.json') && f.size > LIMITS.jsonBytes) {
      throw new UploadError(`${f.name} is ${formatBytesOver(f.size, LIMITS.jsonBytes)}; a model.json or tokenizer.json may be at most ${formatBytes(LIMITS.jsonBytes)}`)
    }
    const onnx = f.name.toLowerCase().endsWith('.onnx') ? fileSizeProblem(f.name, f.size, LIMITS.onnxBytes) : null
    if (onnx) throw new UploadError(onnx)
  }
}

/** A JSON file (its size checked), refused by its nesting (one linear scan) before it is parsed. */
export function parseJson(f: UploadedFile): unknown {
  const text = new TextDecoder().decode(f.bytes)
  const problem = jsonTextProblem(text, f.name)
  if (problem) throw new UploadError(problem)
  try {
    return JSON.parse(text)
  } catch (e) {
    throw new UploadError(`${f.name} is not valid JSON: ${(e as Error).message}`)
  }
}

/** A Keras .keras / .h5 file, by its name or (whatever its name) its first bytes. */
export function isKerasUpload(f: UploadedFile): boolean {
  return hasKerasFileName(f.name) || kerasFileKind(new Uint8Array(f.bytes, 0, Math.min(8, f.bytes.byteLength))) !== null
}

function checkFiles(files: UploadedFile[]): void {
  if (files.length === 0) throw new UploadError('no files: drop model.json together with its weight files (e.g. weights.bin), or a Keras .keras / .h5 file')
  checkUploadSizes(files.map((f) => ({ name: f.name, size: f.bytes.byteLength })))
}

/** The JSON files, by content: the model.json (if any) and the tokenizer (if any). */
function sortJsons(jsons: UploadedFile[]): { modelFile: UploadedFile | null; modelJson: unknown; tokenizer: Tokenizer | null; examples: UploadedModel['examples'] } {
  let modelFile: UploadedFile | null = null
  let modelJson: unknown = null
  let tokenizer: Tokenizer | null = null
  let examples: UploadedModel['examples'] = null
  for (const f of jsons) {
    const j = parseJson(f) as Record<string, unknown> | null
    if (j && typeof j === 'object' && ('modelTopology' in j || 'weightsManifest' in j || 'format' in j && (j.format === 'layers-model' || j.format === 'graph-model'))) {
      if (modelFile) throw new UploadError(`two model files: ${modelFile.name} and ${f.name}; drop one model at a time`)
      modelFile = f
      modelJson = j
    } else if (j && typeof j === 'object' && j.format === 'cert-rnn-tokenizer') {
      try {
        tokenizer = loadTokenizer(j, f.name)
      } catch (e) {
        throw new UploadError((e as Error).message) // names the file already
      }
    } else if (j && typeof j === 'object' && (j.format === 'cert-rnn-examples' || Array.isArray(j.examples))) {
      if (examples) throw new UploadError(`two examples files: ${examples.name} and ${f.name}; drop one`)
      examples = { name: f.name, data: j }
    } else {
      throw new UploadError(
        `${f.name} is neither a TF.js model.json (no modelTopology / weightsManifest), a Cert-RNN tokenizer (format "cert-rnn-tokenizer") nor an examples.json ({"examples": [...]})`,
      )
    }
  }
  return { modelFile, modelJson, tokenizer, examples }
}

/** model.json (or a Keras file's conversion) and its shards → the IR, checked with the tokenizer. */
function uploadedModel(name: string, modelJson: unknown, shards: Map<string, ArrayBuffer>, tokenizer: Tokenizer | null): UploadedModel {
  const net = parseLayersModel(modelJson, shards)
  return { name, net, modelJson, shards, tokenizer, classes: classesWith(net, tokenizer) }
}

/** The model's number of classes, once its tokenizer (if any) is known to belong to it. */
export function classesWith(net: NetworkIR, tokenizer: Tokenizer | null): number {
  const cn = compileNetwork(net)
  if (net.input.kind === 'tokens' && tokenizer && tokenizer.spec.vocab.length > cn.embedding!.embeddings.rows) {
    throw new UploadError(`the tokenizer has ${tokenizer.spec.vocab.length} tokens but the model's Embedding only ${cn.embedding!.embeddings.rows}: they do not belong together`)
  }
  if (net.input.kind === 'frames' && tokenizer) throw new UploadError('a tokenizer was given, but this model reads frames, not tokens')
  return cn.classes
}

/** A TF.js Layers model: model.json, its weight files, an optional tokenizer. */
export function readUpload(files: UploadedFile[]): UploadedModel {
  checkFiles(files)
  const jsons = files.filter((f) => f.name.toLowerCase().endsWith('.json'))
  const binaries = files.filter((f) => !f.name.toLowerCase().endsWith('.json'))
  if (jsons.length === 0) {
    throw new UploadError(`no model.json among ${files.map((f) => f.name).join(', ')}: a TF.js Layers model is a model.json plus weight files (or drop a Keras .keras / .h5 file)`)
  }
  const { modelFile, modelJson, tokenizer, examples } = sortJsons(jsons)
  if (!modelFile) throw new UploadError('none of the JSON files is a TF.js model.json (no modelTopology / weightsManifest)')
  // shards by file name (findShard): the user picks files, there is no folder
  return { ...uploadedModel(modelFile.name, modelJson, new Map(binaries.map((f) => [f.name, f.bytes])), tokenizer), examples }
}

/**
 * What the page accepts: a TF.js model (readUpload), or one Keras .keras / .h5 file with an
 * optional tokenizer, read directly (src/model/kerasFile.ts, imported now and not before).
 */
export async function readUploadAsync(files: UploadedFile[]): Promise<UploadedModel> {
  checkFiles(files)
  const keras = files.filter(isKerasUpload)
  if (keras.length === 0) return readUpload(files)
  if (keras.length > 1) throw new UploadError(`two Keras model files: ${keras.map((f) => f.name).join(' and ')}; drop one model at a time`)
  const [file] = keras
  const rest = files.filter((f) => f !== file)
  const stray = rest.filter((f) => !f.name.toLowerCase().endsWith('.json'))
  if (stray.length) throw new UploadError(`${file.name} holds its own weights; ${stray.map((f) => f.name).join(', ')} ${stray.length === 1 ? 'is' : 'are'} not needed (drop the Keras file alone, or with a tokenizer.json)`)
  const { modelFile, tokenizer, examples } = sortJsons(rest)
  if (modelFile) throw new UploadError(`two model files: ${file.name} and ${modelFile.name}; drop one model at a time`)
  const { readKerasFile, KERAS_SHARD } = await import('../../model/kerasFile.ts')
  const converted = readKerasFile(new Uint8Array(file.bytes), file.name)
  return { ...uploadedModel(file.name, converted.modelJson, new Map([[KERAS_SHARD, converted.weights]]), tokenizer), examples }
}

/** An uploaded (or trained-in-the-page) model as the app's LoadedModel. */
export function loadedFromUpload(up: UploadedModel, title: string, examples: LoadedModel['examples'] = []): LoadedModel {
  const net = up.net
  return {
    key: `upload:${up.name}:${Date.now()}`,
    source: 'upload',
    id: up.name,
    title,
    entry: null,
    net,
    tokenizer: up.tokenizer,
    examples,
    classNames: net.classNames ?? classNamesFor(net),
    domain: net.input.kind === 'frames' && imageShape(net, null) ? { min: 0, max: 1 } : null,
    inputKind: net.input.kind,
    frameSize: net.input.kind === 'frames' ? net.input.frameSize : net.layers[0].type === 'embedding' ? net.layers[0].embeddings.cols : 0,
    image: imageShape(net, null),
    modelJson: up.modelJson,
    shards: up.shards,
  }
}
