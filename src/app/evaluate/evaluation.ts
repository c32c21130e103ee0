/**
 * The data-set evaluation: the bound search for N bundled examples (or an uploaded file of
 * inputs) × the chosen methods, on a pool of workers, one per core (runBatch with the pool
 * as executor). Its state is the store's `evaluation` slice; the model and the threat /
 * margin / search settings come from the certify slices; clipping is the tab's own.
 */
import type { EvalRow, Method, SampleInput } from '../../cert/index.ts'
import { accuracyCurve, curveRecords, epsGrid, METHODS, rowRecord, summarize, summaryRecord, threatLabel } from '../../cert/index.ts'
import { toCsv } from '../../model/csv.ts'
import { runBatch } from '../../run/batch.ts'
import type { AttackSummary, BoundSummary, Job } from '../../worker/protocol.ts'
import type { RunControl } from '../state/activity.ts'
import { cancelActivity, enqueueRun } from '../state/activity.ts'
import { runs, withPool } from '../state/services.ts'
import type { AppState } from '../state/store.ts'
import { appStore, runKey, slice } from '../state/store.ts'
import type { EvalRun, EvalState, WorkerStatus } from './evaluationSlice.ts'
import { initialEvaluation } from './evaluationSlice.ts'
import { parseInputsFile } from './inputsFile.ts'

const { get, set } = slice('evaluation')

export function resetEvaluation() {
  runs.evaluation.drop()
  set(initialEvaluation())
}

export const setEvalAttack = (attack: boolean) => set({ attack })
/** The Evaluate tab's own clipping (the Certify tab keeps its own). */
export const setEvalClip = (clip: boolean) => set({ clip })
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

/** The evaluation's place in the activity model (to cancel it there, running or queued). */
let activityId: number | null = null

/** Searches and attacks finished (or failed) of the run's total, with the running ones' parts: 0…1. */
export function evalFraction(s: Pick<EvalState, 'rows' | 'attacks' | 'failures' | 'active' | 'total'>): number {
  const finished = evalFinished(s)
  const partial = s.active.reduce((a, w) => a + (w ? w.fraction : 0), 0)
  return s.total ? Math.min(1, (finished + partial) / s.total) : 0
}

export const evalFinished = (s: Pick<EvalState, 'rows' | 'attacks' | 'failures'>) => s.rows.length + Object.keys(s.attacks).length + s.failures.length

/** Evaluate the data set: submitted to the activity model (now, or after the run going on). */
export function startEvaluation(): Promise<void> {
  const blocker = evalBlocker(get(), appStore.getState())
  if (blocker) {
    set({ status: 'error', error: blocker })
    return Promise.resolve()
  }
  const app = appStore.getState()
  const s = get()
  // a double click is one run: same model, inputs and settings
  const key = runKey('evaluate', app, [s.source, s.n, s.file?.name ?? null, s.methods, s.attack, s.clip])
  const { id, done } = enqueueRun('Evaluate a data set', evaluationRun, key)
  activityId = id
  return done
}

async function evaluationRun(ctl: RunControl): Promise<void> {
  const app = appStore.getState()
  const s = get()
  const blocker = evalBlocker(s, app)
  if (blocker) {
    set({ status: 'error', error: blocker })
    return
  }
  const run = runs.evaluation.begin()
  ctl.signal.addEventListener('abort', () => run.current && runs.evaluation.cancel())
  const report = () => {
    const st = get()
    ctl.progress(evalFraction(st), `${evalFinished(st)} of ${st.total} jobs`)
  }
  const m = app.model!
  const { inputs } = evalInputs(s, app) as { inputs: SampleInput[] }
  const methods = [...s.methods]
  const clip = s.clip && m.domain ? ([m.domain.min, m.domain.max] as const) : undefined
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
  const mine = () => run.current
  try {
    await withPool(jobs.length, async (pool) => {
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
        workers: pool.size,
        date: new Date().toISOString(),
      }
      set({ status: 'running', error: null, rows: [], attacks: {}, failures: [], total: jobs.length, active: Array(pool.size).fill(null), startedAt: performance.now(), finishedAt: null, ran })
      const setActive = (w: number, v: WorkerStatus | null) => {
        const active = get().active.slice()
        active[w] = v
        set({ active })
      }
      await pool.load(m.key, m.net)
      // the batch's callbacks stop as soon as a newer run begins
      const res = await runBatch(jobs, pool.of<BoundSummary | AttackSummary>(), {
        run,
        onStart: (i, w) => setActive(w, { ...meta[i], fraction: 0 }),
        onProgress: (i, w, pr) => {
          setActive(w, { ...meta[i], fraction: pr.fraction })
          report()
        },
        onResult: (i, w, r) => {
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
          report()
        },
        onError: (i, w, e) => {
          set({ failures: [...get().failures, { ...meta[i], message: e.message }] })
          setActive(w, null)
          report()
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
    })
  } catch (e) {
    if (mine()) set({ status: 'error', error: (e as Error).message, active: [], finishedAt: performance.now() })
  }
}

/** Rows whose certified bound exceeds the attack radius on the same input: a certifier bug if any. */
export function soundnessViolations(rows: EvalRow[]): EvalRow[] {
  return rows.filter((r) => Number.isFinite(r.attack) && r.bound > r.attack)
}

/** Cancel the evaluation (running: it keeps what finished; queued: it leaves the queue). */
export function cancelEvaluation() {
  if (activityId !== null) cancelActivity(activityId)
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
