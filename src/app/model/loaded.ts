/** A model ready for the app: the certifier's IR plus what the views need around it. */
import type { NetworkIR, SampleInput } from '../../cert/index.ts'
import type { ManifestModel } from '../../model/manifest.ts'
import type { OnnxInput } from '../../model/onnx.ts'
import type { Tokenizer } from '../../model/tokenizer.ts'

export interface Example extends SampleInput {
  /** text models: the original sentence or URL */
  text?: string
}

export interface LoadedModel {
  /** unique per loaded model (zoo id, or upload name + time) */
  key: string
  source: 'zoo' | 'upload'
  id: string
  title: string
  entry: ManifestModel | null
  net: NetworkIR
  tokenizer: Tokenizer | null
  examples: Example[]
  /** where the examples of a model from outside the zoo came from (shown with the input) */
  inputsNote?: string
  classNames: string[]
  /** input domain for clipping, when the model has one (MNIST pixels: [0, 1]) */
  domain: { min: number; max: number } | null
  inputKind: 'frames' | 'tokens'
  frameSize: number
  /** frame models read as images: the image side (28 for MNIST) and frames per image */
  image: { side: number; frames: number } | null
  /** the model.json object and its shards, for TF.js predictions */
  modelJson: unknown
  shards: Map<string, ArrayBuffer>
  /** an uploaded .onnx model: the file and how to feed it, for onnxruntime-web predictions */
  onnx?: OnnxModel
}

export interface OnnxModel {
  bytes: Uint8Array
  input: OnnxInput
}

export function classNamesFor(net: NetworkIR, given?: string[]): string[] {
  const last = net.layers[net.layers.length - 1]
  const k = last.type === 'dense' ? last.units : 0
  return given && given.length === k ? given : Array.from({ length: k }, (_, c) => String(c))
}

/** Frame models whose frames tile a 28×28 image can use the digit views. */
export function imageShape(net: NetworkIR, frames: number | null): LoadedModel['image'] {
  if (net.input.kind !== 'frames') return null
  const f = net.input.frameSize
  if (784 % f !== 0) return null
  const T = frames ?? 784 / f
  return T * f === 784 ? { side: 28, frames: T } : null
}

/**
 * The top of a model's fixed colour scale of bounds: the width of its input domain (MNIST
 * pixels: 1), or for text the largest magnitude in its embedding table (an ε that large
 * moves a word anywhere), else 1.
 */
export function boundScaleTop(m: Pick<LoadedModel, 'domain' | 'net'>): number {
  if (m.domain) return m.domain.max - m.domain.min
  const emb = m.net.layers[0]
  if (emb.type === 'embedding') {
    let top = 0
    for (const v of emb.embeddings.data) top = Math.max(top, Math.abs(v))
    if (top > 0) return top
  }
  return 1
}
