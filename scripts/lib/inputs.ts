/**
 * The inputs of the certify and evaluate command lines: a JSON file of inputs (or the model
 * folder's examples.json), or sentences given with --text; every input checked against the
 * model BEFORE anything is certified, with messages that name the input.
 *
 * File format: an array (or {"examples": [...]}) of {"x": T×features numbers} (frame
 * models) or {"tokens": ids} (token models), each with an optional "label".
 */
import { existsSync, readFileSync, statSync } from 'node:fs'
import { dirname } from 'node:path'
import type { Clip, CompiledNetwork, CostThreat, PreparedSample, SampleInput, Threat } from '../../src/cert/index.ts'
import { checkClip, costShape, perturbedFrames, prepareSample, sequenceCostProblem } from '../../src/cert/index.ts'
import type { Tokenizer } from '../../src/model/tokenizer.ts'
import { encodeDetailed } from '../../src/model/tokenizer.ts'
import type { InputsModel, InputsOptions, ParsedInputs } from '../../src/model/inputs.ts'
import { InputsError, parseInputsText } from '../../src/model/inputs.ts'
import { jsonFileSizeProblem } from '../../src/model/limits.ts'
import { InputError, UsageError } from './args.ts'
import { loadModelTokenizer } from './loadModelDir.ts'

/** The folder of a --model argument (a folder, or the path of its model.json). */
export function modelFolder(model: string): string {
  return existsSync(model) && statSync(model).isFile() ? dirname(model) : model
}

/**
 * Read an inputs file and check every item against the model (frame width, token ids,
 * labels, "text" items through the model's tokenizer, the frame cap): src/model/inputs.ts,
 * the same checks as the app's Evaluate tab. `what` names the file in messages.
 */
export function readInputsFile(path: string, m: InputsModel, opts: InputsOptions = {}, what = `--inputs ${path}`): ParsedInputs {
  if (!existsSync(path)) throw new InputError(`${what}: no such file`)
  const st = statSync(path)
  if (st.isDirectory()) throw new InputError(`${what} is a folder; give a JSON file`)
  if (!st.isFile()) throw new InputError(`${what} is not a regular file; give a JSON file`)
  const tooBig = jsonFileSizeProblem(what, st.size)
  if (tooBig) throw new InputError(tooBig)
  try {
    return parseInputsText(readFileSync(path, 'utf8'), what, m, { raiseWith: '--max-frames', ...opts })
  } catch (e) {
    throw e instanceof InputsError ? new InputError(e.message) : e
  }
}

/** The model folder's tokenizer (a UsageError when the model has none), read under the loader's rules. */
export function readTokenizer(model: string): Tokenizer {
  const tok = loadModelTokenizer(model)
  if (!tok) throw new UsageError(`--text needs a text model with a tokenizer.json; ${model} has none`)
  return tok
}

/** What the input checks need: the network, its classes and the folder's tokenizer (if any). */
export function inputsModel(model: string, cn: CompiledNetwork): InputsModel {
  return { net: cn.net, classes: cn.classes, tokenizer: cn.embedding ? loadModelTokenizer(model) : null }
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
  /** the index of the first input in messages (default 0: a task of a larger list names its input) */
  firstIndex?: number
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
  const at = opts.firstIndex ?? 0
  inputs.forEach((input, k) => {
    const T = input.tokens?.length ?? input.x?.length ?? 0
    const problem = sequenceCostProblem(T, shape, { maxFrames: opts.maxFrames, index: at + k, raiseWith: '--max-frames', threat: costThreat, evaluations: opts.evaluations, unit })
    if (problem) throw new InputError(problem)
  })
  return inputs.map((input, k) => {
    try {
      const prep = prepareSample(cn, input)
      if (threat.kind !== 'single') perturbedFrames(threat, prep.frames.length)
      checkClip(opts.clip, prep.frames)
      return prep
    } catch (e) {
      throw new InputError(`input ${at + k}: ${(e as Error).message}`)
    }
  })
}
