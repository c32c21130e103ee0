/** What the reproduction tables share: reading a zoo model's examples and per-frame bounds. */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { auditedFrames } from '../../src/attack/audit.ts'
import type { Method, NetworkIR, SampleInput } from '../../src/cert/index.ts'
import { compileNetwork, prepareSample } from '../../src/cert/index.ts'
import type { AttackSummary, BoundSummary } from '../../src/worker/protocol.ts'
import type { JobRunner } from '../lib/jobs.ts'
import type { SharedDigits } from '../../src/model/digits.ts'
import { digitsAsFrames, examplePixel } from '../../src/model/digits.ts'
import { SHARED_MNIST } from '../train/manifest.ts'
export { defenseOf } from '../../src/model/defense.ts'

export const MODELS_ROOT = 'public/models'
/** inputs longer than this many frames (URLs) are searched on KEEP_FRAMES evenly spaced frames */
export const MAX_FRAMES = 16
export const KEEP_FRAMES = 8

export const f4 = (v: number) => (Number.isFinite(v) ? v.toFixed(4) : String(v))

export interface Measured {
  /** the correctly classified examples (the paper's bounds are over those): their frames and the frames searched */
  samples: Array<{ index: number; frames: number; searched: number }>
  /** per method, per correct example: the certified bound (min over the searched frames) and its time */
  bounds: Record<Method, number[]>
  ms: Record<Method, number[]>
  /** per correct example: the PGD attack radius (bisection started from the Cert-RNN bound) */
  attack: number[]
}

/**
 * The tables' bound searches and attacks on one model, on the runner's workers: for every
 * correctly classified example, each method's per-frame bounds over all frames (or
 * KEEP_FRAMES evenly spaced ones for inputs longer than MAX_FRAMES), then (a second batch,
 * started from the Cert-RNN bounds) the PGD attack radius.
 */
export async function boundsAndAttacks(runner: JobRunner, model: string, net: NetworkIR, examples: SampleInput[], methods: readonly Method[]): Promise<Measured> {
  runner.models.set(model, net)
  const cn = compileNetwork(net)
  const preps = examples.map((ex) => prepareSample(cn, ex))
  const correct = examples.map((_ex, index) => index).filter((k) => examples[k].label === undefined || examples[k].label === preps[k].predicted)
  const frames = correct.map((k) => auditedFrames(preps[k].frames.length, MAX_FRAMES, KEEP_FRAMES))
  const m: Measured = { samples: correct.map((index, c) => ({ index, frames: preps[index].frames.length, searched: frames[c].length })), bounds: { certrnn: [], deepz: [], interval: [], tight: [] }, ms: { certrnn: [], deepz: [], interval: [], tight: [] }, attack: [] }
  const settings = { threat: { kind: 'single' as const }, margin: 'diff' as const, search: 'fast' as const }
  const searches = correct.flatMap((k, c) => methods.map((method) => ({ c, method, job: { kind: 'bound' as const, input: examples[k], method, ...settings, frames: frames[c].length < preps[k].frames.length ? frames[c] : undefined } })))
  const bounds = await runner.run<BoundSummary>(
    searches.map((s) => ({ model, job: s.job })),
    { describe: (j) => `${model} example ${correct[searches[j].c]}, ${searches[j].method}` },
  )
  bounds.forEach((r, j) => {
    m.bounds[searches[j].method].push(r.result.bound)
    m.ms[searches[j].method].push(r.ms)
  })
  const attacks = await runner.run<AttackSummary>(
    correct.map((k, c) => ({ model, job: { kind: 'attack', input: examples[k], threat: { kind: 'single' }, steps: 20, restarts: 5, seed: k + 1, frames: frames[c], guess: m.bounds.certrnn[c] || 1e-3 } })),
    { describe: (c) => `${model} example ${correct[c]}, attack` },
  )
  m.attack = attacks.map((r) => r.radius)
  return m
}

/**
 * The first `count` examples of a zoo model (`path` under `root`): its examples.json, and for
 * an MNIST model asked for more than it ships (20), the next of the first 100 MNIST test
 * digits (public/models/mnist-examples.json, the same 4-decimal pixels: the shipped ones are
 * the first 20 of them, tested). Asking for more than exist gives all there are, with a note
 * on stderr (the tables count their samples).
 */
export function readExamples(path: string, count = Infinity, opts: { task?: string; root?: string; log?: (s: string) => void } = {}): Array<SampleInput & { text?: string }> {
  const root = opts.root ?? MODELS_ROOT
  const j = JSON.parse(readFileSync(join(root, path, 'examples.json'), 'utf8'))
  const own = (Array.isArray(j) ? j : j.examples) as Array<SampleInput & { text?: string }>
  if (own.length >= count) return own.slice(0, count)
  let all = own
  if (opts.task === 'mnist' && own.length > 0 && own[0].x) {
    const shared = JSON.parse(readFileSync(join(root, SHARED_MNIST), 'utf8')) as SharedDigits
    all = [...own, ...digitsAsFrames(shared, own[0].x.length, count - own.length, examplePixel, own.length)]
  }
  if (all.length < count && Number.isFinite(count)) (opts.log ?? ((s: string) => console.error(s)))(`${path}: ${count} examples asked for, ${all.length} available (${opts.task === 'mnist' ? `the first ${all.length} MNIST test digits are bundled` : 'the examples the model ships'}): using ${all.length}`)
  return all
}

export const headerLine = (command: string, minutes: number) => `Generated by \`${command}\` on ${new Date().toISOString().slice(0, 10)} (Node ${process.version}); ${minutes.toFixed(1)} min.`

