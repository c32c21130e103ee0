/**
 * The defenses view's comparison: for one original model and its defended variants, the
 * certified bound (Cert-RNN, single-frame threat) and the PGD attack radius of the same
 * inputs (the original model's bundled examples), model by model on a worker pool.
 */
import { createStore } from 'zustand/vanilla'
import type { SampleInput } from '../../cert/index.ts'
import { mean, populationStd } from '../../cert/index.ts'
import { DEFENSE_SHORT, defenseOf } from '../../model/defense.ts'
import type { DefenseGroup } from '../../model/manifest.ts'
import { defenseGroups } from '../../model/manifest.ts'
import type { Manifest, ManifestModel } from '../../model/manifest.ts'
import { poolSize, WorkerPool } from '../../worker/pool.ts'
import type { AttackSummary, BoundSummary, Job } from '../../worker/protocol.ts'
import type { LoadedModel } from '../model/loaded.ts'
import { getWorkerFactory } from '../state/store.ts'

export interface InputResult {
  index: number
  correct: boolean
  bound: number
  attack: number
}

export interface VariantResult {
  id: string
  label: string
  trainEps: number | null
  testAccuracy: number
  status: 'pending' | 'running' | 'done' | 'error'
  error: string | null
  inputs: InputResult[]
}

export interface DefenseState {
  base: string | null
  n: number
  status: 'idle' | 'running' | 'done' | 'cancelled' | 'error'
  error: string | null
  results: VariantResult[]
  /** searches and attacks finished, of total */
  done: number
  total: number
  startedAt: number | null
  finishedAt: number | null
}

const initial: DefenseState = { base: null, n: 8, status: 'idle', error: null, results: [], done: 0, total: 0, startedAt: null, finishedAt: null }
export const defenseStore = createStore<DefenseState>()(() => initial)
const set = defenseStore.setState
const get = defenseStore.getState

export const setDefenseBase = (base: string) => set({ base })
export const setDefenseN = (n: number) => {
  if (Number.isFinite(n)) set({ n: Math.max(1, Math.min(100, Math.round(n))) })
}

let pool: WorkerPool | null = null
let cores: number | undefined = typeof navigator !== 'undefined' ? navigator.hardwareConcurrency : undefined
export function setDefenseCores(n: number | undefined) {
  cores = n
}

/** The row of a variant before it has run. */
export function variantRow(m: ManifestModel): VariantResult {
  const d = defenseOf(m)
  return { id: m.id, label: DEFENSE_SHORT[d?.method ?? 'none'], trainEps: d?.eps ?? null, testAccuracy: m.testAccuracy.value, status: 'pending', error: null, inputs: [] }
}

export interface VariantSummary {
  meanBound: number
  stdBound: number
  meanAttack: number
  correct: number
  n: number
}

/** Mean bound and attack radius over the variant's correctly classified inputs. */
export function summarizeVariant(v: VariantResult): VariantSummary {
  const ok = v.inputs.filter((r) => r.correct)
  const attacks = ok.map((r) => r.attack).filter(Number.isFinite)
  return { meanBound: mean(ok.map((r) => r.bound)), stdBound: populationStd(ok.map((r) => r.bound)), meanAttack: mean(attacks), correct: ok.length, n: v.inputs.length }
}

export type ModelLoader = (entry: ManifestModel) => Promise<LoadedModel>

export async function runDefenseComparison(group: DefenseGroup, load: ModelLoader): Promise<void> {
  cancelDefenseComparison()
  const n = get().n
  const results = group.variants.map(variantRow)
  const p = new WorkerPool(getWorkerFactory(), poolSize(cores))
  pool = p
  const mine = () => pool === p
  set({ base: group.base.id, status: 'running', error: null, results, done: 0, total: 0, startedAt: performance.now(), finishedAt: null })
  const update = (k: number, v: Partial<VariantResult>) => {
    if (!mine()) return
    const rs = get().results.slice()
    rs[k] = { ...rs[k], ...v }
    set({ results: rs })
  }
  try {
    let inputs: SampleInput[] | null = null
    for (let k = 0; k < group.variants.length; k++) {
      if (!mine() || get().status !== 'running') break
      update(k, { status: 'running' })
      const m = await load(group.variants[k])
      if (!inputs) {
        // the original model's examples are every variant's inputs (same tokenizer and frames)
        inputs = m.examples.slice(0, n).map((e) => ({ x: e.x, tokens: e.tokens, label: e.label }))
        if (!inputs.length) throw new Error(`${group.base.id} has no bundled examples to compare on`)
        set({ total: inputs.length * 2 * group.variants.length })
      }
      const clip = m.domain ? ([m.domain.min, m.domain.max] as const) : undefined
      await p.load(m.key, m.net)
      const rows: InputResult[] = inputs.map((_input, index) => ({ index, correct: false, bound: NaN, attack: NaN }))
      const bounds: Job[] = inputs.map((input) => ({ kind: 'bound', input, threat: { kind: 'single' }, method: 'certrnn', margin: 'diff', search: 'fast', clip }))
      const failures: string[] = []
      const onError = (_i: number, _w: number, e: Error) => failures.push(e.message)
      const tick = () => mine() && set({ done: get().done + 1 })
      await p.runAll<BoundSummary>(bounds, {
        onResult: (i, _w, r) => {
          rows[i].bound = r.result.bound
          rows[i].correct = inputs![i].label === undefined || inputs![i].label === r.predicted
          tick()
        },
        onError,
      })
      if (!mine() || get().status !== 'running') break
      // the attack starts its bisection from the certified bound
      const attacks: Job[] = inputs.map((input, i) => ({ kind: 'attack', input, threat: { kind: 'single' }, clip, guess: rows[i].bound > 0 ? rows[i].bound : undefined }))
      await p.runAll<AttackSummary>(attacks, {
        onResult: (i, _w, r) => {
          rows[i].attack = r.radius
          tick()
        },
        onError,
      })
      if (!mine()) break
      update(k, { status: failures.length ? 'error' : 'done', error: failures[0] ?? null, inputs: rows })
    }
    if (mine() && get().status === 'running') set({ status: 'done', finishedAt: performance.now() })
  } catch (e) {
    if (mine()) set({ status: 'error', error: (e as Error).message, finishedAt: performance.now() })
  } finally {
    p.dispose()
    if (mine()) pool = null
  }
}

export function cancelDefenseComparison() {
  if (get().status === 'running') set({ status: 'cancelled', finishedAt: performance.now() })
  pool?.cancel()
  pool = null
}

export function groupsOf(manifest: Manifest | null): DefenseGroup[] {
  return manifest ? defenseGroupsCached(manifest) : []
}

const cache = new WeakMap<Manifest, DefenseGroup[]>()
function defenseGroupsCached(m: Manifest): DefenseGroup[] {
  if (!cache.has(m)) cache.set(m, defenseGroups(m))
  return cache.get(m)!
}
