/**
 * z = x·σ(y) (Theorem 4.3; LSTM f⊙c_{t−1}, GRU gates).
 */
import type { BinaryPlaneFn, CandidateSink, TransformerModule } from './plane.ts'
import { addCorners, bilinearPlane, cornerPlane, PointList, ResidualSink, residualScale, sigmoid } from './plane.ts'
import { sigmoidPlanes, sigmoidSlopePoints } from './sigmoid.ts'

const f = (x: number, y: number) => x * sigmoid(y)

/**
 * Candidates for the residual's extremes, into `out`. The Hessian determinant is −σ'(y)² < 0,
 * so there is no interior extremum; on edges y = const the residual is linear in x (corners
 * only); on edges x = xe ≠ 0: xe·σ'(y) = B.
 */
function eachXSigmoidCandidate(b: number, lx: number, ux: number, ly: number, uy: number, out: CandidateSink): void {
  addCorners(out, lx, ux, ly, uy)
  for (let e = 0; e < 2; e++) {
    const xe = e === 0 ? lx : ux
    if (xe === 0) continue
    for (const y of sigmoidSlopePoints(b / xe)) if (y > ly && y < uy) out.add(xe, y)
  }
}

/** Candidates for the residual's extremes (see eachXSigmoidCandidate) as a list. */
export function xSigmoidCandidates(b: number, lx: number, ux: number, ly: number, uy: number): Array<[number, number]> {
  const list = new PointList()
  eachXSigmoidCandidate(b, lx, ux, ly, uy, list)
  return list.pts
}

const residuals = new ResidualSink(f)

export const xSigmoidCertrnn: BinaryPlaneFn = (lx, ux, ly, uy) => {
  const sl = sigmoid(ly), su = sigmoid(uy)
  const a = (sl + su) / 2
  const b = uy > ly ? ((lx + ux) * (su - sl)) / (2 * (uy - ly)) : 0
  residuals.start(a, b)
  eachXSigmoidCandidate(b, lx, ux, ly, uy, residuals)
  const fMax = Math.max(Math.abs(lx), Math.abs(ux))
  return residuals.plane(residualScale(a, b, { lx, ux, ly, uy }, fMax))
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
