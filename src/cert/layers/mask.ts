/**
 * Step masks (Keras Masking, Embedding mask_zero) as the domains compute them: shared by
 * the float64 and TF.js domains (./domain.ts StepMask).
 */
import type { StepMask } from './domain.ts'

/** Per-row masks as one StepMask: a boolean when every row agrees and none is uncertain. */
export function maskOfRows(rows: Float64Array): StepMask {
  const first = rows[0]
  if ((first === 0 || first === 1) && rows.every((v) => v === first)) return first === 1
  return rows
}

/**
 * Masking(value) over a box [lo, hi] of n features (row-major rows × n): per row 1 when
 * the box is the mask point itself, 0 when some feature excludes the value, ½ otherwise.
 */
export function boxMask(lo: ArrayLike<number>, hi: ArrayLike<number>, rows: number, n: number, value: number): StepMask {
  const out = new Float64Array(rows)
  for (let s = 0; s < rows; s++) {
    let point = true
    let excluded = false
    for (let i = s * n; i < (s + 1) * n; i++) {
      if (lo[i] > value || hi[i] < value) {
        excluded = true
        break
      }
      if (lo[i] !== value || hi[i] !== value) point = false
    }
    out[s] = excluded ? 0 : point ? 1 : 0.5
  }
  return maskOfRows(out)
}

/** The one choice of a mask for a value without rows (a point or one zonotope). */
export function singleChoice(m: Float64Array, what: string): 0 | 0.5 | 1 {
  const v = m[0]
  if (m.length !== 1 || !(v === 0 || v === 0.5 || v === 1)) throw new Error(`${what}: a step mask of ${m.length} rows (${m[0]}…) for a single value`)
  return v
}
