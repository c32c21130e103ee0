/**
 * Soundness of the training bounds: on random small networks of every cell type (SimpleRNN,
 * LSTM, GRU, GRU reset_after; one layer and stacked), for several ε, all frames perturbed
 * (with and without the [0, 1] clip), the IBP and zonotope bounds (exact and consolidated)
 * contain the float64 logits and logit differences z_c − z_y of thousands of points of the
 * box (half of them vertices), and of points found by a PGD-like search that pushes each
 * logit and each difference toward its bound.
 */
import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { batchForward } from '../attack/batch64.ts'
import type { CellType } from '../cert/index.ts'
import { compileNetwork, forward, randomFrames, randomNetwork, Rng } from '../cert/index.ts'
import { inputBox } from './box.ts'
import { logits as tfLogits } from './forward.ts'
import { intervalBounds } from './intervalBounds.ts'
import { paramsFromNetwork } from './params.ts'
import { zonotopeBounds } from './zonotopeBounds.ts'

beforeAll(async () => {
  await tf.setBackend('cpu')
})

const T = 4
const F = 3
const SAMPLES = 2000
/** float32 bounds vs float64 logits: rounding of the unpadded affine maps */
const TOL = 1e-6

interface Bound {
  name: string
  lower: number[]
  upper: number[]
  /** worst[c] ≥ z_c − z_y */
  worst: number[]
}

function boundsOf(params: ReturnType<typeof paramsFromNetwork>, x: number[][], eps: number, clip: [number, number] | undefined, y: number): Bound[] {
  return tf.tidy(() => {
    const box = inputBox(tf.tensor3d([x]), eps, { clip })
    const labels = tf.tensor1d([y], 'int32')
    const out = [
      ['ibp', intervalBounds(params, box, labels)],
      ['zonotope (exact)', zonotopeBounds(params, box, labels, { consolidate: false })],
      ['zonotope (consolidated)', zonotopeBounds(params, box, labels, { consolidate: true })],
      ['zonotope (largest 5 symbols kept)', zonotopeBounds(params, box, labels, { consolidate: { keep: 5 } })],
    ] as const
    return out.map(([name, b]) => ({ name, lower: Array.from(b.lower.dataSync()), upper: Array.from(b.upper.dataSync()), worst: Array.from(b.worst!.dataSync()) }))
  })
}

/** Every violation of the bounds by the logits z of one point. */
function violations(bounds: Bound[], z: ArrayLike<number>, y: number, where: string): string[] {
  const out: string[] = []
  for (const b of bounds) {
    for (let c = 0; c < z.length; c++) {
      const tol = TOL * (1 + Math.abs(z[c]))
      if (z[c] < b.lower[c] - tol || z[c] > b.upper[c] + tol) out.push(`${b.name}: logit ${c} = ${z[c]} outside [${b.lower[c]}, ${b.upper[c]}] at ${where}`)
      const d = z[c] - z[y]
      if (d > b.worst[c] + TOL * (1 + Math.abs(d))) out.push(`${b.name}: z_${c} − z_${y} = ${d} above its bound ${b.worst[c]} at ${where}`)
    }
  }
  return out
}

/** Box corners (float64, as the certifier builds them). */
function boxOf(x: number[][], eps: number, clip?: [number, number]) {
  const lo = x.map((f) => Float64Array.from(f, (v) => (clip ? Math.max(v - eps, clip[0]) : v - eps)))
  const hi = x.map((f) => Float64Array.from(f, (v) => (clip ? Math.min(v + eps, clip[1]) : v + eps)))
  return { lo, hi }
}

/** Signed-gradient ascent of objective(logits) inside the box, from random starts (float32), checked in float64 by the caller. */
function pgdPoints(params: ReturnType<typeof paramsFromNetwork>, lo: Float64Array[], hi: Float64Array[], objectives: Array<(z: tf.Tensor2D) => tf.Tensor1D>, rng: Rng): number[][][] {
  const R = 4
  const starts: number[][][] = []
  for (let k = 0; k < objectives.length * R; k++) starts.push(lo.map((l, t) => Array.from(l, (v, i) => v + (hi[t][i] - v) * rng.next())))
  const loT = tf.tensor3d([lo.map((f) => Array.from(f))])
  const hiT = tf.tensor3d([hi.map((f) => Array.from(f))])
  let x = tf.tensor3d(starts)
  const step = tf.mul(tf.sub(hiT, loT), 0.15)
  const which = tf.tensor1d(objectives.flatMap((_, k) => Array(R).fill(k)), 'int32')
  const objective = (v: tf.Tensor) => {
    const z = tfLogits(params, v as tf.Tensor3D)
    const all = tf.stack(objectives.map((o) => o(z)), 1) // [rows, objectives]
    return tf.sum(tf.mul(all, tf.oneHot(which, objectives.length)))
  }
  for (let it = 0; it < 25; it++) {
    const next = tf.tidy(() => {
      const g = tf.grad(objective)(x)
      const s = tf.mul(step, it < 20 ? 1 : 0.2)
      return tf.minimum(tf.maximum(tf.add(x, tf.mul(tf.sign(g), s)), loT), hiT) as tf.Tensor3D
    })
    x.dispose()
    x = next
  }
  const out = x.arraySync()
  ;[x, loT, hiT, step, which].forEach((t) => t.dispose())
  return out
}

const CASES: Array<[CellType, number[]]> = [
  // one unit: the logits are monotone in h, whose bounds are attained at vertices of the box
  // (sensitive to a plane gap that is too small)
  ['simpleRnn', [1]],
  ['lstm', [1]],
  ['gru', [1]],
  ['gruResetAfter', [1]],
  ['simpleRnn', [5]],
  ['lstm', [4]],
  ['gru', [4]],
  ['gruResetAfter', [4]],
  ['simpleRnn', [4, 3]],
  ['lstm', [3, 3]],
  ['gruResetAfter', [3, 3]],
]

describe.each(CASES)('%s %j: IBP and zonotope bounds contain sampled and attacked logits', (cell, hidden) => {
  it(`${SAMPLES} points per region (half vertices) and PGD toward every bound, ε ∈ {0.02, 0.1, 0.3}`, () => {
    const net = randomNetwork({ cell, hidden, frameSize: F, classes: 3, seed: 100 + hidden.length * 7 + cell.length, scale: 1.5 })
    const cn = compileNetwork(net)
    const params = paramsFromNetwork(net)
    const rng = new Rng(9)
    const found: string[] = []
    let points = 0
    try {
      for (const [eps, clip] of [[0.02, undefined], [0.1, [0, 1]], [0.3, undefined]] as Array<[number, [number, number] | undefined]>) {
        const x = randomFrames(rng, T, F, 0, 1)
        const frames = x.map((f) => Float64Array.from(f))
        const clean = forward(cn, frames)
        const y = rng.int(cn.classes)
        const bounds = boundsOf(params, x, eps, clip, y)
        const { lo, hi } = boxOf(x, eps, clip)
        // random points: S at a time through the batched float64 forward
        const fwd = batchForward(cn, clean, T)
        const S = 250
        for (let done = 0; done < SAMPLES; done += S) {
          const blocks = lo.map(() => new Float64Array(S * F))
          for (let s = 0; s < S; s++) {
            const vertex = s % 2 === 0
            lo.forEach((l, t) => {
              for (let i = 0; i < F; i++) blocks[t][s * F + i] = vertex ? (rng.next() < 0.5 ? l[i] : hi[t][i]) : l[i] + (hi[t][i] - l[i]) * rng.next()
            })
          }
          const z = fwd.run(S, 0, (t) => ({ data: blocks[t], shared: false }))
          for (let s = 0; s < S; s++) found.push(...violations(bounds, z.subarray(s * cn.classes, (s + 1) * cn.classes), y, `ε=${eps} sample ${done + s}`))
          points += S
        }
        // PGD toward each logit's upper and lower bound and each difference's bound
        const objectives: Array<(z: tf.Tensor2D) => tf.Tensor1D> = []
        for (let c = 0; c < cn.classes; c++) {
          objectives.push((z) => tf.squeeze(tf.slice(z, [0, c], [-1, 1]), [1]))
          objectives.push((z) => tf.neg(tf.squeeze(tf.slice(z, [0, c], [-1, 1]), [1])))
          if (c !== y) objectives.push((z) => tf.squeeze(tf.sub(tf.slice(z, [0, c], [-1, 1]), tf.slice(z, [0, y], [-1, 1])), [1]))
        }
        for (const p of pgdPoints(params, lo, hi, objectives, rng)) {
          // clamp into the float64 box (float32 rounding) and evaluate in float64
          const q = p.map((f, t) => Float64Array.from(f, (v, i) => Math.min(hi[t][i], Math.max(lo[t][i], v))))
          found.push(...violations(bounds, forward(cn, q).logits, y, `ε=${eps} PGD point`))
          points++
        }
      }
    } finally {
      params.dispose()
    }
    expect(points).toBeGreaterThan(3 * SAMPLES)
    if (found.length) expect.fail(`${found.length} violations, e.g.\n${found.slice(0, 5).join('\n')}`)
  })
})
