/**
 * Interval bound propagation (IBP; Gowal et al. 2019), batched and differentiable: the
 * certifier's layers (src/cert/layers: SimpleRNN, LSTM, GRU, Dense) in the TF.js interval
 * domain.
 *
 * The decomposition is the certifier's 'interval' method (src/cert: every intermediate
 * result boxed; affine maps in centre/radius form, c·W + b ± r·|W|; tanh and sigmoid at the
 * endpoints; the products σ(x)·tanh(y) and x·σ(y) at the four corners, both being monotone
 * in each variable; GRU h_t = h̃ + (h_{t−1} − h̃)·σ(z) with h_{t−1} − h̃ boxed), so the
 * logit bounds agree with the certifier's. The worst-case logits use the last layer's
 * specification directly (z_c − z_y = (W_c − W_y)·h + b_c − b_y over the box of h), which
 * is sound and never looser than subtracting the two logit intervals.
 */
import * as tf from '@tensorflow/tfjs'
import type { CellProduct, Domain, StepMask, UnaryKind } from '../cert/index.ts'
import { boxMask, denseApply, runPipeline } from '../cert/index.ts'
import type { InputBox, LogitBounds } from './box.ts'
import { cols, PRODUCT_TF, steps, tfStages, UNARY_TF } from './forward.ts'
import { maskRows, matMul } from './ops.ts'
import type { TfParams } from './params.ts'

type T2 = tf.Tensor2D
type T1 = tf.Tensor1D

/** An interval vector [l, u], [B, n] each. */
interface Box {
  l: T2
  u: T2
}

const mid = (b: Box) => tf.div(tf.add(b.l, b.u), 2) as T2
const rad = (b: Box) => tf.div(tf.sub(b.u, b.l), 2) as T2

/** f(x, y) over a box by its corners (f monotone in each variable). */
function corners(f: (x: T2, y: T2) => T2, x: Box, y: Box): Box {
  const v = [f(x.l, y.l), f(x.l, y.u), f(x.u, y.l), f(x.u, y.u)]
  return { l: v.reduce((a, b) => tf.minimum(a, b)), u: v.reduce((a, b) => tf.maximum(a, b)) }
}

/**
 * Boxes of a batch: affine maps in centre/radius form (c·W + b ± r·|W|), tanh and sigmoid
 * at the endpoints, the products (monotone in each variable) at the four corners.
 */
class IntervalDomain implements Domain<Box, T2, T1> {
  private readonly absOf = new Map<T2, T2>()

  private abs(W: T2): T2 {
    let a = this.absOf.get(W)
    if (!a) this.absOf.set(W, (a = tf.abs(W)))
    return a
  }

  affine(terms: Array<[T2, Box]>, bias: T1 | null): Box {
    let c: T2 | null = null
    let r: T2 | null = null
    for (const [W, x] of terms) {
      const cw = matMul(mid(x), W)
      const rw = matMul(rad(x), this.abs(W))
      c = c ? (tf.add(c, cw) as T2) : cw
      r = r ? (tf.add(r, rw) as T2) : rw
    }
    if (bias) c = tf.add(c!, bias) as T2
    return { l: tf.sub(c!, r!), u: tf.add(c!, r!) }
  }

  slice(b: Box, from: number, count: number): Box {
    return { l: cols(b.l, from, count), u: cols(b.u, from, count) }
  }

  add(a: Box, b: Box): Box {
    return { l: tf.add(a.l, b.l), u: tf.add(a.u, b.u) }
  }

  sub(a: Box, b: Box): Box {
    return { l: tf.sub(a.l, b.u), u: tf.sub(a.u, b.l) }
  }

  unary(kind: UnaryKind, b: Box): Box {
    const f = UNARY_TF[kind]
    return { l: f(b.l), u: f(b.u) }
  }

  binary(kind: CellProduct, x: Box, y: Box): Box {
    return corners(PRODUCT_TF[kind], x, y)
  }

  max(parts: Box[]): Box {
    return { l: parts.map((b) => b.l).reduce((a, b) => tf.maximum(a, b)), u: parts.map((b) => b.u).reduce((a, b) => tf.maximum(a, b)) }
  }

  concat(parts: Box[]): Box {
    return { l: tf.concat(parts.map((b) => b.l), 1), u: tf.concat(parts.map((b) => b.u), 1) }
  }

  /** Masking(value) on boxes: per row masked (the box is the point), kept (a feature excludes it), or either (½). */
  maskOf(b: Box, value: number): StepMask {
    return boxMask(b.l.dataSync(), b.u.dataSync(), b.l.shape[0], b.l.shape[1], value)
  }

  /** Per row: `skipped`, `computed`, or (mask either) the hull of both. */
  select(m: Float64Array, skipped: Box, computed: Box): Box {
    if (m.length === 1 && m[0] !== 0.5) return m[0] === 1 ? skipped : computed
    const B = computed.l.shape[0]
    const { skip, keep, join } = maskRows(m, B)
    const pick = (a: T2, b: T2, hull: T2) => tf.addN([tf.mul(skip, a), tf.mul(keep, b), tf.mul(join, hull)]) as T2
    return { l: pick(skipped.l, computed.l, tf.minimum(skipped.l, computed.l)), u: pick(skipped.u, computed.u, tf.maximum(skipped.u, computed.u)) }
  }

  mark(): number {
    return 0
  }

  mergeLocal(b: Box): Box {
    return b
  }
}

/**
 * Upper bounds of z_c − z_y for the last Dense layer over the box of its input: per sample
 * the specification row (W_c − W_y)·h + (b_c − b_y), bounded in centre/radius form.
 */
function worstFromLastDense(last: { units: number; kernel: T2; bias: T1 }, h: Box, labels: T1): T2 {
  const C = last.units
  const onehot = tf.oneHot(tf.cast(labels, 'int32'), C) as T2
  const Wy = tf.matMul(onehot, last.kernel, false, true) // [B, n]
  const Wd = tf.sub(tf.expandDims(last.kernel, 0), tf.expandDims(Wy, 2)) as tf.Tensor3D // [B, n, C]
  const by = tf.sum(tf.mul(onehot, last.bias), 1, true)
  const c = tf.reshape(tf.matMul(tf.expandDims(mid(h), 1) as tf.Tensor3D, Wd), [-1, C])
  const r = tf.reshape(tf.matMul(tf.expandDims(rad(h), 1) as tf.Tensor3D, tf.abs(Wd)), [-1, C])
  // entry y: W_y − W_y = 0 and b_y − b_y = 0 exactly
  return tf.add(tf.add(c, tf.sub(last.bias, by)), r) as T2
}

/** IBP bounds of the logits over the box (and the worst-case logits for `labels`). */
export function intervalBounds(p: TfParams, box: InputBox, labels?: T1): LogitBounds {
  if (box.lower.rank !== 3 || box.lower.shape[2] !== p.frameSize) {
    throw new Error(`the box must have shape [batch, T, ${p.frameSize}], got [${box.lower.shape.join(', ')}]`)
  }
  const d = new IntervalDomain()
  const lo = steps(box.lower)
  const hi = steps(box.upper)
  const B = box.lower.shape[0]
  const stages = tfStages(p)
  const last = stages[stages.length - 1]
  if (last.type !== 'dense') throw new Error('the network must end with a Dense layer')
  // every stage but the output layer, then its box and its specification bound
  const masks = box.masks
  const h = runPipeline(d, stages.slice(0, -1), lo.map((l, t) => ({ l, u: hi[t] })), 0, lo.length - 1, {
    ...(masks ? { inputMask: (t: number) => masks[t] } : {}),
    initial: (_k, c) =>
      Array.from({ length: c.stateParts }, () => {
        const z = tf.zeros([B, c.units]) as T2
        return { l: z, u: z }
      }),
  })
  const out = denseApply(d, last.spec, h, true)
  return { lower: out.l, upper: out.u, worst: labels ? worstFromLastDense(last.spec, h, labels) : null }
}
