/**
 * The max-pooling transformer: for random zonotopes sharing symbols (as the steps of a
 * sequence do), every sampled assignment of the input symbols leaves the true max of every
 * variable within the output's fresh-symbol range (an exact containment check for this
 * output form: old symbols plus one fresh symbol per variable); a dominating step gives
 * the step itself (no fresh symbol); otherwise the step plus [0, D] when D is below half the box's width.
 */
import { describe, expect, it } from 'vitest'
import { Rng } from '../rng.ts'
import type { Zonotope } from '../zonotope.ts'
import { SymbolSource, zonotopeBounds, zonotopeCreate, zonotopeRadii } from '../zonotope.ts'
import { zonotopeMax } from './maxPool.ts'

/** T zonotopes of n variables over the same m symbols (ids 0…m−1), some generators zero. */
function steps(rng: Rng, T: number, n: number, m: number, spread: number): Zonotope[] {
  const ids = Int32Array.from({ length: m }, (_v, j) => j)
  return Array.from({ length: T }, () => {
    const c = Float64Array.from({ length: n }, () => rng.uniform(-spread, spread))
    const G = Float64Array.from({ length: n * m }, () => (rng.next() < 0.3 ? 0 : rng.normal() * 0.3))
    return zonotopeCreate(c, G, ids)
  })
}

function valueAt(z: Zonotope, e: Float64Array, i: number, ids: Set<number>): number {
  let v = z.c[i]
  for (let j = 0; j < z.m; j++) if (ids.has(z.ids[j])) v += z.G[i * z.m + j] * e[z.ids[j]]
  return v
}

describe('zonotopeMax (GlobalMaxPooling1D)', () => {
  it.each([
    ['overlapping steps', 1],
    ['well separated steps', 4],
  ])('%s: sampled points and vertices stay inside, for the zonotope methods and the box', (_name, spread) => {
    const rng = new Rng(7 + spread)
    let choices = new Set<string>()
    for (let trial = 0; trial < 25; trial++) {
      const m = 6
      const parts = steps(rng, 2 + rng.int(4), 5, m, spread)
      for (const boxOnly of [false, true]) {
        const symbols = new SymbolSource(m)
        const r = zonotopeMax(parts, symbols, boxOnly)
        r.choice.forEach((c) => choices.add(`${boxOnly}:${c}`))
        const input = new Set(Array.from({ length: m }, (_v, j) => j))
        for (let s = 0; s < 300; s++) {
          const e = Float64Array.from({ length: m }, () => (s % 2 ? (rng.next() < 0.5 ? -1 : 1) : rng.uniform(-1, 1)))
          for (let i = 0; i < 5; i++) {
            const truth = Math.max(...parts.map((p) => valueAt(p, e, i, input)))
            const linear = valueAt(r.z, e, i, input)
            // the fresh symbols (ids ≥ m) of row i
            let w = 0
            for (let j = 0; j < r.z.m; j++) if (r.z.ids[j] >= m) w += Math.abs(r.z.G[i * r.z.m + j])
            expect(Math.abs(truth - linear)).toBeLessThanOrEqual(w + 1e-12 * (1 + Math.abs(truth)))
          }
        }
      }
    }
    expect(choices.has('true:box')).toBe(true)
    expect(choices.has('false:exact') || choices.has('false:step')).toBe(true)
  })

  it('a dominating step is kept exactly; a correlated rival gives the step plus [0, D]; an uncorrelated one the box', () => {
    const ids = Int32Array.from([0, 1])
    // variable 0: step 1 dominates (its lower bound 2.5 is above step 0's upper 1.5); variable 1: they overlap
    const a = zonotopeCreate(Float64Array.from([1, 0]), Float64Array.from([0.5, 0, 0.5, 0.5]), ids)
    const b = zonotopeCreate(Float64Array.from([3, 0.1]), Float64Array.from([0.5, 0, 0.5, -0.4]), ids)
    const r = zonotopeMax([a, b], new SymbolSource(2), false)
    expect(r.choice[0]).toBe('exact')
    expect(r.step[0]).toBe(1)
    expect(Array.from(r.z.G.subarray(0, 2))).toEqual([0.5, 0])
    expect(r.z.c[0]).toBe(3)
    // variable 1: a ∈ [−1, 1], b ∈ [−0.8, 1] (the step kept: larger lower bound); a − b = −0.1 + 0.9·e1 ≤ 0.8 < 0.9 = (U − L)/2
    expect(r.choice[1]).toBe('step')
    expect(r.step[1]).toBe(1)
    expect(r.z.c[1]).toBeCloseTo(0.1 + 0.4, 10)
    expect(zonotopeRadii(r.z)[1]).toBeCloseTo(0.9 + 0.4, 10)
    // independent steps (no shared symbols): D = 1.5, not below (U − L)/2 = 1: the box
    const c = zonotopeCreate(Float64Array.from([0]), Float64Array.from([1]), Int32Array.from([0]))
    const d = zonotopeCreate(Float64Array.from([0.5]), Float64Array.from([1]), Int32Array.from([1]))
    const q = zonotopeMax([c, d], new SymbolSource(2), false)
    expect(q.choice).toEqual(['box'])
    const box = zonotopeBounds(q.z)
    expect(box.lo[0]).toBeCloseTo(-0.5, 10)
    expect(box.hi[0]).toBeCloseTo(1.5, 10)
  })
})
