/**
 * The inputs of the certify and evaluate command lines: a JSON file of inputs (or the model
 * folder's examples.json), or sentences given with --text; every input checked against the
 * model BEFORE anything is certified, with messages that name the input.
 *
 * File format: an array (or {"examples": [...]}) of {"x": T×features numbers} (frame
 * models) or {"tokens": ids} (token models), each with an optional "label".
 */
import { existsSync, readFileSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { PreparedSample, SampleInput } from '../../src/cert/certify.ts'
import { prepareSample } from '../../src/cert/certify.ts'
import type { CostThreat } from '../../src/cert/limits.ts'
import { costShape, sequenceCostProblem } from '../../src/cert/limits.ts'
import type { CompiledNetwork } from '../../src/cert/runtime.ts'
import type { Clip, Threat } from '../../src/cert/threat.ts'
import { checkClip, perturbedFrames } from '../../src/cert/threat.ts'
import type { Tokenizer } from '../../src/model/tokenizer.ts'
import { encodeDetailed, loadTokenizer } from '../../src/model/tokenizer.ts'
import { InputError, UsageError } from './args.ts'

/** The folder of a --model argument (a folder, or the path of its model.json). */
export function modelFolder(model: string): string {
  return existsSync(model) && statSync(model).isFile() ? dirname(model) : model
}

const describe = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'string' ? `the text ${JSON.stringify(v.length > 20 ? `${v.slice(0, 20)}…` : v)}` : typeof v === 'object' ? 'an object' : String(v))

/** Read and check the shape of an inputs file (not yet against a model). `what` names it in messages. */
export function readInputsFile(path: string, what = `--inputs ${path}`): SampleInput[] {
  if (!existsSync(path)) throw new InputError(`${what}: no such file`)
  if (statSync(path).isDirectory()) throw new InputError(`${what} is a folder; give a JSON file`)
  let data: unknown
  try {
    data = JSON.parse(readFileSync(path, 'utf8'))
  } catch (e) {
    throw new InputError(`${what}: not valid JSON (${(e as Error).message})`)
  }
  // a bundled examples.json may wrap the array: { "examples": [...] }
  if (data && typeof data === 'object' && !Array.isArray(data) && Array.isArray((data as { examples?: unknown }).examples)) data = (data as { examples: unknown }).examples
  if (!Array.isArray(data)) throw new InputError(`${what}: expected a JSON array of {"x": [[...]], "label"?: n} or {"tokens": [...]} objects, got ${describe(data)}`)
  if (data.length === 0) throw new InputError(`${what} holds no inputs (an empty list)`)
  return data.map((d: unknown, k) => {
    const at = `${what}: input ${k}`
    if (d === null || typeof d !== 'object' || Array.isArray(d)) throw new InputError(`${at} is ${describe(d)}, not an object {"x": frames} or {"tokens": ids}`)
    const { x, tokens, label } = d as Record<string, unknown>
    if (x !== undefined) {
      if (!Array.isArray(x) || x.length === 0) throw new InputError(`${at}: "x" must be a non-empty array of frames, got ${describe(x)}`)
      x.forEach((f: unknown, t) => {
        if (!Array.isArray(f)) throw new InputError(`${at}: frame ${t} is ${describe(f)}, not an array of numbers`)
        f.forEach((v: unknown, i) => {
          if (typeof v !== 'number' || !Number.isFinite(v)) throw new InputError(`${at}: frame ${t} value ${i} is ${describe(v)}, not a finite number`)
        })
      })
    }
    if (tokens !== undefined) {
      if (!Array.isArray(tokens) || tokens.length === 0) throw new InputError(`${at}: "tokens" must be a non-empty array of token ids, got ${describe(tokens)}`)
      tokens.forEach((v: unknown, i) => {
        if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new InputError(`${at}: token ${i} is ${describe(v)}, not a token id (a whole number ≥ 0)`)
      })
    }
    if (x === undefined && tokens === undefined) throw new InputError(`${at} has neither "x" (frames) nor "tokens"`)
    if (x !== undefined && tokens !== undefined) throw new InputError(`${at} has both "x" and "tokens"; give one`)
    if (label !== undefined && label !== null && !(typeof label === 'number' && Number.isInteger(label) && label >= 0)) {
      throw new InputError(`${at}: "label" must be a class index (a whole number ≥ 0), got ${describe(label)}`)
    }
    return { x: x as number[][] | undefined, tokens: tokens as number[] | undefined, label: label === null ? undefined : (label as number | undefined) }
  })
}

/** The model folder's tokenizer (a UsageError when the model has none). */
export function readTokenizer(model: string): Tokenizer {
  const path = join(modelFolder(model), 'tokenizer.json')
  if (!existsSync(path)) throw new UsageError(`--text needs a text model with a tokenizer.json; ${model} has none`)
  let json: unknown
  try {
    json = JSON.parse(readFileSync(path, 'utf8'))
  } catch (e) {
    throw new InputError(`${path}: not valid JSON (${(e as Error).message})`)
  }
  return loadTokenizer(json) // TokenizerError messages start with "tokenizer.json: "
}

export interface TextInput {
  input: SampleInput
  /** set when the text had more tokens than the model reads */
  truncated: { tokens: number; kept: number } | null
}

/** Sentences → token inputs; text without readable tokens is refused (exit 2). */
export function encodeTexts(tok: Tokenizer, texts: string[]): TextInput[] {
  return texts.map((t, k) => {
    if (t.trim() === '') throw new UsageError(`--text #${k} is empty: it has no tokens the model can read; give a ${tok.spec.level === 'char' ? 'URL' : 'sentence'}`)
    const e = encodeDetailed(tok, t)
    if (e.ids.length === 0) throw new UsageError(`--text #${k} (${JSON.stringify(t)}) has no tokens the model can read`)
    const total = e.ids.length + e.truncated
    return { input: { tokens: e.ids }, truncated: e.truncated > 0 ? { tokens: total, kept: e.ids.length } : null }
  })
}

/** "note: text #k has N tokens; the model reads the first M" */
export const truncationNote = (k: number, t: { tokens: number; kept: number }) => `note: text #${k} has ${t.tokens} tokens; the model reads the first ${t.kept}`

export interface PrepareOptions {
  /** the frame cap (limits.ts MAX_FRAMES unless given) */
  maxFrames?: number
  /** checked against every input's length (frames=… beyond it) */
  threat?: Threat
  /** checked against every input's values */
  clip?: Clip
  /** certificates per region, for the time estimate */
  evaluations?: number
}

/**
 * Check every input against the model (frame width, token ids, labels), the threat (its
 * frames), the clip range (the input's values inside it) and the frame cap, before anything is certified; the first problem is an InputError naming the
 * input.
 */
export function prepareInputs(cn: CompiledNetwork, inputs: SampleInput[], opts: PrepareOptions = {}): PreparedSample[] {
  const shape = costShape(cn.net)
  const unit = cn.embedding ? 'tokens' : 'frames'
  const threat = opts.threat ?? { kind: 'single' }
  const costThreat: CostThreat = threat.kind === 'frames' ? { frames: threat.frames } : threat.kind
  inputs.forEach((input, k) => {
    const T = input.tokens?.length ?? input.x?.length ?? 0
    const problem = sequenceCostProblem(T, shape, { maxFrames: opts.maxFrames, index: k, raiseWith: '--max-frames', threat: costThreat, evaluations: opts.evaluations, unit })
    if (problem) throw new InputError(problem)
  })
  return inputs.map((input, k) => {
    try {
      const prep = prepareSample(cn, input)
      if (threat.kind !== 'single') perturbedFrames(threat, prep.frames.length)
      checkClip(opts.clip, prep.frames)
      return prep
    } catch (e) {
      throw new InputError(`input ${k}: ${(e as Error).message}`)
    }
  })
}
