import type { SShape } from './unary.ts'
import { unaryModule } from './unary.ts'
import { sigmoid, sigmoidPrime } from './plane.ts'

/**
 * σ'(x) = p(1 − p) = a with p = σ(x)  ⇔  p = (1 ± √(1 − 4a))/2, for 0 < a ≤ 1/4.
 * The smaller root is written 2a/(1 + √(1 − 4a)) to avoid cancellation; the two points
 * are symmetric about 0.
 */
export function sigmoidSlopePoints(a: number): number[] {
  if (!(a > 0 && a <= 0.25)) return []
  const p = (2 * a) / (1 + Math.sqrt(1 - 4 * a))
  const x = Math.log(p / (1 - p))
  return Number.isFinite(x) ? [x, -x] : []
}

export const sigmoidShape: SShape = { f: sigmoid, fPrime: sigmoidPrime, slopePoints: sigmoidSlopePoints }

export const sigmoidPlanes = unaryModule(sigmoidShape)
