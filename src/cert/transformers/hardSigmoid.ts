/**
 * The unit hard sigmoid h(x) = clip(x + 1/2, 0, 1) and the two cell products with it,
 * h(x)·tanh(y) and x·h(y). A gate with slope s (Keras 2 / TF.js: s = 0.2, Keras 3:
 * relu6(x + 3)/6, s = 1/6) is h(s·z): the cells scale the gate's pre-activation weights by
 * s (layers/domain.ts, `scaleCols`), so the transformers need no parameter.
 *
 * h is piecewise linear with kinks at ±1/2, so every residual extreme lies at a box edge, a
 * kink, or (for tanh in y) where the one-variable derivative in y matches B:
 * - h(x): secant slope (Cert-RNN), residual extremes at l, u and the kinks inside;
 * - h(x)·tanh(y) − A·x − B·y: for fixed y it is piecewise linear in x (kinks ±1/2), so
 *   its extremes over x are at x ∈ {lx, ux, kinks}; at each such x it is
 *   h(x)·tanh(y) − B·y, stationary where tanh'(y) = B/h(x);
 * - x·h(y) − A·x − B·y: linear in x (x ∈ {lx, ux}) and piecewise linear in y
 *   (y ∈ {ly, uy, kinks}).
 */
import type { BinaryPlaneFn, TransformerModule } from './plane.ts'
import { bilinearPlane, cornerPlane, planeFromResiduals, residualScale } from './plane.ts'
import { gateTanhCertrnn } from './sigmoidTanh.ts'
import { tanhPlanes, tanhSlopePoints } from './tanh.ts'
import type { SShape } from './unary.ts'
import { unaryModule } from './unary.ts'

export const hardSigmoid = (x: number): number => (x <= -0.5 ? 0 : x >= 0.5 ? 1 : x + 0.5)

/** The kinks of h. */
export const HARD_SIGMOID_KINKS = [-0.5, 0.5] as const

const inside = (v: number, l: number, u: number) => v > l && v < u
const kinksIn = (l: number, u: number) => HARD_SIGMOID_KINKS.filter((k) => inside(k, l, u))

/**
 * As an S-shape: h'(x) is 1 on (−1/2, 1/2) and 0 outside (at a kink the smaller one-sided
 * slope, 0, so DeepZ's min-slope rule is sound); the residual's interior candidates for any
 * slope are the kinks.
 */
export const hardSigmoidShape: SShape = {
  f: hardSigmoid,
  fPrime: (x) => (x > -0.5 && x < 0.5 ? 1 : 0),
  slopePoints: () => [...HARD_SIGMOID_KINKS],
}

export const hardSigmoidPlanes = unaryModule(hardSigmoidShape)

const hTanh = (x: number, y: number) => hardSigmoid(x) * Math.tanh(y)
const xH = (x: number, y: number) => x * hardSigmoid(y)

/** Candidates for the extremes of h(x)·tanh(y) − A·x − B·y over the box (exact, see above). */
export function hardSigmoidTanhCandidates(b: number, lx: number, ux: number, ly: number, uy: number): Array<[number, number]> {
  const pts: Array<[number, number]> = []
  for (const x of [lx, ux, ...kinksIn(lx, ux)]) {
    pts.push([x, ly], [x, uy])
    const h = hardSigmoid(x)
    if (h > 0) for (const y of tanhSlopePoints(b / h)) if (inside(y, ly, uy)) pts.push([x, y])
  }
  return pts
}

/** Candidates for the extremes of x·h(y) − A·x − B·y over the box (exact, see above). */
export function xHardSigmoidCandidates(lx: number, ux: number, ly: number, uy: number): Array<[number, number]> {
  const pts: Array<[number, number]> = []
  for (const y of [ly, uy, ...kinksIn(ly, uy)]) pts.push([lx, y], [ux, y])
  return pts
}

/** Cert-RNN: the slopes of Theorem 4.2 with h for σ; exact residual extremes. */
export const hardSigmoidTanhCertrnn: BinaryPlaneFn = gateTanhCertrnn(hardSigmoid, (_a, b, lx, ux, ly, uy) => hardSigmoidTanhCandidates(b, lx, ux, ly, uy))

/** Cert-RNN: the slopes of Theorem 4.3 with h for σ; exact residual extremes. */
export const xHardSigmoidCertrnn: BinaryPlaneFn = (lx, ux, ly, uy) => {
  const hl = hardSigmoid(ly), hu = hardSigmoid(uy)
  const a = (hl + hu) / 2
  const b = uy > ly ? ((lx + ux) * (hu - hl)) / (2 * (uy - ly)) : 0
  const residuals = xHardSigmoidCandidates(lx, ux, ly, uy).map(([x, y]) => xH(x, y) - a * x - b * y)
  return planeFromResiduals(a, b, residuals, residualScale(a, b, { lx, ux, ly, uy }, Math.max(Math.abs(lx), Math.abs(ux))))
}

/** DeepZ: the one-variable transformers first, then the bilinear product. */
export const hardSigmoidTanhDeepz: BinaryPlaneFn = (lx, ux, ly, uy) => {
  const s = hardSigmoidPlanes.deepz(lx, ux)
  const t = tanhPlanes.deepz(ly, uy)
  return bilinearPlane({ lx, ux, ly, uy }, s, { a: 0, b: t.a, c1: t.c1, c2: t.c2 })
}

export const xHardSigmoidDeepz: BinaryPlaneFn = (lx, ux, ly, uy) => {
  const s = hardSigmoidPlanes.deepz(ly, uy)
  return bilinearPlane({ lx, ux, ly, uy }, { a: 1, b: 0, c1: 0, c2: 0 }, { a: 0, b: s.a, c1: s.c1, c2: s.c2 })
}

/** Interval: both products are monotone in each variable (h ≥ 0), so the corners span the range. */
export const hardSigmoidTanhPlanes: TransformerModule<BinaryPlaneFn> = {
  interval: (lx, ux, ly, uy) => cornerPlane(hTanh, lx, ux, ly, uy),
  deepz: hardSigmoidTanhDeepz,
  certrnn: hardSigmoidTanhCertrnn,
}

export const xHardSigmoidPlanes: TransformerModule<BinaryPlaneFn> = {
  interval: (lx, ux, ly, uy) => cornerPlane(xH, lx, ux, ly, uy),
  deepz: xHardSigmoidDeepz,
  certrnn: xHardSigmoidCertrnn,
}
