/**
 * The TF.js (float32) Cert-RNN planes enclose the function in exact float64 arithmetic on
 * random boxes of every kind (tiny, huge, degenerate, sign-crossing), at the residual's
 * candidate extremes (the certifier's enumerations), on a grid and at random points, with
 * no tolerance: the outward padding must cover float32 rounding. The slopes are the
 * certifier's within float32 precision, and the offsets are the certifier's up to the padding.
 */
import * as tf from '@tensorflow/tfjs'
import '@tensorflow/tfjs-backend-wasm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Rng, sigmoid, sigmoidSlopePoints, sigmoidTanhCandidates, tanhSlopePoints, transformerSet, xSigmoidCandidates } from '../cert/index.ts'
import { PADDING, sigmoidTanhPlane, unaryPlane, xSigmoidPlane } from './planes.ts'

beforeAll(async () => {
  await tf.setBackend('cpu')
})

/** Random intervals of every kind the cells meet, as float32 values. */
function randomInterval(rng: Rng): [number, number] {
  const f = Math.fround
  const c = rng.uniform(-6, 6)
  let lo: number
  let hi: number
  switch (rng.int(7)) {
    case 0:
      ;[lo, hi] = [c, c + 10 ** rng.uniform(-7, -2)]
      break
    case 1: {
      const a = rng.uniform(-30, 30)
      const b = rng.uniform(-30, 30)
      ;[lo, hi] = [Math.min(a, b), Math.max(a, b)]
      break
    }
    case 2:
      ;[lo, hi] = [c, c]
      break
    case 3:
      ;[lo, hi] = [-rng.uniform(0, 5), rng.uniform(0, 5)]
      break
    case 4: {
      const w = rng.uniform(0, 8)
      ;[lo, hi] = rng.next() < 0.5 ? [0, w] : [-w, 0]
      break
    }
    case 5: {
      const a = rng.uniform(0.01, 10)
      const w = rng.uniform(0, 10)
      ;[lo, hi] = rng.next() < 0.5 ? [a, a + w] : [-a - w, -a]
      break
    }
    default: {
      const w = rng.uniform(0, 3)
      ;[lo, hi] = [c - w, c + w]
    }
  }
  const l = f(lo)
  const h = f(hi)
  return [l, Math.max(l, h)]
}

const N = 4000

type Kind = 'tanh' | 'sigmoid' | 'sigmoidTanh' | 'xSigmoid'
const F64: Record<Kind, (x: number, y: number) => number> = {
  tanh: (x) => Math.tanh(x),
  sigmoid: (x) => sigmoid(x),
  sigmoidTanh: (x, y) => sigmoid(x) * Math.tanh(y),
  xSigmoid: (x, y) => x * sigmoid(y),
}

interface Planes {
  a: Float32Array
  b: Float32Array | null
  c1: Float32Array
  c2: Float32Array
}

function planesOf(kind: Kind, lx: number[], ux: number[], ly: number[], uy: number[]): Planes {
  let out!: Planes
  tf.tidy(() => {
    const t = (v: number[]) => tf.tensor2d(v, [1, v.length])
    const p =
      kind === 'tanh' || kind === 'sigmoid'
        ? unaryPlane(kind, t(lx), t(ux))
        : kind === 'sigmoidTanh'
          ? sigmoidTanhPlane(t(lx), t(ux), t(ly), t(uy))
          : xSigmoidPlane(t(lx), t(ux), t(ly), t(uy))
    out = {
      a: p.a.dataSync() as Float32Array,
      b: p.b ? (p.b.dataSync() as Float32Array) : null,
      c1: p.c1.dataSync() as Float32Array,
      c2: p.c2.dataSync() as Float32Array,
    }
  })
  return out
}

/** Points to check: the residual's candidate extremes (float64), a grid and random points. */
function points(kind: Kind, a: number, b: number, lx: number, ux: number, ly: number, uy: number, rng: Rng): Array<[number, number]> {
  const pts: Array<[number, number]> = []
  if (kind === 'tanh' || kind === 'sigmoid') {
    pts.push([lx, 0], [ux, 0])
    for (const x of (kind === 'tanh' ? tanhSlopePoints : sigmoidSlopePoints)(a)) if (x > lx && x < ux) pts.push([x, 0])
    for (let k = 0; k <= 64; k++) pts.push([lx + ((ux - lx) * k) / 64, 0])
    for (let k = 0; k < 20; k++) pts.push([rng.uniform(lx, ux), 0])
    return pts
  }
  pts.push(...(kind === 'sigmoidTanh' ? sigmoidTanhCandidates(a, b, lx, ux, ly, uy) : xSigmoidCandidates(b, lx, ux, ly, uy)))
  for (let i = 0; i <= 12; i++) for (let j = 0; j <= 12; j++) pts.push([lx + ((ux - lx) * i) / 12, ly + ((uy - ly) * j) / 12])
  for (let k = 0; k < 20; k++) pts.push([rng.uniform(lx, ux), rng.uniform(ly, uy)])
  return pts
}

/** The largest excess of f over the planes, in units of the padding (> 0: a violation). */
function check(kind: Kind, seed: number) {
  const rng = new Rng(seed)
  const two = kind === 'sigmoidTanh' || kind === 'xSigmoid'
  const lx: number[] = []
  const ux: number[] = []
  const ly: number[] = []
  const uy: number[] = []
  for (let i = 0; i < N; i++) {
    const [l, u] = randomInterval(rng)
    lx.push(l)
    ux.push(u)
    const [l2, u2] = two ? randomInterval(rng) : [0, 0]
    ly.push(l2)
    uy.push(u2)
  }
  const p = planesOf(kind, lx, ux, ly, uy)
  let violations = 0
  let worst = -Infinity
  let worstCase = ''
  for (let i = 0; i < N; i++) {
    const a = p.a[i]
    const b = p.b ? p.b[i] : 0
    expect(Number.isFinite(a) && Number.isFinite(b) && p.c1[i] <= p.c2[i], `plane ${i}`).toBe(true)
    for (const [x, y] of points(kind, a, b, lx[i], ux[i], ly[i], uy[i], rng)) {
      const g = F64[kind](x, y) - a * x - b * y
      const excess = Math.max(g - p.c2[i], p.c1[i] - g)
      if (excess > 0) violations++
      if (excess > worst) {
        worst = excess
        worstCase = JSON.stringify({ box: [lx[i], ux[i], ly[i], uy[i]], x, y, a, b, c1: p.c1[i], c2: p.c2[i], g })
      }
    }
  }
  return { violations, worst, worstCase, p, lx, ux, ly, uy }
}

describe.each(['tanh', 'sigmoid', 'sigmoidTanh', 'xSigmoid'] as Kind[])('%s planes (float32, padded)', (kind) => {
  it(`enclose the function in float64 on ${N} random boxes (candidates, grid, random points)`, () => {
    const r = check(kind, 17)
    if (r.violations) expect.fail(`${r.violations} violations; worst ${r.worstCase}`)
  })

  describe('on the wasm backend (its own tanh / sigmoid kernels)', () => {
    beforeAll(async () => {
      await tf.setBackend('wasm')
    })
    afterAll(async () => {
      await tf.setBackend('cpu')
    })
    it('enclose the function in float64', () => {
      expect(tf.getBackend()).toBe('wasm')
      const r = check(kind, 41)
      if (r.violations) expect.fail(`${r.violations} violations; worst ${r.worstCase}`)
    })
  })

  it('have the certifier’s slopes (float32) and offsets up to the padding', () => {
    const r = check(kind, 29)
    const set = transformerSet('certrnn')
    let checked = 0
    for (let i = 0; i < N; i++) {
      const lx = r.lx[i], ux = r.ux[i], ly = r.ly[i], uy = r.uy[i]
      // float32 secants of narrow boxes cancel (and tiny ones use the midpoint derivative by
      // design): compare slopes on boxes at least 0.01 wide (the enclosure test covers the rest)
      const narrow = ux - lx < 0.01 || ((kind === 'sigmoidTanh' || kind === 'xSigmoid') && uy - ly < 0.01)
      if (narrow) continue
      const q = kind === 'tanh' || kind === 'sigmoid' ? set.unary[kind](lx, ux) : set.binary[kind](lx, ux, ly, uy)
      const scale = 1 + Math.abs(q.a) * Math.max(Math.abs(lx), Math.abs(ux)) + Math.abs(q.b) * Math.max(Math.abs(ly), Math.abs(uy)) + (kind === 'xSigmoid' ? Math.max(Math.abs(lx), Math.abs(ux)) : 0)
      expect(Math.abs(r.p.a[i] - q.a), `a ${i}`).toBeLessThanOrEqual(1e-4 * Math.abs(q.a) + 1e-5)
      if (r.p.b) expect(Math.abs(r.p.b[i] - q.b), `b ${i}`).toBeLessThanOrEqual(1e-4 * Math.abs(q.b) + 1e-5 * (1 + Math.abs(lx) + Math.abs(ux)))
      // the offsets of slightly different slopes differ by at most Δa·|x| + Δb·|y|
      const slack = Math.abs(r.p.a[i] - q.a) * Math.max(Math.abs(lx), Math.abs(ux)) + (r.p.b ? Math.abs(r.p.b[i] - q.b) * Math.max(Math.abs(ly), Math.abs(uy)) : 0)
      const padding = PADDING.abs + PADDING.rel * scale
      expect(Math.abs(r.p.c1[i] - q.c1), `c1 ${i}`).toBeLessThanOrEqual(padding + slack + 1e-6 * scale)
      expect(Math.abs(r.p.c2[i] - q.c2), `c2 ${i}`).toBeLessThanOrEqual(padding + slack + 1e-6 * scale)
      checked++
    }
    expect(checked).toBeGreaterThan(N / 3)
  })
})
