/**
 * The typed message protocol between the app and the certification worker.
 * The model is sent once (`load`); every job names the model it expects.
 */
import type { BoundResult, CertifyResult, SampleInput } from '../cert/certify.ts'
import type { NetworkIR } from '../cert/network.ts'
import type { SearchKind } from '../cert/search.ts'
import type { Clip, Threat } from '../cert/threat.ts'
import type { Method } from '../cert/transformers/index.ts'
import type { MarginCheck } from '../cert/verify.ts'

export interface JobSettings {
  threat: Threat
  method: Method
  margin: MarginCheck
  clip?: Clip
}

export type Job =
  | ({ kind: 'certify'; input: SampleInput; eps: number } & JobSettings)
  | ({ kind: 'bound'; input: SampleInput; search: SearchKind; maxEps?: number } & JobSettings)
  | ({ kind: 'compare'; input: SampleInput; eps: number; search: SearchKind; methods: Method[] } & Omit<JobSettings, 'method'>)

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

export type JobResult = CertifySummary | BoundSummary | CompareSummary

export type ToWorker =
  | { type: 'load'; modelKey: string; net: NetworkIR }
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
