/** The defenses comparison's slice of the app's store: the chosen original and the run's results. */

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

/**
 * The comparison's default number of inputs: 4 inputs × 5 models of bound searches and PGD
 * attacks finish in under 30 s on two cores (docs/benchmark.md, "The page"); more can be asked for.
 */
export const DEFAULT_DEFENSE_INPUTS = 4

export interface DefensesSlice {
  defenses: DefenseState
}

export const createDefensesSlice = (): DefensesSlice => ({
  defenses: { base: null, n: DEFAULT_DEFENSE_INPUTS, status: 'idle', error: null, results: [], done: 0, total: 0, startedAt: null, finishedAt: null },
})
