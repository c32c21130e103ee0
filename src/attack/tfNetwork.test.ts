/**
 * The TF.js attack forward pass agrees with the certifier's float64 forward pass
 * (src/cert/runtime.ts) within 1e-4 on random networks of every cell type, batched.
 */
import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import type { CellType, DenseLayer, NetworkIR, RecurrentLayer } from '../cert/index.ts'
import { compileNetwork, embedTokens, forward, randomFrames, randomNetwork, Rng } from '../cert/index.ts'
import { buildTfForward } from './tfNetwork.ts'

beforeAll(async () => {
  await tf.setBackend('cpu')
})

const TOL = 1e-4

function withActivation(net: NetworkIR, activation: string): NetworkIR {
  return { ...net, layers: net.layers.map((l) => (l.type === 'simpleRnn' ? { ...l, activation } : l)) }
}

/** Insert a hidden Dense(width, act) before the output layer. */
function withHiddenDense(net: NetworkIR, act: string, seed: number): NetworkIR {
  const rng = new Rng(seed)
  const out = net.layers[net.layers.length - 1] as DenseLayer
  const width = out.kernel.rows
  const hidden: DenseLayer = {
    type: 'dense',
    name: 'hidden',
    units: 5,
    activation: act,
    kernel: { rows: width, cols: 5, data: Float64Array.from({ length: width * 5 }, () => rng.normal() * 0.7) },
    bias: Float64Array.from({ length: 5 }, () => rng.normal() * 0.1),
  }
  const newOut: DenseLayer = { ...out, kernel: { rows: 5, cols: out.units, data: Float64Array.from({ length: 5 * out.units }, () => rng.normal() * 0.7) } }
  return { ...net, layers: [...net.layers.slice(0, -1), hidden, newOut] }
}

interface Case {
  name: string
  net: NetworkIR
}

const spec = (cell: CellType, hidden: number[], seed: number, extra: { vocab?: number; scale?: number } = {}) =>
  randomNetwork({ cell, hidden, frameSize: 6, classes: 4, seed, ...extra })

const CASES: Case[] = [
  { name: 'SimpleRNN tanh', net: spec('simpleRnn', [7], 1, { scale: 2 }) },
  { name: 'SimpleRNN sigmoid', net: withActivation(spec('simpleRnn', [7], 2, { scale: 2 }), 'sigmoid') },
  { name: 'SimpleRNN linear', net: withActivation(spec('simpleRnn', [7], 3), 'linear') },
  { name: 'LSTM', net: spec('lstm', [6], 4, { scale: 2 }) },
  { name: 'GRU', net: spec('gru', [6], 5, { scale: 2 }) },
  { name: 'GRU reset_after', net: spec('gruResetAfter', [6], 6, { scale: 2 }) },
  { name: 'stacked SimpleRNN', net: spec('simpleRnn', [5, 4], 7, { scale: 2 }) },
  { name: 'stacked LSTM (3 layers)', net: spec('lstm', [5, 4, 3], 8, { scale: 2 }) },
  { name: 'stacked GRU reset_after', net: spec('gruResetAfter', [5, 4], 9, { scale: 2 }) },
  { name: 'stacked GRU', net: spec('gru', [5, 4], 10, { scale: 2 }) },
  { name: 'LSTM + hidden Dense tanh', net: withHiddenDense(spec('lstm', [6], 11, { scale: 2 }), 'tanh', 1) },
  { name: 'GRU + hidden Dense sigmoid', net: withHiddenDense(spec('gru', [6], 12, { scale: 2 }), 'sigmoid', 2) },
  { name: 'token LSTM (embedding vectors in)', net: spec('lstm', [6], 13, { vocab: 30 }) },
  { name: 'token GRU reset_after', net: spec('gruResetAfter', [6], 14, { vocab: 30 }) },
]

describe.each(CASES)('TF.js forward of $name', ({ net }) => {
  it('agrees with the float64 forward within 1e-4, batched, for several lengths', () => {
    const cn = compileNetwork(net)
    const fwd = buildTfForward(net)
    try {
      expect(fwd.classes).toBe(cn.classes)
      expect(fwd.frameSize).toBe(cn.frameSize)
      const rng = new Rng(77)
      let maxErr = 0
      let spread = 0
      for (const T of [1, 3, 8]) {
        const B = 5
        const batch: Float64Array[][] = Array.from({ length: B }, () =>
          cn.embedding
            ? embedTokens(cn, Array.from({ length: T }, () => rng.int(cn.embedding!.embeddings.rows)))
            : randomFrames(rng, T, cn.frameSize, -1, 1).map((f) => Float64Array.from(f)),
        )
        const data = new Float32Array(B * T * cn.frameSize)
        batch.forEach((x, b) => x.forEach((f, t) => data.set(f, (b * T + t) * cn.frameSize)))
        const logits = tf.tidy(() => fwd(tf.tensor3d(data, [B, T, cn.frameSize])))
        const got = logits.arraySync()
        logits.dispose()
        batch.forEach((x, b) => {
          const want = forward(cn, x).logits
          for (let c = 0; c < cn.classes; c++) {
            maxErr = Math.max(maxErr, Math.abs(got[b][c] - want[c]))
            spread = Math.max(spread, Math.abs(want[c]))
          }
        })
      }
      expect(maxErr).toBeLessThan(TOL)
      // the logits are not trivially small (the comparison means something)
      expect(spread).toBeGreaterThan(0.1)
    } finally {
      fwd.dispose()
    }
  })
})

describe('TF.js forward', () => {
  it('is differentiable: the gradient matches float64 central differences', () => {
    const net = spec('gruResetAfter', [5], 21, { scale: 2 })
    const cn = compileNetwork(net)
    const fwd = buildTfForward(net)
    const rng = new Rng(3)
    const x = randomFrames(rng, 3, cn.frameSize, -1, 1).map((f) => Float64Array.from(f))
    const data = new Float32Array(3 * cn.frameSize)
    x.forEach((f, t) => data.set(f, t * cn.frameSize))
    const g = tf.tidy(() => tf.grad((v: tf.Tensor) => tf.sum(tf.slice(fwd(v as tf.Tensor3D), [0, 1], [1, 1])))(tf.tensor3d(data, [1, 3, cn.frameSize])))
    const grad = g.dataSync()
    g.dispose()
    fwd.dispose()
    const h = 1e-6
    for (const [t, i] of [
      [0, 0],
      [1, 3],
      [2, 5],
    ]) {
      const up = x.map((f) => f.slice())
      const dn = x.map((f) => f.slice())
      up[t][i] += h
      dn[t][i] -= h
      const fd = (forward(cn, up).logits[1] - forward(cn, dn).logits[1]) / (2 * h)
      expect(Math.abs(grad[t * cn.frameSize + i] - fd)).toBeLessThan(1e-3 * Math.max(1, Math.abs(fd)))
    }
  })

  it('has gradients for one-step inputs and stacked layers (TF.js unstack cannot back-propagate one step)', () => {
    for (const cell of ['lstm', 'gruResetAfter', 'simpleRnn'] as const) {
      const net = spec(cell, [4, 3], 5, { scale: 2 })
      const fwd = buildTfForward(net)
      for (const T of [1, 2]) {
        const g = tf.tidy(() => tf.grad((v: tf.Tensor) => tf.sum(fwd(v as tf.Tensor3D)))(tf.ones([2, T, 6])))
        expect(g.shape).toEqual([2, T, 6])
        expect(Array.from(g.dataSync()).some((v) => v !== 0)).toBe(true)
        g.dispose()
      }
      fwd.dispose()
    }
  })

  it('refuses frames of the wrong size', () => {
    const fwd = buildTfForward(spec('lstm', [3], 1))
    expect(() => tf.tidy(() => fwd(tf.zeros([1, 2, 5]) as tf.Tensor3D))).toThrow(/shape \[batch, T, 6\]/)
    fwd.dispose()
  })

  it('uses the IR recurrent layers as given (no hidden defaults)', () => {
    const net = spec('gru', [4], 2)
    const layer = net.layers[0] as RecurrentLayer
    expect(layer.type).toBe('gru')
    expect(() => buildTfForward({ ...net, layers: [{ ...layer, recurrentActivation: 'hard_sigmoid' } as RecurrentLayer, ...net.layers.slice(1)] })).toThrow(/hard_sigmoid/)
  })
})
