/**
 * z = x·σ(y) (Theorem 4.3; LSTM f⊙c_{t−1}, GRU gates).
 */
import type { BinaryPlaneFn, TransformerModule } from './plane.ts'
import { bilinearPlane, cornerPlane, planeFromResiduals, residualScale, sigmoid } from './plane.ts'
import { sigmoidPlanes, sigmoidSlopePoints } from './sigmoid.ts'

const f = (x: number, y: number) => x * sigmoid(y)

/**
 * Candidates for the residual's extremes. The Hessian determinant is −σ'(y)² < 0, so there
 * is no interior extremum; on edges y = const the residual is linear in x (corners only);
 * on edges x = xe ≠ 0: xe·σ'(y) = B.
 */
export function xSigmoidCandidates(b: number, lx: number, ux: number, ly: number, uy: number): Array<[number, number]> {
  const pts: Array<[number, number]> = [[lx, ly], [lx, uy], [ux, ly], [ux, uy]]
  for (const xe of [lx, ux]) {
    if (xe === 0) continue
    for (const y of sigmoidSlopePoints(b / xe)) if (y > ly && y < uy) pts.push([xe, y])
  }
  return pts
}

export const xSigmoidCertrnn: BinaryPlaneFn = (lx, ux, ly, uy) => {
  const sl = sigmoid(ly), su = sigmoid(uy)
  const a = (sl + su) / 2
  const b = uy > ly ? ((lx + ux) * (su - sl)) / (2 * (uy - ly)) : 0
  const pts = xSigmoidCandidates(b, lx, ux, ly, uy)
  const residuals = pts.map(([x, y]) => f(x, y) - a * x - b * y)
  const fMax = Math.max(Math.abs(lx), Math.abs(ux))
  return planeFromResiduals(a, b, residuals, residualScale(a, b, { lx, ux, ly, uy }, fMax))
}

/** DeepZ: the sigmoid transformer on y, then the bilinear product with x. */
export const xSigmoidDeepz: BinaryPlaneFn = (lx, ux, ly, uy) => {
  const s = sigmoidPlanes.deepz(ly, uy)
  return bilinearPlane({ lx, ux, ly, uy }, { a: 1, b: 0, c1: 0, c2: 0 }, { a: 0, b: s.a, c1: s.c1, c2: s.c2 })
}

export const xSigmoidInterval: BinaryPlaneFn = (lx, ux, ly, uy) => cornerPlane(f, lx, ux, ly, uy)

export const xSigmoidPlanes: TransformerModule<BinaryPlaneFn> = {
  interval: xSigmoidInterval,
  deepz: xSigmoidDeepz,
  certrnn: xSigmoidCertrnn,
}
