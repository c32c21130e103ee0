import type { Plane, TransformerModule, UnaryPlaneFn } from './plane.ts'
import { planeFromResiduals } from './plane.ts'

/** A monotone increasing S-shaped function with what the planes need of it. */
export interface SShape {
  f: (x: number) => number
  fPrime: (x: number) => number
  /** Points where f'(x) = a (empty when none). */
  slopePoints: (a: number) => number[]
}

function constantPlane(v: number): Plane {
  return planeFromResiduals(0, 0, [v], Math.abs(v))
}

function linePlane(s: SShape, a: number, l: number, u: number, candidates: number[]): Plane {
  const pts = [l, u]
  for (const x of candidates) if (x > l && x < u) pts.push(x)
  const fs = pts.map(s.f)
  const residuals = pts.map((x, k) => fs[k] - a * x)
  const scale = Math.abs(a) * Math.max(Math.abs(l), Math.abs(u)) + Math.max(...fs.map(Math.abs))
  return planeFromResiduals(a, 0, residuals, scale)
}

/** Interval: [f(l), f(u)], no correlation kept. */
export function unaryInterval(s: SShape): UnaryPlaneFn {
  return (l, u) => {
    const fl = s.f(l)
    const fu = s.f(u)
    return planeFromResiduals(0, 0, [fl, fu], Math.max(Math.abs(fl), Math.abs(fu)))
  }
}

/** DeepZ (Singh et al. 2018): slope min(f'(l), f'(u)); the residual is then monotone. */
export function unaryDeepz(s: SShape): UnaryPlaneFn {
  return (l, u) => {
    if (u === l) return constantPlane(s.f(l))
    const a = Math.min(s.fPrime(l), s.fPrime(u))
    return linePlane(s, a, l, u, [])
  }
}

/**
 * Cert-RNN (Theorem 4.1): secant slope; residual extremes at the endpoints or where
 * f'(x) equals the slope.
 */
export function unaryCertrnn(s: SShape): UnaryPlaneFn {
  return (l, u) => {
    if (u === l) return constantPlane(s.f(l))
    const a = (s.f(u) - s.f(l)) / (u - l)
    return linePlane(s, a, l, u, s.slopePoints(a))
  }
}

export function unaryModule(s: SShape): TransformerModule<UnaryPlaneFn> {
  return { interval: unaryInterval(s), deepz: unaryDeepz(s), certrnn: unaryCertrnn(s) }
}
