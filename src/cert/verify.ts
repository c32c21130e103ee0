/**
 * Is the predicted label certified on the output zonotope?
 * diff (default): lower bound of the difference zonotope x_y − x_c > 0 for every c ≠ y
 *   (shared symbols cancel).
 * paper: the paper's Algorithm 1 comparison of separate intervals, lower(x_y) > upper(x_c).
 */
import type { Zonotope } from './zonotope.ts'
import { zonotopeBounds, zonotopeLinComb, zonotopeSlice } from './zonotope.ts'

export type MarginCheck = 'diff' | 'paper'
export const MARGIN_CHECKS: readonly MarginCheck[] = ['diff', 'paper']

export interface Verdict {
  certified: boolean
  /** the certified margin: min over c ≠ y of the lower bound of (x_y − x_c) under the check */
  margin: number
  /** per class c: that lower bound (NaN for c = y) */
  margins: Float64Array
  logitLo: Float64Array
  logitHi: Float64Array
}

export function verifyLabel(logits: Zonotope, label: number, check: MarginCheck): Verdict {
  const { lo, hi } = zonotopeBounds(logits)
  const k = logits.n
  const margins = new Float64Array(k).fill(NaN)
  let margin = Infinity
  for (let c = 0; c < k; c++) {
    if (c === label) continue
    let m: number
    if (check === 'diff') {
      const d = zonotopeLinComb(1, zonotopeSlice(logits, label, 1), -1, zonotopeSlice(logits, c, 1))
      m = zonotopeBounds(d).lo[0]
    } else {
      m = lo[label] - hi[c]
    }
    margins[c] = m
    if (m < margin) margin = m
  }
  return { certified: margin > 0, margin, margins, logitLo: lo, logitHi: hi }
}

/**
 * The class the verdict hinges on: c ≠ label with the smallest margin (the first of equal
 * ones; NaN margins never win), or −1 when there is none.
 */
export function weakestClass(margins: ArrayLike<number>, label: number): number {
  let worst = -1
  for (let c = 0; c < margins.length; c++) if (c !== label && (worst < 0 || margins[c] < margins[worst])) worst = c
  return worst
}
