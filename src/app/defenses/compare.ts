/**
 * The defenses view's comparison: for one original model and its defended variants, the
 * certified bound (Cert-RNN, single-frame threat) and the PGD attack radius of the same
 * inputs (the original model's bundled examples), model by model on a worker pool.
 */
import type { SampleInput } from '../../cert/index.ts'
import { mean, populationStd } from '../../cert/index.ts'
import { DEFENSE_SHORT, defenseOf } from '../../model/defense.ts'
import type { DefenseGroup } from '../../model/manifest.ts'
import { defenseGroups } from '../../model/manifest.ts'
import type { Manifest, ManifestModel } from '../../model/manifest.ts'
import { runBatch } from '../../run/batch.ts'
import type { AttackSummary, BoundSummary, Job } from '../../worker/protocol.ts'
import { PER_FRAME_PGD } from '../../worker/protocol.ts'
import type { LoadedModel } from '../model/loaded.ts'
import type { RunControl } from '../state/activity.ts'
import { cancelActivity, enqueueRun } from '../state/activity.ts'
import { runs, withPool } from '../state/services.ts'
import { slice } from '../state/store.ts'
import type { InputResult, VariantResult } from './compareSlice.ts'

const { get, set } = slice('defenses')

export const setDefenseBase = (base: string) => set({ base })
export const setDefenseN = (n: number) => {
  if (Number.isFinite(n)) set({ n: Math.max(1, Math.min(100, Math.round(n))) })
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

/** The comparison's place in the activity model (to cancel it there, running or queued). */
let activityId: number | null = null

/** Compare the defenses of `group`: submitted to the activity model (now, or after the run going on). */
export function runDefenseComparison(group: DefenseGroup, load: ModelLoader): Promise<void> {
  // a double click is one run: the same group and number of inputs
  const key = JSON.stringify(['defenses', group.base.id, get().n])
  const { id, done } = enqueueRun(`Compare defenses of ${group.base.id}`, (ctl) => comparisonRun(group, load, ctl), key)
  activityId = id
  return done
}

async function comparisonRun(group: DefenseGroup, load: ModelLoader, ctl: RunControl): Promise<void> {
  const run = runs.defenses.begin()
  ctl.signal.addEventListener('abort', () => {
    if (!run.current) return
    if (get().status === 'running') set({ status: 'cancelled', finishedAt: performance.now() })
    runs.defenses.drop()
  })
  const n = get().n
  const results = group.variants.map(variantRow)
  const going = () => run.current && !run.signal.aborted
  set({ base: group.base.id, status: 'running', error: null, results, done: 0, total: 0, startedAt: performance.now(), finishedAt: null })
  const update = (k: number, v: Partial<VariantResult>) => {
    if (!run.current) return
    const rs = get().results.slice()
    rs[k] = { ...rs[k], ...v }
    set({ results: rs })
  }
  try {
    await withPool(Infinity, async (pool) => {
      let inputs: SampleInput[] | null = null
      for (let k = 0; k < group.variants.length; k++) {
        if (!going()) break
        update(k, { status: 'running' })
        const m = await load(group.variants[k])
        if (!inputs) {
          // the original model's examples are every variant's inputs (same tokenizer and frames)
          inputs = m.examples.slice(0, n).map((e) => ({ x: e.x, tokens: e.tokens, label: e.label }))
          if (!inputs.length) throw new Error(`${group.base.id} has no bundled examples to compare on`)
          if (run.current) set({ total: inputs.length * 2 * group.variants.length })
        }
        const clip = m.domain ? ([m.domain.min, m.domain.max] as const) : undefined
        await pool.load(m.key, m.net)
        const rows: InputResult[] = inputs.map((_input, index) => ({ index, correct: false, bound: NaN, attack: NaN }))
        const failures: string[] = []
        const onError = (_i: number, _w: number, e: Error) => failures.push(e.message)
        const tick = () => {
          set({ done: get().done + 1 })
          const { done, total } = get()
          if (run.current) ctl.progress(total ? done / total : null, `${group.variants[k].id}: ${done} of ${total} searches and attacks`)
        }
        const bounds: Job[] = inputs.map((input) => ({ kind: 'bound', input, threat: { kind: 'single' }, method: 'certrnn', margin: 'diff', search: 'fast', clip }))
        await runBatch(bounds, pool.of<BoundSummary>(), {
          run,
          onResult: (i, _w, r) => {
            rows[i].bound = r.result.bound
            rows[i].correct = inputs![i].label === undefined || inputs![i].label === r.predicted
            tick()
          },
          onError,
        })
        if (!going()) break
        // the attack starts its bisection from the certified bound; 10 steps × 2 restarts (the
        // heatmaps' PGD): radii within 0.2 % of 20 × 5 on rt-rnn at a quarter of the time (docs/benchmark.md)
        const attacks: Job[] = inputs.map((input, i) => ({ kind: 'attack', input, threat: { kind: 'single' }, clip, guess: rows[i].bound > 0 ? rows[i].bound : undefined, ...PER_FRAME_PGD }))
        await runBatch(attacks, pool.of<AttackSummary>(), {
          run,
          onResult: (i, _w, r) => {
            rows[i].attack = r.radius
            tick()
          },
          onError,
        })
        if (!run.current) break
        update(k, { status: failures.length ? 'error' : 'done', error: failures[0] ?? null, inputs: rows })
      }
    })
    if (going() && get().status === 'running') set({ status: 'done', finishedAt: performance.now() })
  } catch (e) {
    if (run.current) set({ status: 'error', error: (e as Error).message, finishedAt: performance.now() })
  }
}

/** Stop the comparison now (or take it out of the queue): it is over as far as the view goes (its late results are ignored). */
export function cancelDefenseComparison() {
  if (activityId !== null) cancelActivity(activityId)
}

export function groupsOf(manifest: Manifest | null): DefenseGroup[] {
  return manifest ? defenseGroupsCached(manifest) : []
}

const cache = new WeakMap<Manifest, DefenseGroup[]>()
function defenseGroupsCached(m: Manifest): DefenseGroup[] {
  if (!cache.has(m)) cache.set(m, defenseGroups(m))
  return cache.get(m)!
}
