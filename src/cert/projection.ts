/**
 * Two-variable views of a zonotope for the visualiser: each axis is one variable or the
 * difference of two (e.g. logit differences x_y − x_c). The projection is exact: the image
 * of the zonotope under the 2 × n map, as a polygon.
 */
import type { Zonotope } from './zonotope.ts'
import { zonotopeAffine, zonotopeBounds, zonotopeProject2d } from './zonotope.ts'

export type VarSelector = { index: number } | { diff: [number, number] }

export function selectorRow(s: VarSelector, n: number): Float64Array {
  const row = new Float64Array(n)
  if ('index' in s) row[s.index] = 1
  else {
    row[s.diff[0]] += 1
    row[s.diff[1]] -= 1
  }
  return row
}

export function selectValue(values: ArrayLike<number>, s: VarSelector): number {
  return 'index' in s ? values[s.index] : values[s.diff[0]] - values[s.diff[1]]
}

export function checkSelector(s: VarSelector, n: number): void {
  const idx = 'index' in s ? [s.index] : s.diff
  for (const i of idx) if (!(Number.isInteger(i) && i >= 0 && i < n)) throw new Error(`variable ${i} does not exist (0…${n - 1})`)
}

export interface Projection {
  /** counter-clockwise vertices */
  polygon: Array<[number, number]>
  lo: [number, number]
  hi: [number, number]
  centre: [number, number]
  generators: number
}

export function projectVariables(z: Zonotope, a: VarSelector, b: VarSelector): Projection {
  checkSelector(a, z.n)
  checkSelector(b, z.n)
  const W = new Float64Array(2 * z.n)
  W.set(selectorRow(a, z.n), 0)
  W.set(selectorRow(b, z.n), z.n)
  const p = zonotopeAffine(z, W, 2)
  const { lo, hi } = zonotopeBounds(p)
  return { polygon: zonotopeProject2d(p, 0, 1), lo: [lo[0], lo[1]], hi: [hi[0], hi[1]], centre: [p.c[0], p.c[1]], generators: p.m }
}

/** Is p inside the convex polygon (counter-clockwise), up to a relative tolerance? */
export function insideConvexPolygon(poly: Array<[number, number]>, p: [number, number], tol = 1e-9): boolean {
  if (poly.length === 1) return Math.hypot(p[0] - poly[0][0], p[1] - poly[0][1]) <= tol * (1 + Math.hypot(...poly[0]))
  const scale = 1 + Math.max(...poly.map((v) => Math.abs(v[0]) + Math.abs(v[1])))
  for (let k = 0; k < poly.length; k++) {
    const a = poly[k]
    const b = poly[(k + 1) % poly.length]
    const cross = (b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0])
    const len = Math.hypot(b[0] - a[0], b[1] - a[1])
    if (cross < -tol * scale * (1 + len)) return false
  }
  return true
}
