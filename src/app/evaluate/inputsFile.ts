/**
 * An uploaded file of inputs for data-set evaluation, in the CLI's JSON format: an array
 * (or {"examples": [...]}) of {"x": frames} or {"tokens": ids} objects with an optional
 * "label"; for models with a tokenizer also {"text": "..."}. Every item is checked against
 * the model, and the first problems are reported by item number, so nothing runs on input
 * the model cannot read.
 */
import type { SampleInput } from '../../cert/certify.ts'
import { formatBytes, formatBytesOver, jsonTextProblem, LIMITS } from '../../model/limits.ts'
import { encode } from '../../model/tokenizer.ts'
import type { LoadedModel } from '../model/loaded.ts'

export const MAX_INPUTS = 2000
const MAX_REPORTED = 5

export type InputsModel = Pick<LoadedModel, 'net' | 'tokenizer' | 'classNames' | 'inputKind' | 'frameSize'>

export interface ParsedInputs {
  inputs: SampleInput[]
  /** per input, for tables: the text (text inputs) or null */
  texts: Array<string | null>
}

export class InputsFileError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'InputsFileError'
  }
}

const isNumberArray = (v: unknown): v is number[] => Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isFinite(x))

/** Why a file of this size is refused before it is read (null when it may be read). */
export function inputsFileSizeProblem(fileName: string, bytes: number): string | null {
  return bytes > LIMITS.jsonBytes ? `${fileName} is ${formatBytesOver(bytes, LIMITS.jsonBytes)}; an inputs file may be at most ${formatBytes(LIMITS.jsonBytes)}` : null
}

export function parseInputsFile(text: string, fileName: string, m: InputsModel): ParsedInputs {
  const tooBig = jsonTextProblem(text, fileName)
  if (tooBig) throw new InputsFileError(tooBig)
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (e) {
    throw new InputsFileError(`${fileName} is not valid JSON (${(e as Error).message})`)
  }
  const list = Array.isArray(data) ? data : data && typeof data === 'object' ? (data as { examples?: unknown }).examples : undefined
  if (!Array.isArray(list)) throw new InputsFileError(`${fileName}: expected a JSON array of inputs (or an object with an "examples" array), as the CLI reads`)
  if (list.length === 0) throw new InputsFileError(`${fileName} has no inputs`)
  if (list.length > MAX_INPUTS) throw new InputsFileError(`${fileName} has ${list.length} inputs; the app evaluates at most ${MAX_INPUTS} at a time (use npm run evaluate for more)`)
  const classes = m.classNames.length
  const vocab = m.net.layers[0].type === 'embedding' ? m.net.layers[0].embeddings.rows : 0
  const problems: string[] = []
  const inputs: SampleInput[] = []
  const texts: Array<string | null> = []
  list.forEach((item: unknown, k) => {
    const at = `input ${k + 1}`
    if (problems.length > MAX_REPORTED) return
    if (!item || typeof item !== 'object' || Array.isArray(item)) {
      problems.push(`${at} is not an object`)
      return
    }
    const o = item as { x?: unknown; tokens?: unknown; text?: unknown; label?: unknown }
    let label: number | undefined
    if (o.label !== undefined && o.label !== null) {
      if (typeof o.label !== 'number' || !Number.isInteger(o.label) || o.label < 0 || o.label >= classes) {
        problems.push(`${at}: label ${JSON.stringify(o.label)} is not a class index (0…${classes - 1})`)
        return
      }
      label = o.label
    }
    if (m.inputKind === 'tokens') {
      let ids: number[]
      let shown: string | null = null
      if (o.tokens !== undefined) {
        if (!isNumberArray(o.tokens) || o.tokens.some((t) => !Number.isInteger(t))) {
          problems.push(`${at}: "tokens" must be an array of whole token ids`)
          return
        }
        ids = o.tokens
        const bad = ids.find((t) => t < 0 || t >= vocab)
        if (bad !== undefined) {
          problems.push(`${at}: token id ${bad} is outside the vocabulary (0…${vocab - 1})`)
          return
        }
        shown = typeof o.text === 'string' ? o.text : null
      } else if (typeof o.text === 'string') {
        if (!m.tokenizer) {
          problems.push(`${at}: this model has no tokenizer: give "tokens" (token ids), not "text"`)
          return
        }
        ids = encode(m.tokenizer, o.text)
        shown = o.text
      } else {
        problems.push(`${at}: this model reads text: give "tokens" (token ids)${m.tokenizer ? ' or "text"' : ''}`)
        return
      }
      if (ids.length === 0) {
        problems.push(`${at} has no tokens`)
        return
      }
      inputs.push({ tokens: ids, label })
      texts.push(shown)
      return
    }
    if (!Array.isArray(o.x) || o.x.length === 0) {
      problems.push(`${at}: this model reads frames: give "x", a non-empty array of frames of ${m.frameSize} numbers`)
      return
    }
    const bad = (o.x as unknown[]).findIndex((f) => !isNumberArray(f) || f.length !== m.frameSize)
    if (bad >= 0) {
      problems.push(`${at}: frame ${bad} is not ${m.frameSize} finite numbers`)
      return
    }
    inputs.push({ x: o.x as number[][], label })
    texts.push(null)
  })
  if (problems.length) {
    const more = problems.length > MAX_REPORTED ? ' (and more)' : ''
    throw new InputsFileError(`${fileName}: ${problems.slice(0, MAX_REPORTED).join('; ')}${more}. Nothing was evaluated.`)
  }
  return { inputs, texts }
}
