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
import { CancelledError, DEFAULT_METHODS } from '../../cert/index.ts'
import type { Manifest } from '../../model/manifest.ts'
import { encodeDetailed } from '../../model/tokenizer.ts'
import type { Job, Progress, RunResult } from '../../worker/protocol.ts'
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

export interface RunState {
  status: 'idle' | 'running' | 'done' | 'error' | 'cancelled'
  kind: RunKind | null
  jobId: number | null
  progress: Progress | null
  result: RunResult | null
  prediction: Prediction | null
  error: string | null
  /** the settings and input the result belongs to */
  ran: { settings: SettingsSlice; input: SampleInput; tokens: string[] | null } | null
  startedAt: number | null
}

export interface RunSlice {
  run: RunState
}

export type AppState = ViewSlice & ModelSlice & InputSlice & SettingsSlice & RunSlice & EvaluationSlice & DefensesSlice & TrainingSlice

const idleRun: RunState = {
  status: 'idle',
  kind: null,
  jobId: null,
  progress: null,
  result: null,
  prediction: null,
  error: null,
  ran: null,
  startedAt: null,
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

export const createRunSlice = (): RunSlice => ({ run: idleRun })

export const createViewSlice = (c: AppConfig): ViewSlice => ({ view: c.view, step: c.step })

export const appStore = createStore<AppState>()(() => ({
  ...createViewSlice(DEFAULT_CONFIG),
  ...createModelSlice(),
  ...createInputSlice(DEFAULT_CONFIG),
  ...createSettingsSlice(DEFAULT_CONFIG),
  ...createRunSlice(),
  ...createEvaluationSlice(),
  ...createDefensesSlice(),
  ...createTrainingSlice(),
}))

const set = appStore.setState
const get = appStore.getState

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
    model: s.model?.source === 'zoo' ? s.model.id : s.modelId,
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
  set({ model: m, modelStatus: 'loading', modelError: null, modelId: m.source === 'zoo' ? m.id : null, digit: keepDigit, drawn: null, text, run: idleRun })
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
  if (s.digit === null || !m.examples[s.digit]) return none(m.examples.length ? 'pick an example' : 'this model has no bundled examples: draw a digit')
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

export async function startRun(kind: RunKind): Promise<void> {
  const s = get()
  const blocker = runBlocker(s)
  if (blocker) {
    set({ run: { ...idleRun, status: 'error', kind, error: blocker } })
    return
  }
  cancelRun()
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
    if (get().run.jobId === id) set({ run: { ...get().run, progress } })
  })
  set({ run: { ...idleRun, status: 'running', kind, jobId: id, ran: { settings, input, tokens: cur.tokens }, startedAt: performance.now() } })
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

export function cancelRun() {
  const { run } = get()
  if (run.status === 'running' && run.jobId !== null) cancelJob(run.jobId)
}

// ---------------------------------------------------------------------------------------
// Jobs outside the certify view (visualiser): straight to the worker, no run slice

/** Run any job on the loaded model (the visualiser's traces and projections). */
export function runJob(job: Job, onProgress?: (p: Progress) => void) {
  return theCertClient().run(job, onProgress)
}

