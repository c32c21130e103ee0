/** The Evaluate tab's slice of the app's store: its settings and the current run's results. */
import type { EvalRow, MarginCheck, Method, SearchKind } from '../../cert/index.ts'
import { DEFAULT_METHODS } from '../../cert/index.ts'
import type { ParsedInputs } from './inputsFile.ts'

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
  search: SearchKind
  margin: MarginCheck
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
  /** clip the ball to the model's input domain (the Evaluate tab's own setting) */
  clip: boolean
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

export const initialEvaluation = (): EvalState => ({
  source: 'examples',
  n: DEFAULT_EVAL_N,
  methods: [...DEFAULT_METHODS],
  attack: false,
  clip: true,
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
})

export interface EvaluationSlice {
  evaluation: EvalState
}

export const createEvaluationSlice = (): EvaluationSlice => ({ evaluation: initialEvaluation() })
