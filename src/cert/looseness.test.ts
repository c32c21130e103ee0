/**
 * Where the looseness comes from: the loss per symbol origin sums to the gap between the
 * input's margin and the certified bound, the run is the certifier's own (same margins bit
 * for bit), a linear network loses only the input's part, and the walkthrough network's
 * parts match a hand computation from its planes.
 */
import { describe, expect, it } from 'vitest'
import { certifyFrames, prepareSample } from './certify.ts'
import type { TraceEntry } from './domains/zonotope.ts'
import type { Looseness } from './looseness.ts'
import { looseness, originName } from './looseness.ts'
import type { NetworkIR } from './network.ts'
import type { RandomNetworkSpec } from './randomNetwork.ts'
import { randomFrames, randomNetwork } from './randomNetwork.ts'
import { Rng } from './rng.ts'
import type { ConcreteEntry } from './runtime.ts'
import { compileNetwork, forward } from './runtime.ts'
import type { Method } from './transformers/index.ts'
import { METHODS } from './transformers/index.ts'

const sumParts = (l: Looseness) => l.parts.reduce((s, p) => s + p.loss, 0)
const sumSpread = (l: Looseness) => l.parts.reduce((s, p) => s + p.spread, 0)

/**
 * Σ parts' loss + rest + slack = concrete − margin, up to rounding; the spreads make up the
 * centre's distance to the bound and the shifts its distance to the input's margin; the rest
 * and the slack tiny (no clipping).
 */
function expectConsistent(l: Looseness) {
  const scale = Math.abs(l.concrete) + Math.abs(l.centre) + sumSpread(l) + l.parts.reduce((s, p) => s + Math.abs(p.shift), 0) + 1
  expect(Math.abs(sumParts(l) + l.rest + l.slack - l.total)).toBeLessThan(1e-12 * scale)
  expect(Math.abs(l.centre - sumSpread(l) - l.slack - l.margin)).toBeLessThan(1e-12 * scale)
  expect(Math.abs(l.rest)).toBeLessThan(1e-12 * scale)
  expect(Math.abs(l.slack)).toBeLessThan(1e-9 * scale)
  for (const p of l.parts) {
    expect(p.spread).toBeGreaterThanOrEqual(0)
    expect(p.loss).toBe(p.spread + p.shift)
  }
}

const CASES: Array<{ name: string } & Omit<RandomNetworkSpec, 'frameSize' | 'classes' | 'seed'>> = [
  { name: 'SimpleRNN', cell: 'simpleRnn', hidden: [6] },
  { name: 'LSTM (merged row-local symbols)', cell: 'lstm', hidden: [5] },
  { name: 'GRU', cell: 'gru', hidden: [5] },
  { name: 'stacked LSTM + tanh Dense head', cell: 'lstm', hidden: [4, 3], head: [{ units: 5, activation: 'tanh' }] },
  { name: 'LSTM sequences + max pool', cell: 'lstm', hidden: [4], returnSequences: true, after: [{ kind: 'pool', mode: 'max' }] },
]

describe.each(CASES)('$name', (c) => {
  const cn = compileNetwork(randomNetwork({ ...c, frameSize: 4, classes: 3, seed: 31 }))
  const prep = prepareSample(cn, { x: randomFrames(new Rng(7), 4, 4) })
  it.each(METHODS)('%s: the parts sum to the gap, on the certifier\'s own run', (method) => {
    for (const frames of [[1], [0, 1, 2, 3]]) {
      const eps = 0.02
      const l = looseness(prep, frames, eps, { method })
      expectConsistent(l)
      const v = certifyFrames(prep, frames, eps, { method, trace: { sink: [] } })
      // the run analysed is the certifier's (tight: its tight run, before the slope ascent;
      // with a trace, tight does not stop early at Cert-RNN's run)
      if (method !== 'tight') {
        expect(l.margin).toBe(v.margins[l.against])
        expect(l.recovered).toBe(0)
      } else {
        expect(l.margin + l.recovered).toBeCloseTo(v.margins[l.against], 14)
        expect(l.recovered).toBeGreaterThanOrEqual(0)
      }
      expect(l.concrete).toBe(prep.concrete.logits[l.label] - prep.concrete.logits[l.against])
      if (method === 'interval') {
        // interval bounds box every result, the logits last: all of the spread is that box's
        // (the transformers before it only moved the centre)
        expect(l.parts.filter((p) => p.spread > 0).map((p) => `${p.origin.kind} ${p.origin.op}`)).toEqual(['box logits'])
        continue
      }
      // the input's symbols reach the margin, and the perturbed frames' nonlinearities too
      expect(l.parts[0].origin.kind).toBe('input')
      expect(l.parts.length).toBeGreaterThan(1)
      for (const p of l.parts.slice(1)) {
        expect(p.origin.kind).not.toBe('input')
        if (p.origin.step !== null) expect(p.origin.step).toBeGreaterThanOrEqual(Math.min(...frames))
      }
    }
  })
})

describe('looseness', () => {
  it('a network without nonlinearity: the whole loss is the input\'s, and the centre is the input\'s margin', () => {
    const net = randomNetwork({ cell: 'simpleRnn', hidden: [5], activation: 'linear', frameSize: 3, classes: 4, seed: 3 })
    const prep = prepareSample(compileNetwork(net), { x: randomFrames(new Rng(2), 5, 3) })
    for (const method of ['certrnn', 'deepz', 'tight'] as const) {
      const l = looseness(prep, [0, 1, 2, 3, 4], 0.1, { method })
      expectConsistent(l)
      expect(l.parts.map((p) => p.origin.kind)).toEqual(['input'])
      expect(Math.abs(l.shift)).toBeLessThan(1e-12)
    }
    // interval bound propagation boxes every affine result: its boxes lose the correlations
    const box = looseness(prep, [0, 1, 2, 3, 4], 0.1, { method: 'interval' })
    expectConsistent(box)
    expect(box.parts.some((p) => p.origin.kind === 'box')).toBe(true)
  })

  it('the walkthrough network at ε = 1: the planes\' parts are the hand computation from the trace', () => {
    const net: NetworkIR = {
      name: 'walkthrough RNN',
      input: { kind: 'frames', frameSize: 2, seqLen: 2 },
      classNames: ['A', 'B'],
      layers: [
        // h = tanh(W·x + U·h + b), W = [[-0.8, 0.3], [-0.9, -0.4]], U = [[-0.4, 0], [-0.6, 0.9]] (Keras kernels: transposed)
        { type: 'simpleRnn', name: 'rnn', units: 2, kernel: mat(2, 2, [-0.8, -0.9, 0.3, -0.4]), recurrentKernel: mat(2, 2, [-0.4, -0.6, 0, 0.9]), bias: Float64Array.from([0.3, -0.5]), returnSequences: false, activation: 'tanh' },
        // logits = V·h + c, V = [[0.4, -0.8], [-0.6, 1]]
        { type: 'dense', name: 'out', units: 2, kernel: mat(2, 2, [0.4, -0.6, -0.8, 1]), bias: Float64Array.from([0.7, -0.1]), activation: 'linear' },
      ],
    }
    const cn = compileNetwork(net)
    const prep = prepareSample(cn, { x: [[1, -1], [0.5, 1]] })
    const concrete: ConcreteEntry[] = []
    forward(cn, prep.frames, concrete)
    const W = [[-0.8, 0.3], [-0.9, -0.4]]
    const U = [[-0.4, 0], [-0.6, 0.9]]
    // margin A − B = d·h₁ + const with d = V_A − V_B
    const d = [0.4 + 0.6, -0.8 - 1]
    for (const method of ['certrnn', 'deepz'] as const) {
      const sink: TraceEntry[] = []
      const l = looseness(prep, [0, 1], 1, { method, trace: { sink } })
      expectConsistent(l)
      expect([l.label, l.against]).toEqual([0, 1])
      expect(l.parts.map((p) => originName(p.origin))).toEqual(['the input region', 'rnn step 0: h (tanh planes)', 'rnn step 1: h (tanh planes)'])
      const [p0, p1] = [sink[1].planes!, sink[3].planes!]
      const half = (p: typeof p0, u: number) => (p.c2[u] - p.c1[u]) / 2
      // step 1's fresh symbols reach the margin through d alone
      const step1 = Math.abs(d[0]) * half(p1, 0) + Math.abs(d[1]) * half(p1, 1)
      // step 0's: through U and step 1's slopes, then d; symbol k sits on unit k
      const through = (k: number) => d[0] * p1.a[0] * U[0][k] + d[1] * p1.a[1] * U[1][k]
      const step0 = Math.abs(through(0)) * half(p0, 0) + Math.abs(through(1)) * half(p0, 1)
      // the input: frame 1's symbols through W (step 1), frame 0's through W, step 0's slopes, U …
      const input =
        [0, 1].reduce((s, i) => s + Math.abs(d[0] * p1.a[0] * W[0][i] + d[1] * p1.a[1] * W[1][i]), 0) +
        [0, 1].reduce((s, i) => s + Math.abs(through(0) * p0.a[0] * W[0][i] + through(1) * p0.a[1] * W[1][i]), 0)
      expect(l.parts[2].spread).toBeCloseTo(step1, 12)
      expect(l.parts[1].spread).toBeCloseTo(step0, 12)
      expect(l.parts[0].spread).toBeCloseTo(input, 12) // ε = 1: the coefficients are the sensitivities
      // the centre: step 1's lines a·x + (C1 + C2)/2 against tanh at the input's own pre-activation
      const pre1 = concrete.find((e) => e.step === 1 && e.op === 'pre')!.values
      const moved1 = [0, 1].reduce((s, u) => s + d[u] * (p1.a[u] * pre1[u] + (p1.c1[u] + p1.c2[u]) / 2 - Math.tanh(pre1[u])), 0)
      expect(l.parts[2].shift).toBeCloseTo(-moved1, 12)
      const pre0 = concrete.find((e) => e.step === 0 && e.op === 'pre')!.values
      const moved0 = [0, 1].reduce((s, k) => s + through(k) * (p0.a[k] * pre0[k] + (p0.c1[k] + p0.c2[k]) / 2 - Math.tanh(pre0[k])), 0)
      expect(l.parts[1].shift).toBeCloseTo(-moved0, 12)
      expect(l.parts[0].shift).toBe(0)
    }
  })

  it('the methods split the same gap differently; the split is deterministic', () => {
    const cn = compileNetwork(randomNetwork({ cell: 'lstm', hidden: [6], frameSize: 4, classes: 3, seed: 5 }))
    const prep = prepareSample(cn, { x: randomFrames(new Rng(11), 5, 4) })
    const split = (method: Method) => {
      const l = looseness(prep, [0, 1, 2, 3, 4], 0.03, { method })
      return l.parts.map((p) => [originName(p.origin), p.loss] as const)
    }
    const byMethod = Object.fromEntries((['certrnn', 'deepz', 'tight'] as const).map((m) => [m, split(m)]))
    expect(byMethod.certrnn).not.toEqual(byMethod.deepz)
    expect(byMethod.certrnn).not.toEqual(byMethod.tight)
    // the share of the planes (everything but the input) is larger for DeepZ's looser planes
    const planes = (s: ReadonlyArray<readonly [string, number]>) => s.slice(1).reduce((a, [, v]) => a + v, 0)
    expect(planes(byMethod.deepz)).toBeGreaterThan(planes(byMethod.certrnn))
    expect(split('certrnn')).toEqual(byMethod.certrnn)
  })

  it('order reduction, a masked step\'s join and the paper\'s margin check also add up', () => {
    const cn = compileNetwork(randomNetwork({ cell: 'lstm', hidden: [5], frameSize: 4, classes: 3, seed: 9 }))
    const prep = prepareSample(cn, { x: randomFrames(new Rng(3), 6, 4) })
    const reduced = looseness(prep, [0, 1, 2, 3, 4, 5], 0.02, { reduceTo: 4 })
    expectConsistent(reduced)
    expect(reduced.margin).toBe(certifyFrames(prep, [0, 1, 2, 3, 4, 5], 0.02, { reduceTo: 4 }).margins[reduced.against])
    // the folded symbols keep the origins they fold: every step still shows
    expect(new Set(reduced.parts.map((p) => p.origin.step)).size).toBeGreaterThan(4)
    const paper = looseness(prep, [2], 0.02, { margin: 'paper', against: 2 === prep.predicted ? 0 : 2 })
    expectConsistent(paper)
    expect(paper.margin).toBe(certifyFrames(prep, [2], 0.02, { margin: 'paper' }).margins[paper.against])
    // Masking(0) and an all-zero frame perturbed: its ball holds the mask point, so the step
    // may or may not be masked (the join of both states)
    const masked = compileNetwork(randomNetwork({ cell: 'lstm', hidden: [3], before: [{ kind: 'masking', value: 0 }], frameSize: 3, classes: 3, seed: 4 }))
    const x = randomFrames(new Rng(1), 4, 3)
    x[1] = [0, 0, 0]
    const joined = looseness(prepareSample(masked, { x }), [1], 0.05)
    expectConsistent(joined)
    expect(joined.parts.find((p) => p.origin.kind === 'join')).toMatchObject({ origin: { step: 1, op: 'mask state' } })
    // a clipped ball: its centre is not the input; the input's part carries that move
    const low = randomFrames(new Rng(3), 6, 4).map((f) => f.map((v) => Math.abs(v) * 0.01))
    const lp = prepareSample(cn, { x: low })
    const clipped = looseness(lp, [0, 1, 2, 3, 4, 5], 0.05, { clip: [0, 1] })
    expectConsistent(clipped)
    expect(clipped.parts[0].shift).not.toBe(0)
    expect(clipped.margin).toBe(certifyFrames(lp, [0, 1, 2, 3, 4, 5], 0.05, { clip: [0, 1] }).margins[clipped.against])
    expect(() => looseness(prep, [1], 0.02, { against: prep.predicted })).toThrow(/not another class/)
    expect(() => looseness(prep, [1], -1)).toThrow(/ε must be a positive number/)
  })
})

function mat(rows: number, cols: number, data: number[]) {
  return { rows, cols, data: Float64Array.from(data) }
}
