import { describe, expect, it } from 'vitest'
import type { Method, PlaneBox, TraceEntry, TransformerKind } from '../../cert/index.ts'
import { certifyFrames, compileNetwork, METHODS, prepareSample, randomFrames, randomNetwork, Rng, transformerSet } from '../../cert/index.ts'
import { boxProblem, formatNumber, isUnary, KINDS, kindFunction, linspace, planesData, recordedTransformer, residualExtremes, transformersAt } from './planeData.ts'

const BOXES: PlaneBox[] = [
  { lx: -1, ux: 1.5, ly: -0.5, uy: 2 },
  { lx: -1, ux: 1, ly: -1, uy: 1 },
  { lx: 1, ux: 4, ly: 0.5, uy: 3 },
  { lx: -6, ux: -2, ly: -3, uy: -0.2 },
  { lx: -0.3, ux: 5, ly: -4, uy: 0.1 },
  { lx: -3, ux: 2, ly: 1, uy: 1.2 },
]

function randomBoxes(seed: number, n: number): PlaneBox[] {
  const rng = new Rng(seed)
  return Array.from({ length: n }, () => {
    const cx = rng.uniform(-4, 4)
    const cy = rng.uniform(-4, 4)
    const rx = rng.uniform(0, 3) ** 2
    const ry = rng.uniform(0, 3) ** 2
    return { lx: cx - rx, ux: cx + rx, ly: cy - ry, uy: cy + ry }
  })
}

const engine = (method: Method, kind: TransformerKind, b: PlaneBox) => {
  const set = transformerSet(method)
  return isUnary(kind) ? set.unary[kind](b.lx, b.ux) : set.binary[kind](b.lx, b.ux, b.ly, b.uy)
}

describe('planesData: the planes are the engine’s', () => {
  it.each(KINDS)('%s: every method’s plane is transformerSet(method)’s for the same box', (kind) => {
    for (const box of [...BOXES, ...randomBoxes(7, 20)]) {
      const d = planesData(kind, box)
      expect(d.methods.map((m) => m.method)).toEqual([...METHODS])
      for (const m of d.methods) {
        const q = engine(m.method, kind, d.box)
        expect(m.plane).toEqual(q)
        expect(m.source).toBe('engine')
        expect(m.matchesEngine).toBe(true)
        expect(m.gap).toBe(q.c2 - q.c1)
        if (isUnary(kind)) expect(m.plane.b).toBe(0)
      }
    }
  })

  it('a given record is used verbatim for its method, the others are recomputed', () => {
    const box = { lx: -1, ux: 1.5, ly: -0.5, uy: 2 }
    const record = { method: 'deepz' as const, a: 0.1234567, b: -0.25, c1: -3, c2: 3 }
    const d = planesData('sigmoidTanh', box, { record })
    const deepz = d.methods.find((m) => m.method === 'deepz')!
    expect(deepz.plane).toEqual({ a: record.a, b: record.b, c1: record.c1, c2: record.c2 })
    expect(deepz.source).toBe('trace')
    expect(deepz.matchesEngine).toBe(false)
    expect(deepz.gap).toBe(6)
    for (const m of d.methods.filter((m) => m.method !== 'deepz')) expect(m.plane).toEqual(engine(m.method, 'sigmoidTanh', box))
  })

  it.each([
    ['simpleRnn', [3]],
    ['lstm', [3]],
    ['gru', [3]],
    ['gruResetAfter', [3]],
  ] as const)('%s trace: every recorded plane comes back exactly, and equals the engine’s recomputation', (cell, hidden) => {
    const cn = compileNetwork(randomNetwork({ cell, hidden: [...hidden], frameSize: 3, classes: 3, seed: 3 }))
    const prep = prepareSample(cn, { x: randomFrames(new Rng(4), 3, 3) })
    for (const method of METHODS) {
      const sink: TraceEntry[] = []
      certifyFrames(prep, [0, 1, 2], 0.05, { method, trace: { sink } })
      let checked = 0
      const kinds = new Set<string>()
      for (const e of sink) {
        if (!e.planes) continue
        for (let i = 0; i < e.planes.a.length; i++) {
          const t = recordedTransformer(e.planes, i, method)
          const d = planesData(t.kind, t.box, { record: t.record, grid: 5, dense: 11, samples: 5 })
          const m = d.methods.find((m) => m.method === method)!
          expect(m.source).toBe('trace')
          // bit for bit: what the view prints is what the certifier used
          expect(Object.is(m.plane.a, e.planes.a[i])).toBe(true)
          expect(Object.is(m.plane.b, e.planes.b[i])).toBe(true)
          expect(Object.is(m.plane.c1, e.planes.c1[i])).toBe(true)
          expect(Object.is(m.plane.c2, e.planes.c2[i])).toBe(true)
          expect(m.matchesEngine).toBe(true)
          kinds.add(t.kind)
          checked++
        }
      }
      expect(checked).toBeGreaterThan(0)
      if (cell === 'lstm') expect([...kinds].sort()).toEqual(['sigmoidTanh', 'xSigmoid'])
    }
  })

  it('transformersAt lists every transformer applied to a neuron at a step, in order', () => {
    const cn = compileNetwork(randomNetwork({ cell: 'lstm', hidden: [4], frameSize: 3, classes: 3, seed: 8 }))
    const prep = prepareSample(cn, { x: randomFrames(new Rng(1), 3, 3) })
    const sink: TraceEntry[] = []
    certifyFrames(prep, [1], 0.05, { method: 'certrnn', trace: { sink } })
    const at = transformersAt(sink, { step: 2, neuron: 3 }, 'certrnn')
    expect(at.map((t) => `${t.op}:${t.kind}`)).toEqual(['f*c:xSigmoid', 'i*g:sigmoidTanh', 'h:sigmoidTanh'])
    const e = sink.find((e) => e.step === 2 && e.op === 'i*g')!
    expect(at[1].record).toEqual({ method: 'certrnn', a: e.planes!.a[3], b: e.planes!.b[3], c1: e.planes!.c1[3], c2: e.planes!.c2[3] })
    expect(at[1].box).toEqual({ lx: e.planes!.lx[3], ux: e.planes!.ux[3], ly: e.planes!.ly[3], uy: e.planes!.uy[3] })
  })
})

describe('planesData: the drawn geometry', () => {
  it.each(KINDS)('%s: the surface lies between the plane grids, and the curves between the lines', (kind) => {
    // worst violations, collected and asserted once (a per-value expect is slow)
    let outside = 0
    let fMismatch = 0
    let lineMismatch = 0
    const between = (v: number, lo: number, hi: number) => (outside = Math.max(outside, lo - v, v - hi))
    for (const box of [...BOXES, ...randomBoxes(11, 15)]) {
      const d = planesData(kind, box)
      const f = kindFunction(kind)
      expect(d.surface.z.length).toBe(d.surface.ys.length)
      d.surface.z.forEach((row, j) => row.forEach((v, i) => v !== f(d.surface.xs[i], d.surface.ys[j]) && fMismatch++))
      for (const m of d.methods) {
        if (d.unary) {
          const c = m.curve!
          c.f.forEach((v, k) => between(v, c.lower[k], c.upper[k]))
          expect(m.lower).toEqual([])
        } else {
          expect(m.lower.length).toBe(25)
          expect(m.upper[0].length).toBe(25)
          d.surface.z.forEach((row, j) => row.forEach((v, i) => between(v, m.lower[j][i], m.upper[j][i])))
          expect(m.slices.map((s) => s.role)).toEqual(['ly', 'mid', 'uy'])
          for (const s of m.slices) {
            expect(s.y).toBeGreaterThanOrEqual(d.box.ly)
            expect(s.y).toBeLessThanOrEqual(d.box.uy)
            s.f.forEach((v, k) => {
              if (v !== f(s.xs[k], s.y)) fMismatch++
              lineMismatch = Math.max(lineMismatch, Math.abs(s.lower[k] - (m.plane.a * s.xs[k] + m.plane.b * s.y + m.plane.c1)))
              between(v, s.lower[k], s.upper[k])
            })
          }
        }
        // the shared range holds everything drawn
        expect(d.range[0]).toBeLessThanOrEqual(Math.min(...d.surface.z.flat()))
        expect(d.range[1]).toBeGreaterThanOrEqual(Math.max(...d.surface.z.flat()))
      }
    }
    expect(outside).toBeLessThanOrEqual(1e-9)
    expect(fMismatch).toBe(0)
    expect(lineMismatch).toBeLessThan(1e-12)
  })

  it.each(KINDS)('%s: Cert-RNN’s marked extremes attain C1 and C2 (its offsets are exact)', (kind) => {
    for (const box of [...BOXES, ...randomBoxes(5, 40)]) {
      const d = planesData(kind, box)
      const m = d.methods.find((m) => m.method === 'certrnn')!
      const { a, b, c1, c2 } = m.plane
      const g = (p: { x: number; y: number }) => kindFunction(kind)(p.x, p.y) - a * p.x - b * p.y
      expect(Math.abs(g(m.argmin) - c1)).toBeLessThan(1e-6)
      expect(Math.abs(g(m.argmax) - c2)).toBeLessThan(1e-6)
      expect(m.argmin.g).toBe(g(m.argmin))
      expect(m.argmin.exact && m.argmax.exact).toBe(true)
      expect(m.tightGap).toBeLessThanOrEqual(m.gap)
      expect(m.gap - m.tightGap).toBeLessThan(1e-6)
      for (const p of [m.argmin, m.argmax]) {
        expect(p.x).toBeGreaterThanOrEqual(d.box.lx - 1e-12)
        expect(p.x).toBeLessThanOrEqual(d.box.ux + 1e-12)
        expect(p.y).toBeGreaterThanOrEqual(d.box.ly - 1e-9)
        expect(p.y).toBeLessThanOrEqual(d.box.uy + 1e-9)
      }
    }
  })

  it.each(KINDS)('%s: every method’s extremes lie within its offsets (sound), and the grid never beats them', (kind) => {
    for (const box of [...BOXES, ...randomBoxes(9, 20)]) {
      const d = planesData(kind, box)
      for (const m of d.methods) {
        expect(m.argmin.g).toBeGreaterThanOrEqual(m.plane.c1 - 1e-12)
        expect(m.argmax.g).toBeLessThanOrEqual(m.plane.c2 + 1e-12)
        // a finer grid finds nothing beyond the marked extremes
        const fine = residualExtremes(kind, m.plane, d.box, isUnary(kind) ? 20001 : 301)
        expect(fine.min.g).toBeGreaterThanOrEqual(m.argmin.g - 1e-12)
        expect(fine.max.g).toBeLessThanOrEqual(m.argmax.g + 1e-12)
      }
    }
  })

  it.each(KINDS)('%s: degenerate boxes do not crash and stay sound', (kind) => {
    const boxes: PlaneBox[] = [
      { lx: 0.7, ux: 0.7, ly: -1, uy: 2 },
      { lx: -1, ux: 2, ly: 0.3, uy: 0.3 },
      { lx: 0.5, ux: 0.5, ly: -0.4, uy: -0.4 },
      { lx: 0, ux: 0, ly: 0, uy: 0 },
      { lx: -40, ux: 40, ly: -40, uy: 40 },
      { lx: 1e-12, ux: 2e-12, ly: -1e-12, uy: 0 },
    ]
    for (const box of boxes) {
      const d = planesData(kind, box)
      expect(d.range[1]).toBeGreaterThan(d.range[0])
      for (const m of d.methods) {
        for (const v of [m.plane.a, m.plane.b, m.plane.c1, m.plane.c2, m.gap, m.argmin.x, m.argmax.y]) expect(Number.isFinite(v)).toBe(true)
        expect(m.gap).toBeGreaterThanOrEqual(0)
        expect(m.argmin.g).toBeGreaterThanOrEqual(m.plane.c1 - 1e-12)
        expect(m.argmax.g).toBeLessThanOrEqual(m.plane.c2 + 1e-12)
        if (!d.unary) expect(m.slices.length).toBe(box.uy > box.ly ? 3 : 1)
      }
    }
  })

  it('invalid boxes are refused with a message', () => {
    expect(boxProblem('sigmoidTanh', { lx: 2, ux: 1, ly: 0, uy: 1 })).toMatch(/lx must not exceed ux/)
    expect(boxProblem('sigmoidTanh', { lx: 0, ux: 1, ly: 1, uy: 0 })).toMatch(/ly must not exceed uy/)
    expect(boxProblem('xSigmoid', { lx: Number.NaN, ux: 1, ly: 0, uy: 1 })).toMatch(/lx must be a finite number/)
    // unary kinds ignore y
    expect(boxProblem('tanh', { lx: 0, ux: 1, ly: 5, uy: Number.NaN })).toBeNull()
    expect(() => planesData('mul', { lx: 0, ux: 1, ly: 0, uy: Infinity })).toThrow(/uy must be a finite number/)
  })

  it('helpers', () => {
    expect(linspace(0, 1, 5)).toEqual([0, 0.25, 0.5, 0.75, 1])
    expect(linspace(2, 2, 3)).toEqual([2, 2, 2])
    expect(formatNumber(0.123456)).toBe('0.1235')
    expect(formatNumber(1.5e-7)).toBe('1.500e-7')
    expect(formatNumber(0)).toBe('0')
  })
})
