/** The interface every recurrent cell implements, concretely (float64) and abstractly. */
import type { Zonotope } from '../zonotope.ts'
import type { AbstractContext } from './context.ts'
import type { Matrix } from '../network.ts'
import { transpose } from '../network.ts'

export type ConcreteRecorder = (op: string, values: Float64Array) => void

export interface Cell {
  units: number
  /** number of state vectors (LSTM: h and c; others: h) */
  stateParts: number
  /**
   * The float64 step. `record`, when given, receives the value of every operation under the
   * same name the abstract step traces it (so sampled points can be drawn beside zonotopes).
   */
  concreteStep(x: Float64Array, state: Float64Array[], record?: ConcreteRecorder): Float64Array[]
  abstractStep(x: Zonotope, state: Zonotope[], ctx: AbstractContext): Zonotope[]
}

/** Rows [gate·units, (gate + count)·units) of a transposed kernel (k·units × in). */
export function gateRows(kernel: Matrix, units: number, gate: number, count = 1): Float64Array {
  const t = transpose(kernel)
  return t.slice(gate * units * kernel.rows, (gate + count) * units * kernel.rows)
}

export function affineConcrete(terms: Array<[Float64Array, Float64Array]>, out: number, b?: ArrayLike<number>): Float64Array {
  const y = new Float64Array(out)
  if (b) for (let o = 0; o < out; o++) y[o] = b[o]
  for (const [W, x] of terms) {
    const n = x.length
    for (let o = 0; o < out; o++) {
      let s = 0
      const base = o * n
      for (let i = 0; i < n; i++) s += W[base + i] * x[i]
      y[o] += s
    }
  }
  return y
}

