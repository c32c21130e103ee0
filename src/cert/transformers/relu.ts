import type { Plane, TransformerModule, UnaryPlaneFn } from './plane.ts'
import { planeFromResiduals } from './plane.ts'

export const relu = (x: number): number => (x > 0 ? x : 0)

/**
 * relu(x) = max(x, 0) over [l, u]. Exact on a stable neuron (u ≤ 0: the zero plane;
 * l ≥ 0: the identity). On a crossing neuron (l < 0 < u) the DeepZ plane (Singh et al.
 * 2018): slope λ = u/(u − l), residual relu(x) − λx in [0, −λl] (its extremes at l, 0, u).
 * That parallelogram is the minimal-area zonotope relaxation of relu, so Cert-RNN uses the
 * same plane: the secant of relu over [l, u] is this slope too, and its residual extremes
 * (at the endpoints and the kink 0) are the same.
 */
export const reluZonotope: UnaryPlaneFn = (l, u) => {
  if (u <= 0) return planeFromResiduals(0, 0, [0], 0)
  if (l >= 0) return planeFromResiduals(1, 0, [0], u)
  const a = u / (u - l)
  const residuals = [l, 0, u].map((x) => relu(x) - a * x)
  return planeFromResiduals(a, 0, residuals, u - l)
}

/** Interval: [relu(l), relu(u)] (relu is monotone). */
export const reluInterval: UnaryPlaneFn = (l, u): Plane => planeFromResiduals(0, 0, [relu(l), relu(u)], Math.max(relu(l), relu(u)))

export const reluPlanes: TransformerModule<UnaryPlaneFn> = { interval: reluInterval, deepz: reluZonotope, certrnn: reluZonotope }
