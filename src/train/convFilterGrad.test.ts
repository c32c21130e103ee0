/** The wasm Conv2DBackpropFilter kernel against the stock cpu kernel (Conv1D's kernel gradient). */
import * as tf from '@tensorflow/tfjs'
import '@tensorflow/tfjs-backend-wasm'
import { afterAll, describe, expect, it } from 'vitest'
import { Rng } from '../cert/index.ts'
import { convFilterGradValues, registerConvFilterGrad } from './convFilterGrad.ts'

interface Case {
  name: string
  x: [number, number, number] // [batch, time, in]
  kernel: number
  filters: number
  padding: 'same' | 'valid'
  strides: number
}

const CASES: Case[] = [
  { name: 'same, stride 1', x: [3, 9, 4], kernel: 3, filters: 5, padding: 'same', strides: 1 },
  { name: 'valid, stride 2', x: [2, 11, 3], kernel: 4, filters: 2, padding: 'valid', strides: 2 },
  { name: 'same, even kernel, stride 3', x: [2, 10, 2], kernel: 2, filters: 3, padding: 'same', strides: 3 },
]

/** d/dW of sum(tanh(conv1d(x, W)) · V) and d/dx of the same, on the current backend. */
function gradients(c: Case, seed: number): { dW: Float32Array; dx: Float32Array } {
  const rng = new Rng(seed)
  const [b, t, i] = c.x
  const X = Float32Array.from({ length: b * t * i }, () => rng.next() * 2 - 1)
  const W = Float32Array.from({ length: c.kernel * i * c.filters }, () => rng.next() * 2 - 1)
  return tf.tidy(() => {
    const x = tf.tensor3d(X, c.x)
    const w = tf.tensor3d(W, [c.kernel, i, c.filters])
    const outLen = (c.padding === 'same' ? Math.ceil(t / c.strides) : Math.ceil((t - c.kernel + 1) / c.strides)) * c.filters * b
    const V = tf.tensor1d(Float32Array.from({ length: outLen }, (_v, k) => Math.sin(k + seed)))
    const f = (xx: tf.Tensor3D, ww: tf.Tensor3D) => tf.conv1d(xx, ww, c.strides, c.padding).tanh().reshape([-1]).mul(V).sum()
    const [dx, dW] = tf.grads(f as (...a: tf.Tensor[]) => tf.Tensor)([x, w])
    return { dW: dW.dataSync() as Float32Array, dx: dx.dataSync() as Float32Array }
  })
}

describe('Conv2DBackpropFilter on wasm', () => {
  afterAll(async () => {
    await tf.setBackend('cpu')
  })

  it('the pure function: a 1×2 kernel over one 1×3 image, stride 1, valid', () => {
    // x = [1, 2, 3] (one channel), dy = [10, 100] → dW[0] = 1·10 + 2·100, dW[1] = 2·10 + 3·100
    const dW = convFilterGradValues([1, 2, 3], [1, 1, 3, 1], [10, 100], { strides: 1, pad: 'valid', dataFormat: 'NHWC', filterShape: [1, 2, 1, 1] })
    expect(Array.from(dW)).toEqual([210, 320])
  })

  it('wasm has no such kernel of its own (else this one is not needed)', async () => {
    expect(await tf.setBackend('wasm')).toBe(true)
    const remove = registerConvFilterGrad()
    remove()
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeUndefined()
  })

  it.each(CASES)('matches the stock cpu kernel: $name', async (c) => {
    expect(await tf.setBackend('cpu')).toBe(true)
    const stock = gradients(c, 7)
    expect(stock.dW.some((v) => v !== 0)).toBe(true)
    expect(await tf.setBackend('wasm')).toBe(true)
    const remove = registerConvFilterGrad()
    try {
      const ours = gradients(c, 7)
      expect(ours.dW.length).toBe(stock.dW.length)
      stock.dW.forEach((v, k) => expect(Math.abs(ours.dW[k] - v), `dW[${k}]`).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(v))))
      // the input gradient is wasm's own kernel: it agrees too
      stock.dx.forEach((v, k) => expect(Math.abs(ours.dx[k] - v)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(v))))
    } finally {
      remove()
    }
  })
})
