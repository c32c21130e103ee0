/**
 * The max of T zonotopes, per variable (GlobalMaxPooling1D over the steps of a sequence):
 * y_i = max_k x_{k,i}. Sound, for every method:
 * - the box: y_i ∈ [L_i, U_i] with L_i = max_k lo(x_{k,i}), U_i = max_k hi(x_{k,i});
 * - the step j with the largest lower bound plus a one-sided fresh symbol: y_i − x_{j,i} =
 *   max(0, max_{k≠j} (x_{k,i} − x_{j,i})) ∈ [0, D_i] with D_i = max_{k≠j} hi(x_k − x_j)_i
 *   (the difference zonotopes, where shared symbols cancel), so y_i = x_{j,i} + D_i/2 +
 *   (D_i/2)·e_new; exact (y_i = x_{j,i}) when D_i ≤ 0, i.e. when step j dominates.
 * The step's interval is never narrower than the box's (D_i ≥ U_i − hi(x_j)_i), but it
 * keeps x_j's symbols, and so its correlation with everything downstream: a variable takes
 * the step when its fresh width is at most half the box's, D_i < (U_i − L_i)/2, else the
 * box; always the box when `boxOnly` (interval propagation). The choice per variable is
 * returned for the trace.
 */
import type { SymbolSource, Zonotope } from '../zonotope.ts'
import { diagonalAppend, zonotopeBounds, zonotopeConcat, zonotopeConstant, zonotopeSlice, zonotopeSub } from '../zonotope.ts'

export type MaxChoice = 'exact' | 'step' | 'box'

export interface MaxResult {
  z: Zonotope
  /** per variable: how its max was bounded */
  choice: MaxChoice[]
  /** per variable: the step kept (exact, step), or −1 (box) */
  step: number[]
}

export function zonotopeMax(parts: Zonotope[], symbols: SymbolSource, boxOnly: boolean): MaxResult {
  if (parts.length === 0) throw new Error('max of an empty sequence')
  const n = parts[0].n
  const bounds = parts.map((p) => zonotopeBounds(p))
  const L = new Float64Array(n).fill(-Infinity)
  const U = new Float64Array(n).fill(-Infinity)
  const best = new Int32Array(n)
  for (let k = 0; k < parts.length; k++) {
    for (let i = 0; i < n; i++) {
      if (bounds[k].lo[i] > L[i]) {
        L[i] = bounds[k].lo[i]
        best[i] = k
      }
      U[i] = Math.max(U[i], bounds[k].hi[i])
    }
  }
  // D_i = max over k ≠ j of hi(x_k − x_j)_i, one difference zonotope per pair in use
  const D = new Float64Array(n).fill(-Infinity)
  if (!boxOnly) {
    for (const j of new Set(best)) {
      for (let k = 0; k < parts.length; k++) {
        if (k === j) continue
        const hi = zonotopeBounds(zonotopeSub(parts[k], parts[j])).hi
        for (let i = 0; i < n; i++) if (best[i] === j) D[i] = Math.max(D[i], hi[i])
      }
    }
  }
  const choice: MaxChoice[] = []
  const step: number[] = []
  const rows: Zonotope[] = []
  const shift = new Float64Array(n)
  const fresh = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    const j = best[i]
    const boxRadius = (U[i] - L[i]) / 2
    if (!boxOnly && (parts.length === 1 || D[i] <= 0)) {
      choice.push('exact')
      step.push(j)
      rows.push(zonotopeSlice(parts[j], i, 1))
    } else if (!boxOnly && D[i] < boxRadius) {
      choice.push('step')
      step.push(j)
      rows.push(zonotopeSlice(parts[j], i, 1))
      shift[i] = D[i] / 2
      fresh[i] = D[i] / 2
    } else {
      choice.push('box')
      step.push(-1)
      rows.push(zonotopeConstant([(L[i] + U[i]) / 2]))
      fresh[i] = boxRadius
    }
  }
  const stacked = zonotopeConcat(rows)
  const c = stacked.c.slice()
  for (let i = 0; i < n; i++) c[i] += shift[i]
  return { z: diagonalAppend({ ...stacked, c }, fresh, symbols), choice, step }
}
