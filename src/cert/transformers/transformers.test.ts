import { describe, expect, it } from 'vitest'
import { Rng } from '../rng.ts'
import type { Method } from './index.ts'
import { METHODS, transformerSet } from './index.ts'
import type { Plane } from './plane.ts'
import { sigmoid } from './plane.ts'
import { polyEval, polyRealRoots } from '../testing/poly.ts'
import { sigmoidTanhCandidates, sigmoidTanhInterior } from './sigmoidTanh.ts'
import { tanhPlanes } from './tanh.ts'
import { planeWithSlopes } from './slopes.ts'

/** The float tolerance the planes are checked to (beyond their own rounding margin). */
const TOL = 1e-12

type Fn2 = (x: number, y: number) => number
const FUNCS: Record<string, Fn2> = {
  tanh: (x) => Math.tanh(x),
  sigmoid: (x) => sigmoid(x),
  relu: (x) => Math.max(x, 0),
  hardSigmoid: (x) => Math.min(1, Math.max(0, x + 0.5)),
  hardSigmoidTanh: (x, y) => Math.min(1, Math.max(0, x + 0.5)) * Math.tanh(y),
  xHardSigmoid: (x, y) => x * Math.min(1, Math.max(0, y + 0.5)),
  sigmoidTanh: (x, y) => sigmoid(x) * Math.tanh(y),
  xSigmoid: (x, y) => x * sigmoid(y),
  mul: (x, y) => x * y,
}

/** Random boxes of every kind the cells meet: tiny, huge, degenerate, sign-crossing, one-sided. */
function randomInterval(rng: Rng): [number, number] {
  const kind = rng.int(7)
  const c = rng.uniform(-6, 6)
  switch (kind) {
    case 0: // tiny
      return [c, c + 10 ** rng.uniform(-12, -3)]
    case 1: {
      // huge
      const a = rng.uniform(-60, 60)
      const b = rng.uniform(-60, 60)
      return [Math.min(a, b), Math.max(a, b)]
    }
    case 2: // degenerate
      return [c, c]
    case 3: {
      // sign-crossing
      return [-rng.uniform(0, 5), rng.uniform(0, 5)]
    }
    case 4: {
      // one side of zero, touching it
      const w = rng.uniform(0, 8)
      return rng.next() < 0.5 ? [0, w] : [-w, 0]
    }
    case 5: {
      // one side of zero
      const a = rng.uniform(0.01, 10)
      const w = rng.uniform(0, 10)
      return rng.next() < 0.5 ? [a, a + w] : [-a - w, -a]
    }
    default: {
      const w = rng.uniform(0, 3)
      return [c - w, c + w]
    }
  }
}

interface Violation {
  box: number[]
  x: number
  y: number
  f: number
  lo: number
  hi: number
}

/** Check a plane against a dense grid plus random points of the box. */
function checkPlane(f: Fn2, p: Plane, lx: number, ux: number, ly: number, uy: number, rng: Rng, grid: [number, number], random: number): Violation | null {
  const [gx, gy] = grid
  // excess of f over the upper plane (side +1) or under the lower plane (side −1)
  const excess = (x: number, y: number, side: number) => {
    const base = p.a * x + p.b * y
    return side > 0 ? f(x, y) - base - p.c2 : base + p.c1 - f(x, y)
  }
  const violation = (x: number, y: number): Violation | null => {
    const v = f(x, y)
    const base = p.a * x + p.b * y
    const lo = base + p.c1
    const hi = base + p.c2
    const tol = TOL * (1 + Math.abs(v) + Math.abs(base))
    return v < lo - tol || v > hi + tol ? { box: [lx, ux, ly, uy], x, y, f: v, lo, hi } : null
  }
  // the grid, then the random points: any violation, and the worst point on each side
  const worst = { 1: { x: lx, y: ly, e: -Infinity }, [-1]: { x: lx, y: ly, e: -Infinity } }
  const visit = (x: number, y: number): Violation | null => {
    const v = f(x, y)
    const base = p.a * x + p.b * y
    const tol = TOL * (1 + Math.abs(v) + Math.abs(base))
    const up = v - base - p.c2
    const down = base + p.c1 - v
    if (up > tol || down > tol) return violation(x, y)
    if (up > worst[1].e) worst[1] = { x, y, e: up }
    if (down > worst[-1].e) worst[-1] = { x, y, e: down }
    return null
  }
  for (let a = 0; a <= gx; a++) {
    for (let b = 0; b <= gy; b++) {
      const v = visit(lx + ((ux - lx) * a) / gx, ly + (gy ? ((uy - ly) * b) / gy : 0))
      if (v) return v
    }
  }
  for (let k = 0; k < random; k++) {
    const v = visit(rng.uniform(lx, ux), rng.uniform(ly, uy))
    if (v) return v
  }
  // then climb from the worst sampled point on each side (pattern search down to ulps)
  for (const side of [1, -1] as const) {
    let { x, y, e: best } = worst[side]
    let sx = (ux - lx) / Math.max(gx, 1)
    let sy = gy ? (uy - ly) / gy : 0
    for (let it = 0; it < 60 && (sx > 0 || sy > 0); it++) {
      let moved = false
      for (const [dx, dy] of [[1, 0], [-1, 0], [0, 1], [0, -1], [1, 1], [1, -1], [-1, 1], [-1, -1]]) {
        const nx = Math.min(ux, Math.max(lx, x + dx * sx))
        const ny = Math.min(uy, Math.max(ly, y + dy * sy))
        const e = excess(nx, ny, side)
        if (e > best) {
          ;[x, y, best] = [nx, ny, e]
          moved = true
        }
      }
      if (!moved) {
        sx /= 2
        sy /= 2
      }
    }
    const v = violation(x, y)
    if (v) return v
  }
  return null
}

describe('documented plane values', () => {
  it('tanh on [-1, 1]: Cert-RNN 0.762 / 0.082, DeepZ 0.420 / 0.342', () => {
    const c = tanhPlanes.certrnn(-1, 1)
    expect(c.a).toBeCloseTo(0.7616, 4)
    expect((c.c2 - c.c1) / 2).toBeCloseTo(0.082, 3)
    const d = tanhPlanes.deepz(-1, 1)
    expect(d.a).toBeCloseTo(0.42, 3)
    expect((d.c2 - d.c1) / 2).toBeCloseTo(0.342, 3)
  })
  it('tanh on [1, 4]: Cert-RNN 0.079 / 0.062, DeepZ 0.0013 / 0.117', () => {
    const c = tanhPlanes.certrnn(1, 4)
    expect(c.a).toBeCloseTo(0.079, 3)
    expect((c.c2 - c.c1) / 2).toBeCloseTo(0.062, 3)
    const d = tanhPlanes.deepz(1, 4)
    expect(d.a).toBeCloseTo(0.0013, 4)
    expect((d.c2 - d.c1) / 2).toBeCloseTo(0.117, 3)
  })
  it('a degenerate box gives the exact constant', () => {
    const p = tanhPlanes.certrnn(0.3, 0.3)
    expect(p.a).toBe(0)
    expect(p.c1).toBeCloseTo(Math.tanh(0.3), 14)
    expect(p.c2 - p.c1).toBeLessThan(1e-14)
  })
  it('x·σ(y) with a constant y is exact', () => {
    const p = transformerSet('certrnn').binary.xSigmoid(-2, 3, 0.5, 0.5)
    expect(p.a).toBeCloseTo(sigmoid(0.5), 15)
    expect(p.b).toBe(0)
    expect(p.c2 - p.c1).toBeLessThan(1e-13)
  })
  it('interval planes have zero slopes and the exact range', () => {
    const p = transformerSet('interval').binary.sigmoidTanh(-1, 2, -0.5, 1)
    expect(p.a).toBe(0)
    expect(p.b).toBe(0)
    expect(p.c1).toBeCloseTo(sigmoid(2) * Math.tanh(-0.5), 12)
    expect(p.c2).toBeCloseTo(sigmoid(2) * Math.tanh(1), 12)
  })
})

describe('relu planes', () => {
  it('stable neurons are exact; a crossing neuron gets slope u/(u − l) and offsets [0, −l·u/(u − l)] in every zonotope method', () => {
    for (const method of ['certrnn', 'deepz'] as const) {
      const relu = transformerSet(method).unary.relu
      const neg = relu(-3, -1)
      expect(neg.a).toBe(0)
      expect(neg.c1).toBeCloseTo(0, 12)
      expect(neg.c2).toBeCloseTo(0, 12)
      const pos = relu(1, 3)
      expect(pos.a).toBe(1)
      expect(pos.c1).toBeCloseTo(0, 12)
      expect(pos.c2).toBeCloseTo(0, 12)
      const x = relu(-1, 3)
      expect(x.a).toBe(0.75)
      expect(x.c1).toBeCloseTo(0, 12)
      expect(x.c2).toBeCloseTo(0.75, 12)
    }
    const i = transformerSet('interval').unary.relu(-1, 3)
    expect([i.a, i.b]).toEqual([0, 0])
    expect(i.c1).toBeCloseTo(0, 12)
    expect(i.c2).toBeCloseTo(3, 12)
  })
})

describe('hard sigmoid planes', () => {
  const set = transformerSet('certrnn')
  it('h = clip(x + ½, 0, 1): exact inside one piece, secant with kink offsets across', () => {
    const inner = set.unary.hardSigmoid(-0.3, 0.2)
    expect(inner.a).toBeCloseTo(1, 12)
    expect(inner.c1).toBeCloseTo(0.5, 12)
    expect(inner.c2).toBeCloseTo(0.5, 12)
    const across = set.unary.hardSigmoid(-1, 1)
    // secant 1/2 through (−1, 0) and (1, 1); the kinks give residuals 1/2 ∓ 1/4
    expect(across.a).toBeCloseTo(0.5, 12)
    expect(across.c1).toBeCloseTo(0.25, 12)
    expect(across.c2).toBeCloseTo(0.75, 12)
  })
  it('the Cert-RNN offsets of the products are the residual extremes of a dense grid (kinks and tanh critical points included)', () => {
    const rng = new Rng(606)
    for (let k = 0; k < 300; k++) {
      const [lx, ux] = randomInterval(rng)
      const [ly, uy] = randomInterval(rng)
      if (!(ux - lx < 20 && uy - ly < 20)) continue
      for (const kind of ['hardSigmoidTanh', 'xHardSigmoid'] as const) {
        const p = set.binary[kind](lx, ux, ly, uy)
        let gMin = Infinity
        let gMax = -Infinity
        const n = 200
        // a grid with the kinks ±½ added in both variables
        const axis = (l: number, u: number) => [...Array.from({ length: n + 1 }, (_v, a) => l + ((u - l) * a) / n), -0.5, 0.5].filter((v) => v >= l && v <= u)
        for (const x of axis(lx, ux)) {
          for (const y of axis(ly, uy)) {
            const g = FUNCS[kind](x, y) - p.a * x - p.b * y
            gMin = Math.min(gMin, g)
            gMax = Math.max(gMax, g)
          }
        }
        const slack = 1e-3 * (1 + Math.abs(p.a) * (ux - lx) + Math.abs(p.b) * (uy - ly))
        expect(gMin - p.c1).toBeLessThan(slack)
        expect(p.c2 - gMax).toBeLessThan(slack)
      }
    }
  })
})

describe('polynomial roots', () => {
  it('finds every real root of random quartics in (0, 1)', () => {
    const rng = new Rng(7)
    for (let k = 0; k < 2000; k++) {
      const roots = Array.from({ length: 4 }, () => rng.uniform(-0.5, 1.5))
      // (p − r1)(p − r2)(p − r3)(p − r4)
      let coeffs = [1]
      for (const r of roots) coeffs = [...coeffs, 0].map((c, i) => c - (i > 0 ? r * coeffs[i - 1] : 0))
      const found = polyRealRoots(coeffs, 0, 1)
      const inside = roots.filter((r) => r > 1e-9 && r < 1 - 1e-9)
      for (const r of inside) {
        const close = found.some((x) => Math.abs(x - r) < 1e-6)
        if (!close) expect.fail(`missed root ${r} of roots ${roots}, found ${found}`)
      }
      for (const x of found) expect(Math.abs(polyEval(coeffs, x))).toBeLessThan(1e-9)
    }
  })
})

describe('interior stationary points of σ(x)·tanh(y) − A·x − B·y', () => {
  it('agree with the expanded quartic where it is well conditioned, and solve both equations', () => {
    const rng = new Rng(11)
    let checked = 0
    for (let k = 0; k < 3000; k++) {
      const lx = rng.uniform(-4, 4)
      const ux = lx + rng.uniform(0.1, 4)
      const a = rng.uniform(-0.2, 0.2)
      const b = rng.uniform(0.01, 0.9)
      const pts = sigmoidTanhInterior(a, b, lx, ux)
      for (const [x, y] of pts) {
        // σ'(x)·tanh(y) = A and σ(x)·sech²(y) = B
        expect(sigmoid(x) * (1 - sigmoid(x)) * Math.tanh(y)).toBeCloseTo(a, 8)
        expect(sigmoid(x) * (1 - Math.tanh(y) ** 2)).toBeCloseTo(b, 8)
      }
      const quartic = polyRealRoots([1, -(2 + b), 1 + 2 * b, -b, -a * a], 1e-6, 1 - 1e-6)
        .map((p) => Math.log(p / (1 - p)))
        .filter((x) => x > lx + 1e-6 && x < ux - 1e-6)
      for (const x of quartic) {
        checked++
        if (!pts.some(([px]) => Math.abs(px - x) < 1e-5)) expect.fail(`missed interior root x=${x} (A=${a}, B=${b}, [${lx}, ${ux}]): ${pts}`)
      }
    }
    expect(checked).toBeGreaterThan(500)
  })
})

const UNARY = ['tanh', 'sigmoid', 'relu', 'hardSigmoid'] as const
const BINARY = ['sigmoidTanh', 'xSigmoid', 'hardSigmoidTanh', 'xHardSigmoid', 'mul'] as const
const BOXES = 6_000

describe.each(METHODS as Method[])('%s planes enclose the function on random boxes', (method) => {
  const set = transformerSet(method)
  for (const kind of UNARY) {
    it(`${kind}: ${BOXES} boxes, dense grid + random points`, () => {
      const rng = new Rng(101)
      for (let k = 0; k < BOXES; k++) {
        const [l, u] = randomInterval(rng)
        const p = set.unary[kind](l, u)
        const v = checkPlane(FUNCS[kind], p, l, u, 0, 0, rng, [400, 0], 100)
        if (v) expect.fail(`${method} ${kind} plane violated: ${JSON.stringify({ ...v, p })}`)
      }
    })
  }
  for (const kind of BINARY) {
    it(`${kind}: ${BOXES} boxes, dense grid + random points`, () => {
      const rng = new Rng(202)
      for (let k = 0; k < BOXES; k++) {
        const [lx, ux] = randomInterval(rng)
        const [ly, uy] = randomInterval(rng)
        const p = set.binary[kind](lx, ux, ly, uy)
        const v = checkPlane(FUNCS[kind], p, lx, ux, ly, uy, rng, [24, 24], 100)
        if (v) expect.fail(`${method} ${kind} plane violated: ${JSON.stringify({ ...v, p })}`)
      }
    })
  }
})

describe('Cert-RNN offsets are the true residual extremes (tight, not just sound)', () => {
  const set = transformerSet('certrnn')
  it('the densely sampled residual reaches C1 and C2', () => {
    const rng = new Rng(303)
    for (let k = 0; k < 500; k++) {
      const lx = rng.uniform(-5, 5)
      const ux = lx + rng.uniform(0.01, 4)
      const ly = rng.uniform(-5, 5)
      const uy = ly + rng.uniform(0.01, 4)
      for (const kind of ['sigmoidTanh', 'xSigmoid'] as const) {
        const f = FUNCS[kind]
        const p = set.binary[kind](lx, ux, ly, uy)
        let gMin = Infinity
        let gMax = -Infinity
        const n = 120
        for (let a = 0; a <= n; a++) {
          for (let b = 0; b <= n; b++) {
            const x = lx + ((ux - lx) * a) / n
            const y = ly + ((uy - ly) * b) / n
            const g = f(x, y) - p.a * x - p.b * y
            gMin = Math.min(gMin, g)
            gMax = Math.max(gMax, g)
          }
        }
        // the grid's extremes are within its spacing of the true ones
        const slack = 1e-3 * (1 + Math.abs(p.a) * (ux - lx) + Math.abs(p.b) * (uy - ly))
        expect(gMin - p.c1).toBeLessThan(slack)
        expect(p.c2 - gMax).toBeLessThan(slack)
      }
    }
  })
  it('uses interior critical points of σ(x)·tanh(y) (they decide the extreme in a share of boxes)', () => {
    const rng = new Rng(404)
    let interiorDecides = 0
    const total = 3000
    for (let k = 0; k < total; k++) {
      const lx = rng.uniform(-4, 4)
      const ux = lx + rng.uniform(0.1, 4)
      const ly = rng.uniform(-3, 3)
      const uy = ly + rng.uniform(0.1, 3)
      const p = set.binary.sigmoidTanh(lx, ux, ly, uy)
      const pts = sigmoidTanhCandidates(p.a, p.b, lx, ux, ly, uy)
      const g = ([x, y]: [number, number]) => FUNCS.sigmoidTanh(x, y) - p.a * x - p.b * y
      const boundary = pts.filter(([x, y]) => x === lx || x === ux || y === ly || y === uy).map(g)
      const all = pts.map(g)
      if (Math.max(...all) > Math.max(...boundary) + 1e-12 || Math.min(...all) < Math.min(...boundary) - 1e-12) interiorDecides++
    }
    expect(interiorDecides / total).toBeGreaterThan(0.05)
  })
  it('Cert-RNN planes are never wider than DeepZ on tanh and σ·tanh', () => {
    const rng = new Rng(505)
    const deepz = transformerSet('deepz')
    for (let k = 0; k < 2000; k++) {
      const [l, u] = randomInterval(rng)
      const c = set.unary.tanh(l, u)
      const d = deepz.unary.tanh(l, u)
      expect(c.c2 - c.c1).toBeLessThanOrEqual(d.c2 - d.c1 + 1e-9)
    }
  })
})

describe('planes with any slopes (the tight method): exact offsets enclose the function', () => {
  const certrnn = transformerSet('certrnn')
  const SLOPED = 3000
  /** Slopes near the paper's (scaled, sign-flipped) half the time, anywhere in [−2, 2] otherwise. */
  const slopes = (rng: Rng, a0: number, b0: number): [number, number] =>
    rng.next() < 0.5 ? [a0 * rng.uniform(-1, 3), b0 * rng.uniform(-1, 3)] : [rng.uniform(-2, 2), rng.uniform(-2, 2)]
  for (const kind of UNARY) {
    it(`${kind}: ${SLOPED} boxes × random slopes, dense grid + random points; the returned extreme points attain the offsets`, () => {
      const rng = new Rng(606)
      for (let k = 0; k < SLOPED; k++) {
        const [l, u] = randomInterval(rng)
        const [a] = slopes(rng, certrnn.unary[kind](l, u).a, 0)
        const p = planeWithSlopes(kind, a, 0, { lx: l, ux: u, ly: 0, uy: 0 })
        const v = checkPlane(FUNCS[kind], p, l, u, 0, 0, rng, [400, 0], 100)
        if (v) expect.fail(`${kind} plane with slope ${a} violated: ${JSON.stringify({ ...v, p })}`)
        const g = (x: number) => FUNCS[kind](x, 0) - a * x
        const pad = 1e-9 * (1 + Math.abs(a) * Math.max(Math.abs(l), Math.abs(u)))
        expect(Math.abs(g(p.x1) - p.c1)).toBeLessThan(pad)
        expect(Math.abs(g(p.x2) - p.c2)).toBeLessThan(pad)
      }
    })
  }
  for (const kind of BINARY) {
    it(`${kind}: ${SLOPED} boxes × random slopes, dense grid + random points; the returned extreme points attain the offsets`, () => {
      const rng = new Rng(707)
      for (let k = 0; k < SLOPED; k++) {
        const [lx, ux] = randomInterval(rng)
        const [ly, uy] = randomInterval(rng)
        const p0 = certrnn.binary[kind](lx, ux, ly, uy)
        const [a, b] = slopes(rng, p0.a, p0.b)
        const p = planeWithSlopes(kind, a, b, { lx, ux, ly, uy })
        const v = checkPlane(FUNCS[kind], p, lx, ux, ly, uy, rng, [24, 24], 100)
        if (v) expect.fail(`${kind} plane with slopes (${a}, ${b}) violated: ${JSON.stringify({ ...v, p })}`)
        const g = (x: number, y: number) => FUNCS[kind](x, y) - a * x - b * y
        const pad = 1e-9 * (1 + Math.abs(a) * Math.max(Math.abs(lx), Math.abs(ux)) + Math.abs(b) * Math.max(Math.abs(ly), Math.abs(uy)) + Math.max(Math.abs(lx), Math.abs(ux)) * Math.max(1, Math.abs(ly), Math.abs(uy)))
        expect(Math.abs(g(p.x1, p.y1) - p.c1)).toBeLessThan(pad)
        expect(Math.abs(g(p.x2, p.y2) - p.c2)).toBeLessThan(pad)
      }
    })
  }
  it("with the paper's slopes the offsets are Cert-RNN's", () => {
    const rng = new Rng(808)
    for (let k = 0; k < 2000; k++) {
      const [lx, ux] = randomInterval(rng)
      const [ly, uy] = randomInterval(rng)
      for (const kind of ['sigmoidTanh', 'xSigmoid'] as const) {
        const p0 = certrnn.binary[kind](lx, ux, ly, uy)
        const p = planeWithSlopes(kind, p0.a, p0.b, { lx, ux, ly, uy })
        expect(p.c1).toBe(p0.c1)
        expect(p.c2).toBe(p0.c2)
      }
    }
  })
})
