/**
 * The data-set evaluation: the bound search for N bundled examples (or an uploaded file of
 * inputs) × the chosen methods, on a pool of workers, one per core. Its own small store;
 * the model and the threat / margin / search / clip settings come from the app's store.
 */
import { createStore } from 'zustand/vanilla'
import type { EvalRow, Method, SampleInput } from '../../cert/index.ts'
import { accuracyCurve, curveRecords, epsGrid, METHODS, rowRecord, summarize, summaryRecord, threatLabel } from '../../cert/index.ts'
import { toCsv } from '../../model/csv.ts'
import { poolSize, WorkerPool } from '../../worker/pool.ts'
import type { AttackSummary, BoundSummary, Job } from '../../worker/protocol.ts'
import type { AppState } from '../state/store.ts'
import { appStore, getWorkerFactory } from '../state/store.ts'
import type { ParsedInputs } from './inputsFile.ts'
import { parseInputsFile } from './inputsFile.ts'

export interface WorkerStatus {
  index: number
  method: Method | 'attack'
  fraction: number
}

export interface EvalRun {
  model: string
  modelKey: string
  source: 'examples' | 'file'
  fileName: string | null
  n: number
  methods: Method[]
  attack: boolean
  threat: string
  search: string
  margin: string
  clip: boolean
  workers: number
  date: string
}

export interface EvalState {
  source: 'examples' | 'file'
  /** how many bundled examples */
  n: number
  methods: Method[]
  /** also run the PGD attack on every input: an upper bound on its true robustness radius */
  attack: boolean
  file: (ParsedInputs & { name: string; modelKey: string }) | null
  fileError: string | null
  status: 'idle' | 'running' | 'done' | 'cancelled' | 'error'
  error: string | null
  rows: EvalRow[]
  /** PGD attack radius per input index (when attacked) */
  attacks: Record<number, number>
  failures: Array<{ index: number; method: Method | 'attack'; message: string }>
  /** jobs in the run (samples × methods) */
  total: number
  /** what each worker is doing (null: idle) */
  active: Array<WorkerStatus | null>
  startedAt: number | null
  finishedAt: number | null
  ran: EvalRun | null
}

export const DEFAULT_EVAL_N = 10

const initial: EvalState = {
  source: 'examples',
  n: DEFAULT_EVAL_N,
  methods: [...METHODS],
  attack: false,
  file: null,
  fileError: null,
  status: 'idle',
  error: null,
  rows: [],
  attacks: {},
  failures: [],
  total: 0,
  active: [],
  startedAt: null,
  finishedAt: null,
  ran: null,
}

export const evalStore = createStore<EvalState>()(() => ({ ...initial, methods: [...METHODS] }))
const set = evalStore.setState
const get = evalStore.getState

let pool: WorkerPool | null = null
let cores: number | undefined = typeof navigator !== 'undefined' ? navigator.hardwareConcurrency : undefined

/** Override the pool size (tests; the browser uses navigator.hardwareConcurrency). */
export function setEvalCores(n: number | undefined) {
  cores = n
}

export function resetEvaluation() {
  cancelEvaluation()
  set({ ...initial, methods: [...METHODS] })
}

export const setEvalAttack = (attack: boolean) => set({ attack })
export const setEvalSource = (source: EvalState['source']) => set({ source })
export const setEvalN = (n: number) => {
  if (Number.isFinite(n)) set({ n: Math.max(1, Math.round(n)) })
}
export function toggleEvalMethod(m: Method) {
  const ms = get().methods
  set({ methods: ms.includes(m) ? ms.filter((x) => x !== m) : METHODS.filter((x) => x === m || ms.includes(x)) })
}

/** Read an uploaded inputs file for the current model; a bad file keeps the previous one. */
/** An inputs file that could not be read at all (too large, unreadable): its message. */
export function refuseEvalFile(message: string) {
  set({ fileError: message })
}

export function loadEvalFile(text: string, name: string) {
  const m = appStore.getState().model
  if (!m) {
    set({ fileError: 'choose a model first: the inputs are checked against it' })
    return
  }
  try {
    const parsed = parseInputsFile(text, name, m)
    set({ file: { ...parsed, name, modelKey: m.key }, fileError: null, source: 'file' })
  } catch (e) {
    set({ fileError: (e as Error).message })
  }
}

/** The inputs the current settings describe, or why there are none. */
export function evalInputs(s: EvalState, app: Pick<AppState, 'model'>): { inputs: SampleInput[]; texts: Array<string | null> } | { error: string } {
  const m = app.model
  if (!m) return { error: 'choose a model first' }
  if (s.source === 'file') {
    if (!s.file) return { error: 'upload a file of inputs (JSON, as npm run evaluate reads) or use the bundled examples' }
    if (s.file.modelKey !== m.key) return { error: `the inputs file ${s.file.name} was checked against another model: upload it again for this one` }
    return { inputs: s.file.inputs, texts: s.file.texts }
  }
  if (!m.examples.length) return { error: 'this model has no bundled examples: upload a file of inputs' }
  const ex = m.examples.slice(0, Math.min(s.n, m.examples.length))
  return { inputs: ex.map((e) => ({ x: e.x, tokens: e.tokens, label: e.label })), texts: ex.map((e) => e.text ?? null) }
}

/** Why the evaluation cannot start, or null. */
export function evalBlocker(s: EvalState, app: AppState): string | null {
  if (!app.model) return 'choose a model first'
  if (app.modelStatus !== 'ready') return app.modelStatus === 'loading' ? 'the model is still loading' : (app.modelError ?? 'the model is not ready')
  if (s.methods.length === 0) return 'choose at least one method'
  if (app.threat.kind === 'frames') return 'chosen frames differ from input to input: evaluate with the single-frame or all-frames threat'
  const r = evalInputs(s, app)
  return 'error' in r ? r.error : null
}

export async function startEvaluation(): Promise<void> {
  const app = appStore.getState()
  const s = get()
  const blocker = evalBlocker(s, app)
  if (blocker) {
    set({ status: 'error', error: blocker })
    return
  }
  cancelEvaluation()
  const m = app.model!
  const { inputs } = evalInputs(s, app) as { inputs: SampleInput[] }
  const methods = [...s.methods]
  const clip = app.clip && m.domain ? ([m.domain.min, m.domain.max] as const) : undefined
  const jobs: Job[] = []
  const meta: Array<{ index: number; method: Method | 'attack' }> = []
  inputs.forEach((input, index) => {
    for (const method of methods) {
      jobs.push({ kind: 'bound', input, threat: app.threat, method, margin: app.margin, search: app.search, clip })
      meta.push({ index, method })
    }
  })
  // the attacks after all bound searches: the bounds come first
  if (s.attack)
    inputs.forEach((input, index) => {
      jobs.push({ kind: 'attack', input, threat: app.threat, clip })
      meta.push({ index, method: 'attack' })
    })
  const size = Math.min(poolSize(cores), jobs.length)
  const p = new WorkerPool(getWorkerFactory(), size)
  pool = p
  const ran: EvalRun = {
    model: m.title,
    modelKey: m.key,
    source: s.source,
    fileName: s.source === 'file' ? (s.file?.name ?? null) : null,
    n: inputs.length,
    methods,
    attack: s.attack,
    threat: threatLabel(app.threat),
    search: app.search,
    margin: app.margin,
    clip: clip !== undefined,
    workers: size,
    date: new Date().toISOString(),
  }
  set({ status: 'running', error: null, rows: [], attacks: {}, failures: [], total: jobs.length, active: Array(size).fill(null), startedAt: performance.now(), finishedAt: null, ran })
  const mine = () => pool === p
  const setActive = (w: number, v: WorkerStatus | null) => {
    if (!mine()) return
    const active = get().active.slice()
    active[w] = v
    set({ active })
  }
  try {
    await p.load(m.key, m.net)
    const res = await p.runAll<BoundSummary | AttackSummary>(jobs, {
      onStart: (i, w) => setActive(w, { ...meta[i], fraction: 0 }),
      onProgress: (i, w, pr) => setActive(w, { ...meta[i], fraction: pr.fraction }),
      onResult: (i, w, r) => {
        if (!mine()) return
        const { index, method } = meta[i]
        if (r.kind === 'attack') {
          set({ attacks: { ...get().attacks, [index]: r.radius }, rows: get().rows.map((x) => (x.index === index ? { ...x, attack: r.radius } : x)) })
        } else if (method !== 'attack') {
          const label = inputs[index].label ?? null
          const attack = get().attacks[index] ?? NaN
          const row: EvalRow = { index, label, predicted: r.predicted, correct: label === null || label === r.predicted, method, bound: r.result.bound, perFrame: r.result.perFrame, attack, ms: r.ms }
          set({ rows: [...get().rows, row] })
        }
        setActive(w, null)
      },
      onError: (i, w, e) => {
        if (!mine()) return
        set({ failures: [...get().failures, { ...meta[i], message: e.message }] })
        setActive(w, null)
      },
    })
    if (!mine()) return
    const failed = get().failures
    const broken = soundnessViolations(get().rows)
    set({
      status: res.cancelled ? 'cancelled' : 'done',
      error: broken.length
        ? `SOUNDNESS VIOLATION: ${broken.map((r) => `input ${r.index} ${r.method} certified ${r.bound} > attack radius ${r.attack}`).join('; ')}`
        : failed.length
          ? `${failed.length} of ${jobs.length} searches failed: ${failed[0].message}`
          : null,
      active: [],
      finishedAt: performance.now(),
    })
  } catch (e) {
    if (mine()) set({ status: 'error', error: (e as Error).message, active: [], finishedAt: performance.now() })
  } finally {
    p.dispose()
    if (mine()) pool = null
  }
}

/** Rows whose certified bound exceeds the attack radius on the same input: a certifier bug if any. */
export function soundnessViolations(rows: EvalRow[]): EvalRow[] {
  return rows.filter((r) => Number.isFinite(r.attack) && r.bound > r.attack)
}

export function cancelEvaluation() {
  pool?.cancel()
}

// ---------------------------------------------------------------------------------------
// Export

export interface EvalExport {
  json: string
  samplesCsv: string
  summaryCsv: string
  accuracyCsv: string
}

/** Everything the run measured, as files (the CLI's shapes: samples, summary, verified accuracy). */
export function evalExport(s: Pick<EvalState, 'rows' | 'ran'>): EvalExport {
  const methods = s.ran?.methods ?? METHODS
  const summary = summarize(s.rows, methods).map((x) => summaryRecord(x, { threat: s.ran?.threat, search: s.ran?.search, margin: s.ran?.margin }))
  const curve = curveRecords(accuracyCurve(s.rows, methods, epsGrid(s.rows)), methods)
  const samples = [...s.rows].sort((a, b) => a.index - b.index || methods.indexOf(a.method) - methods.indexOf(b.method)).map(rowRecord)
  return {
    json: JSON.stringify({ format: 'cert-rnn-evaluation', tool: 'Cert-RNN Studio (app)', run: s.ran, summary, verifiedAccuracy: curve, samples }, null, 1),
    samplesCsv: toCsv(samples),
    summaryCsv: toCsv(summary),
    accuracyCsv: toCsv(curve),
  }
}
