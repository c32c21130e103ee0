/**
 * Inputs for a model that did not come from the zoo: its own examples.json (checked like an
 * inputs file), or for frame models that read a 28×28 image (frames × features = 784) the
 * bundled MNIST test digits, cut into the model's frames.
 */
import { parseInputsData } from '../../model/inputs.ts'
import type { LoadedModel } from './loaded.ts'
import type { SharedDigits } from '../../model/digits.ts'
import { digitsAsFrames } from '../../model/digits.ts'
import { fetchOk, MODELS_BASE } from './zoo.ts'


let shared: Promise<SharedDigits> | null = null

/** The first 100 MNIST test digits (public/models/mnist-examples.json, 0…255 per pixel), fetched once. */
function sharedDigits(base = MODELS_BASE): Promise<SharedDigits> {
  shared ??= fetchOk(`${base}mnist-examples.json`).then((r) => r.json() as Promise<SharedDigits>)
  shared.catch(() => (shared = null))
  return shared
}


/** The model with inputs to certify, and a note saying where they came from (or why there are none). */
export async function withInputs(m: LoadedModel, own: { name: string; data: unknown } | null | undefined): Promise<{ model: LoadedModel; note: string | null }> {
  if (own) {
    const parsed = parseInputsData(own.data, own.name, { net: m.net, tokenizer: m.tokenizer, classes: m.classNames.length }, { maxInputs: 200, maxInputsHint: 'the page shows at most 200 examples' })
    const examples = parsed.inputs.map((input, k) => ({ ...input, text: parsed.texts[k] ?? undefined }))
    return { model: { ...m, examples }, note: `${examples.length} examples from ${own.name}` }
  }
  if (m.examples.length || !m.image) return { model: m, note: null }
  try {
    const examples = digitsAsFrames(await sharedDigits(), m.image.frames)
    return { model: { ...m, examples }, note: `the bundled MNIST test digits, as ${m.image.frames} frames of ${m.frameSize} pixels` }
  } catch (e) {
    return { model: m, note: `the bundled MNIST digits could not be loaded (${(e as Error).message}): draw a digit` }
  }
}
