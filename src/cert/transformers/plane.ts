/**
 * Parallel planes: A·x + B·y + C1 ≤ f(x, y) ≤ A·x + B·y + C2 over a box.
 * One-variable functions use B = 0 and ly = uy = 0.
 *
 * Soundness rests on C1 and C2 alone: they must be the true minimum and maximum of the
 * residual g = f − A·x − B·y over the box. Slopes only change precision.
 */
export interface Plane {
  a: number
  b: number
  c1: number
  c2: number
}

/** The input box of one neuron's transformer. */
export interface PlaneBox {
  lx: number
  ux: number
  ly: number
  uy: number
}

export type UnaryKind = 'tanh' | 'sigmoid' | 'relu' | 'hardSigmoid'
export const UNARY_KINDS: readonly UnaryKind[] = ['tanh', 'sigmoid', 'relu', 'hardSigmoid']
export const isUnaryKind = (kind: string): kind is UnaryKind => (UNARY_KINDS as readonly string[]).includes(kind)
export type BinaryKind = 'sigmoidTanh' | 'xSigmoid' | 'hardSigmoidTanh' | 'xHardSigmoid' | 'mul'
export type TransformerKind = UnaryKind | BinaryKind

export type UnaryPlaneFn = (l: number, u: number) => Plane
export type BinaryPlaneFn = (lx: number, ux: number, ly: number, uy: number) => Plane

/** What one transformer module exports: the plane of each family for its nonlinearity. */
export interface TransformerModule<F> {
  interval: F
  deepz: F
  certrnn: F
}

export const sigmoid = (x: number): number =>
  x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))

export const sigmoidPrime = (x: number): number => {
  const s = sigmoid(x)
  return s * (1 - s)
}

export const tanhPrime = (x: number): number => {
  const t = Math.tanh(x)
  return 1 - t * t
}

/**
 * Offsets from residual values sampled at the candidate points (which must include the
 * true extremes), widened by a small margin for float64 rounding in f and in A·x + B·y.
 */
export function planeFromResiduals(a: number, b: number, residuals: number[], scale: number): Plane {
  const range = new ResidualRange()
  for (const g of residuals) range.add(g)
  return range.plane(a, b, scale)
}

/**
 * Running extremes of residual values (planeFromResiduals without the array): the plane
 * solves feed their candidates' residuals one by one, allocating nothing per candidate.
 */
export class ResidualRange {
  lo = Infinity
  hi = -Infinity
  reset(): this {
    this.lo = Infinity
    this.hi = -Infinity
    return this
  }
  add(g: number): void {
    if (g < this.lo) this.lo = g
    if (g > this.hi) this.hi = g
  }
  plane(a: number, b: number, scale: number): Plane {
    const pad = 1e-15 + 1e-14 * scale
    return { a, b, c1: this.lo - pad, c2: this.hi + pad }
  }
}

/** Receives candidate points (x, y) of a two-variable plane solve. */
export interface CandidateSink {
  add(x: number, y: number): void
}

/**
 * The residual f(x, y) − A·x − B·y of each candidate point, into a running range: the
 * two-variable solves keep one per module and reuse it (`start` before each solve).
 */
export class ResidualSink implements CandidateSink {
  private a = 0
  private b = 0
  readonly range = new ResidualRange()
  private readonly f: (x: number, y: number) => number
  constructor(f: (x: number, y: number) => number) {
    this.f = f
  }
  start(a: number, b: number): this {
    this.a = a
    this.b = b
    this.range.reset()
    return this
  }
  add(x: number, y: number): void {
    this.range.add(this.f(x, y) - this.a * x - this.b * y)
  }
  plane(scale: number): Plane {
    return this.range.plane(this.a, this.b, scale)
  }
}

/** The box's four corners, the first candidates of every two-variable solve. */
export function addCorners(out: CandidateSink, lx: number, ux: number, ly: number, uy: number): void {
  out.add(lx, ly)
  out.add(lx, uy)
  out.add(ux, ly)
  out.add(ux, uy)
}

/** Collects candidate points as a list (what the candidate enumerations export). */
export class PointList implements CandidateSink {
  readonly pts: Array<[number, number]> = []
  add(x: number, y: number): void {
    this.pts.push([x, y])
  }
}

/** Scale of the terms of the residual, for the rounding margin. */
export function residualScale(a: number, b: number, box: PlaneBox, fMax: number): number {
  return (
    Math.abs(a) * Math.max(Math.abs(box.lx), Math.abs(box.ux)) +
    Math.abs(b) * Math.max(Math.abs(box.ly), Math.abs(box.uy)) +
    fMax
  )
}

/** Evaluate a plane. */

/** The box's centre and radius in one variable. */
export const mid = (l: number, u: number) => (l + u) / 2
export const rad = (l: number, u: number) => (u - l) / 2

/** Corners of the box: interval extremes of functions monotone in each variable. */
export function cornerPlane(f: (x: number, y: number) => number, lx: number, ux: number, ly: number, uy: number): Plane {
  const v = [f(lx, ly), f(lx, uy), f(ux, ly), f(ux, uy)]
  return planeFromResiduals(0, 0, v, Math.max(...v.map(Math.abs)))
}

/**
 * The DeepZ plane of a product S·T of two affine forms in the inputs,
 * S = sa·x + sb·y + sMid ± sRad (a symbol of its own), likewise T, via the bilinear
 * rule S·T ∈ cS·T + cT·S − cS·cT ± rS·rT, where cS and rS are the centre and radius of S
 * over the box. Everything is folded into one plane over (x, y) with one fresh symbol.
 */
export function bilinearPlane(
  box: PlaneBox,
  S: { a: number; b: number; c1: number; c2: number },
  T: { a: number; b: number; c1: number; c2: number },
): Plane {
  const cx = mid(box.lx, box.ux)
  const rx = rad(box.lx, box.ux)
  const cy = mid(box.ly, box.uy)
  const ry = rad(box.ly, box.uy)
  const sMid = (S.c1 + S.c2) / 2
  const sErr = (S.c2 - S.c1) / 2
  const tMid = (T.c1 + T.c2) / 2
  const tErr = (T.c2 - T.c1) / 2
  const cS = S.a * cx + S.b * cy + sMid
  const rS = Math.abs(S.a) * rx + Math.abs(S.b) * ry + sErr
  const cT = T.a * cx + T.b * cy + tMid
  const rT = Math.abs(T.a) * rx + Math.abs(T.b) * ry + tErr
  // cS·T + cT·S − cS·cT, with S and T written out in x and y
  const a = cS * T.a + cT * S.a
  const b = cS * T.b + cT * S.b
  const off = cS * tMid + cT * sMid - cS * cT
  const w = Math.abs(cS) * tErr + Math.abs(cT) * sErr + rS * rT
  const scale = Math.abs(off) + w + Math.abs(a) * Math.max(Math.abs(box.lx), Math.abs(box.ux)) + Math.abs(b) * Math.max(Math.abs(box.ly), Math.abs(box.uy))
  const pad = 1e-15 + 1e-14 * scale
  return { a, b, c1: off - w - pad, c2: off + w + pad }
}
