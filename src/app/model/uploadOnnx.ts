/**
 * "Load your own model" for an .onnx file (a PyTorch export; docs/onnx.md), with an optional
 * tokenizer.json. The ONNX parser (protobuf) is imported only here, lazily, so that it is not
 * in the first paint. Pure (no DOM): the view reads the files.
 */
import { loadTokenizer } from '../../model/tokenizer.ts'
import type { Tokenizer } from '../../model/tokenizer.ts'
import type { LoadedModel } from './loaded.ts'
import type { UploadedFile } from './upload.ts'
import { checkUploadSizes, classesWith, loadedFromUpload, parseJson, UploadError } from './upload.ts'

export const isOnnxFile = (name: string) => name.toLowerCase().endsWith('.onnx')

/** Files dropped together that hold an .onnx model. */
export const isOnnxUpload = (files: ReadonlyArray<{ name: string }>) => files.some((f) => isOnnxFile(f.name))

export async function loadOnnxUpload(files: UploadedFile[], title: string): Promise<LoadedModel> {
  checkUploadSizes(files.map((f) => ({ name: f.name, size: f.bytes.byteLength })))
  const models = files.filter((f) => isOnnxFile(f.name))
  if (models.length !== 1) throw new UploadError(`${models.length} .onnx files (${models.map((f) => f.name).join(', ')}): drop one model at a time`)
  let tokenizer: Tokenizer | null = null
  for (const f of files) {
    if (isOnnxFile(f.name)) continue
    const j = f.name.toLowerCase().endsWith('.json') ? (parseJson(f) as Record<string, unknown> | null) : null
    if (!j || typeof j !== 'object' || j.format !== 'cert-rnn-tokenizer') {
      throw new UploadError(`${f.name} does not belong with an .onnx model: its weights are inside the .onnx file (only a Cert-RNN tokenizer.json may come with it)`)
    }
    try {
      tokenizer = loadTokenizer(j, f.name)
    } catch (e) {
      throw new UploadError((e as Error).message) // names the file already
    }
  }
  const file = models[0]
  const { parseOnnx } = await import('../../model/onnx.ts')
  const { net, input } = parseOnnx(file.bytes, file.name)
  const classes = classesWith(net, tokenizer)
  const loaded = loadedFromUpload({ name: file.name, net, modelJson: null, shards: new Map(), tokenizer, classes }, title)
  return { ...loaded, onnx: { bytes: new Uint8Array(file.bytes), input } }
}
