/**
 * public/models/manifest.json: the model zoo's table of contents, read by the app (to list
 * the bundled models) and written by `npm run train` (scripts/train/manifest.ts).
 *
 * `validateManifest` is a small hand-written schema check (no dependencies): it returns the
 * typed manifest or throws a ManifestError listing every problem found.
 */

import type { DefenseInfo } from './defense.ts'
import { DEFENSE_METHODS, defenseOf } from './defense.ts'

export type ZooTask = 'mnist' | 'sentiment' | 'toxic' | 'url'
export type ZooCell = 'simpleRnn' | 'lstm' | 'gru'

export const ZOO_TASKS: readonly ZooTask[] = ['mnist', 'sentiment', 'toxic', 'url']
export const ZOO_CELLS: readonly ZooCell[] = ['simpleRnn', 'lstm', 'gru']
export type ZooGates = 'sigmoid' | 'hard_sigmoid'
export const ZOO_GATES: readonly ZooGates[] = ['sigmoid', 'hard_sigmoid']

/** MNIST: the 28×28 image read row by row as `frames` frames of `frameSize` pixels in [0, 1]. */
export interface FramesInput {
  kind: 'frames'
  frames: number
  frameSize: number
  /** every input value lies in [min, max] (pixels scaled to [0, 1]) */
  domain: { min: number; max: number }
}

/** Text: token ids from tokenizer.json, unpadded, 1..maxLength of them, through an Embedding. */
export interface TokensInput {
  kind: 'tokens'
  level: 'word' | 'char'
  maxLength: number
  vocabSize: number
  embeddingDim: number
  /** the file next to model.json holding the tokenizer */
  tokenizer: string
}

export interface ManifestFile {
  name: string
  bytes: number
}

export interface ManifestModel {
  id: string
  task: ZooTask
  /** short human description, e.g. "LSTM, 4 frames of 196 pixels, 64 hidden units" */
  title: string
  cell: ZooCell
  /** number of stacked recurrent layers */
  layers: number
  /** hidden units per recurrent layer (per direction of a Bidirectional one) */
  hidden: number
  /** the gates' activation of LSTM / GRU layers; absent: sigmoid */
  recurrentActivation?: ZooGates
  /** the layers in order, e.g. "Embedding(91, 16) → Conv1D(16, 3, same, relu) → GRU(32) → Dense(2, softmax)" */
  architecture?: string
  input: FramesInput | TokensInput
  /** class names, index = label = logit index */
  classes: string[]
  testAccuracy: {
    /** fraction in [0, 1], measured by the training run */
    value: number
    /** number of test samples */
    n: number
    /** which data the figure is on */
    split: string
  }
  /** the command that reproduces the model */
  trainCommand: string
  /** seconds the training run took on the machine that produced it */
  trainSeconds: number
  /** folder relative to the manifest, e.g. "lstm-4-64" */
  path: string
  files: ManifestFile[]
  /** number of entries in examples.json */
  examples: number
  /**
   * defended variants only: the defense it was fine-tuned with, the training ε (ℓ∞ radius of
   * every frame: pixels or embedding coordinates) and the id of the original model (same
   * task, input, tokenizer and examples); `testAccuracy` is its clean test accuracy
   */
  defense?: DefenseInfo
}

export interface Manifest {
  format: 'cert-rnn-zoo'
  version: 1
  generated: string
  /** files shared by several models (e.g. mnist-examples.json) */
  shared: ManifestFile[]
  models: ManifestModel[]
  /** sum of all files' bytes, shared ones included */
  totalBytes: number
}

export class ManifestError extends Error {
  readonly problems: string[]
  constructor(problems: string[]) {
    super(`manifest.json is invalid:\n- ${problems.join('\n- ')}`)
    this.name = 'ManifestError'
    this.problems = problems
  }
}

type Json = Record<string, unknown>
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v)
const isPosInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0
const isNonNegInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0
const isText = (v: unknown): v is string => typeof v === 'string' && v.length > 0

const ID_RE = /^[a-z0-9]+(?:-[a-z0-9]+)*$/

function checkFiles(v: unknown, where: string, p: string[]): void {
  if (!Array.isArray(v)) {
    p.push(`${where}: must be a list of {name, bytes}`)
    return
  }
  const seen = new Set<string>()
  v.forEach((f, k) => {
    if (!isObject(f) || !isText(f.name) || !isNonNegInt(f.bytes)) p.push(`${where}[${k}]: must be {name: string, bytes: integer ≥ 0}`)
    else {
      if (f.name.includes('/') || f.name.includes('\\') || f.name.startsWith('.')) p.push(`${where}[${k}]: '${f.name}' must be a plain file name`)
      if (seen.has(f.name)) p.push(`${where}: '${f.name}' is listed twice`)
      seen.add(f.name)
    }
  })
}

function checkInput(v: unknown, where: string, p: string[]): void {
  if (!isObject(v)) {
    p.push(`${where}: must be an object`)
    return
  }
  if (v.kind === 'frames') {
    if (!isPosInt(v.frames)) p.push(`${where}.frames: positive integer expected`)
    if (!isPosInt(v.frameSize)) p.push(`${where}.frameSize: positive integer expected`)
    const d = v.domain
    if (!isObject(d) || typeof d.min !== 'number' || typeof d.max !== 'number' || !(d.min < d.max)) p.push(`${where}.domain: {min, max} with min < max expected`)
  } else if (v.kind === 'tokens') {
    if (v.level !== 'word' && v.level !== 'char') p.push(`${where}.level: "word" or "char" expected`)
    if (!isPosInt(v.maxLength)) p.push(`${where}.maxLength: positive integer expected`)
    if (!isPosInt(v.vocabSize) || v.vocabSize < 3) p.push(`${where}.vocabSize: integer ≥ 3 expected`)
    if (!isPosInt(v.embeddingDim)) p.push(`${where}.embeddingDim: positive integer expected`)
    if (!isText(v.tokenizer)) p.push(`${where}.tokenizer: file name expected`)
  } else p.push(`${where}.kind: "frames" or "tokens" expected`)
}

function checkModel(m: unknown, k: number, p: string[]): void {
  const where = `models[${k}]`
  if (!isObject(m)) {
    p.push(`${where}: must be an object`)
    return
  }
  const at = isText(m.id) ? `${where} (${m.id})` : where
  if (!isText(m.id) || !ID_RE.test(m.id)) p.push(`${where}.id: lower-case words joined by '-' expected, got ${JSON.stringify(m.id)}`)
  if (!ZOO_TASKS.includes(m.task as ZooTask)) p.push(`${at}.task: one of ${ZOO_TASKS.join(', ')} expected`)
  if (!isText(m.title)) p.push(`${at}.title: text expected`)
  if (!ZOO_CELLS.includes(m.cell as ZooCell)) p.push(`${at}.cell: one of ${ZOO_CELLS.join(', ')} expected`)
  if (!isPosInt(m.layers)) p.push(`${at}.layers: positive integer expected`)
  if (!isPosInt(m.hidden)) p.push(`${at}.hidden: positive integer expected`)
  if (m.recurrentActivation !== undefined) {
    if (!ZOO_GATES.includes(m.recurrentActivation as ZooGates)) p.push(`${at}.recurrentActivation: one of ${ZOO_GATES.join(', ')} expected`)
    else if (m.cell === 'simpleRnn') p.push(`${at}.recurrentActivation: a vanilla RNN has no gates`)
  }
  if (m.architecture !== undefined && !isText(m.architecture)) p.push(`${at}.architecture: text expected`)
  checkInput(m.input, `${at}.input`, p)
  if (isObject(m.input)) {
    if (m.task === 'mnist' && m.input.kind !== 'frames') p.push(`${at}: an mnist model reads frames`)
    if (m.task !== 'mnist' && ZOO_TASKS.includes(m.task as ZooTask) && m.input.kind !== 'tokens') p.push(`${at}: a text model reads tokens`)
    if (m.input.kind === 'frames' && isPosInt(m.input.frames) && isPosInt(m.input.frameSize) && m.task === 'mnist' && m.input.frames * m.input.frameSize !== 784) {
      p.push(`${at}.input: frames × frameSize must be 784 for MNIST`)
    }
  }
  if (!Array.isArray(m.classes) || m.classes.length < 2 || !m.classes.every(isText)) p.push(`${at}.classes: at least two class names expected`)
  else if (new Set(m.classes).size !== m.classes.length) p.push(`${at}.classes: names must be distinct`)
  const acc = m.testAccuracy
  if (!isObject(acc) || typeof acc.value !== 'number' || !(acc.value >= 0 && acc.value <= 1) || !isPosInt(acc.n) || !isText(acc.split)) {
    p.push(`${at}.testAccuracy: {value in [0, 1], n: positive integer, split: text} expected`)
  }
  if (!isText(m.trainCommand)) p.push(`${at}.trainCommand: text expected`)
  if (typeof m.trainSeconds !== 'number' || !(m.trainSeconds >= 0)) p.push(`${at}.trainSeconds: number ≥ 0 expected`)
  if (!isText(m.path) || m.path.includes('..') || m.path.startsWith('/')) p.push(`${at}.path: a relative folder expected`)
  checkFiles(m.files, `${at}.files`, p)
  if (Array.isArray(m.files)) {
    const names = new Set(m.files.filter(isObject).map((f) => f.name))
    for (const need of ['model.json', 'examples.json']) if (!names.has(need)) p.push(`${at}.files: '${need}' missing`)
    if (isObject(m.input) && m.input.kind === 'tokens' && isText(m.input.tokenizer) && !names.has(m.input.tokenizer)) {
      p.push(`${at}.files: the tokenizer '${m.input.tokenizer}' is not listed`)
    }
  }
  if (!isPosInt(m.examples)) p.push(`${at}.examples: positive integer expected`)
  if (m.defense !== undefined) {
    const d = m.defense
    if (!isObject(d)) p.push(`${at}.defense: {method, eps, base} expected`)
    else {
      if (!DEFENSE_METHODS.includes(d.method as DefenseInfo['method'])) p.push(`${at}.defense.method: one of ${DEFENSE_METHODS.join(', ')} expected`)
      if (typeof d.eps !== 'number' || !(d.eps > 0) || !Number.isFinite(d.eps)) p.push(`${at}.defense.eps: positive number expected`)
      if (!isText(d.base) || !ID_RE.test(d.base)) p.push(`${at}.defense.base: a model id expected`)
      else if (d.base === m.id) p.push(`${at}.defense.base: a model cannot be its own base`)
    }
  }
}

/** Check a parsed manifest.json; returns it typed, or throws ManifestError with every problem. */
export function validateManifest(json: unknown): Manifest {
  const p: string[] = []
  if (!isObject(json)) throw new ManifestError(['not a JSON object'])
  if (json.format !== 'cert-rnn-zoo') p.push(`format: "cert-rnn-zoo" expected, got ${JSON.stringify(json.format)}`)
  if (json.version !== 1) p.push(`version: 1 expected, got ${JSON.stringify(json.version)}`)
  if (!isText(json.generated) || Number.isNaN(Date.parse(json.generated))) p.push('generated: an ISO date expected')
  checkFiles(json.shared, 'shared', p)
  if (!Array.isArray(json.models) || json.models.length === 0) p.push('models: a non-empty list expected')
  else {
    json.models.forEach((m, k) => checkModel(m, k, p))
    const ids = json.models.filter(isObject).map((m) => m.id)
    const dup = ids.filter((id, k) => ids.indexOf(id) !== k)
    if (dup.length) p.push(`models: duplicate ids ${[...new Set(dup)].join(', ')}`)
    // a defended variant's base is a listed, undefended model of the same task and input
    for (const m of json.models.filter(isObject)) {
      const d = m.defense
      if (!isObject(d) || !isText(d.base)) continue
      const base = json.models.find((b) => isObject(b) && b.id === d.base) as Json | undefined
      if (!base) p.push(`models (${String(m.id)}): defense.base '${d.base}' is not in the manifest`)
      else if (base.defense !== undefined) p.push(`models (${String(m.id)}): defense.base '${d.base}' is itself a defended variant`)
      else if (base.task !== m.task || JSON.stringify(base.input) !== JSON.stringify(m.input) || JSON.stringify(base.classes) !== JSON.stringify(m.classes)) {
        p.push(`models (${String(m.id)}): task, input and classes must be those of its base '${d.base}'`)
      }
    }
  }
  if (!isNonNegInt(json.totalBytes)) p.push('totalBytes: integer ≥ 0 expected')
  else if (p.length === 0) {
    const m = json as unknown as Manifest
    const sum = m.shared.reduce((s, f) => s + f.bytes, 0) + m.models.reduce((s, x) => s + x.files.reduce((t, f) => t + f.bytes, 0), 0)
    if (sum !== m.totalBytes) p.push(`totalBytes is ${m.totalBytes} but the listed files add up to ${sum}`)
  }
  if (p.length) throw new ManifestError(p)
  return json as unknown as Manifest
}

export interface DefenseGroup {
  base: ManifestModel
  /** the original first, then its defended variants in DEFENSE_METHODS order */
  variants: ManifestModel[]
}

export function defenseGroups(manifest: Manifest): DefenseGroup[] {
  const defended = manifest.models.filter((m) => defenseOf(m))
  const bases = [...new Set(defended.map((m) => defenseOf(m)!.base))]
  return bases.flatMap((id) => {
    const base = manifest.models.find((m) => m.id === id)
    if (!base) return []
    const mine = defended.filter((m) => defenseOf(m)!.base === id)
    return [{ base, variants: [base, ...DEFENSE_METHODS.flatMap((d) => mine.filter((m) => defenseOf(m)!.method === d))] }]
  })
}
