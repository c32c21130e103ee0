import { describe, expect, it } from 'vitest'
import { Rng } from './rng.ts'
import type { Zonotope } from './zonotope.ts'
import {
  SymbolSource,
  matMulRowMajor,
  zonotopeAdd,
  zonotopeAffine,
  zonotopeBounds,
  zonotopeConcat,
  zonotopeCreate,
  zonotopeFromBox,
  zonotopeJoin,
  zonotopePoint,
  zonotopeProject2d,
  zonotopeReduce,
  zonotopeReduceState,
  zonotopeSub,
  zonotopeMergeRowLocal,
} from './zonotope.ts'

function randomZonotope(rng: Rng, n: number, ids: number[]): Zonotope {
  const c = Float64Array.from({ length: n }, () => rng.normal())
  const G = Float64Array.from({ length: n * ids.length }, () => rng.normal())
  return zonotopeCreate(c, G, Int32Array.from(ids))
}

/** Noise assignment by id, shared by zonotopes that share symbols. */
function pointById(z: Zonotope, e: Map<number, number>): Float64Array {
  return zonotopePoint(z, Array.from(z.ids, (id) => e.get(id)!))
}

function randomAssignment(rng: Rng, ids: number[]): Map<number, number> {
  return new Map(ids.map((id) => [id, rng.next() < 0.3 ? Math.sign(rng.uniform(-1, 1)) : rng.uniform(-1, 1)]))
}

function cross(o: [number, number], a: [number, number], b: [number, number]) {
  return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])
}

function insidePolygon(poly: Array<[number, number]>, p: [number, number], tol: number): boolean {
  for (let k = 0; k < poly.length; k++) {
    const a = poly[k]
    const b = poly[(k + 1) % poly.length]
    const len = Math.hypot(b[0] - a[0], b[1] - a[1])
    if (cross(a, b, p) < -tol * (1 + len)) return false
  }
  return true
}

describe('zonotope arithmetic', () => {
  it('matMulRowMajor equals the naive product, for every row-block remainder', () => {
    const rng = new Rng(1)
    for (const [r, k, m] of [[1, 3, 5], [4, 2, 7], [7, 5, 3], [9, 4, 0], [13, 6, 11]]) {
      const A = Float64Array.from({ length: r * k }, () => rng.normal())
      const B = Float64Array.from({ length: k * m }, () => rng.normal())
      const C = matMulRowMajor(A, r, k, B, m)
      for (let i = 0; i < r; i++) {
        for (let j = 0; j < m; j++) {
          let s = 0
          for (let t = 0; t < k; t++) s += A[i * k + t] * B[t * m + j]
          expect(C[i * m + j]).toBeCloseTo(s, 12)
        }
      }
    }
  })

  it('matMulRowMajor is the in-order naive sum bit for bit, with sparse, zero and dense columns mixed', () => {
    const rng = new Rng(11)
    for (const [r, k, m] of [[8, 6, 13], [7, 5, 9], [16, 32, 37], [3, 1, 6]]) {
      const A = Float64Array.from({ length: r * k }, () => (rng.next() < 0.1 ? 0 : rng.normal()))
      const B = new Float64Array(k * m)
      for (let j = 0; j < m; j++) {
        const kind = j % 4 // 0: dense, 1: one non-zero, 2: all zero, 3: one non-zero (tiny, the product can underflow)
        for (let i = 0; i < k; i++) {
          if (kind === 0) B[i * m + j] = rng.normal()
          else if ((kind === 1 || kind === 3) && i === j % k) B[i * m + j] = kind === 3 ? -1e-320 : rng.normal()
          else if (rng.next() < 0.5) B[i * m + j] = -0
        }
      }
      const C = matMulRowMajor(A, r, k, B, m)
      for (let i = 0; i < r; i++) {
        for (let j = 0; j < m; j++) {
          let s = 0
          for (let t = 0; t < k; t++) s += A[i * k + t] * B[t * m + j]
          expect(Object.is(C[i * m + j], s)).toBe(true)
        }
      }
    }
  })

  it('the affine map is exact at every point', () => {
    const rng = new Rng(2)
    const z = randomZonotope(rng, 5, [0, 1, 2, 3, 4, 5, 6])
    const W = Float64Array.from({ length: 3 * 5 }, () => rng.normal())
    const b = [0.5, -1, 2]
    const y = zonotopeAffine(z, W, 3, b)
    for (let k = 0; k < 200; k++) {
      const e = randomAssignment(rng, [...z.ids])
      const x = pointById(z, e)
      const yp = pointById(y, e)
      for (let o = 0; o < 3; o++) {
        let s = b[o]
        for (let i = 0; i < 5; i++) s += W[o * 5 + i] * x[i]
        expect(yp[o]).toBeCloseTo(s, 12)
      }
    }
  })

  it('the affine map of a box (the W·diag shortcut) equals the dense product', () => {
    const rng = new Rng(12)
    const lo = Array.from({ length: 9 }, () => rng.uniform(-1, 1))
    const hi = lo.map((v, i) => (i % 3 === 0 ? v : v + rng.uniform(0, 1)))
    const box = zonotopeFromBox(lo, hi, new SymbolSource())
    expect(box.boxRows).toBeDefined()
    const dense = zonotopeCreate(box.c, box.G, box.ids)
    const W = Float64Array.from({ length: 5 * 9 }, () => rng.normal())
    const a = zonotopeAffine(box, W, 5, [1, 2, 3, 4, 5])
    const d = zonotopeAffine(dense, W, 5, [1, 2, 3, 4, 5])
    expect([...a.c]).toEqual([...d.c])
    a.G.forEach((v, k) => expect(v).toBeCloseTo(d.G[k], 14))
  })

  it('adds and subtracts by symbol id, not by position', () => {
    const rng = new Rng(3)
    const a = randomZonotope(rng, 4, [1, 3, 5, 8])
    const b = randomZonotope(rng, 4, [0, 3, 8, 9, 12])
    const s = zonotopeAdd(a, b)
    const d = zonotopeSub(a, b)
    expect([...s.ids]).toEqual([0, 1, 3, 5, 8, 9, 12])
    for (let k = 0; k < 200; k++) {
      const e = randomAssignment(rng, [0, 1, 3, 5, 8, 9, 12])
      const pa = pointById(a, e)
      const pb = pointById(b, e)
      const ps = pointById(s, e)
      const pd = pointById(d, e)
      for (let i = 0; i < 4; i++) {
        expect(ps[i]).toBeCloseTo(pa[i] + pb[i], 12)
        expect(pd[i]).toBeCloseTo(pa[i] - pb[i], 12)
      }
    }
    // x − x is exactly the zero constant (correlations cancel)
    const zero = zonotopeSub(a, a)
    expect(Math.max(...zonotopeBounds(zero).hi.map(Math.abs))).toBe(0)
  })

  it('concatenation lines columns up by id', () => {
    const rng = new Rng(4)
    const a = randomZonotope(rng, 2, [2, 4])
    const b = randomZonotope(rng, 3, [1, 4, 6])
    const cat = zonotopeConcat([a, b])
    for (let k = 0; k < 50; k++) {
      const e = randomAssignment(rng, [1, 2, 4, 6])
      const p = pointById(cat, e)
      const expected = [...pointById(a, e), ...pointById(b, e)]
      expected.forEach((v, i) => expect(p[i]).toBeCloseTo(v, 12))
    }
  })

  it('bounds contain every point and are attained at sign vertices', () => {
    const rng = new Rng(5)
    const z = randomZonotope(rng, 3, [0, 1, 2, 3])
    const { lo, hi } = zonotopeBounds(z)
    for (let i = 0; i < 3; i++) {
      const e = Array.from({ length: 4 }, (_, j) => Math.sign(z.G[i * 4 + j]))
      expect(zonotopePoint(z, e)[i]).toBeCloseTo(hi[i], 10)
      expect(zonotopePoint(z, e.map((v) => -v))[i]).toBeCloseTo(lo[i], 10)
    }
  })

  it('a box zonotope covers exactly its box', () => {
    const syms = new SymbolSource()
    const z = zonotopeFromBox([0, 0.1, 1], [0, 0.3, 1 + 1e-9], syms)
    expect(z.m).toBe(2) // constant variables get no symbol
    const { lo, hi } = zonotopeBounds(z)
    expect(lo[1]).toBeLessThanOrEqual(0.1)
    expect(hi[1]).toBeGreaterThanOrEqual(0.3)
    expect(hi[1] - lo[1]).toBeCloseTo(0.2, 10)
    expect(syms.peek).toBe(2)
  })
})

describe('2-D projection', () => {
  it('is convex, has at most 2m vertices and contains every sampled point', () => {
    const rng = new Rng(6)
    for (let trial = 0; trial < 50; trial++) {
      const m = 1 + rng.int(12)
      const z = randomZonotope(rng, 3, Array.from({ length: m }, (_, j) => j))
      const poly = zonotopeProject2d(z, 0, 2)
      expect(poly.length).toBeLessThanOrEqual(2 * m)
      for (let k = 0; k < poly.length; k++) {
        const turn = cross(poly[k], poly[(k + 1) % poly.length], poly[(k + 2) % poly.length])
        expect(turn).toBeGreaterThanOrEqual(-1e-9)
      }
      for (let s = 0; s < 300; s++) {
        const e = Array.from({ length: m }, () => (rng.next() < 0.5 ? Math.sign(rng.uniform(-1, 1)) : rng.uniform(-1, 1)))
        const p = zonotopePoint(z, e)
        if (!insidePolygon(poly, [p[0], p[2]], 1e-9)) expect.fail(`point ${p[0]},${p[2]} outside ${JSON.stringify(poly)}`)
      }
      // every vertex is a point of the zonotope: the sign vector of its supporting direction
      const { lo, hi } = zonotopeBounds(z)
      for (const v of poly) {
        expect(v[0]).toBeGreaterThanOrEqual(lo[0] - 1e-9)
        expect(v[0]).toBeLessThanOrEqual(hi[0] + 1e-9)
      }
    }
  })

  it('a zonotope without generators projects to its centre', () => {
    const z = zonotopeCreate(Float64Array.from([1, 2]), new Float64Array(0), new Int32Array(0))
    expect(zonotopeProject2d(z, 0, 1)).toEqual([[1, 2]])
  })
})

describe('order reduction', () => {
  it('is sound: the reduced zonotope contains the original (bounds and projections)', () => {
    const rng = new Rng(7)
    for (let trial = 0; trial < 30; trial++) {
      const syms = new SymbolSource(100)
      const z = randomZonotope(rng, 4, Array.from({ length: 30 }, (_, j) => j))
      const r = zonotopeReduce(z, 6, syms)
      expect(r.m).toBeLessThanOrEqual(6 + 4)
      const bz = zonotopeBounds(z)
      const br = zonotopeBounds(r)
      for (let i = 0; i < 4; i++) {
        expect(br.lo[i]).toBeLessThanOrEqual(bz.lo[i] + 1e-12)
        expect(br.hi[i]).toBeGreaterThanOrEqual(bz.hi[i] - 1e-12)
      }
      const poly = zonotopeProject2d(r, 1, 3)
      for (let s = 0; s < 200; s++) {
        const e = Array.from({ length: 30 }, () => Math.sign(rng.uniform(-1, 1)))
        const p = zonotopePoint(z, e)
        expect(insidePolygon(poly, [p[1], p[3]], 1e-9)).toBe(true)
      }
    }
  })
})

describe('order reduction of a state (h and c together)', () => {
  it('keeps the joint set: every pair (h_i, c_k) of the original lies in the reduced projection', () => {
    const rng = new Rng(8)
    for (let trial = 0; trial < 20; trial++) {
      const syms = new SymbolSource(100)
      // h has every symbol, c the older ones only (as after an LSTM step)
      const h = randomZonotope(rng, 4, Array.from({ length: 40 }, (_, j) => j))
      const c = randomZonotope(rng, 3, Array.from({ length: 25 }, (_, j) => j))
      const [rh, rc] = zonotopeReduceState([h, c], 8, syms)
      expect(rh.m).toBeLessThanOrEqual(8 + 4)
      expect(rc.m).toBeLessThanOrEqual(8 + 3)
      const joint = zonotopeConcat([rh, rc])
      for (const [i, k] of [[0, 4], [2, 6], [3, 5]]) {
        const poly = zonotopeProject2d(joint, i, k)
        for (let s = 0; s < 200; s++) {
          const e = Array.from({ length: 40 }, () => (rng.next() < 0.7 ? Math.sign(rng.uniform(-1, 1)) : rng.uniform(-1, 1)))
          const p = [...zonotopePoint(h, e), ...zonotopePoint(c, e.slice(0, 25))]
          expect(insidePolygon(poly, [p[i], p[k]], 1e-9)).toBe(true)
        }
      }
    }
  })

  it('leaves a state with few symbols alone', () => {
    const rng = new Rng(9)
    const h = randomZonotope(rng, 4, [1, 2, 3, 4, 5])
    expect(zonotopeReduceState([h], 3, new SymbolSource(100))[0]).toBe(h)
  })
})

describe('row-local symbol merging', () => {
  it('merges only symbols that live in one row, and changes no projection', () => {
    // symbols 0-2 old (shared), 10-15 fresh: 10, 11 in row 0; 12 in row 1; 13 in rows 1 and 2; 14, 15 in row 2
    const n = 3
    const ids = [0, 1, 2, 10, 11, 12, 13, 14, 15]
    const m = ids.length
    const G = new Float64Array(n * m)
    const set = (i: number, id: number, v: number) => (G[i * m + ids.indexOf(id)] = v)
    ;[0, 1, 2].forEach((id) => [0, 1, 2].forEach((i) => set(i, id, 0.1 * (i + 1) * (id + 1))))
    set(0, 10, 0.5)
    set(0, 11, -0.25)
    set(1, 12, 0.3)
    set(1, 13, 0.2)
    set(2, 13, -0.4)
    set(2, 14, 0.1)
    set(2, 15, 0.05)
    const z = zonotopeCreate(Float64Array.from([1, 2, 3]), G, Int32Array.from(ids))
    const merged = zonotopeMergeRowLocal(z, 10, new SymbolSource(100))
    // rows 0 and 2 each had two local symbols: 9 − 4 + 2 = 7 columns
    expect(merged.m).toBe(7)
    expect([...merged.ids].slice(0, 5)).toEqual([0, 1, 2, 12, 13])
    for (const [i, k] of [[0, 1], [0, 2], [1, 2]]) {
      const a = zonotopeProject2d(z, i, k)
      const b = zonotopeProject2d(merged, i, k)
      expect(b.length).toBeLessThanOrEqual(a.length)
      const area = (poly: Array<[number, number]>) => poly.reduce((s, p, j) => s + p[0] * poly[(j + 1) % poly.length][1] - poly[(j + 1) % poly.length][0] * p[1], 0) / 2
      expect(area(b)).toBeCloseTo(area(a), 12)
    }
    const bz = zonotopeBounds(z)
    const bm = zonotopeBounds(merged)
    for (let i = 0; i < n; i++) {
      expect(bm.lo[i]).toBeCloseTo(bz.lo[i], 14)
      expect(bm.hi[i]).toBeCloseTo(bz.hi[i], 14)
    }
  })
})

describe('zonotopeJoin (masking: a step that may be skipped or not)', () => {
  it('contains both zonotopes at every sampled noise assignment, symbols lined up by id (5,000 points, vertices included)', () => {
    const rng = new Rng(31)
    for (let trial = 0; trial < 20; trial++) {
      const n = 1 + rng.int(4)
      const a = randomZonotope(rng, n, [0, 1, 2])
      const b = randomZonotope(rng, n, trial % 2 ? [1, 2, 3] : [0, 1, 2])
      const j = zonotopeJoin(a, b, new SymbolSource(100))
      // the fresh symbols' reach per variable
      const fresh = Array.from(j.ids, (id, col) => (id >= 100 ? col : -1)).filter((col) => col >= 0)
      const w = Array.from({ length: n }, (_, i) => fresh.reduce((s, col) => s + Math.abs(j.G[i * j.m + col]), 0))
      for (let k = 0; k < 250; k++) {
        const e = randomAssignment(rng, [0, 1, 2, 3])
        for (const id of j.ids) if (id >= 100) e.set(id, 0)
        const centre = pointById(j, e)
        for (const z of [a, b]) {
          const p = pointById(z, e)
          for (let i = 0; i < n; i++) if (Math.abs(p[i] - centre[i]) > w[i]) expect.fail(`trial ${trial}: variable ${i} at ${p[i]} is ${Math.abs(p[i] - centre[i])} from the join's centre, beyond its reach ${w[i]}`)
        }
      }
    }
  })
})
