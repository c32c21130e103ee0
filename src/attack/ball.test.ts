/**
 * The float64 side of the attack: the region is the certifier's, the batched float64
 * forward pass equals the certifier's forward pass bit for bit, and ball sampling reports
 * only violations the certifier's forward pass confirms.
 */
import { describe, expect, it } from 'vitest'
import type { CellType, DenseLayer, NetworkIR } from '../cert/index.ts'
import { certifyFrames, compileNetwork, forward, inputRegion, prepareSample, randomFrames, randomNetwork, Rng, SymbolSource, zonotopeBounds } from '../cert/index.ts'
import { batchForward } from './batch64.ts'
import { ballOf, clampToBall, forwardFrom, insideBall, margin64, sampleBall } from './ball.ts'

function withHiddenDense(net: NetworkIR, act: string): NetworkIR {
  const rng = new Rng(1)
  const out = net.layers[net.layers.length - 1] as DenseLayer
  const w = out.kernel.rows
  const hidden: DenseLayer = { type: 'dense', name: 'h', units: 5, activation: act, kernel: { rows: w, cols: 5, data: Float64Array.from({ length: w * 5 }, () => rng.normal()) }, bias: new Float64Array(5).fill(0.1) }
  const last: DenseLayer = { ...out, kernel: { rows: 5, cols: out.units, data: Float64Array.from({ length: 5 * out.units }, () => rng.normal()) } }
  return { ...net, layers: [...net.layers.slice(0, -1), hidden, last] }
}

const cells: Array<[string, CellType, number[]]> = [
  ['SimpleRNN', 'simpleRnn', [5]],
  ['LSTM', 'lstm', [5]],
  ['GRU', 'gru', [5]],
  ['GRU reset_after', 'gruResetAfter', [5]],
  ['stacked LSTM', 'lstm', [4, 3]],
  ['stacked GRU', 'gru', [3, 4]],
]

describe.each(cells)('batched float64 forward, %s', (_, cell, hidden) => {
  it('equals the certifier forward pass bit for bit, from any start frame', () => {
    for (const net of [randomNetwork({ cell, hidden, frameSize: 7, classes: 3, seed: 2, scale: 2 }), withHiddenDense(randomNetwork({ cell, hidden, frameSize: 7, classes: 3, seed: 3 }), 'tanh')]) {
      const cn = compileNetwork(net)
      const rng = new Rng(5)
      const T = 5
      const clean = randomFrames(rng, T, 7, -1, 1).map((f) => Float64Array.from(f))
      const run = forward(cn, clean)
      const fwd = batchForward(cn, run, T)
      for (const start of [0, 2, 4]) {
        const S = 7 // not a multiple of the 4-sample block
        const frames: Float64Array[][] = Array.from({ length: S }, () => clean.map((f, t) => (t >= start && t % 2 === 0 ? f.map(() => rng.uniform(-1, 1)) : f)))
        const logits = fwd.run(S, start, (t) =>
          t % 2 === 0 ? { data: Float64Array.from(frames.flatMap((x) => Array.from(x[t]))), shared: false } : { data: clean[t], shared: true },
        )
        frames.forEach((x, s) => {
          const want = forward(cn, x).logits
          expect(Array.from(logits.subarray(s * cn.classes, (s + 1) * cn.classes))).toEqual(Array.from(want))
          expect(Array.from(forwardFrom(cn, run, x, start))).toEqual(Array.from(want))
        })
      }
    }
  })
})

describe('the region', () => {
  it('is the certifier input region (inside its zonotope, which only rounds outward), clipped or not', () => {
    const rng = new Rng(1)
    const frames = randomFrames(rng, 4, 6).map((f) => Float64Array.from(f))
    for (const clip of [undefined, [0, 1] as const]) {
      const ball = ballOf(frames, [3, 1], 0.3, clip)
      expect(ball.frames).toEqual([1, 3])
      const zs = inputRegion(frames, [1, 3], 0.3, clip, new SymbolSource())
      ball.frames.forEach((t, k) => {
        const b = zonotopeBounds(zs[t])
        ball.lo[k].forEach((v, i) => {
          expect(v).toBeGreaterThanOrEqual(b.lo[i])
          expect(v - b.lo[i]).toBeLessThan(1e-9)
          expect(ball.hi[k][i]).toBeLessThanOrEqual(b.hi[i])
          expect(b.hi[i] - ball.hi[k][i]).toBeLessThan(1e-9)
          expect(ball.hi[k][i] - v).toBeCloseTo(clip ? Math.min(1, frames[t][i] + 0.3) - Math.max(0, frames[t][i] - 0.3) : 0.6, 12)
        })
      })
    }
  })

  it('clampToBall lands inside, restores the other frames and ignores NaN', () => {
    const frames = [Float64Array.from([0.2, 0.5]), Float64Array.from([0.9, 0.1])]
    const ball = ballOf(frames, [1], 0.2, [0, 1])
    const x = clampToBall(frames, [Float64Array.from([7, 7]), Float64Array.from([5, NaN])], ball)
    expect(insideBall(frames, x, ball)).toBe(true)
    expect(Array.from(x[0])).toEqual([0.2, 0.5])
    expect(Array.from(x[1])).toEqual([1, 0.1])
    expect(insideBall(frames, [frames[0], Float64Array.from([1.11, 0.1])], ball)).toBe(false)
    expect(insideBall(frames, [Float64Array.from([0.2, 0.51]), frames[1]], ball)).toBe(false)
  })
})

describe('sampleBall', () => {
  const net = randomNetwork({ cell: 'lstm', hidden: [6], frameSize: 4, classes: 3, seed: 9, scale: 2 })
  const cn = compileNetwork(net)
  const prep = prepareSample(cn, { x: randomFrames(new Rng(2), 3, 4) })

  it('finds no violation in a certified region, and confirmed ones (inside the ball) in a large one', () => {
    const eps = 0.01
    expect(certifyFrames(prep, [1], eps).certified).toBe(true)
    const ok = sampleBall(cn, prep.concrete, prep.frames, prep.predicted, ballOf(prep.frames, [1], eps), { samples: 3000, seed: 1 })
    expect(ok.violations).toBe(0)
    expect(ok.minMargin).toBeGreaterThan(0)
    expect(ok.minMargin).toBe(margin64(cn, ok.worst!, prep.predicted))
    // all frames, large ε: flips exist
    const big = ballOf(prep.frames, [0, 1, 2], 3)
    const bad = sampleBall(cn, prep.concrete, prep.frames, prep.predicted, big, { samples: 3000, seed: 1 })
    expect(bad.violations).toBeGreaterThan(0)
    expect(bad.examples.length).toBe(Math.min(10, bad.violations))
    for (const x of bad.examples) {
      expect(insideBall(prep.frames, x, big)).toBe(true)
      expect(margin64(cn, x, prep.predicted)).toBeLessThanOrEqual(0)
    }
    expect(bad.minMargin).toBeLessThanOrEqual(0)
  })

  it('draws vertices and interior points, all inside the box', () => {
    const ball = ballOf(prep.frames, [2], 0.5, [0, 1])
    // with only vertices, the worst point is a vertex of the clipped box
    const v = sampleBall(cn, prep.concrete, prep.frames, prep.predicted, ball, { samples: 500, seed: 3, vertexFraction: 1 })
    expect(insideBall(prep.frames, v.worst!, ball)).toBe(true)
    v.worst![2].forEach((x, i) => expect(x === ball.lo[0][i] || x === ball.hi[0][i]).toBe(true))
    const u = sampleBall(cn, prep.concrete, prep.frames, prep.predicted, ball, { samples: 500, seed: 3, vertexFraction: 0 })
    expect(insideBall(prep.frames, u.worst!, ball)).toBe(true)
  })
})
