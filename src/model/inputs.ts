/**
 * Files of inputs, read the same way by the command lines (certify, evaluate) and the app's
 * Evaluate tab: a JSON array (or {"examples": [...]}, as a model's examples.json) of
 *   {"x": frames}          frame models: T frames of frameSize finite numbers
 *   {"tokens": ids}        token models: token ids inside the vocabulary
 *   {"text": "..."}        token models with a tokenizer: tokenised as everywhere else
 * each with an optional "label" (a class index). Every item is checked against the model
 * and the length cap before anything runs; the first problems are reported together, each
 * naming its input by its index (0-based, as the CLI's JSON lines number them).
 *
 * Pure (no Node or DOM APIs): the caller reads the file.
 */
import type { CostThreat, NetworkIR, SampleInput } from '../cert/index.ts'
import { costShape, inputFrames, MAX_FRAMES, reshapeNote, sequenceCostProblem } from '../cert/index.ts'
import { jsonTextProblem } from './limits.ts'
import type { Tokenizer } from './tokenizer.ts'
import { encodeDetailed } from './tokenizer.ts'

/** What the checks need to know of the model. */
export interface InputsModel {
  net: NetworkIR
  /** for "text" items (token models) */
  tokenizer: Tokenizer | null
  /** number of classes, for the labels */
  classes: number
}

export interface InputsOptions {
  /** refuse more items than this (default: no limit) */
  maxInputs?: number
  /** why there is a limit on the number of items, for the message */
  maxInputsHint?: string
  /** the frame cap (default MAX_FRAMES) */
  maxFrames?: number
  /** how the caller raises the frame cap, for the message (e.g. '--max-frames') */
  raiseWith?: string
  /** how many problems to list before giving up (default 5) */
  maxReported?: number
  /** for the time estimate of a refused long input: the threat and certificates per region */
  threat?: CostThreat
  evaluations?: number
}

export interface ParsedInputs {
  inputs: SampleInput[]
  /** per input: its text ("text" items, or "tokens" items that carry one) or null */
  texts: Array<string | null>
  /** "text" items longer than the model reads: their index, token count and tokens kept */
  truncated: Array<{ index: number; tokens: number; kept: number }>
}

export class InputsError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'InputsError'
  }
}

/** A value as a message shows it: null, an array, the text "a", an object, 3.5. */
export function describeValue(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'an array'
  if (typeof v === 'string') return `the text ${JSON.stringify(v.length > 20 ? `${v.slice(0, 20)}…` : v)}`
  if (typeof v === 'object') return 'an object'
  return String(v)
}

/** JSON text of an inputs file → checked inputs. `what` names the file in every message. */
export function parseInputsText(text: string, what: string, m: InputsModel, opts: InputsOptions = {}): ParsedInputs {
  const tooBig = jsonTextProblem(text, what)
  if (tooBig) throw new InputsError(tooBig)
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (e) {
    throw new InputsError(`${what}: not valid JSON (${(e as Error).message})`)
  }
  return parseInputsData(data, what, m, opts)
}

/** Parsed JSON of an inputs file → checked inputs. */
export function parseInputsData(data: unknown, what: string, m: InputsModel, opts: InputsOptions = {}): ParsedInputs {
  // a bundled examples.json wraps the array: { "examples": [...] }
  if (data && typeof data === 'object' && !Array.isArray(data) && Array.isArray((data as { examples?: unknown }).examples)) data = (data as { examples: unknown }).examples
  const kind = m.net.input.kind
  const wanted = kind === 'tokens' ? `{"tokens": [...]}${m.tokenizer ? ' or {"text": "..."}' : ''}` : '{"x": [[...]]}'
  if (!Array.isArray(data)) throw new InputsError(`${what}: expected a JSON array of ${wanted} objects (each with an optional "label"), got ${describeValue(data)}`)
  if (data.length === 0) throw new InputsError(`${what} holds no inputs (an empty list)`)
  if (opts.maxInputs !== undefined && data.length > opts.maxInputs) {
    throw new InputsError(`${what} has ${data.length} inputs; at most ${opts.maxInputs} are read at a time${opts.maxInputsHint ? ` (${opts.maxInputsHint})` : ''}`)
  }
  const maxReported = opts.maxReported ?? 5
  const first = m.net.layers[0]
  const vocab = first.type === 'embedding' ? first.embeddings.rows : 0
  const frameSize = m.net.input.kind === 'frames' ? m.net.input.frameSize : 0
  const shape = costShape(m.net)
  const unit = kind === 'tokens' ? 'tokens' : 'frames'
  const problems: string[] = []
  const out: ParsedInputs = { inputs: [], texts: [], truncated: [] }

  /** One item: its input and text, or a problem. */
  const item = (d: unknown, k: number): { input: SampleInput; text: string | null } | string => {
    const at = `input ${k}`
    if (d === null || typeof d !== 'object' || Array.isArray(d)) return `${at} is ${describeValue(d)}, not an object ${wanted}`
    const { x, tokens, text, label } = d as Record<string, unknown>
    if (x !== undefined && tokens !== undefined) return `${at} has both "x" and "tokens"; give one`
    let lab: number | undefined
    if (label !== undefined && label !== null) {
      if (typeof label !== 'number' || !Number.isInteger(label) || label < 0 || label >= m.classes) return `${at}: label ${JSON.stringify(label)} is not a class index (0…${m.classes - 1})`
      lab = label
    }
    if (kind === 'frames') {
      if (x === undefined) return tokens !== undefined || text !== undefined ? `${at}: this model reads frames: give "x", a non-empty array of frames of ${frameSize} numbers` : `${at} has neither "x" (frames) nor "tokens"`
      if (!Array.isArray(x) || x.length === 0) return `${at}: "x" must be a non-empty array of frames, got ${describeValue(x)}`
      // a flat input the model's leading Reshape splits into frames: given as one row
      const rows: unknown[] = Array.isArray(x[0]) ? inputFrames(m.net, x as number[][]) : x
      const frameProblem = sequenceCostProblem(rows.length, shape, { maxFrames: opts.maxFrames ?? MAX_FRAMES, index: k, raiseWith: opts.raiseWith, unit, threat: opts.threat, evaluations: opts.evaluations })
      if (frameProblem) return frameProblem
      for (let t = 0; t < rows.length; t++) {
        const f: unknown = rows[t]
        if (!Array.isArray(f)) return `${at}: frame ${t} is ${describeValue(f)}, not an array of numbers`
        if (f.length !== frameSize) return `${at}: frame ${t} has ${f.length} values, the model expects ${frameSize}${reshapeNote(m.net)}`
        for (let i = 0; i < f.length; i++) {
          const v: unknown = f[i]
          if (typeof v !== 'number' || !Number.isFinite(v)) return `${at}: frame ${t} value ${i} is ${describeValue(v)}, not a finite number`
        }
      }
      return { input: { x: rows as number[][], label: lab }, text: null }
    }
    // token models
    if (x !== undefined && tokens === undefined && text === undefined) return `${at}: this model reads tokens: give "tokens" (token ids)${m.tokenizer ? ' or "text"' : ''}, not "x"`
    let ids: number[]
    let shown: string | null = typeof text === 'string' ? text : null
    if (tokens !== undefined) {
      if (!Array.isArray(tokens) || tokens.length === 0) return `${at}: "tokens" must be a non-empty array of token ids, got ${describeValue(tokens)}`
      for (let i = 0; i < tokens.length; i++) {
        const v: unknown = tokens[i]
        if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) return `${at}: token ${i} is ${describeValue(v)}, not a token id (a whole number ≥ 0)`
        if (v >= vocab) return `${at}: token ${i} is ${v}, outside the vocabulary of ${vocab} entries`
      }
      ids = tokens as number[]
    } else if (typeof text === 'string') {
      if (!m.tokenizer) return `${at}: this model has no tokenizer: give "tokens" (token ids), not "text"`
      const e = encodeDetailed(m.tokenizer, text)
      if (e.ids.length === 0) return `${at}: the text ${JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text)} has no tokens the model can read`
      if (e.truncated > 0) out.truncated.push({ index: k, tokens: e.ids.length + e.truncated, kept: e.ids.length })
      ids = e.ids
      shown = text
    } else if (text !== undefined) return `${at}: "text" must be a string, got ${describeValue(text)}`
    else return `${at} has neither "tokens" nor "text"`
    const tokenProblem = sequenceCostProblem(ids.length, shape, { maxFrames: opts.maxFrames ?? MAX_FRAMES, index: k, raiseWith: opts.raiseWith, unit, threat: opts.threat, evaluations: opts.evaluations })
    if (tokenProblem) return tokenProblem
    return { input: { tokens: ids, label: lab }, text: shown }
  }

  for (let k = 0; k < data.length && problems.length <= maxReported; k++) {
    const r = item(data[k], k)
    if (typeof r === 'string') problems.push(r)
    else {
      out.inputs.push(r.input)
      out.texts.push(r.text)
    }
  }
  if (problems.length) {
    const more = problems.length > maxReported ? '; and more' : ''
    throw new InputsError(`${what}: ${problems.slice(0, maxReported).join('; ')}${more}. Nothing was run.`)
  }
  return out
}
