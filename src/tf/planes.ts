/**
 * Cert-RNN's parallel-plane transformers as differentiable TF.js expressions of the input
 * box, for certified training (batched: every tensor is [B, n], one plane per neuron):
 *
 *   A·x + B·y + C1 ≤ f(x, y) ≤ A·x + B·y + C2  on  [lx, ux] × [ly, uy]
 *
 * Slopes are the paper's (secant slopes for tanh / sigmoid, Theorems 4.2 and 4.3 for
 * σ(x)·tanh(y) and x·σ(y)), written as tensor expressions of the bounds. The offsets are
 * the min and max of the residual g = f − A·x − B·y over the box, which Danskin's theorem
 * lets us differentiate by re-evaluating g at the argmin / argmax:
 * - one variable: the closed-form critical points f'(x) = A (certification.md), computed
 *   off the gradient tape (`detached`), plus the two endpoints;
 * - two variables: the candidates are enumerated numerically in float64 by the certifier's
 *   own enumerations (src/cert/transformers: sigmoidTanhCandidates, xSigmoidCandidates)
 *   from the float32 values of the box and the slopes, then g is evaluated as a TF
 *   expression at every candidate, where a coordinate that is a box edge is the
 *   (differentiable) bound tensor and an interior coordinate a constant.
 * The offsets are padded outward by PADDING.abs + PADDING.rel·(scale of the residual's terms): the
 * residual is evaluated in float32 (and the critical points are float32-rounded), so the
 * exact float64 extremes may lie a few ulps beyond the computed ones.
 *
 * Degenerate and tiny boxes (width ≤ WIDTH_MIN) use the derivative at the midpoint instead
 * of the secant (the limit of the secant, without float32 cancellation); any slope is sound,
 * since the offsets are the residual's extremes for whatever slope is used.
 */
import * as tf from '@tensorflow/tfjs'
import { hardSigmoidTanhCandidates, sigmoidTanhCandidates, xHardSigmoidCandidates, xSigmoidCandidates } from '../cert/index.ts'
import { hardSigmoidTf } from './ops.ts'
/**
 * The outward offset padding: abs + rel·(magnitude of the residual's terms). Measured need
 * (planes.test.ts, cpu and wasm): about 1e-7 relative. Mutable for tests only (agreement
 * with the certifier without padding).
 */
export const PADDING = { abs: 1e-7, rel: 1e-6 }
/** Widths up to this (plus a relative part) use the midpoint derivative for the slope. */
export const WIDTH_MIN = 1e-5

export interface TfPlane {
  a: tf.Tensor2D
  /** null for one-variable planes */
  b: tf.Tensor2D | null
  c1: tf.Tensor2D
  c2: tf.Tensor2D
}

type T2 = tf.Tensor2D

/**
 * `fn(...xs)` cut off from the gradient tape: one custom-gradient node with zero gradients,
 * so that comparisons and masks (whose ops have no gradient in TF.js) and arg-extrema (held
 * fixed, Danskin) may be computed from tensors the loss depends on.
 */
export function detached(fn: (...xs: tf.Tensor[]) => tf.Tensor, ...xs: tf.Tensor[]): tf.Tensor {
  const op = tf.customGrad(((...args: unknown[]) => {
    const inputs = args.slice(0, xs.length) as tf.Tensor[]
    return { value: fn(...inputs), gradFunc: () => inputs.map((x) => tf.zerosLike(x)) }
  }) as never) as unknown as (...t: tf.Tensor[]) => tf.Tensor
  return op(...xs)
}

const sigmoidPrime = (x: T2): T2 => {
  const s = tf.sigmoid(x)
  return tf.mul(s, tf.sub(1, s))
}
const tanhPrime = (x: T2): T2 => tf.sub(1, tf.square(tf.tanh(x)))

/** Is the interval [l, u] wide enough for a float32 secant? (bool, off the tape) */
function wideMask(l: T2, u: T2): tf.Tensor {
  return detached((lo, hi) => tf.greater(tf.sub(hi, lo), tf.add(WIDTH_MIN, tf.mul(WIDTH_MIN, tf.maximum(tf.abs(lo), tf.abs(hi))))), l, u)
}

/** (fu − fl) / (u − l) where the box is wide, else the derivative at the midpoint. */
function secant(l: T2, u: T2, fl: T2, fu: T2, fPrime: (x: T2) => T2): T2 {
  const wide = wideMask(l, u)
  const safeW = tf.where(wide, tf.sub(u, l), tf.onesLike(l))
  const mid = tf.div(tf.add(l, u), 2) as T2
  return tf.where(wide, tf.div(tf.sub(fu, fl), safeW), fPrime(mid)) as T2
}

function pad(scale: T2): T2 {
  return tf.add(PADDING.abs, tf.mul(PADDING.rel, scale))
}

// ---------------------------------------------------------------------------------------
// One variable: tanh, sigmoid

/** The non-negative x with f'(x) = a (NaN-free; `valid` says where it exists). */
function criticalPoint(kind: 'tanh' | 'sigmoid', aStop: tf.Tensor): { x: tf.Tensor; valid: tf.Tensor } {
  if (kind === 'tanh') {
    // 1 − tanh²x = a ⇔ x = ±artanh(√(1 − a)) = ±acosh(1/√a), 0 < a < 1
    const valid = tf.logicalAnd(tf.greater(aStop, 0), tf.less(aStop, 1))
    const a = tf.clipByValue(aStop, 1e-30, 1 - 1e-7)
    const big = tf.atanh(tf.sqrt(tf.sub(1, a)))
    const small = tf.acosh(tf.rsqrt(a))
    return { x: tf.where(tf.greater(a, 0.5), big, small), valid }
  }
  // σ'(x) = p(1 − p) = a ⇔ p = 2a / (1 + √(1 − 4a)), x = ±ln(p / (1 − p)), 0 < a ≤ ¼
  const valid = tf.logicalAnd(tf.greater(aStop, 0), tf.lessEqual(aStop, 0.25))
  const a = tf.clipByValue(aStop, 1e-30, 0.25)
  const p = tf.div(tf.mul(2, a), tf.add(1, tf.sqrt(tf.relu(tf.sub(1, tf.mul(4, a))))))
  const x = tf.neg(tf.log(tf.div(p, tf.sub(1, p))))
  return { x, valid }
}

/** Cert-RNN (Theorem 4.1) plane of tanh or sigmoid over [l, u]: secant slope, exact residual extremes. */
export function unaryPlane(kind: 'tanh' | 'sigmoid', l: T2, u: T2): TfPlane {
  const f = kind === 'tanh' ? (x: T2) => tf.tanh(x) : (x: T2) => tf.sigmoid(x)
  const fl = f(l)
  const fu = f(u)
  const a = secant(l, u, fl, fu, kind === 'tanh' ? tanhPrime : sigmoidPrime)
  const g = (x: T2, fx: T2 = f(x)): T2 => tf.sub(fx, tf.mul(a, x))
  const gl = g(l, fl)
  const gu = g(u, fu)
  // the interior candidates ±x* (f'(x*) = a) held fixed; where one does not exist or lies
  // outside (l, u), the endpoint l stands in for it (same residual value; on ties the
  // min / max below pass the gradient to the endpoint term, which comes first)
  const cand = detached(
    (aa, lo, hi) => {
      const { x, valid } = criticalPoint(kind, aa)
      const inside = (v: tf.Tensor) => tf.logicalAnd(valid, tf.logicalAnd(tf.greater(v, lo), tf.less(v, hi)))
      return tf.stack([tf.where(inside(x), x, lo), tf.where(inside(tf.neg(x)), tf.neg(x), lo)])
    },
    a,
    l,
    u,
  )
  let lo = tf.minimum(gl, gu)
  let hi = tf.maximum(gl, gu)
  for (const x of tf.unstack(cand) as T2[]) {
    const gx = g(x)
    lo = tf.minimum(lo, gx)
    hi = tf.maximum(hi, gx)
  }
  const scale = tf.add(1, tf.mul(tf.abs(a), tf.maximum(tf.abs(l), tf.abs(u)))) as T2
  const p = pad(scale)
  return { a, b: null, c1: tf.sub(lo, p), c2: tf.add(hi, p) }
}

/**
 * The relu plane over [l, u] (the certifier's, src/cert/transformers/relu.ts): zero plane
 * when u ≤ 0, identity when l ≥ 0, else slope λ = u/(u − l) and residual in [0, −λl].
 */
export function reluPlane(l: T2, u: T2): TfPlane {
  const crossing = detached((lo, hi) => tf.logicalAnd(tf.less(lo, 0), tf.greater(hi, 0)), l, u)
  const active = detached((lo) => tf.greaterEqual(lo, 0), l)
  const safeW = tf.where(crossing, tf.sub(u, l), tf.onesLike(l))
  const lambda = tf.div(u, safeW)
  const a = tf.where(crossing, lambda, tf.where(active, tf.onesLike(l), tf.zerosLike(l))) as T2
  const hi = tf.where(crossing, tf.neg(tf.mul(lambda, l)), tf.zerosLike(l)) as T2
  const p = pad(tf.add(1, tf.maximum(tf.abs(l), tf.abs(u))) as T2)
  return { a, b: null, c1: tf.neg(p), c2: tf.add(hi, p) }
}

// ---------------------------------------------------------------------------------------
// Two variables: σ(x)·tanh(y), x·σ(y)

type Enumerate = (a: number, b: number, lx: number, ux: number, ly: number, uy: number) => Array<[number, number]>

/**
 * max_k / min_k of g(x_k, y_k) over the candidates the certifier's enumeration gives for
 * each neuron, with edge coordinates tied to the bound tensors (Danskin).
 */
function residualExtremes(
  f: (x: tf.Tensor3D, y: tf.Tensor3D) => tf.Tensor3D,
  enumerate: Enumerate,
  maxK: number,
  a: T2,
  b: T2,
  lx: T2,
  ux: T2,
  ly: T2,
  uy: T2,
): { lo: T2; hi: T2 } {
  const [B, n] = a.shape
  const N = B * n
  const K = maxK
  // one read-back of everything the enumeration needs (float32 values, exact in float64)
  const packed = tf.stack([lx, ux, ly, uy, a, b]).dataSync()
  const mLx = new Float32Array(N * K)
  const mUx = new Float32Array(N * K)
  const cX = new Float32Array(N * K)
  const mLy = new Float32Array(N * K)
  const mUy = new Float32Array(N * K)
  const cY = new Float32Array(N * K)
  for (let i = 0; i < N; i++) {
    const vlx = packed[i]
    const vux = packed[N + i]
    const vly = packed[2 * N + i]
    const vuy = packed[3 * N + i]
    const pts = enumerate(packed[4 * N + i], packed[5 * N + i], vlx, vux, vly, vuy)
    if (pts.length > K) throw new Error(`internal: ${pts.length} plane candidates, at most ${K} expected`)
    for (let k = 0; k < K; k++) {
      const [x, y] = pts[Math.min(k, pts.length - 1)]
      const o = i * K + k
      if (x === vlx) mLx[o] = 1
      else if (x === vux) mUx[o] = 1
      else cX[o] = x
      if (y === vly) mLy[o] = 1
      else if (y === vuy) mUy[o] = 1
      else cY[o] = y
    }
  }
  const t3 = (v: Float32Array) => tf.tensor3d(v, [B, n, K])
  const e = (v: T2) => tf.expandDims(v, 2) as tf.Tensor3D
  const X = tf.add(tf.add(tf.mul(e(lx), t3(mLx)), tf.mul(e(ux), t3(mUx))), t3(cX)) as tf.Tensor3D
  const Y = tf.add(tf.add(tf.mul(e(ly), t3(mLy)), tf.mul(e(uy), t3(mUy))), t3(cY)) as tf.Tensor3D
  const g = tf.sub(f(X, Y), tf.add(tf.mul(e(a), X), tf.mul(e(b), Y)))
  return { lo: tf.min(g, 2) as T2, hi: tf.max(g, 2) as T2 }
}

/** Cert-RNN (Theorem 4.2) plane of σ(x)·tanh(y) (LSTM i⊙g, o⊙tanh(c)). */
export function sigmoidTanhPlane(lx: T2, ux: T2, ly: T2, uy: T2): TfPlane {
  const sl = tf.sigmoid(lx)
  const su = tf.sigmoid(ux)
  const tl = tf.tanh(ly)
  const tu = tf.tanh(uy)
  const tSum = tf.add(tu, tl)
  const sSum = tf.add(su, sl)
  // A = (σ(ux) − σ(lx))·(tanh(uy) + tanh(ly)) / (2(ux − lx)); B = (σ(ux) + σ(lx))·(tanh(uy) − tanh(ly)) / (2(uy − ly))
  const a = tf.mul(secant(lx, ux, sl, su, sigmoidPrime), tf.div(tSum, 2)) as T2
  const b = tf.mul(secant(ly, uy, tl, tu, tanhPrime), tf.div(sSum, 2)) as T2
  const { lo, hi } = residualExtremes((x, y) => tf.mul(tf.sigmoid(x), tf.tanh(y)), sigmoidTanhCandidates, 14, a, b, lx, ux, ly, uy)
  const scale = tf.add(tf.add(1, tf.mul(tf.abs(a), tf.maximum(tf.abs(lx), tf.abs(ux)))), tf.mul(tf.abs(b), tf.maximum(tf.abs(ly), tf.abs(uy)))) as T2
  const p = pad(scale)
  return { a, b, c1: tf.sub(lo, p), c2: tf.add(hi, p) }
}

/** Cert-RNN (Theorem 4.3) plane of x·σ(y) (LSTM f⊙c, GRU gates). */
export function xSigmoidPlane(lx: T2, ux: T2, ly: T2, uy: T2): TfPlane {
  const sl = tf.sigmoid(ly)
  const su = tf.sigmoid(uy)
  // A = (σ(ly) + σ(uy))/2; B = (lx + ux)(σ(uy) − σ(ly)) / (2(uy − ly))
  const a = tf.div(tf.add(sl, su), 2) as T2
  const b = tf.mul(secant(ly, uy, sl, su, sigmoidPrime), tf.div(tf.add(lx, ux), 2)) as T2
  const { lo, hi } = residualExtremes((x, y) => tf.mul(x, tf.sigmoid(y)), (_a, bb, x0, x1, y0, y1) => xSigmoidCandidates(bb, x0, x1, y0, y1), 8, a, b, lx, ux, ly, uy)
  const xMax = tf.maximum(tf.abs(lx), tf.abs(ux))
  const scale = tf.add(tf.add(xMax, tf.mul(tf.abs(a), xMax)), tf.mul(tf.abs(b), tf.maximum(tf.abs(ly), tf.abs(uy)))) as T2
  const p = pad(scale)
  return { a, b, c1: tf.sub(lo, p), c2: tf.add(hi, p) }
}

// ---------------------------------------------------------------------------------------
// The unit hard sigmoid h(x) = clip(x + 1/2, 0, 1) (src/cert/transformers/hardSigmoid.ts)

const hardSigmoidPrime = (x: T2): T2 => tf.cast(tf.logicalAnd(tf.greater(x, -0.5), tf.less(x, 0.5)), 'float32') as T2

/** Cert-RNN plane of h over [l, u]: secant slope; residual extremes at l, u and the kinks ±1/2 inside. */
export function hardSigmoidPlane(l: T2, u: T2): TfPlane {
  const fl = hardSigmoidTf(l)
  const fu = hardSigmoidTf(u)
  const a = secant(l, u, fl, fu, hardSigmoidPrime)
  const g = (x: T2, fx: T2 = hardSigmoidTf(x)): T2 => tf.sub(fx, tf.mul(a, x))
  let lo = tf.minimum(g(l, fl), g(u, fu))
  let hi = tf.maximum(g(l, fl), g(u, fu))
  for (const k of [-0.5, 0.5]) {
    // a kink outside (l, u) is replaced by l (same residual as the endpoint)
    const x = tf.where(detached((lo0, hi0) => tf.logicalAnd(tf.less(lo0, k), tf.greater(hi0, k)), l, u), tf.fill(l.shape, k), l) as T2
    const gx = g(x)
    lo = tf.minimum(lo, gx)
    hi = tf.maximum(hi, gx)
  }
  const p = pad(tf.add(1, tf.mul(tf.abs(a), tf.maximum(tf.abs(l), tf.abs(u)))) as T2)
  return { a, b: null, c1: tf.sub(lo, p), c2: tf.add(hi, p) }
}

/** Cert-RNN plane of h(x)·tanh(y) (LSTM i⊙g, o⊙tanh(c) with hard_sigmoid gates). */
export function hardSigmoidTanhPlane(lx: T2, ux: T2, ly: T2, uy: T2): TfPlane {
  const hl = hardSigmoidTf(lx)
  const hu = hardSigmoidTf(ux)
  const tl = tf.tanh(ly)
  const tu = tf.tanh(uy)
  const a = tf.mul(secant(lx, ux, hl, hu, hardSigmoidPrime), tf.div(tf.add(tu, tl), 2)) as T2
  const b = tf.mul(secant(ly, uy, tl, tu, tanhPrime), tf.div(tf.add(hu, hl), 2)) as T2
  const { lo, hi } = residualExtremes((x, y) => tf.mul(hardSigmoidTf(x), tf.tanh(y)), (_a, bb, x0, x1, y0, y1) => hardSigmoidTanhCandidates(bb, x0, x1, y0, y1), 16, a, b, lx, ux, ly, uy)
  const scale = tf.add(tf.add(1, tf.mul(tf.abs(a), tf.maximum(tf.abs(lx), tf.abs(ux)))), tf.mul(tf.abs(b), tf.maximum(tf.abs(ly), tf.abs(uy)))) as T2
  const p = pad(scale)
  return { a, b, c1: tf.sub(lo, p), c2: tf.add(hi, p) }
}

/** Cert-RNN plane of x·h(y) (LSTM f⊙c, GRU gates with hard_sigmoid). */
export function xHardSigmoidPlane(lx: T2, ux: T2, ly: T2, uy: T2): TfPlane {
  const hl = hardSigmoidTf(ly)
  const hu = hardSigmoidTf(uy)
  const a = tf.div(tf.add(hl, hu), 2) as T2
  const b = tf.mul(secant(ly, uy, hl, hu, hardSigmoidPrime), tf.div(tf.add(lx, ux), 2)) as T2
  const { lo, hi } = residualExtremes((x, y) => tf.mul(x, hardSigmoidTf(y)), (_a, _b, x0, x1, y0, y1) => xHardSigmoidCandidates(x0, x1, y0, y1), 8, a, b, lx, ux, ly, uy)
  const xMax = tf.maximum(tf.abs(lx), tf.abs(ux))
  const scale = tf.add(tf.add(xMax, tf.mul(tf.abs(a), xMax)), tf.mul(tf.abs(b), tf.maximum(tf.abs(ly), tf.abs(uy)))) as T2
  const p = pad(scale)
  return { a, b, c1: tf.sub(lo, p), c2: tf.add(hi, p) }
}

/**
 * The bilinear plane of x·y (Bidirectional merge_mode='mul'; DeepZ's rule, which the
 * certifier uses for Cert-RNN too): x·y = cy·x + cx·y − cx·cy + (x − cx)(y − cy), the last
 * term in [−rx·ry, rx·ry].
 */
export function mulPlane(lx: T2, ux: T2, ly: T2, uy: T2): TfPlane {
  const cx = tf.div(tf.add(lx, ux), 2) as T2
  const cy = tf.div(tf.add(ly, uy), 2) as T2
  const r = tf.mul(tf.div(tf.sub(ux, lx), 2), tf.div(tf.sub(uy, ly), 2)) as T2
  const c = tf.neg(tf.mul(cx, cy)) as T2
  const p = pad(tf.add(1, tf.mul(tf.maximum(tf.abs(lx), tf.abs(ux)), tf.maximum(tf.abs(ly), tf.abs(uy)))) as T2)
  return { a: cy, b: cx, c1: tf.sub(tf.sub(c, r), p), c2: tf.add(tf.add(c, r), p) }
}
