/**
 * Applying a plane transformer neuron by neuron:
 * z = diag(A)·z_x + diag(B)·z_y + (C1 + C2)/2 + diag((C2 − C1)/2)·e_new,
 * one fresh symbol per neuron (none where the plane is exact).
 */
import type { BinaryKind, BinaryPlaneFn, UnaryKind, UnaryPlaneFn } from './transformers/index.ts'
import type { Box, SymbolSource, Zonotope } from './zonotope.ts'
import { zonotopeBounds, zonotopeConstant, zonotopeDiagCombFresh } from './zonotope.ts'

/** The planes used for every neuron of one transformer application, with their input boxes. */
export interface PlaneRecord {
  kind: UnaryKind | BinaryKind
  lx: Float64Array
  ux: Float64Array
  ly: Float64Array
  uy: Float64Array
  a: Float64Array
  b: Float64Array
  c1: Float64Array
  c2: Float64Array
}

export interface Applied {
  z: Zonotope
  planes: PlaneRecord
}

function emptyRecord(kind: UnaryKind | BinaryKind, n: number): PlaneRecord {
  const f = () => new Float64Array(n)
  return { kind, lx: f(), ux: f(), ly: f(), uy: f(), a: f(), b: f(), c1: f(), c2: f() }
}

/** diag(A)·z_x + diag(B)·z_y + (C1 + C2)/2 + diag((C2 − C1)/2)·e_new in one matrix. */
function finish(zx: Zonotope, zy: Zonotope, rec: PlaneRecord, symbols: SymbolSource): Zonotope {
  const n = zx.n
  const w = new Float64Array(n)
  // the planes' offsets carry a rounding margin far above the ulps lost here
  for (let i = 0; i < n; i++) w[i] = (rec.c2[i] - rec.c1[i]) / 2
  const z = zonotopeDiagCombFresh(rec.a, zx, rec.b, zy, w, symbols)
  for (let i = 0; i < n; i++) z.c[i] += (rec.c1[i] + rec.c2[i]) / 2
  return z
}

function checkPlane(kind: string, i: number, a: number, b: number, c1: number, c2: number) {
  if (!(Number.isFinite(a) && Number.isFinite(b) && Number.isFinite(c1) && Number.isFinite(c2) && c1 <= c2)) {
    throw new Error(`${kind} transformer produced an invalid plane at neuron ${i} (a=${a}, b=${b}, c1=${c1}, c2=${c2}): the bounds diverged`)
  }
}

/**
 * The planes are computed over `box` when given (it must contain every value z takes: the
 * reduced product's box), else over z's own bounds.
 */
export function applyUnary(z: Zonotope, kind: UnaryKind, fn: UnaryPlaneFn, symbols: SymbolSource, box?: Box): Applied {
  const { lo, hi } = box ?? zonotopeBounds(z)
  const rec = emptyRecord(kind, z.n)
  for (let i = 0; i < z.n; i++) {
    const p = fn(lo[i], hi[i])
    checkPlane(kind, i, p.a, 0, p.c1, p.c2)
    rec.lx[i] = lo[i]
    rec.ux[i] = hi[i]
    rec.a[i] = p.a
    rec.c1[i] = p.c1
    rec.c2[i] = p.c2
  }
  const zero = zonotopeConstant(new Float64Array(z.n))
  return { z: finish(z, zero, rec, symbols), planes: rec }
}

export function applyBinary(zx: Zonotope, zy: Zonotope, kind: BinaryKind, fn: BinaryPlaneFn, symbols: SymbolSource, boxX?: Box, boxY?: Box): Applied {
  const bx = boxX ?? zonotopeBounds(zx)
  const by = boxY ?? zonotopeBounds(zy)
  const rec = emptyRecord(kind, zx.n)
  for (let i = 0; i < zx.n; i++) {
    const p = fn(bx.lo[i], bx.hi[i], by.lo[i], by.hi[i])
    checkPlane(kind, i, p.a, p.b, p.c1, p.c2)
    rec.lx[i] = bx.lo[i]
    rec.ux[i] = bx.hi[i]
    rec.ly[i] = by.lo[i]
    rec.uy[i] = by.hi[i]
    rec.a[i] = p.a
    rec.b[i] = p.b
    rec.c1[i] = p.c1
    rec.c2[i] = p.c2
  }
  return { z: finish(zx, zy, rec, symbols), planes: rec }
}
