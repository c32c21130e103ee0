import type { SShape } from './unary.ts'
import { unaryModule } from './unary.ts'
import { tanhPrime } from './plane.ts'

/** tanh'(x) = 1 − tanh²(x) = a  ⇔  x = ±artanh(√(1 − a)), for 0 < a ≤ 1. */
export function tanhSlopePoints(a: number): number[] {
  if (!(a > 0 && a <= 1)) return []
  // 1 − tanh²x = sech²x: acosh(1/√a) is well conditioned for small a, artanh near a = 1
  const x = a > 0.5 ? Math.atanh(Math.sqrt(1 - a)) : Math.acosh(1 / Math.sqrt(a))
  return Number.isFinite(x) ? [-x, x] : []
}

export const tanhShape: SShape = { f: Math.tanh, fPrime: tanhPrime, slopePoints: tanhSlopePoints }

export const tanhPlanes = unaryModule(tanhShape)
