/**
 * One sample's single-frame bound search split across a pool of workers: the frames are
 * dealt out round-robin (frame t's search costs about T − t steps, so every part gets a
 * fair share of cheap and dear frames), each part is a bound job over its frames, and the
 * per-frame bounds are put back together. Split only where that gives the very bounds of
 * one search: the paper search starts every frame's search afresh; the fast search starts
 * each frame from the previous frame's bound, so its frames stay together in one job.
 */
import type { BoundResult } from '../cert/index.ts'
import { CancelledError } from '../cert/index.ts'
import type { Executor } from '../run/batch.ts'
import { runBatch, valuesOf } from '../run/batch.ts'
import type { BoundSummary, Job, JobResult, Progress } from './protocol.ts'

export type BoundJob = Extract<Job, { kind: 'bound' }>

/** The frames of each part: `parts` round-robin shares of 0…T−1 (fewer when T is smaller). */
export function frameParts(T: number, parts: number): number[][] {
  const n = Math.max(1, Math.min(parts, T))
  return Array.from({ length: n }, (_p, k) => Array.from({ length: Math.ceil((T - k) / n) }, (_f, j) => k + j * n))
}

/** How many parts a bound job of a T-frame input is split into on `workers` workers (1: not split). */
export function splitParts(job: BoundJob, T: number, workers: number): number {
  if (job.threat.kind !== 'single' || job.search !== 'paper' || job.frames) return 1
  return Math.max(1, Math.min(workers, T))
}

/** The parts' results as the one search's: per-frame bounds, their minimum, the evaluations spent. */
export function combineParts(parts: readonly BoundSummary[], frames: readonly number[][], ms: number): BoundSummary {
  const T = frames.reduce((n, f) => n + f.length, 0)
  const perFrame = Array.from({ length: T }, () => NaN)
  parts.forEach((p, k) => frames[k].forEach((t) => (perFrame[t] = p.result.perFrame![t])))
  const first = parts[0]
  const result: BoundResult = { ...first.result, bound: Math.min(...perFrame), perFrame, evaluations: parts.reduce((n, p) => n + p.result.evaluations, 0) }
  return { kind: 'bound', predicted: first.predicted, logits: first.logits, result, ms }
}

export interface SplitOptions {
  signal?: AbortSignal
  /** the whole search's progress (the parts' fractions weighted by their frames) */
  onProgress?: (p: Progress) => void
}

/**
 * Run a bound job as `splitParts` parts on the executor's workers (the model loaded on each)
 * and combine them; a job that is not split runs as it is. Rejects with the first part's
 * error; an aborted signal cancels every part.
 */
export async function splitBound(executor: Executor<Job, JobResult, Progress>, job: BoundJob, T: number, opts: SplitOptions = {}): Promise<BoundSummary> {
  const t0 = performance.now()
  const frames = frameParts(T, splitParts(job, T, executor.slots))
  const jobs: BoundJob[] = frames.length > 1 ? frames.map((f) => ({ ...job, frames: f })) : [job]
  const fractions = jobs.map(() => 0)
  const weight = frames.map((f) => f.length / T)
  const r = await runBatch(jobs, executor as Executor<Job, BoundSummary, Progress>, {
    signal: opts.signal,
    onProgress: (k, _slot, p) => {
      fractions[k] = p.fraction
      opts.onProgress?.({ stage: 'bound', frame: p.frame, fraction: fractions.reduce((s, f, i) => s + f * weight[i], 0) })
    },
  })
  if (r.cancelled) throw new CancelledError()
  const parts = valuesOf(r)
  return jobs.length > 1 ? combineParts(parts, frames, performance.now() - t0) : parts[0]
}
