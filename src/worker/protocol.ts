/**
 * The typed message protocol between the app and the certification worker.
 * The model is sent once (`load`); every job names the model it expects.
 */
import type { AuditOptions, ModelAudit } from '../attack/audit.ts'
import type { SplitPart } from './parts.ts'
import type { BoundResult, CertifyResult, Clip, Looseness, MarginCheck, Method, NetworkIR, PlaneRecord, Projection, SampleInput, SearchKind, Threat, TraceEntry, VarSelector } from '../cert/index.ts'
export interface JobSettings {
  threat: Threat
  method: Method
  margin: MarginCheck
  clip?: Clip
  /** sound order reduction: keep this many symbols of the state after every step (off when absent) */
  reduceTo?: number
  /** refinement by input splitting: runs beyond the first per certificate (off when absent or 0) */
  splits?: number
}

/**
 * PGD of the per-frame (per-token) upper bounds of a heatmap, in the page and in `npm run
 * reproduce -- sensitive-words`: 10 steps × 2 restarts, per-token radii within 1.2 % of the
 * sample attack's 20 × 5 at a quarter of the time (measured, docs/tight.md).
 */
export const PER_FRAME_PGD = { steps: 10, restarts: 2 } as const

export type Job =
  | ({ kind: 'certify'; input: SampleInput; eps: number } & JobSettings)
  | ({
      kind: 'bound'
      input: SampleInput
      search: SearchKind
      maxEps?: number
      /** single-frame threat: only these frames (a part of a search split across workers); the others' perFrame is NaN */
      frames?: number[]
    } & JobSettings)
  | ({ kind: 'compare'; input: SampleInput; eps: number; search: SearchKind; methods: Method[] } & Omit<JobSettings, 'method'>)
  | { kind: 'trace'; input: SampleInput; frames: number[]; eps: number; methods: Method[]; margin: MarginCheck; clip?: Clip; samples: number; seed?: number }
  | { kind: 'project'; traceId: number; method: Method; entry: number; vars: [VarSelector, VarSelector] }
  /** where the looseness comes from: each method's split of the margin's gap on these frames at ε (src/cert/looseness.ts) */
  | { kind: 'looseness'; input: SampleInput; frames: number[]; eps: number; methods: Method[]; margin: MarginCheck; clip?: Clip }
  /**
   * the parts of an input split on these frames at ε (refinement by splitting, src/cert/split.ts):
   * `budget` runs beyond the first (a whole number 1…MAX_SPLIT_BUDGET; the page's default
   * DEFAULT_SPLIT_BUDGET), with the method (default tight)
   */
  | { kind: 'split'; input: SampleInput; frames: number[]; eps: number; budget: number; method?: Method; margin: MarginCheck; clip?: Clip }
  | {
      kind: 'attack'
      input: SampleInput
      threat: Threat
      clip?: Clip
      maxEps?: number
      guess?: number | number[]
      /** PGD's seed (default 1), steps (20) and restarts (5) */
      seed?: number
      steps?: number
      restarts?: number
      /** single-frame threat: attack only these frames */
      frames?: number[]
      /**
       * single-frame threat: search every frame's radius to the resolution (the per-frame upper
       * bounds of a heatmap); default: only the sample's radius (frames stop once they cannot be the minimum)
       */
      everyFrame?: boolean
      /** stop a frame's bisection when its bracket is this narrow (default 2⁻¹³, the certifier's resolution) */
      resolution?: number
    }
  /** the soundness audit of the loaded model on these inputs (TF.js on the worker's current backend) */
  | { kind: 'audit'; inputs: SampleInput[]; options: Omit<AuditOptions, 'onSample'> }

/** What the worker sends back for a certify job (the zonotopes stay in the worker). */
export interface CertifySummary {
  kind: 'certify'
  predicted: number
  logits: number[]
  result: Omit<CertifyResult, 'verdicts'> & {
    verdicts: Array<{ certified: boolean; margin: number; margins: number[]; logitLo: number[]; logitHi: number[]; generators: number }>
  }
  ms: number
}

export interface BoundSummary {
  kind: 'bound'
  predicted: number
  logits: number[]
  result: BoundResult
  ms: number
}

export interface CompareSummary {
  kind: 'compare'
  predicted: number
  logits: number[]
  rows: Array<{ method: Method; certify: CertifySummary['result']; bound: BoundResult; ms: number }>
  ms: number
}

export interface TraceEntrySummary {
  layer: number
  layerName: string
  step: number | null
  op: string
  /** number of variables */
  n: number
}

/**
 * A traced certification for the visualiser: every operation's bounds and planes per
 * method, and the same operations' values for inputs sampled in the ball (sample 0 is the
 * unperturbed input). The zonotopes stay in the worker: ask for projections with `project`.
 */
export interface TraceSummary {
  kind: 'trace'
  traceId: number
  predicted: number
  logits: number[]
  frames: number[]
  eps: number
  entries: TraceEntrySummary[]
  methods: Array<{
    method: Method
    certified: boolean
    margin: number
    margins: number[]
    lo: Float64Array[]
    hi: Float64Array[]
    planes: Array<PlaneRecord | null>
    /** max pooling entries: per variable how the max was bounded ('exact', 'step', 'box') and the step kept (−1: a box) */
    max: Array<TraceEntry['max'] | null>
  }>
  /** per entry: samples × n values, row-major */
  cloud: Float64Array[]
  samples: number
  ms: number
}

/** Each method's split of the gap between the input's margin and the certified margin, by where it comes from. */
export interface LoosenessSummary {
  kind: 'looseness'
  predicted: number
  splits: Array<{ method: Method; split: Looseness }>
  ms: number
}

/** The split job's runs beyond the first: the page's default and the most a job may ask for. */
export const DEFAULT_SPLIT_BUDGET = 8
export const MAX_SPLIT_BUDGET = 64

/** The parts of a split region (./parts.ts) and the region's verdict (certified iff every part is). */
export interface SplitSummary {
  kind: 'split'
  method: Method
  predicted: number
  certified: boolean
  /** the region's margin: the smallest part's */
  margin: number
  /** abstract runs made (the whole region's included) */
  runs: number
  parts: SplitPart[]
  ms: number
}

export interface ProjectSummary extends Projection {
  kind: 'project'
  traceId: number
  method: Method
  entry: number
  ms: number
}

/** The results of the certify view's three actions. */
export type RunResult = CertifySummary | BoundSummary | CompareSummary

/** The PGD attack radius: an upper bound on the true robustness radius. */
export interface AttackSummary {
  kind: 'attack'
  predicted: number
  /** smallest ε at which PGD found a float64-verified adversarial input (Infinity: none up to maxEps) */
  radius: number
  /** single-frame threat: each frame's radius (NaN: not attacked); exact only with `everyFrame`, else frames that cannot be the minimum stop early (a larger value or Infinity) */
  perFrame: number[] | null
  /** the adversarial input at `radius` */
  adversarial: number[][] | null
  frame: number | null
  /** the model's logits on the adversarial input */
  adversarialLogits: number[] | null
  ms: number
}

export interface AuditSummary {
  kind: 'audit'
  audit: ModelAudit
  ms: number
}

export type JobResult = RunResult | TraceSummary | ProjectSummary | LoosenessSummary | SplitSummary | AttackSummary | AuditSummary

export type ToWorker =
  | {
      type: 'load'
      modelKey: string
      net: NetworkIR
      /** refuse inputs longer than this (default MAX_FRAMES; the command line checks its own --max-frames first and sends Infinity) */
      maxFrames?: number
    }
  | { type: 'run'; id: number; modelKey: string; job: Job }
  | { type: 'cancel'; id: number }

export interface Progress {
  /** e.g. 'certify', 'bound', 'compare: deepz' */
  stage: string
  /** the frame being searched, if any */
  frame: number | null
  /** 0…1 */
  fraction: number
}

export type FromWorker =
  | { type: 'loaded'; modelKey: string; classes: number; frameSize: number }
  | { type: 'loadError'; modelKey: string; message: string }
  | { type: 'progress'; id: number; progress: Progress }
  | { type: 'result'; id: number; result: JobResult }
  | { type: 'error'; id: number; message: string }
  | { type: 'cancelled'; id: number }
