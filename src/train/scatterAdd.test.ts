/** The scatter-add UnsortedSegmentSum kernel against the stock cpu kernel (Embedding's gradient). */
import * as tf from '@tensorflow/tfjs'
import '@tensorflow/tfjs-backend-wasm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Rng } from '../cert/index.ts'
import { registerScatterAdd, scatterAddValues } from './scatterAdd.ts'

const VOCAB = 50
const DIM = 6

function data(seed: number) {
  const rng = new Rng(seed)
  const E = Float32Array.from({ length: VOCAB * DIM }, () => rng.next() * 2 - 1)
  // [batch 4, time 7] ids with repeats (several rows hit the same embedding row)
  const ids = Int32Array.from({ length: 28 }, () => rng.int(12))
  const W = Float32Array.from({ length: 28 * DIM }, () => rng.next() * 2 - 1)
  return { E, ids, W }
}

/** d/dE of sum(tanh(gather(E, ids)) · W) (Gather's gradient is an UnsortedSegmentSum), plus a direct call. */
async function gradients(seed: number): Promise<{ grad: Float32Array; direct: Float32Array }> {
  const { E, ids, W } = data(seed)
  return tf.tidy(() => {
    const e = tf.tensor2d(E, [VOCAB, DIM])
    const idx = tf.tensor2d(ids, [4, 7], 'int32')
    const w = tf.tensor3d(W, [4, 7, DIM])
    const f = (m: tf.Tensor) => tf.gather(m, idx.reshape([-1])).reshape([4, 7, DIM]).tanh().mul(w).sum()
    const g = tf.grad(f)(e)
    // the op itself, with out-of-range ids (dropped) and a 3-D x
    const x = tf.tensor3d(W, [14, 2, DIM])
    const seg = tf.tensor1d([0, 3, 3, 9, 1, 0, 2, 2, 2, 5, 7, 9, 4, 1], 'int32')
    const direct = tf.unsortedSegmentSum(x, seg, 8)
    return { grad: g.dataSync() as Float32Array, direct: direct.dataSync() as Float32Array }
  })
}

describe('scatter-add UnsortedSegmentSum', () => {
  let stock: Array<{ grad: Float32Array; direct: Float32Array }>
  beforeAll(async () => {
    await tf.setBackend('cpu')
    stock = [await gradients(1), await gradients(2)]
  })
  afterAll(async () => {
    await tf.setBackend('cpu')
  })

  it('the pure function drops out-of-range ids', () => {
    expect(Array.from(scatterAddValues([1, 2, 3, 4, 5, 6], [1, -1, 1], 2))).toEqual([0, 0, 6, 8])
    expect(Array.from(scatterAddValues([1, 2], [5, 0], 2))).toEqual([2, 0])
  })

  it('the stock gradient is not trivial (repeated ids accumulate)', () => {
    expect(stock[0].grad.some((v) => v !== 0)).toBe(true)
    expect(stock[0].grad.slice(12 * DIM).every((v) => v === 0)).toBe(true) // rows never gathered
  })

  for (const backend of ['cpu', 'wasm'] as const) {
    it(`matches the stock cpu kernel on ${backend}`, async () => {
      expect(await tf.setBackend(backend)).toBe(true)
      const restore = registerScatterAdd(backend)
      try {
        for (const [k, seed] of [1, 2].entries()) {
          const ours = await gradients(seed)
          expect(ours.grad.length).toBe(stock[k].grad.length)
          ours.grad.forEach((v, i) => expect(Math.abs(v - stock[k].grad[i])).toBeLessThanOrEqual(1e-6))
          expect(Array.from(ours.direct)).toEqual(Array.from(stock[k].direct).map((v) => expect.closeTo(v, 6)))
        }
      } finally {
        restore()
      }
    })
  }
})
