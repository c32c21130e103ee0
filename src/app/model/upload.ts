/**
 * "Load your own model": sort the dropped or picked files into model.json, its weight
 * shards and an optional tokenizer, and turn them into the certifier's IR, with a specific
 * message for every way this can go wrong. Pure (no DOM): the view reads the files.
 */
import type { NetworkIR } from '../../cert/index.ts'
import { compileNetwork } from '../../cert/index.ts'
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

export function readUpload(files: UploadedFile[]): UploadedModel {
  if (files.length === 0) throw new UploadError('no files: drop model.json together with its weight files (e.g. weights.bin)')
  checkUploadSizes(files.map((f) => ({ name: f.name, size: f.bytes.byteLength })))
  const jsons = files.filter((f) => f.name.toLowerCase().endsWith('.json'))
  const binaries = files.filter((f) => !f.name.toLowerCase().endsWith('.json'))
  if (jsons.length === 0) throw new UploadError(`no model.json among ${files.map((f) => f.name).join(', ')}: a TF.js Layers model is a model.json plus weight files`)
  // which JSON is the model and which the tokenizer: by content, not by name
  let modelFile: UploadedFile | null = null
  let modelJson: unknown = null
  let tokenizer: Tokenizer | null = null
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
    } else {
      throw new UploadError(`${f.name} is neither a TF.js model.json (no modelTopology / weightsManifest) nor a Cert-RNN tokenizer (format "cert-rnn-tokenizer")`)
    }
  }
  if (!modelFile) throw new UploadError('none of the JSON files is a TF.js model.json (no modelTopology / weightsManifest)')
  const shards = new Map(binaries.map((f) => [f.name, f.bytes]))
  // shards by file name (findShard): the user picks files, there is no folder
  const net = parseLayersModel(modelJson, shards)
  return { name: modelFile.name, net, modelJson, shards, tokenizer, classes: classesWith(net, tokenizer) }
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
