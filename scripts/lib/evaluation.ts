/**
 * `npm run evaluate` as data: the list of tasks (plain, serialisable: one per input and
 * method, and one per input for the PGD attack), each run as a job of the page's worker
 * protocol (the same code in this thread, on worker threads, on a queue worker or in a
 * shard), the rows assembled from the tasks'
 * results (in task order, whatever order they finished in), and the one function that writes
 * the output files. Where the tasks run (an `Executor` of src/run/batch.ts) is chosen in
 * scripts/evaluate.ts.
 */
import { createHash } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Clip, CompiledNetwork, EvalRow, MarginCheck, Method, MethodSummary, NetworkIR, PreparedSample, SampleInput, SearchKind, Threat } from '../../src/cert/index.ts'
import { accuracyCurve, curveRecords, mean, r6, rowRecord, summarize, summaryRecord, threatLabel } from '../../src/cert/index.ts'
import { toCsv } from '../../src/model/csv.ts'
import type { AttackSummary, BoundSummary, Job } from '../../src/worker/protocol.ts'
import { prepareInputs } from './inputs.ts'
import { runJobs } from './jobs.ts'

/** What every task of a run shares (besides the model). */
export interface EvalSettings {
  threat: Threat
  search: SearchKind
  margin: MarginCheck
  clip?: Clip
  maxFrames?: number
  /** sound order reduction (--reduce K), off when absent */
  reduceTo?: number
  /** refinement by input splitting of the tight method (--split K), off when absent */
  splits?: number
}

/** One unit of work: an input's bound search with one method, or its PGD attack radius. */
export interface EvalTask {
  /** the input's index in the evaluated list */
  index: number
  method: Method | 'attack'
  input: SampleInput
}

/**
 * What a task yields. Numbers that JSON cannot carry (an attack that never succeeds has
 * radius Infinity) travel as strings: see `encodeResult` / `decodeResult`.
 */
export type EvalResult =
  | { kind: 'bound'; index: number; method: Method; label: number | null; predicted: number; bound: number; perFrame: number[] | null; ms: number }
  | { kind: 'attack'; index: number; radius: number; ms: number }

/** The PGD settings of the attack radius (per input, seeded by its index). */
const ATTACK = { steps: 20, restarts: 5 }

/** Per input: the attack (when asked for) first, then each method's bound search. */
export function evalTasks(inputs: SampleInput[], methods: readonly Method[], attack: boolean): EvalTask[] {
  return inputs.flatMap((input, index) => [...(attack ? [{ index, method: 'attack' as const, input }] : []), ...methods.map((method) => ({ index, method, input }))])
}

/**
 * A task as a job of the page's worker protocol: every task runs the worker's code
 * (src/worker/handler.ts), whichever way the run is spread (this thread, worker threads, a
 * queue worker, a shard).
 */
export function taskJob({ index, method, input }: EvalTask, { threat, clip, margin, search, reduceTo, splits }: EvalSettings): Job {
  if (method === 'attack') return { kind: 'attack', input, threat, clip, seed: index + 1, ...ATTACK }
  // (splitting refines the tight method only: the other methods' columns stay theirs)
  return { kind: 'bound', input, threat, method, margin, search, clip, reduceTo, ...(splits && method === 'tight' ? { splits } : {}) }
}

/** The worker's result of a task's job, in the evaluation's form. */
export function taskResult({ index, method, input }: EvalTask, r: BoundSummary | AttackSummary): EvalResult {
  if (r.kind === 'attack') return { kind: 'attack', index, radius: r.radius, ms: r.ms }
  return { kind: 'bound', index, method: method as Method, label: input.label ?? null, predicted: r.predicted, bound: r.result.bound, perFrame: r.result.perFrame, ms: r.ms }
}

export interface RunTasksOptions {
  /** the script's name, for the messages */
  name: string
  /** worker threads (1: the worker's code in this thread) */
  jobs: number
  /** each task's result as it is done (in task order) */
  onResult?: (k: number) => void
  /** stop on these signals (default SIGINT, SIGTERM; none in a queue worker, whose host handles them) */
  signals?: NodeJS.Signals[]
}

/** Run the tasks on the model (the worker's code, lib/jobs.ts); their results in task order. */
export async function runTasks(net: NetworkIR, settings: EvalSettings, tasks: EvalTask[], opts: RunTasksOptions): Promise<EvalResult[]> {
  const results = await runJobs<BoundSummary | AttackSummary>(
    new Map([['model', net]]),
    tasks.map((task) => ({ model: 'model', job: taskJob(task, settings) })),
    { name: opts.name, jobs: opts.jobs, signals: opts.signals, describe: (k) => `sample ${tasks[k].index}, ${tasks[k].method}`, onResult: opts.onResult && ((k) => opts.onResult!(k)) },
  )
  return results.map((r, k) => taskResult(tasks[k], r))
}

/** The task's input checked against the model and settings (an InputError naming the input). */
export function checkTask(cn: CompiledNetwork, settings: EvalSettings, task: EvalTask): PreparedSample {
  return prepareInputs(cn, [task.input], { ...settings, firstIndex: task.index })[0]
}

// non-finite numbers as strings, so that a result survives JSON (Redis, part files)
type Wire<T> = { [K in keyof T]: T[K] extends number ? number | string : T[K] extends number[] | null ? Array<number | string> | null : T[K] }
export type WireResult = Wire<Extract<EvalResult, { kind: 'bound' }>> | Wire<Extract<EvalResult, { kind: 'attack' }>>
const enc = (x: number): number | string => (Number.isFinite(x) ? x : String(x))
const dec = (x: number | string): number => (typeof x === 'number' ? x : Number(x))

export function encodeResult(r: EvalResult): WireResult {
  if (r.kind === 'attack') return { ...r, radius: enc(r.radius) }
  return { ...r, bound: enc(r.bound), perFrame: r.perFrame && r.perFrame.map(enc) }
}

export function decodeResult(w: WireResult): EvalResult {
  if (w.kind === 'attack') return { ...w, index: dec(w.index), radius: dec(w.radius), ms: dec(w.ms) }
  return { ...w, index: dec(w.index), predicted: dec(w.predicted), bound: dec(w.bound), perFrame: w.perFrame && w.perFrame.map(dec), ms: dec(w.ms) }
}

/**
 * The rows of the output files from the results of every task (in any order): one row per
 * (input, method) in task order, each with its input's attack radius (NaN without --attack);
 * and a line per certified bound above its attack radius (a soundness violation).
 */
export function assembleRows(results: readonly EvalResult[]): { rows: EvalRow[]; violations: string[] } {
  const radii = new Map<number, number>()
  for (const r of results) if (r.kind === 'attack') radii.set(r.index, r.radius)
  const rows: EvalRow[] = []
  const violations: string[] = []
  for (const r of results) {
    if (r.kind !== 'bound') continue
    const attack = radii.get(r.index) ?? NaN
    rows.push({ index: r.index, label: r.label, predicted: r.predicted, correct: r.label === null ? true : r.label === r.predicted, method: r.method, bound: r.bound, attack, ms: r.ms, perFrame: r.perFrame })
    if (r.bound > attack) violations.push(`SOUNDNESS VIOLATION: sample ${r.index} ${r.method} certified ${r.bound} > attack radius ${attack}`)
  }
  return { rows, violations }
}

/**
 * What makes two runs the same run: the model's content, the settings, the methods, the
 * inputs. Carried by part files (merged only with parts of the same run) and, as the run
 * key, by queue job ids (a second evaluate of the same run finds its jobs).
 */
export interface RunIdentity {
  /** the model's name (its folder's) */
  model: string
  /** SHA-256 of the model's files (loadModelHashed) */
  modelHash: string
  settings: { threat: Threat; search: SearchKind; margin: MarginCheck; clip: Clip | null; reduceTo: number | null; splits?: number }
  methods: Method[]
  attack: boolean
  epsList: number[]
  /** how many inputs, and the hash of all of them */
  inputs: number
  inputsHash: string
}

export function runIdentity(model: { name: string; hash: string }, settings: EvalSettings, methods: readonly Method[], attack: boolean, epsList: number[], inputs: SampleInput[]): RunIdentity {
  return {
    model: model.name,
    modelHash: model.hash,
    settings: { threat: settings.threat, search: settings.search, margin: settings.margin, clip: settings.clip ?? null, reduceTo: settings.reduceTo ?? null, ...(settings.splits ? { splits: settings.splits } : {}) },
    methods: [...methods],
    attack,
    epsList,
    inputs: inputs.length,
    inputsHash: sha256(JSON.stringify(inputs)),
  }
}

/**
 * The key of everything a task's result depends on besides the task itself: the model, the
 * settings, the attack's (16 hex digits). With `taskKey`, the id of a task's queue job: the
 * same for any --n, --methods or --eps-list, so a run with more inputs or methods reuses the
 * jobs already done.
 */
export function runKey(id: RunIdentity): string {
  return sha256(JSON.stringify([id.modelHash, id.settings, ATTACK])).slice(0, 16)
}

/** A task's own key: its input (index and content) and method. */
export const taskKey = (t: EvalTask): string => `${t.index}-${t.method}-${sha256(JSON.stringify(t.input)).slice(0, 12)}`

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')

/** What the output files say about the run besides its rows. */
export interface EvalMeta {
  /** the model's name (its folder's) */
  name: string
  command: string
  methods: readonly Method[]
  settings: EvalSettings
  epsList: number[]
  attack: boolean
  /** inputs evaluated */
  inputs: number
}

/**
 * Write <out>/samples.csv, summary.csv, verified-accuracy.csv and evaluation.json, and print
 * the summary table: the one place the output files are made (local, queue, merged shards).
 */
export function writeEvaluation(out: string, meta: EvalMeta, rows: EvalRow[]): MethodSummary[] {
  const { methods, settings } = meta
  const sums = summarize(rows, methods)
  const summary = sums.map((s) => summaryRecord(s, { threat: threatLabel(settings.threat), search: settings.search, margin: settings.margin }))
  const accRows = curveRecords(accuracyCurve(rows, methods, meta.epsList), methods)
  mkdirSync(out, { recursive: true })
  writeFileSync(join(out, 'samples.csv'), toCsv(rows.map(rowRecord)))
  writeFileSync(join(out, 'summary.csv'), toCsv(summary))
  writeFileSync(join(out, 'verified-accuracy.csv'), toCsv(accRows))
  const attacks = rows.filter((r) => r.method === methods[0] && Number.isFinite(r.attack)).map((r) => r.attack)
  writeFileSync(
    join(out, 'evaluation.json'),
    JSON.stringify({ command: meta.command, date: new Date().toISOString(), model: meta.name, summary, verifiedAccuracy: accRows, meanAttackRadius: meta.attack ? r6(mean(attacks)) : null, samples: rows.map(rowRecord) }, null, 1),
  )
  console.log(`model ${meta.name}, ${meta.inputs} samples, threat ${threatLabel(settings.threat)}, search ${settings.search}, margin ${settings.margin}`)
  console.log('method     accuracy  mean bound  std       ms/sample')
  for (const s of sums) console.log(`${s.method.padEnd(10)} ${String(r6(s.accuracy)).padEnd(9)} ${String(r6(s.meanBound)).padEnd(11)} ${String(r6(s.stdBound)).padEnd(9)} ${r6(s.msPerSample)}`)
  if (meta.attack) console.log(`mean attack radius (PGD, an upper bound on the true radius): ${r6(mean(attacks))}`)
  console.log(`wrote ${out}/{samples,summary,verified-accuracy}.csv and evaluation.json`)
  return sums
}
