/**
 * Parallel planes with ANY slopes (the tight method's optimised planes): for a slope pair
 * (A, B) the offsets C1, C2 are the exact minimum and maximum of the residual
 * g = f − A·x − B·y over the box, found by the same candidate enumerations as Cert-RNN's
 * planes (those enumerate the residual's critical points for every slope pair, not just the
 * paper's). Slopes only change precision; these offsets make every choice sound.
 *
 * Also returns where the extremes are: by the envelope theorem ∂C1/∂A = −x at the
 * minimiser (likewise for C2, B and y), the gradient the slope optimisation follows.
 */
import { PRODUCT, UNARY } from '../domains/float64.ts'
import { hardSigmoidTanhCandidates, HARD_SIGMOID_KINKS, xHardSigmoidCandidates } from './hardSigmoid.ts'
import type { PlaneBox, TransformerKind } from './plane.ts'
import { residualScale } from './plane.ts'
import { sigmoidSlopePoints } from './sigmoid.ts'
import { sigmoidTanhCandidates } from './sigmoidTanh.ts'
import { tanhSlopePoints } from './tanh.ts'
import { xSigmoidCandidates } from './xSigmoid.ts'

/** The residual's extremes over the box for given slopes, and where they are attained. */
export interface Extremes {
  a: number
  b: number
  /** offsets, padded for float64 rounding like every plane's */
  c1: number
  c2: number
  /** a minimiser and a maximiser of the residual */
  x1: number
  y1: number
  x2: number
  y2: number
}

/** Every transformer's function of (x, y) (one-variable ones ignore y): the float64 domain's. */
export const PLANE_FUNCTIONS: Record<TransformerKind, (x: number, y: number) => number> = {
  tanh: (x) => UNARY.tanh(x),
  sigmoid: (x) => UNARY.sigmoid(x),
  relu: (x) => UNARY.relu(x),
  hardSigmoid: (x) => UNARY.hardSigmoid(x),
  ...PRODUCT,
  mul: (x, y) => x * y,
}

const inside = (v: number, l: number, u: number) => v > l && v < u

/** Points that contain the residual's extremes over the box (one-variable kinds: y = 0). */
export function residualCandidates(kind: TransformerKind, a: number, b: number, box: PlaneBox): Array<[number, number]> {
  const { lx, ux, ly, uy } = box
  const ends = (extra: number[]): Array<[number, number]> => [lx, ux, ...extra.filter((x) => inside(x, lx, ux))].map((x) => [x, 0])
  switch (kind) {
    case 'tanh':
      return ends(tanhSlopePoints(a))
    case 'sigmoid':
      return ends(sigmoidSlopePoints(a))
    case 'hardSigmoid':
      return ends([...HARD_SIGMOID_KINKS])
    case 'relu':
      return ends([0])
    case 'sigmoidTanh':
      return sigmoidTanhCandidates(a, b, lx, ux, ly, uy)
    case 'xSigmoid':
      return xSigmoidCandidates(b, lx, ux, ly, uy)
    case 'hardSigmoidTanh':
      return hardSigmoidTanhCandidates(b, lx, ux, ly, uy)
    case 'xHardSigmoid':
      return xHardSigmoidCandidates(lx, ux, ly, uy)
    case 'mul':
      // x·y − A·x − B·y is linear along every edge and has no interior extremum (a saddle)
      return [
        [lx, ly],
        [lx, uy],
        [ux, ly],
        [ux, uy],
      ]
  }
}

/** The largest |f| over the box, for the rounding margin. */
function fMax(kind: TransformerKind, box: PlaneBox): number {
  const mx = Math.max(Math.abs(box.lx), Math.abs(box.ux))
  const my = Math.max(Math.abs(box.ly), Math.abs(box.uy))
  if (kind === 'xSigmoid' || kind === 'xHardSigmoid' || kind === 'relu') return mx
  if (kind === 'mul') return mx * my
  return 1
}

/** The plane with slopes (a, b) over the box and exact (padded) residual extremes. */
export function planeWithSlopes(kind: TransformerKind, a: number, b: number, box: PlaneBox): Extremes {
  const f = PLANE_FUNCTIONS[kind]
  let lo = Infinity, hi = -Infinity
  let x1 = box.lx, y1 = box.ly, x2 = box.lx, y2 = box.ly
  for (const [x, y] of residualCandidates(kind, a, b, box)) {
    const g = f(x, y) - a * x - b * y
    if (g < lo) [lo, x1, y1] = [g, x, y]
    if (g > hi) [hi, x2, y2] = [g, x, y]
  }
  const pad = 1e-15 + 1e-14 * residualScale(a, b, box, fMax(kind, box))
  return { a, b, c1: lo - pad, c2: hi + pad, x1, y1, x2, y2 }
}
