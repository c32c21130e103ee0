/**
 * The batched float64 domain, for sampling many points of a region: the certifier's layers
 * (src/cert/layers) on S inputs at a time, with the same weights and the same float64
 * operations in the same summation order, so the logits equal the certifier's `forward`
 * bit for bit (tested); register-blocked products, gate slices as strided views, and the
 * clean run's states reused before the first perturbed frame. Callers still confirm
 * anything that matters with the certifier's own forward pass.
 */
import type { CellProduct, CompiledNetwork, ConcreteRun, Domain, Lin, UnaryKind } from '../cert/index.ts'
import { cleanHooks, maskOfRows, PRODUCT, runPipeline, UNARY } from '../cert/index.ts'
/**
 * Y[s, o] += Σ_i W[o, i]·X[s, i] for s < S, o < out (X: S × n, W: out × n, Y: S × out, all
 * row-major), each dot product summed in order i = 0…n−1 from 0 and then added to Y, as
 * src/cert/domains/float64.ts affineFloat64 does.
 */
export function addProducts(Y: Float64Array, X: Float64Array, W: Float64Array, S: number, n: number, out: number): void {
  let s = 0
  for (; s + 4 <= S; s += 4) {
    const x0 = s * n
    const x1 = x0 + n
    const x2 = x1 + n
    const x3 = x2 + n
    let o = 0
    for (; o + 2 <= out; o += 2) {
      const w0 = o * n
      const w1 = w0 + n
      let a00 = 0, a01 = 0, a10 = 0, a11 = 0, a20 = 0, a21 = 0, a30 = 0, a31 = 0
      for (let i = 0; i < n; i++) {
        const p = W[w0 + i]
        const q = W[w1 + i]
        const v0 = X[x0 + i]
        const v1 = X[x1 + i]
        const v2 = X[x2 + i]
        const v3 = X[x3 + i]
        a00 += p * v0
        a01 += q * v0
        a10 += p * v1
        a11 += q * v1
        a20 += p * v2
        a21 += q * v2
        a30 += p * v3
        a31 += q * v3
      }
      Y[s * out + o] += a00
      Y[s * out + o + 1] += a01
      Y[(s + 1) * out + o] += a10
      Y[(s + 1) * out + o + 1] += a11
      Y[(s + 2) * out + o] += a20
      Y[(s + 2) * out + o + 1] += a21
      Y[(s + 3) * out + o] += a30
      Y[(s + 3) * out + o + 1] += a31
    }
    for (; o < out; o++) {
      const w0 = o * n
      let a0 = 0, a1 = 0, a2 = 0, a3 = 0
      for (let i = 0; i < n; i++) {
        const p = W[w0 + i]
        a0 += p * X[x0 + i]
        a1 += p * X[x1 + i]
        a2 += p * X[x2 + i]
        a3 += p * X[x3 + i]
      }
      Y[s * out + o] += a0
      Y[(s + 1) * out + o] += a1
      Y[(s + 2) * out + o] += a2
      Y[(s + 3) * out + o] += a3
    }
  }
  for (; s < S; s++) {
    const x0 = s * n
    for (let o = 0; o < out; o++) {
      const w0 = o * n
      let a = 0
      for (let i = 0; i < n; i++) a += W[w0 + i] * X[x0 + i]
      Y[s * out + o] += a
    }
  }
}

/** Y (S × out) filled with the bias in every row. */
function withBias(S: number, out: number, b: ArrayLike<number> | null): Float64Array {
  const Y = new Float64Array(S * out)
  if (b) for (let s = 0; s < S; s++) for (let o = 0; o < out; o++) Y[s * out + o] = b[o]
  return Y
}

/** The input of a step: S rows, or one row shared by all samples (an unperturbed frame). */
interface StepInput {
  data: Float64Array
  shared: boolean
}

/**
 * A batch of vectors: row s (or row 0 for every s when `rows` is 1: shared by all samples),
 * entry k at data[off + s·stride + k].
 */
export interface Batch {
  data: Float64Array
  rows: number
  n: number
  off: number
  stride: number
}

const batchOf = (data: Float64Array, rows: number, n: number): Batch => ({ data, rows, n, off: 0, stride: n })

/** The rows as one contiguous S × n (or 1 × n) block. */
function packed(v: Batch): Float64Array {
  if (v.off === 0 && v.stride === v.n) return v.data
  const out = new Float64Array(v.rows * v.n)
  for (let s = 0; s < v.rows; s++) out.set(v.data.subarray(v.off + s * v.stride, v.off + s * v.stride + v.n), s * v.n)
  return out
}

/** Batches of S samples. */
export class BatchDomain implements Domain<Batch, Lin, Float64Array> {
  readonly S: number

  constructor(S: number) {
    this.S = S
  }

  /** Y = b, then += W·x for every term: a shared input is multiplied once and broadcast. */
  affine(terms: Array<[Lin, Batch]>, bias: Float64Array | null): Batch {
    const S = this.S
    const out = terms[0][0].out
    const Y = withBias(S, out, bias)
    for (const [{ W, n }, x] of terms) {
      const X = packed(x)
      if (x.rows === S) addProducts(Y, X, W, S, n, out)
      else {
        const y = new Float64Array(out)
        addProducts(y, X, W, 1, n, out)
        for (let s = 0; s < S; s++) for (let o = 0; o < out; o++) Y[s * out + o] += y[o]
      }
    }
    return batchOf(Y, S, out)
  }

  slice(v: Batch, start: number, count: number): Batch {
    return { data: v.data, rows: v.rows, n: count, off: v.off + start, stride: v.stride }
  }

  /**
   * out[s, k] = f(a[s, k], b[s, k]) for every sample (a shared operand broadcast). One loop
   * per operation (`kind`), so that every call site stays monomorphic.
   */
  private zip(kind: 'add' | 'sub' | CellProduct, a: Batch, b: Batch): Batch {
    const rows = Math.max(a.rows, b.rows)
    const n = a.n
    const out = new Float64Array(rows * n)
    const A = a.data
    const Bd = b.data
    const sa = a.rows === 1 ? 0 : a.stride
    const sb = b.rows === 1 ? 0 : b.stride
    for (let s = 0; s < rows; s++) {
      const pa = a.off + s * sa
      const pb = b.off + s * sb
      const po = s * n
      if (kind === 'add') for (let k = 0; k < n; k++) out[po + k] = A[pa + k] + Bd[pb + k]
      else if (kind === 'sub') for (let k = 0; k < n; k++) out[po + k] = A[pa + k] - Bd[pb + k]
      else if (kind === 'xSigmoid') for (let k = 0; k < n; k++) out[po + k] = PRODUCT.xSigmoid(A[pa + k], Bd[pb + k])
      else if (kind === 'sigmoidTanh') for (let k = 0; k < n; k++) out[po + k] = PRODUCT.sigmoidTanh(A[pa + k], Bd[pb + k])
      else if (kind === 'xHardSigmoid') for (let k = 0; k < n; k++) out[po + k] = PRODUCT.xHardSigmoid(A[pa + k], Bd[pb + k])
      else if (kind === 'mul') for (let k = 0; k < n; k++) out[po + k] = A[pa + k] * Bd[pb + k]
      else for (let k = 0; k < n; k++) out[po + k] = PRODUCT.hardSigmoidTanh(A[pa + k], Bd[pb + k])
    }
    return batchOf(out, rows, n)
  }

  add(a: Batch, b: Batch): Batch {
    return this.zip('add', a, b)
  }

  sub(a: Batch, b: Batch): Batch {
    return this.zip('sub', a, b)
  }

  unary(kind: UnaryKind, v: Batch): Batch {
    const X = packed(v)
    const out = new Float64Array(X.length)
    if (kind === 'tanh') for (let k = 0; k < X.length; k++) out[k] = Math.tanh(X[k])
    else if (kind === 'sigmoid') for (let k = 0; k < X.length; k++) out[k] = UNARY.sigmoid(X[k])
    else if (kind === 'hardSigmoid') for (let k = 0; k < X.length; k++) out[k] = UNARY.hardSigmoid(X[k])
    else for (let k = 0; k < X.length; k++) out[k] = X[k] > 0 ? X[k] : 0
    return batchOf(out, v.rows, v.n)
  }

  binary(kind: CellProduct, x: Batch, y: Batch): Batch {
    return this.zip(kind, x, y)
  }

  concat(parts: Batch[]): Batch {
    const rows = Math.max(...parts.map((p) => p.rows))
    const n = parts.reduce((s, p) => s + p.n, 0)
    const out = new Float64Array(rows * n)
    for (let s = 0; s < rows; s++) {
      let at = s * n
      for (const p of parts) {
        const o = p.off + (p.rows === 1 ? 0 : s * p.stride)
        out.set(p.data.subarray(o, o + p.n), at)
        at += p.n
      }
    }
    return batchOf(out, rows, n)
  }

  max(parts: Batch[]): Batch {
    const rows = Math.max(...parts.map((p) => p.rows))
    const n = parts[0].n
    const out = new Float64Array(rows * n).fill(-Infinity)
    for (const p of parts) {
      for (let s = 0; s < rows; s++) {
        const o = p.off + (p.rows === 1 ? 0 : s * p.stride)
        for (let k = 0; k < n; k++) out[s * n + k] = Math.max(out[s * n + k], p.data[o + k])
      }
    }
    return batchOf(out, rows, n)
  }

  /** Masking(value): per sample, is every feature equal to the value? */
  maskOf(v: Batch, value: number) {
    const out = new Float64Array(v.rows)
    for (let s = 0; s < v.rows; s++) {
      const o = v.off + s * v.stride
      let all = true
      for (let k = 0; k < v.n && all; k++) all = v.data[o + k] === value
      out[s] = all ? 1 : 0
    }
    return maskOfRows(out)
  }

  /** Row s of `skipped` where sample s is masked, of `computed` where not. */
  select(m: Float64Array, skipped: Batch, computed: Batch): Batch {
    if (m.length === 1) return m[0] === 1 ? skipped : computed
    const rows = this.S
    const n = skipped.n
    const out = new Float64Array(rows * n)
    for (let s = 0; s < rows; s++) {
      const v = m[s] === 1 ? skipped : computed
      if (m[s] !== 0 && m[s] !== 1) throw new Error(`a sample's mask is ${m[s]}`)
      const o = v.off + (v.rows === 1 ? 0 : s * v.stride)
      out.set(v.data.subarray(o, o + n), s * n)
    }
    return batchOf(out, rows, n)
  }

  mark(): number {
    return 0
  }

  mergeLocal(v: Batch): Batch {
    return v
  }
}

export interface BatchForward {
  /**
   * Logits (S × classes, row-major) of S inputs that equal the clean input before frame
   * `start`; `inputs(t)` gives frame t (t ≥ start): S rows of frameSize values, or one
   * shared row for a frame all samples leave unchanged.
   */
  run(S: number, start: number, inputs: (t: number) => StepInput): Float64Array
}

export function batchForward(cn: CompiledNetwork, clean: ConcreteRun, T: number): BatchForward {
  return {
    run(S, start, inputs) {
      const d = new BatchDomain(S)
      const frames: Batch[] = []
      for (let t = start; t < T; t++) {
        const x = inputs(t)
        frames.push(batchOf(x.data, x.shared ? 1 : S, cn.frameSize))
      }
      // the clean run's state, one row per sample
      const rows = (v: Float64Array) => {
        const rep = new Float64Array(S * v.length)
        for (let s = 0; s < S; s++) rep.set(v, s * v.length)
        return batchOf(rep, S, v.length)
      }
      // a value the perturbation does not reach: one row shared by all samples; a state: one row per sample
      const shared = (v: Float64Array) => batchOf(v, 1, v.length)
      const zeros = (cell: { units: number; stateParts: number }) => Array.from({ length: cell.stateParts }, () => batchOf(new Float64Array(S * cell.units), S, cell.units))
      const out = runPipeline(d, cn.stages, frames, start, T - 1, cleanHooks(clean, (t) => inputs(t).data, shared, zeros, rows))
      return out.rows === S ? packed(out) : packed(rows(packed(out)))
    },
  }
}
