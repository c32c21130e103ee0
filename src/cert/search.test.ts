import { describe, expect, it } from 'vitest'
import { compileNetwork } from './runtime.ts'
import { CancelledError, certifyFrames, certifyThreat, findBound, findBoundAsync, prepareSample, verifiedAccuracy } from './certify.ts'
import { Rng } from './rng.ts'
import { fastSearch, maxEpsProblem, paperSearch, runSearch, SEARCH_RESOLUTION } from './search.ts'
import { randomFrames, randomNetwork } from './randomNetwork.ts'
import { parseThreat } from './threat.ts'

/** Margin functions with a known root r: linear, convex blow-up, and a nasty kink. */
const shapes = {
  linear: (r: number) => (e: number) => 1 - e / r,
  blowup: (r: number) => (e: number) => 0.3 * (1 - Math.exp((e - r) * 20)),
  kinked: (r: number) => (e: number) => (e < r ? (r - e) * 1e-3 : (r - e) * 50),
}

describe('bound searches', () => {
  it('the paper search follows Algorithm 1 and returns only certified points', () => {
    const evaluated: number[] = []
    const r = paperSearch((e) => {
      evaluated.push(e)
      return 0.1 - e
    })
    expect(evaluated.slice(0, 3)).toEqual([0.5, 0.25, 0.125])
    expect(evaluated.length).toBe(13)
    expect(r.bound).toBeLessThan(0.1)
    expect(0.1 - r.bound).toBeLessThanOrEqual(SEARCH_RESOLUTION)
    expect(evaluated).toContain(r.bound)
  })

  it('nothing certified gives 0, not the paper\'s unchecked 2⁻¹³', () => {
    expect(paperSearch(() => -1).bound).toBe(0)
    expect(fastSearch(() => -1).bound).toBe(0)
  })

  it('the fast search reaches the same resolution with certified points only', () => {
    const rng = new Rng(1)
    let fastEvals = 0
    let cases = 0
    for (const [name, shape] of Object.entries(shapes)) {
      for (let k = 0; k < 200; k++) {
        const root = 10 ** rng.uniform(-3.5, -0.1)
        const f = shape(root)
        const seen = new Map<number, number>()
        const margin = (e: number) => {
          const m = f(e)
          seen.set(e, m)
          return m
        }
        const r = fastSearch(margin, { margin0: f(0) })
        expect(seen.get(r.bound) ?? f(0), `${name} root ${root}`).toBeGreaterThan(0)
        expect(r.bound).toBeLessThanOrEqual(root)
        expect(root - r.bound).toBeLessThanOrEqual(SEARCH_RESOLUTION)
        const p = paperSearch(f)
        expect(Math.abs(p.bound - r.bound)).toBeLessThanOrEqual(SEARCH_RESOLUTION)
        fastEvals += r.evaluations
        cases++
      }
    }
    // the point of the fast search: fewer certificate evaluations than the paper's 13
    expect(fastEvals / cases).toBeLessThan(10)
  })

  it('caps at maxEps when everything certifies', () => {
    expect(fastSearch(() => 1, { maxEps: 1 }).bound).toBe(1)
  })
})

describe('certify API', () => {
  const cn = compileNetwork(randomNetwork({ cell: 'lstm', hidden: [6], frameSize: 4, classes: 3, seed: 2 }))
  const prep = prepareSample(cn, { x: randomFrames(new Rng(4), 5, 4) })

  it('parses threats and refuses malformed ones', () => {
    expect(parseThreat('single')).toEqual({ kind: 'single' })
    expect(parseThreat('frames=3,0,3')).toEqual({ kind: 'frames', frames: [0, 3] })
    expect(() => parseThreat('frames=a')).toThrow(/non-negative integers/)
    expect(() => parseThreat('some')).toThrow(/single, all, frames/)
  })

  it('refuses bad ε, frames beyond the input, bad clip ranges and bad inputs', () => {
    expect(() => certifyFrames(prep, [0], 0)).toThrow(/positive/)
    expect(() => certifyFrames(prep, [0], -1)).toThrow(/positive/)
    expect(() => certifyFrames(prep, [0], NaN)).toThrow(/positive/)
    expect(() => certifyFrames(prep, [0], 1e9)).toThrow(/too large/)
    expect(() => certifyThreat(prep, { kind: 'frames', frames: [7] }, 0.1)).toThrow(/beyond the input's 5 frames/)
    expect(() => certifyFrames(prep, [0], 0.1, { clip: [1, 0] })).toThrow(/not a valid interval/)
    expect(() => prepareSample(cn, { x: [[1, 2, 3]] })).toThrow(/frame 0 has 3 values, the model expects 4/)
    expect(() => prepareSample(cn, { tokens: [1] })).toThrow(/reads frames/)
    expect(() => prepareSample(cn, { x: [] })).toThrow(/no frames/)
    expect(() => prepareSample(cn, { x: [[1, 2, 3, 4]], label: 9 })).toThrow(/not a class index/)
  })

  it('the per-frame bound search: one certified bound per frame, the sample bound is their minimum', () => {
    const r = findBound(prep, { kind: 'single' }, { search: 'fast' })
    expect(r.perFrame).toHaveLength(5)
    expect(r.bound).toBe(Math.min(...r.perFrame!))
    expect(r).toMatchObject({ method: 'certrnn', marginCheck: 'diff', search: 'fast', threat: 'single' })
    // each per-frame bound certifies, a step above it does not (up to resolution)
    r.perFrame!.forEach((b, t) => {
      if (b > 0) expect(certifyFrames(prep, [t], b).certified).toBe(true)
    })
    const all = findBound(prep, { kind: 'all' }, { search: 'paper' })
    expect(all.bound).toBeLessThanOrEqual(r.bound)
  })

  it('the diff margin is at least as strong as the paper\'s interval comparison', () => {
    for (const eps of [0.01, 0.05, 0.2]) {
      const d = certifyFrames(prep, [0, 1, 2, 3, 4], eps, { margin: 'diff' })
      const p = certifyFrames(prep, [0, 1, 2, 3, 4], eps, { margin: 'paper' })
      expect(d.margin).toBeGreaterThanOrEqual(p.margin - 1e-12)
    }
  })

  it('verified accuracy counts correct samples whose bound reaches ε', () => {
    const acc = verifiedAccuracy(
      [
        { bound: 0.1, correct: true },
        { bound: 0.05, correct: true },
        { bound: 0.5, correct: false },
        { bound: 0, correct: true },
      ],
      [0, 0.05, 0.1, 0.2],
    )
    expect(acc).toEqual([0.75, 0.5, 0.25, 0])
  })
})

describe('asynchronous bound search (the worker\'s)', () => {
  const cn = compileNetwork(randomNetwork({ cell: 'gru', hidden: [8], frameSize: 6, classes: 4, seed: 3 }))
  const prep = prepareSample(cn, { x: randomFrames(new Rng(8), 6, 6) })

  it('gives exactly the synchronous result, with progress after every certificate', async () => {
    const progress: Array<[number | null, number, number]> = []
    const r = await findBoundAsync(prep, { kind: 'single' }, { search: 'fast', onProgress: (q, n) => progress.push([q.frame, q.done, n]) })
    expect(r).toEqual(findBound(prep, { kind: 'single' }, { search: 'fast' }))
    expect(progress.length).toBe(r.evaluations)
    expect(progress.map((p) => p[1])).toEqual([...progress.map((p) => p[1])].sort((a, b) => a - b))
    expect(progress.at(-1)![0]).toBe(5)
  })

  it('stops promptly when cancelled', async () => {
    const controller = new AbortController()
    let evaluations = 0
    const onProgress = (_request: unknown, n: number) => {
      evaluations = n
      if (n === 3) controller.abort() // cancelled while running, after its third evaluation
    }
    const run = findBoundAsync(prep, { kind: 'single' }, { search: 'paper', signal: controller.signal, sliceMs: 0, onProgress })
    await expect(run).rejects.toBeInstanceOf(CancelledError)
    expect(evaluations).toBeGreaterThanOrEqual(3)
    expect(evaluations).toBeLessThanOrEqual(4) // stops at the next check, not at the end (6 frames × 13 probes)
  })
})

describe('the upper end of the searches (maxEps)', () => {
  it('the paper search without maxEps (or with maxEps 1) is Algorithm 1 unchanged', () => {
    for (const root of [0.0003, 0.01, 0.3, 0.9, 2]) {
      const f = (e: number) => root - e
      const plain = paperSearch(f)
      expect(plain.evaluations).toBe(13)
      expect(runSearch('paper', f, { maxEps: 1 })).toEqual(plain)
    }
  })

  it('the paper search never returns (nor evaluates) an ε above maxEps', () => {
    for (const maxEps of [0.001, 0.05, 0.3, 0.75]) {
      for (const root of [0.0005, 0.02, 0.2, 5]) {
        const evaluated: number[] = []
        const r = runSearch('paper', (e) => {
          evaluated.push(e)
          return root - e
        }, { maxEps })
        expect(Math.max(...evaluated)).toBeLessThanOrEqual(maxEps)
        expect(r.bound).toBeLessThanOrEqual(Math.min(maxEps, root))
        // still the paper's grid and resolution below the cap
        expect(Math.min(maxEps, root) - r.bound).toBeLessThanOrEqual(SEARCH_RESOLUTION)
        expect(r.evaluations).toBe(evaluated.length)
      }
    }
  })

  it('the fast search honours maxEps too', () => {
    expect(fastSearch(() => 1, { maxEps: 0.2 }).bound).toBe(0.2)
    expect(fastSearch((e) => 0.5 - e, { maxEps: 0.2 }).bound).toBe(0.2)
  })

  it('refuses upper ends a search cannot use', () => {
    expect(maxEpsProblem('paper', 0.5)).toBeNull()
    expect(maxEpsProblem('fast', 50)).toBeNull()
    expect(maxEpsProblem('paper', 0)).toMatch(/positive/)
    expect(maxEpsProblem('fast', NaN)).toMatch(/positive/)
    expect(maxEpsProblem('fast', Infinity)).toMatch(/positive/)
    expect(maxEpsProblem('paper', 1e-5)).toMatch(/below the search's resolution/)
    expect(maxEpsProblem('paper', 2)).toMatch(/paper search's range/)
    expect(maxEpsProblem('fast', 1e7)).toMatch(/largest ε/)
  })
})

describe('the paper search with a guess (locate, then replay Algorithm 1)', () => {
  it('returns exactly Algorithm 1\'s grid point on monotone margins, from any guess, in fewer evaluations', () => {
    const rng = new Rng(7)
    let evals = 0
    let cases = 0
    for (const [name, shape] of Object.entries(shapes)) {
      for (let k = 0; k < 150; k++) {
        const root = 10 ** rng.uniform(-4.2, 0.2)
        const f = shape(root)
        const maxEps = k % 5 === 0 ? rng.uniform(0.01, 1) : undefined
        const guess = k % 3 === 0 ? undefined : root * 10 ** rng.uniform(-1, 1)
        const slope = k % 2 === 0 ? undefined : 10 ** rng.uniform(-2, 3)
        const plain = runSearch('paper', f, { maxEps })
        const seen = new Map<number, number>()
        const r = runSearch('paper', (e) => {
          expect(e, `${name} root ${root}: ε outside the grid or the range`).toBeLessThanOrEqual(maxEps ?? 1)
          expect(Number.isInteger(e / SEARCH_RESOLUTION)).toBe(true)
          seen.set(e, f(e))
          return f(e)
        }, { maxEps, guess, slope, margin0: f(0) })
        expect(r.bound, `${name} root ${root} guess ${guess}`).toBe(plain.bound)
        if (r.bound > 0) expect(seen.get(r.bound)).toBeGreaterThan(0)
        expect(r.evaluations).toBe(seen.size)
        evals += r.evaluations
        cases++
      }
    }
    expect(evals / cases).toBeLessThan(10)
  })

  it('a guess 1 % off with the slope at the root closes the bracket in at most four evaluations (Algorithm 1: 13)', () => {
    for (const root of [0.0031, 0.02, 0.11, 0.47]) {
      const f = shapes.blowup(root)
      const slope = 0.3 * 20 // the margin's slope at the root
      const r = runSearch('paper', f, { guess: root * 1.01, slope, margin0: f(0) })
      expect(r.bound).toBe(paperSearch(f).bound)
      expect(r.evaluations).toBeLessThanOrEqual(4)
    }
  })

  it('on margins that are not monotone, still returns only an evaluated, certified ε', () => {
    const rng = new Rng(11)
    for (let k = 0; k < 300; k++) {
      const root = 10 ** rng.uniform(-3, -0.3)
      // certified below root, except in a few holes (and once more above it)
      const holes = Array.from({ length: 3 }, () => rng.uniform(0, root))
      const island = rng.uniform(root, 1)
      const f = (e: number) => (holes.some((h) => Math.abs(e - h) < 0.002) ? -1 : e < root || Math.abs(e - island) < 0.002 ? 1 : -1)
      const seen = new Map<number, number>()
      const r = runSearch('paper', (e) => {
        seen.set(e, f(e))
        return f(e)
      }, { guess: rng.uniform(0, 1), margin0: 1 })
      if (r.bound > 0) expect(seen.get(r.bound)).toBe(1)
      expect(r.failedAt).toBeGreaterThan(r.bound)
    }
  })
})

describe('the per-frame paper search', () => {
  it('finds every frame\'s Algorithm 1 bound (searched from the last frame, each from its neighbour\'s bound)', () => {
    for (const cell of ['lstm', 'gru', 'simpleRnn'] as const) {
      const cn = compileNetwork(randomNetwork({ cell, hidden: [6], frameSize: 4, classes: 3, seed: 5 }))
      const prep = prepareSample(cn, { x: randomFrames(new Rng(9), 5, 4) })
      const r = findBound(prep, { kind: 'single' }, { search: 'paper' })
      const plain = prep.frames.map((_f, t) => paperSearch((e) => certifyFrames(prep, [t], e).margin))
      expect(r.perFrame).toEqual(plain.map((p) => p.bound))
      expect(r.evaluations).toBeLessThan(plain.reduce((s, p) => s + p.evaluations, 0))
    }
  })
})
