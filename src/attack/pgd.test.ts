/**
 * PGD inside the certificate's threat model: it finds flips where they exist, every point
 * it returns lies inside the (clipped) ball, success is decided by the float64 forward pass,
 * and, the soundness cross-check, it never succeeds at a sample's CERTIFIED bound on random
 * networks of every cell type (certified radius ≤ attack radius).
 */
import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import type { CellType, Clip, DenseLayer, NetworkIR } from '../cert/index.ts'
import { compileNetwork, findBound, prepareSample, randomFrames, randomNetwork, Rng } from '../cert/index.ts'
import { ballOf, insideBall, linfDistance, margin64, sampleBall } from './ball.ts'
import type { AttackResult } from './pgd.ts'
import { attackRadius, createAttackModel, fgsmAttack, pgdAttack, pgdAttackRegions, releaseAttackModel } from './pgd.ts'

beforeAll(async () => {
  await tf.setBackend('cpu')
})

const T = 3
const FRAME = 4

function expectInside(frames: Float64Array[], r: AttackResult, clip?: Clip) {
  const ball = ballOf(frames, r.frames, r.eps, clip)
  expect(insideBall(frames, r.adversarial, ball)).toBe(true)
  // (|x ± ε − x| may round one ulp above ε: inside the float64 box is what counts)
  expect(r.distance).toBeLessThanOrEqual(r.eps * (1 + 1e-12))
  expect(linfDistance(frames, r.adversarial)).toBe(r.distance)
}

describe('pgdAttack', () => {
  const net = randomNetwork({ cell: 'lstm', hidden: [6], frameSize: FRAME, classes: 3, seed: 11, scale: 2 })
  const cn = compileNetwork(net)
  const model = createAttackModel(net)
  const prep = prepareSample(cn, { x: randomFrames(new Rng(4), T, FRAME) })

  it('finds a flip at a large ε where random sampling already finds one', () => {
    // the smallest ε (of a coarse grid) at which 2,000 random points of the all-frames ball find a flip
    const all = [0, 1, 2]
    let eps = 0
    for (const e of [0.05, 0.1, 0.2, 0.4, 0.8, 1.6]) {
      const s = sampleBall(cn, prep.concrete, prep.frames, prep.predicted, ballOf(prep.frames, all, e), { samples: 2000, seed: 1 })
      if (s.violations > 0) {
        eps = e
        break
      }
    }
    expect(eps).toBeGreaterThan(0)
    const r = pgdAttack(model, prep.frames, prep.predicted, all, eps, { steps: 20, restarts: 4, seed: 1 })
    expect(r.success).toBe(true)
    expect(r.margin).toBeLessThanOrEqual(0)
    // the margin is the certifier's float64 margin at the returned input
    expect(r.margin).toBe(margin64(cn, r.adversarial, prep.predicted))
    expectInside(prep.frames, r)
    // and the attack is stronger than sampling: it also succeeds on a smaller ball
    const half = pgdAttack(model, prep.frames, prep.predicted, all, eps / 2, { steps: 30, restarts: 4, seed: 2 })
    const sampledHalf = sampleBall(cn, prep.concrete, prep.frames, prep.predicted, ballOf(prep.frames, all, eps / 2), { samples: 2000, seed: 3 })
    expect(half.margin).toBeLessThan(sampledHalf.minMargin)
  })

  it('FGSM is one step of length ε from the clean input', () => {
    const r = fgsmAttack(model, prep.frames, prep.predicted, [1], 0.05)
    expectInside(prep.frames, r)
    // a signed step from the centre lands on a vertex: every value of frame 1 moved by ε
    for (let i = 0; i < FRAME; i++) expect(Math.abs(r.adversarial[1][i] - prep.frames[1][i])).toBeCloseTo(0.05, 6)
    expect(r.adversarial[0]).toEqual(prep.frames[0])
    expect(r.adversarial[2]).toEqual(prep.frames[2])
    // the same as PGD with one step of ε from the centre
    const one = pgdAttack(model, prep.frames, prep.predicted, [1], 0.05, { steps: 1, restarts: 1, stepSize: 0.05, seed: 0 })
    expect(one.margin).toBe(r.margin)
    // PGD does at least as well
    const p = pgdAttack(model, prep.frames, prep.predicted, [1], 0.05, { steps: 10, restarts: 2, seed: 0 })
    expect(p.margin).toBeLessThanOrEqual(r.margin + 1e-12)
  })

  it('only moves the chosen frames, and respects the clip range', () => {
    const clip: Clip = [0, 1]
    // frames at the edges of the domain: many values at 0 or 1
    const x = [0, 1, 2].map((t) => Array.from({ length: FRAME }, (_, i) => ((t + i) % 3 === 0 ? 0 : (t + i) % 3 === 1 ? 1 : 0.5)))
    const p = prepareSample(cn, { x })
    for (const frames of [[0], [2], [0, 2], [0, 1, 2]]) {
      for (const eps of [0.01, 0.3, 2]) {
        const r = pgdAttack(model, p.frames, p.predicted, frames, eps, { steps: 8, restarts: 3, seed: 5, clip })
        expectInside(p.frames, r, clip)
        for (const f of r.adversarial) for (const v of f) expect(v >= 0 && v <= 1).toBe(true)
        for (let t = 0; t < T; t++) if (!frames.includes(t)) expect(r.adversarial[t]).toEqual(p.frames[t])
      }
    }
  })

  it('every returned point is inside the ball (many regions and radii, batched)', () => {
    const rng = new Rng(8)
    for (let k = 0; k < 4; k++) {
      const p = prepareSample(cn, { x: randomFrames(rng, T, FRAME, -1, 1) })
      const regions = [
        { frames: [0], eps: 0.001 },
        { frames: [1], eps: 0.5 },
        { frames: [2], eps: 3 },
        { frames: [0, 1], eps: 0.2 },
        { frames: [0, 1, 2], eps: 1e-6 },
      ]
      // a batch smaller than regions × restarts forces several chunks
      const rs = pgdAttackRegions(model, p.frames, p.predicted, regions, { steps: 5, restarts: 3, seed: k, batch: 4 })
      rs.forEach((r, j) => {
        expect(r.frames).toEqual(regions[j].frames)
        expect(r.eps).toBe(regions[j].eps)
        expectInside(p.frames, r)
        expect(r.success).toBe(r.margin <= 0)
      })
    }
  })

  it('float32 noise cannot fake a success: a tie in float32 is no flip in float64', () => {
    // classes 0 and 1 have the same weights and biases 1e-9 apart: no input can change
    // logit_0 − logit_1 = 1e-9, but in float32 the two biases round to the same value
    const base = randomNetwork({ cell: 'simpleRnn', hidden: [4], frameSize: 3, classes: 3, seed: 2 })
    const out = base.layers[base.layers.length - 1] as DenseLayer
    const k = out.kernel
    const data = k.data.slice()
    for (let i = 0; i < k.rows; i++) data[i * k.cols + 1] = data[i * k.cols + 0]
    const tie: NetworkIR = { ...base, layers: [...base.layers.slice(0, -1), { ...out, kernel: { ...k, data }, bias: Float64Array.from([0.1 + 1e-9, 0.1, -50]) }] }
    expect(Math.fround(0.1 + 1e-9)).toBe(Math.fround(0.1))
    const p = prepareSample(compileNetwork(tie), { x: randomFrames(new Rng(1), 2, 3) })
    expect(p.predicted).toBe(0)
    const r = pgdAttack(tie, p.frames, 0, [0, 1], 5, { steps: 5, restarts: 2, seed: 1 })
    expect(r.margin32).toBeLessThanOrEqual(0)
    expect(r.success).toBe(false)
    expect(r.margin).toBeCloseTo(1e-9, 12)
    releaseAttackModel(tie)
  })

  it('rejects what is not the threat model', () => {
    expect(() => pgdAttack(model, prep.frames, prep.predicted, [3], 0.1, { steps: 1, restarts: 1, seed: 0 })).toThrow(/frame 3/)
    expect(() => pgdAttack(model, prep.frames, prep.predicted, [0], 0, { steps: 1, restarts: 1, seed: 0 })).toThrow(/ε/)
    expect(() => pgdAttack(model, prep.frames, 7, [0], 0.1, { steps: 1, restarts: 1, seed: 0 })).toThrow(/label 7/)
    expect(() => pgdAttack(model, prep.frames, prep.predicted, [0], 0.1, { steps: 1, restarts: 1, seed: 0, clip: [0.5, 0.6] })).toThrow(/clip/)
  })
})

describe('attackRadius', () => {
  const net = randomNetwork({ cell: 'gruResetAfter', hidden: [5], frameSize: FRAME, classes: 3, seed: 3, scale: 2 })
  const model = createAttackModel(net)
  const prep = prepareSample(model.cn, { x: randomFrames(new Rng(6), T, FRAME) })
  const opts = { steps: 10, restarts: 3, seed: 1, maxEps: 4 }

  it('single-frame threat: the radius is the min over frames, with a verified adversarial input at that distance', () => {
    const r = attackRadius(model, prep.frames, prep.predicted, { kind: 'single' }, opts)
    expect(r.perFrame).toHaveLength(T)
    expect(r.radius).toBe(Math.min(...r.perFrame!))
    expect(Number.isFinite(r.radius)).toBe(true)
    expect(r.adversarial).not.toBeNull()
    expect(r.frame).toBe(r.perFrame!.indexOf(r.radius))
    expect(margin64(model.cn, r.adversarial!, prep.predicted)).toBeLessThanOrEqual(0)
    expect(insideBall(prep.frames, r.adversarial!, ballOf(prep.frames, [r.frame!], r.radius))).toBe(true)
    // onlyMin finds the same sample radius with fewer attacks
    const m = attackRadius(model, prep.frames, prep.predicted, { kind: 'single' }, { ...opts, onlyMin: true })
    expect(m.radius).toBeLessThanOrEqual(r.radius * 1.05 + 2 ** -13)
    expect(m.attacks).toBeLessThan(r.attacks)
  })

  it('joint threats; Infinity when the attack never succeeds; 0 when the input is already misclassified', () => {
    const all = attackRadius(model, prep.frames, prep.predicted, { kind: 'all' }, opts)
    const one = attackRadius(model, prep.frames, prep.predicted, { kind: 'frames', frames: [T - 1] }, opts)
    expect(all.perFrame).toBeNull()
    expect(all.radius).toBeLessThanOrEqual(one.radius)
    expect(attackRadius(model, prep.frames, prep.predicted, { kind: 'all' }, { ...opts, maxEps: 1e-3 }).radius).toBe(Infinity)
    const other = (prep.predicted + 1) % 3
    expect(attackRadius(model, prep.frames, other, { kind: 'all' }, opts).radius).toBe(0)
  })
})

/**
 * The soundness cross-check: at each sample's certified bound (per frame, fast search) the
 * attack never succeeds, and the attack radius is above the certified bound.
 */
interface Case {
  name: string
  cell: CellType
  hidden: number[]
  vocab?: number
  clip?: Clip
}

const CASES: Case[] = [
  { name: 'SimpleRNN, clipped to [0, 1]', cell: 'simpleRnn', hidden: [6], clip: [0, 1] },
  { name: 'LSTM', cell: 'lstm', hidden: [5] },
  { name: 'GRU', cell: 'gru', hidden: [5] },
  { name: 'GRU reset_after', cell: 'gruResetAfter', hidden: [5] },
  { name: 'stacked LSTM, clipped to [0, 1]', cell: 'lstm', hidden: [4, 3], clip: [0, 1] },
  { name: 'stacked GRU reset_after', cell: 'gruResetAfter', hidden: [4, 3] },
  { name: 'token LSTM', cell: 'lstm', hidden: [5], vocab: 20 },
]

/** attack radius / certified bound, per frame, over the suite */
const ratios: number[] = []

describe.each(CASES)('soundness cross-check, $name: the attack never beats the certified bound', (c) => {
  it('per frame (single-frame threat) and jointly (all frames)', () => {
    const net: NetworkIR = randomNetwork({ cell: c.cell, hidden: c.hidden, frameSize: FRAME, classes: 3, seed: 100 + c.hidden[0], vocab: c.vocab, scale: 2 })
    const model = createAttackModel(net)
    const rng = new Rng(21)
    const clip = c.clip
    const strong = { steps: 30, restarts: 6, seed: 3, clip }
    let certified = 0
    for (let s = 0; s < 2; s++) {
      const input = c.vocab ? { tokens: Array.from({ length: T }, () => rng.int(c.vocab!)) } : { x: randomFrames(rng, T, FRAME) }
      const prep = prepareSample(model.cn, input)
      const single = findBound(prep, { kind: 'single' }, { search: 'fast', clip, maxEps: 4 })
      const regions = single.perFrame!.map((eps, t) => ({ frames: [t], eps })).filter((r) => r.eps > 0)
      certified += regions.length
      for (const r of pgdAttackRegions(model, prep.frames, prep.predicted, regions, strong)) {
        expect(r.success, `frame ${r.frames[0]} certified at ${r.eps}, attacked with margin ${r.margin}`).toBe(false)
        expect(r.margin).toBeGreaterThan(0)
      }
      const radius = attackRadius(model, prep.frames, prep.predicted, { kind: 'single' }, { steps: 10, restarts: 3, seed: 4, clip, maxEps: 4, guess: single.perFrame!, resolution: 2 ** -9 })
      radius.perFrame!.forEach((a, t) => {
        expect(a, `frame ${t}`).toBeGreaterThan(single.perFrame![t])
        if (single.perFrame![t] > 0) ratios.push(a / single.perFrame![t])
      })
      expect(radius.radius).toBeGreaterThan(single.bound)

      const joint = findBound(prep, { kind: 'all' }, { search: 'fast', clip, maxEps: 4 })
      if (joint.bound > 0) {
        certified++
        const r = pgdAttack(model, prep.frames, prep.predicted, [0, 1, 2], joint.bound, strong)
        expect(r.success, `all frames certified at ${joint.bound}, attacked with margin ${r.margin}`).toBe(false)
      }
    }
    // the check means something: bounds were certified
    expect(certified).toBeGreaterThan(2)
    model.dispose()
  })
})

describe('the cross-check has teeth', () => {
  it('the attack radius is within 2.5× of the certified bound for at least half of the frames', () => {
    // so a certifier overstating its bounds by 2.5× would be caught on half of the frames
    expect(ratios.length).toBeGreaterThanOrEqual(CASES.length * 2 * T * 0.9)
    expect(ratios.filter((r) => r < 2.5).length).toBeGreaterThanOrEqual(ratios.length / 2)
  })
})
