/**
 * The float64 point domain: the certifier's concrete forward pass. Also the weight
 * representation shared by the three float64 domains (points, zonotopes, batches): a
 * kernel as a row-major map W (out × in) for W·x, a bias as a Float64Array.
 */
import type { CellProduct, Domain, WeightOps } from '../layers/index.ts'
import { singleChoice } from '../layers/index.ts'
import type { Matrix } from '../network.ts'
import { transpose } from '../network.ts'
import type { UnaryKind } from '../transformers/plane.ts'
import { sigmoid } from '../transformers/plane.ts'
import { relu } from '../transformers/relu.ts'
import { hardSigmoid } from '../transformers/hardSigmoid.ts'

/** A row-major map W (out × n) for W·x. */
export interface Lin {
  W: Float64Array
  out: number
  n: number
}

/** A Keras kernel [in, out] as the map W·x. */
export const linOf = (m: Matrix): Lin => ({ W: transpose(m), out: m.cols, n: m.rows })

export const float64Weights: WeightOps<Lin, Float64Array> = {
  cols: (m, from, count) => ({ W: m.W.slice(from * m.n, (from + count) * m.n), out: count, n: m.n }),
  part: (b, from, count) => b.slice(from, from + count),
  plus: (a, b) => a.map((v, k) => v + b[k]),
  scaleCols: (m, from, count, s) => {
    const W = m.W.slice()
    for (let i = from * m.n; i < (from + count) * m.n; i++) W[i] *= s
    return { W, out: m.out, n: m.n }
  },
  scalePart: (b, from, count, s) => b.map((v, k) => (k >= from && k < from + count ? v * s : v)),
  diag: (d) => {
    const n = d.length
    const W = new Float64Array(n * n)
    for (let i = 0; i < n; i++) W[i * n + i] = d[i]
    return { W, out: n, n }
  },
}

export const UNARY: Record<UnaryKind, (x: number) => number> = { tanh: Math.tanh, sigmoid, relu, hardSigmoid }
export const PRODUCT: Record<CellProduct, (x: number, y: number) => number> = {
  sigmoidTanh: (x, y) => sigmoid(x) * Math.tanh(y),
  xSigmoid: (x, y) => x * sigmoid(y),
  hardSigmoidTanh: (x, y) => hardSigmoid(x) * Math.tanh(y),
  xHardSigmoid: (x, y) => x * hardSigmoid(y),
  mul: (x, y) => x * y,
}

/**
 * Σ_k W_k·x_k + b: y = b, then for each term in order every dot product summed from 0 in
 * order i = 0…n−1 and added (the batched domain, src/attack/batch64.ts, sums the same way).
 */
export function affineFloat64(terms: Array<[Lin, Float64Array]>, b: ArrayLike<number> | null): Float64Array {
  const out = terms[0][0].out
  const y = new Float64Array(out)
  if (b) for (let o = 0; o < out; o++) y[o] = b[o]
  for (const [{ W }, x] of terms) {
    const n = x.length
    for (let o = 0; o < out; o++) {
      let s = 0
      const base = o * n
      for (let i = 0; i < n; i++) s += W[base + i] * x[i]
      y[o] += s
    }
  }
  return y
}

export type ConcreteRecorder = (op: string, values: Float64Array) => void

/** Float64 points; `record`, when set, receives every operation's values under its trace name. */
export class Float64Domain implements Domain<Float64Array, Lin, Float64Array> {
  record: ConcreteRecorder | undefined

  constructor(record?: ConcreteRecorder) {
    this.record = record
  }

  private out(op: string, v: Float64Array): Float64Array {
    this.record?.(op, v)
    return v
  }

  affine(terms: Array<[Lin, Float64Array]>, bias: Float64Array | null, op: string) {
    return this.out(op, affineFloat64(terms, bias))
  }

  slice(v: Float64Array, start: number, count: number) {
    return v.subarray(start, start + count)
  }

  // plain loops: TypedArray.prototype.map is several times slower for these short vectors
  add(a: Float64Array, b: Float64Array, op: string) {
    const out = new Float64Array(a.length)
    for (let k = 0; k < a.length; k++) out[k] = a[k] + b[k]
    return this.out(op, out)
  }

  sub(a: Float64Array, b: Float64Array, op: string) {
    const out = new Float64Array(a.length)
    for (let k = 0; k < a.length; k++) out[k] = a[k] - b[k]
    return this.out(op, out)
  }

  unary(kind: UnaryKind, v: Float64Array, op: string) {
    const f = UNARY[kind]
    const out = new Float64Array(v.length)
    for (let k = 0; k < v.length; k++) out[k] = f(v[k])
    return this.out(op, out)
  }

  binary(kind: CellProduct, x: Float64Array, y: Float64Array, op: string) {
    const f = PRODUCT[kind]
    const out = new Float64Array(x.length)
    for (let k = 0; k < x.length; k++) out[k] = f(x[k], y[k])
    return this.out(op, out)
  }

  concat(parts: Float64Array[], op: string) {
    const out = new Float64Array(parts.reduce((s, p) => s + p.length, 0))
    let at = 0
    for (const p of parts) {
      out.set(p, at)
      at += p.length
    }
    return this.out(op, out)
  }

  max(parts: Float64Array[], op: string) {
    const out = parts[0].slice()
    for (const p of parts.slice(1)) for (let i = 0; i < out.length; i++) out[i] = Math.max(out[i], p[i])
    return this.out(op, out)
  }

  maskOf(v: Float64Array, value: number) {
    return v.every((x) => x === value)
  }

  select(m: Float64Array, skipped: Float64Array, computed: Float64Array, op: string) {
    const c = singleChoice(m, op)
    if (c === 0.5) throw new Error(`${op}: a point's mask is never uncertain`)
    return this.out(op, c === 1 ? skipped : computed)
  }

  mark() {
    return 0
  }

  mergeLocal(v: Float64Array) {
    return v
  }
}
