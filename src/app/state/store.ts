/**
 * The app's state: one zustand store composed of slices — the certify view's (view, model,
 * input, settings, run) and, each under its own key, the Evaluate tab's (`evaluation`), the
 * defenses comparison's (`defenses`) and live training's (`training`) — with actions as
 * plain module-level functions so that worker callbacks and tests can call them without
 * React. The workers behind the actions are services (services.ts). The shareable part is
 * mirrored in the URL hash (urlState.ts).
 */
import { createStore } from 'zustand/vanilla'
import type { MarginCheck, Method, SampleInput, SearchKind, Threat } from '../../cert/index.ts'
import { CancelledError, DEFAULT_METHODS, METHOD_SHORT, METHODS } from '../../cert/index.ts'
import type { Manifest } from '../../model/manifest.ts'
import { encodeDetailed } from '../../model/tokenizer.ts'
import type { AttackSummary, Job, Progress, RunResult, TraceSummary } from '../../worker/protocol.ts'
import type { ActivitySlice, RunControl } from './activity.ts'
import { bindActivityStore, cancelActivity, createActivitySlice, submitRun } from './activity.ts'
import type { DefensesSlice } from '../defenses/compareSlice.ts'
import { createDefensesSlice } from '../defenses/compareSlice.ts'
import type { TrainingSlice } from '../defenses/trainingSlice.ts'
import { createTrainingSlice } from '../defenses/trainingSlice.ts'
import type { EvaluationSlice } from '../evaluate/evaluationSlice.ts'
import { createEvaluationSlice } from '../evaluate/evaluationSlice.ts'
import type { LoadedModel } from '../model/loaded.ts'
import type { Prediction } from '../model/predict.ts'
import type { AppConfig } from './urlState.ts'
import type { View } from './urlState.ts'
import { DEFAULT_CONFIG, EPS_MAX, EPS_MIN } from './urlState.ts'
import { cancelJob, runCertifyJob, services, theCertClient } from './services.ts'
import { heatmapAttack } from '../views/geometry.ts'

export interface ModelSlice {
  manifest: Manifest | null
  manifestError: string | null
  model: LoadedModel | null
  modelStatus: 'none' | 'loading' | 'ready' | 'error'
  modelError: string | null
  /** the zoo id being loaded or loaded (null for uploads) */
  modelId: string | null
}

export interface ViewSlice {
  view: View
  step: number
  /** the glossary or the About / health panel, when open (not part of the URL) */
  panel: 'glossary' | 'about' | null
}

export interface InputSlice {
  /** bundled example index (MNIST digits, frame inputs) or null when drawn */
  digit: number | null
  /** a drawn 28×28 image, row-major in [0, 1] */
  drawn: number[] | null
  /** text models */
  text: string
}

export type SettingsSlice = Pick<AppConfig, 'eps' | 'threat' | 'method' | 'margin' | 'search' | 'clip'>

export type RunKind = 'certify' | 'bound' | 'compare'

/** Where the input of a run came from, to tell when the current input is another one. */
export interface InputSource {
  modelKey: string
  digit: number | null
  drawn: number[] | null
  text: string
}

/** PGD after a bound search: the upper end of the true robustness radius. */
export interface AttackState {
  /** waiting: queued behind another run */
  status: 'waiting' | 'running' | 'done' | 'error' | 'cancelled'
  activityId: number | null
  result: AttackSummary | null
  error: string | null
}

export interface RunState {
  status: 'idle' | 'running' | 'done' | 'error' | 'cancelled'
  kind: RunKind | null
  jobId: number | null
  /** the run's id in the activity model (runs one at a time, queued, cancellable) */
  activityId: number | null
  progress: Progress | null
  result: RunResult | null
  prediction: Prediction | null
  error: string | null
  /** the settings and input the result belongs to */
  ran: { settings: SettingsSlice; input: SampleInput; tokens: string[] | null; source: InputSource } | null
  startedAt: number | null
  attack: AttackState | null
}

export interface RunSlice {
  run: RunState
  /** "See the abstraction": the latest trace (kept across tab switches) */
  viz: VizState
}

export interface VizState {
  status: 'idle' | 'running' | 'done' | 'error' | 'cancelled'
  trace: TraceSummary | null
  error: string | null
  /** what the trace was made for */
  ran: { modelKey: string; source: InputSource; eps: number; frames: number[]; margin: MarginCheck; clip: boolean } | null
}

const idleViz: VizState = { status: 'idle', trace: null, error: null, ran: null }

export type AppState = ViewSlice & ModelSlice & InputSlice & SettingsSlice & RunSlice & ActivitySlice & EvaluationSlice & DefensesSlice & TrainingSlice

const idleRun: RunState = {
  status: 'idle',
  kind: null,
  jobId: null,
  activityId: null,
  progress: null,
  result: null,
  prediction: null,
  error: null,
  ran: null,
  startedAt: null,
  attack: null,
}

export const createModelSlice = (): ModelSlice => ({
  manifest: null,
  manifestError: null,
  model: null,
  modelStatus: 'none',
  modelError: null,
  modelId: null,
})

export const createInputSlice = (c: AppConfig): InputSlice => ({ digit: c.digit, drawn: null, text: c.text ?? '' })

export const createSettingsSlice = (c: AppConfig): SettingsSlice => ({
  eps: c.eps,
  threat: c.threat,
  method: c.method,
  margin: c.margin,
  search: c.search,
  clip: c.clip,
})

export const createRunSlice = (): RunSlice => ({ run: idleRun, viz: idleViz })

export const createViewSlice = (c: AppConfig): Omit<ViewSlice, 'panel'> => ({ view: c.view, step: c.step })

export const appStore = createStore<AppState>()(() => ({
  ...createViewSlice(DEFAULT_CONFIG),
  panel: null,
  ...createModelSlice(),
  ...createInputSlice(DEFAULT_CONFIG),
  ...createSettingsSlice(DEFAULT_CONFIG),
  ...createRunSlice(),
  ...createActivitySlice(),
  ...createEvaluationSlice(),
  ...createDefensesSlice(),
  ...createTrainingSlice(),
}))

const set = appStore.setState
const get = appStore.getState
bindActivityStore(appStore)

/** The slices kept under their own key. */
export type NestedSlice = 'evaluation' | 'defenses' | 'training'

/** Read and patch one nested slice (the Evaluate tab's, the comparison's, live training's). */
export function slice<K extends NestedSlice>(key: K) {
  return {
    get: (): AppState[K] => appStore.getState()[key],
    set: (patch: Partial<AppState[K]>) => appStore.setState((s) => ({ [key]: { ...s[key], ...patch } }) as Partial<AppState>),
  }
}

// ---------------------------------------------------------------------------------------
// Configuration (URL hash)

export function configOf(s: AppState): AppConfig {
  return {
    view: s.view,
    step: s.step,
    // a model being loaded (picked, or named by an edited link) is the configuration's model already
    model: s.modelStatus === 'loading' && s.modelId ? s.modelId : s.model?.source === 'zoo' ? s.model.id : s.modelId,
    digit: s.model?.inputKind === 'tokens' ? null : s.digit,
    text: s.model?.inputKind === 'tokens' ? s.text : null,
    eps: s.eps,
    threat: s.threat,
    method: s.method,
    margin: s.margin,
    search: s.search,
    clip: s.clip,
  }
}

export function applyConfig(c: AppConfig) {
  // the model named by a link stays in the configuration until it is loaded (or replaced)
  set({ ...createViewSlice(c), ...createSettingsSlice(c), digit: c.digit, text: c.text ?? get().text, modelId: get().model ? get().modelId : c.model })
}

export const setView = (view: View) => set({ view })
export const setStep = (step: number) => set({ step })
export const setPanel = (panel: ViewSlice['panel']) => set({ panel })

// ---------------------------------------------------------------------------------------
// Model

export function setManifest(manifest: Manifest | null, error: string | null = null) {
  set({ manifest, manifestError: error })
}

export function modelLoading(id: string | null) {
  set({ modelStatus: 'loading', modelError: null, modelId: id })
}

export function modelFailed(message: string) {
  set({ modelStatus: 'error', modelError: message })
}

/** Make a loaded model current: the worker gets it once, the input is reset to fit it. */
export async function setModel(m: LoadedModel): Promise<void> {
  cancelRun()
  const prev = get()
  const keepDigit = prev.digit !== null && prev.digit < m.examples.length ? prev.digit : m.examples.length ? 0 : null
  const text = m.inputKind === 'tokens' ? (prev.text || m.examples[0]?.text || '') : prev.text
  set({ model: m, modelStatus: 'loading', modelError: null, modelId: m.source === 'zoo' ? m.id : null, digit: keepDigit, drawn: null, text, run: idleRun, viz: idleViz })
  try {
    await theCertClient().load(m.key, m.net)
    if (get().model === m) set({ modelStatus: 'ready' })
  } catch (e) {
    if (get().model === m) set({ model: null, modelStatus: 'error', modelError: (e as Error).message })
  }
}

// ---------------------------------------------------------------------------------------
// Input

export function setDigit(d: number) {
  set({ digit: d, drawn: null })
}

export function setDrawn(pixels: number[]) {
  set({ drawn: pixels, digit: null })
}

/** Inputs loaded for the current model (an inputs file): its examples become these. */
export function setExamples(examples: LoadedModel['examples'], note: string) {
  const m = get().model
  if (!m) return
  set({ model: { ...m, examples, inputsNote: note }, digit: examples.length ? 0 : null, drawn: null })
}

export function setText(text: string) {
  set({ text })
}

export interface CurrentInput {
  input: SampleInput | null
  /** text models: the token strings, and which are unknown to the vocabulary */
  tokens: string[] | null
  unknown: boolean[] | null
  truncated: number
  label: number | undefined
  error: string | null
  frames: number
}

/** The sample the current state describes, or a specific reason why there is none. */
export function currentInput(s: Pick<AppState, 'model' | 'digit' | 'drawn' | 'text'>): CurrentInput {
  const none = (error: string): CurrentInput => ({ input: null, tokens: null, unknown: null, truncated: 0, label: undefined, error, frames: 0 })
  const m = s.model
  if (!m) return none('choose a model first')
  if (m.inputKind === 'tokens') {
    const text = s.text.trim()
    if (!text) return none('type a sentence (or pick an example) to certify')
    if (m.tokenizer) {
      const enc = encodeDetailed(m.tokenizer, s.text)
      if (enc.ids.length === 0) return none('the text has no tokens the model can read (only spaces or punctuation the tokenizer drops)')
      const ex = m.examples.find((e) => e.text === s.text)
      return {
        input: { tokens: enc.ids },
        tokens: enc.tokens,
        unknown: enc.ids.map((id) => id === 1),
        truncated: enc.truncated,
        label: ex?.label,
        error: null,
        frames: enc.ids.length,
      }
    }
    // an uploaded token model without a tokenizer: token ids separated by spaces or commas
    const ids = text.split(/[\s,]+/).map(Number)
    if (ids.some((v) => !Number.isInteger(v) || v < 0)) return none('this model came without a tokenizer: type token ids (whole numbers) separated by spaces')
    return { input: { tokens: ids }, tokens: ids.map(String), unknown: ids.map(() => false), truncated: 0, label: undefined, error: null, frames: ids.length }
  }
  if (s.drawn && m.image) {
    const f = m.frameSize
    const x = Array.from({ length: m.image.frames }, (_, t) => s.drawn!.slice(t * f, (t + 1) * f))
    return { input: { x }, tokens: null, unknown: null, truncated: 0, label: undefined, error: null, frames: x.length }
  }
  if (s.digit !== null && s.digit >= m.examples.length && m.examples.length)
    return none(`there is no example ${s.digit}: this model has ${m.examples.length} bundled examples (0 to ${m.examples.length - 1}); pick one${m.image ? ' or draw a digit' : ''}`)
  if (s.digit === null || !m.examples[s.digit]) return none(m.examples.length ? 'pick an example' : m.image ? 'this model has no bundled examples: draw a digit' : 'this model came without examples: load an inputs file')
  const ex = m.examples[s.digit]
  return { input: { x: ex.x, tokens: ex.tokens }, tokens: null, unknown: null, truncated: 0, label: ex.label, error: null, frames: ex.x?.length ?? ex.tokens?.length ?? 0 }
}

// ---------------------------------------------------------------------------------------
// Settings

export function setEps(eps: number) {
  if (Number.isFinite(eps)) set({ eps: Math.min(EPS_MAX, Math.max(EPS_MIN, eps)) })
}
export const setThreat = (threat: Threat) => set({ threat })
export const setMethod = (method: Method) => set({ method })
export const setMargin = (margin: MarginCheck) => set({ margin })
export const setSearch = (search: SearchKind) => set({ search })
export const setClip = (clip: boolean) => set({ clip })

/** Chosen-frames threat: click a frame to add or remove it. */
export function toggleFrame(t: number) {
  const th = get().threat
  const frames = th.kind === 'frames' ? th.frames : []
  const next = frames.includes(t) ? frames.filter((f) => f !== t) : [...frames, t].sort((a, b) => a - b)
  set({ threat: { kind: 'frames', frames: next } })
}

// ---------------------------------------------------------------------------------------
// Runs

/** Why the current state cannot run, or null. */
export function runBlocker(s: AppState): string | null {
  if (!s.model) return 'choose a model first'
  if (s.modelStatus !== 'ready') return s.modelStatus === 'loading' ? 'the model is still loading' : (s.modelError ?? 'the model is not ready')
  const cur = currentInput(s)
  if (cur.error) return cur.error
  if (s.threat.kind === 'frames') {
    if (s.threat.frames.length === 0) return 'click the frames to perturb (or choose another threat model)'
    const beyond = s.threat.frames.filter((f) => f >= cur.frames)
    if (beyond.length) return `frames ${beyond.join(', ')} are beyond this input's ${cur.frames} frames`
  }
  if (!(s.eps > 0)) return 'ε must be positive'
  return null
}

/** The activity bar's name of each run. */
export const RUN_LABELS: Record<RunKind, string> = { certify: 'Certify at ε', bound: 'Find the robustness bound', compare: 'Compare methods' }

const sourceOf = (s: AppState): InputSource => ({ modelKey: s.model?.key ?? '', digit: s.digit, drawn: s.drawn, text: s.text })

/** What makes two requests the same run (a double click): the action, the input and the settings it would use. */
export const runKey = (action: string, s: AppState, extra?: unknown): string =>
  JSON.stringify([action, sourceOf(s), s.eps, s.threat, s.method, s.margin, s.search, s.clip, extra ?? null])

/**
 * Certify, search or compare on the current input: submitted to the activity model (it
 * starts now, or after the run going on; it reads the state when it starts). Resolves when
 * it has finished.
 */
export function startRun(kind: RunKind): Promise<void> {
  const blocker = runBlocker(get())
  if (blocker) {
    set({ run: { ...idleRun, status: 'error', kind, error: blocker } })
    return Promise.resolve()
  }
  const label = kind === 'certify' ? `Certify at ε = ${get().eps}` : RUN_LABELS[kind]
  return submitRun(label, (ctl) => certifyRun(kind, ctl), runKey(kind, get()))
}

async function certifyRun(kind: RunKind, ctl: RunControl): Promise<void> {
  const s = get()
  const blocker = runBlocker(s)
  if (blocker) {
    set({ run: { ...idleRun, status: 'error', kind, error: blocker } })
    return
  }
  const m = s.model!
  const cur = currentInput(s)
  const input = cur.input!
  const settings: SettingsSlice = { eps: s.eps, threat: s.threat, method: s.method, margin: s.margin, search: s.search, clip: s.clip }
  const clip = s.clip && m.domain ? ([m.domain.min, m.domain.max] as const) : undefined
  const common = { input, threat: s.threat, margin: s.margin, clip }
  const job: Job =
    kind === 'certify'
      ? { kind, ...common, method: s.method, eps: s.eps }
      : kind === 'bound'
        ? { kind, ...common, method: s.method, search: s.search }
        : { kind, ...common, eps: s.eps, search: s.search, methods: [...DEFAULT_METHODS] }
  const { id, result } = runCertifyJob(job, m, (progress) => {
    if (get().run.jobId !== id) return
    set({ run: { ...get().run, progress } })
    ctl.progress(progress.fraction, progressDetail(progress))
  })
  ctl.signal.addEventListener('abort', () => cancelJob(id))
  set({ run: { ...idleRun, status: 'running', kind, jobId: id, activityId: ctl.id, ran: { settings, input, tokens: cur.tokens, source: sourceOf(s) }, startedAt: performance.now() } })
  const { predictor } = services()
  const prediction = predictor ? predictor(m, input).catch(() => null) : Promise.resolve(null)
  try {
    const r = await result
    const p = await prediction
    if (get().run.jobId === id) set({ run: { ...get().run, status: 'done', result: r as RunResult, prediction: p, progress: null } })
  } catch (e) {
    if (get().run.jobId !== id) return
    if (e instanceof CancelledError) set({ run: { ...get().run, status: 'cancelled', progress: null } })
    else set({ run: { ...get().run, status: 'error', error: (e as Error).message, progress: null } })
  }
}

/** "bound · frame 3", "compare: DeepZ" (methods by name). */
export const progressDetail = (p: Progress) => {
  const stage = p.stage.replace(/\b\w+$/, (w) => ((METHODS as readonly string[]).includes(w) ? (METHOD_SHORT[w as Method] ?? w) : w))
  return `${stage}${p.frame != null ? ` · frame ${p.frame}` : ''}`
}

/** Cancel the certify view's run (or its attack) if it is the one going. */
export function cancelRun() {
  const { run } = get()
  if (run.status === 'running' && run.activityId !== null) cancelActivity(run.activityId)
  if (run.attack?.status === 'running' && run.attack.activityId !== null) cancelActivity(run.attack.activityId)
}

/**
 * PGD inside the threat model of the latest bound search, from its certified bound: the
 * upper end of the true robustness radius (a run of its own, queued like the others).
 */
export function startAttack(): Promise<void> {
  const { run, model } = get()
  const bound = run.result?.kind === 'bound' ? run.result.result : null
  const ran = run.ran
  if (!bound || !ran || !model) return Promise.resolve()
  // this result's attack is already waiting or going (a double click): the same run
  if (run.attack?.status === 'waiting' || run.attack?.status === 'running') return Promise.resolve()
  const jobId = run.jobId
  const mine = () => get().run.jobId === jobId
  const setAttack = (a: AttackState) => mine() && set({ run: { ...get().run, attack: a } })
  setAttack({ status: 'waiting', activityId: null, result: null, error: null })
  const key = runKey('attack', get(), jobId)
  return submitRun('Attack (PGD)', async (ctl) => {
    if (!mine()) return
    setAttack({ status: 'running', activityId: ctl.id, result: null, error: null })
    const { id, result } = runJob(
      {
        kind: 'attack',
        input: ran.input,
        threat: ran.settings.threat,
        clip: ran.settings.clip && model.domain ? [model.domain.min, model.domain.max] : undefined,
        guess: bound.perFrame ? bound.perFrame.map((b) => Math.max(b, 1e-3)) : Math.max(bound.bound, 1e-3),
        ...(ran.settings.threat.kind === 'single' ? heatmapAttack(bound) : {}),
      },
      (p) => ctl.progress(p.fraction, progressDetail(p)),
    )
    ctl.signal.addEventListener('abort', () => cancelJob(id))
    try {
      setAttack({ status: 'done', activityId: null, result: (await result) as AttackSummary, error: null })
    } catch (e) {
      setAttack({ status: e instanceof CancelledError ? 'cancelled' : 'error', activityId: null, result: null, error: e instanceof CancelledError ? null : (e as Error).message })
    }
  }, key)
}

/** What changed since the run's result was computed (empty: the result is current). */
export function staleReasons(s: AppState): string[] {
  const { ran, kind } = s.run
  if (!ran) return []
  const out: string[] = []
  const src = ran.source
  if (src.modelKey !== (s.model?.key ?? '')) return ['the model']
  if (s.model?.inputKind === 'tokens') {
    if (src.text !== s.text) out.push('the text')
  } else if (src.drawn !== s.drawn || src.digit !== s.digit) out.push(s.drawn ? 'the drawing' : 'the digit')
  const a = ran.settings
  if (kind !== 'bound' && a.eps !== s.eps) out.push('ε')
  if (JSON.stringify(a.threat) !== JSON.stringify(s.threat)) out.push('the threat model')
  if (kind !== 'compare' && a.method !== s.method) out.push('the method')
  if (a.margin !== s.margin) out.push('the margin check')
  if (kind !== 'certify' && a.search !== s.search) out.push('the bound search')
  if (a.clip !== s.clip && s.model?.domain) out.push('clipping')
  return out
}

/** Trace the certification of the current input on `frames` at ε with every method (See the abstraction). */
export function startTrace(frames: number[]): Promise<void> {
  return submitRun('Trace the certification', async (ctl) => {
    const s = get()
    const m = s.model
    const cur = currentInput(s)
    if (!m || !cur.input || s.modelStatus !== 'ready') {
      set({ viz: { ...idleViz, status: 'error', error: cur.error ?? 'the model is not ready' } })
      return
    }
    const ran: VizState['ran'] = { modelKey: m.key, source: sourceOf(s), eps: s.eps, frames, margin: s.margin, clip: s.clip }
    set({ viz: { ...get().viz, status: 'running', error: null } })
    const { id, result } = runJob(
      {
        kind: 'trace',
        input: cur.input,
        frames,
        eps: s.eps,
        methods: [...METHODS],
        margin: s.margin,
        clip: s.clip && m.domain ? [m.domain.min, m.domain.max] : undefined,
        samples: 400,
      },
      (p) => ctl.progress(p.fraction, progressDetail(p)),
    )
    ctl.signal.addEventListener('abort', () => cancelJob(id))
    try {
      const trace = (await result) as TraceSummary
      if (get().model?.key === m.key) set({ viz: { status: 'done', trace, error: null, ran } })
    } catch (e) {
      if (get().model?.key !== m.key) return
      set({ viz: { ...get().viz, status: e instanceof CancelledError ? 'cancelled' : 'error', error: e instanceof CancelledError ? null : (e as Error).message } })
    }
  }, runKey('trace', get(), frames))
}

/** What changed since the trace was made (empty: current). */
export function vizStaleReasons(s: AppState, frames: number[]): string[] {
  const r = s.viz.ran
  if (!r) return []
  const out: string[] = []
  if (r.source.drawn !== s.drawn || r.source.digit !== s.digit || r.source.text !== s.text) out.push('the input')
  if (r.eps !== s.eps) out.push('ε')
  if (r.frames.join() !== frames.join()) out.push('the perturbed frames')
  if (r.margin !== s.margin) out.push('the margin check')
  if (r.clip !== s.clip && s.model?.domain) out.push('clipping')
  return out
}

// ---------------------------------------------------------------------------------------
// Jobs outside the certify view (visualiser): straight to the worker, no run slice

/** Run any job on the loaded model (the visualiser's traces and projections, the attack). */
export function runJob(job: Job, onProgress?: (p: Progress) => void) {
  return theCertClient().run(job, onProgress)
}

