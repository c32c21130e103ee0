/**
 * A batched float64 forward pass for sampling many points of a region: the same cells as
 * src/cert/cells (same weights, same float64 operations in the same summation order, so
 * the logits equal the certifier's `forward` bit for bit; tested), but S inputs at a time
 * with register-blocked products, and the clean run's states reused before the first
 * perturbed frame. Callers still confirm anything that matters with the certifier's own
 * forward pass.
 */
import type { CompiledNetwork, ConcreteRun, GruLayer, LstmLayer, SimpleRnnLayer } from '../cert/index.ts'
import { gruWeights, sigmoid, transpose } from '../cert/index.ts'
/**
 * Y[s, o] += Σ_i W[o, i]·X[s, i] for s < S, o < out (X: S × n, W: out × n, Y: S × out, all
 * row-major), each dot product summed in order i = 0…n−1 from 0 and then added to Y, as
 * src/cert/cells/cell.ts affineConcrete does.
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

/** Y += W·x for every row: a shared input is multiplied once and broadcast. */
function addInput(Y: Float64Array, x: StepInput, W: Float64Array, S: number, n: number, out: number) {
  if (!x.shared) return addProducts(Y, x.data, W, S, n, out)
  const y = new Float64Array(out)
  addProducts(y, x.data, W, 1, n, out)
  for (let s = 0; s < S; s++) for (let o = 0; o < out; o++) Y[s * out + o] += y[o]
}

type BatchStep = (x: StepInput, state: Float64Array[], S: number) => Float64Array[]

function simpleRnnBatch(layer: SimpleRnnLayer): BatchStep {
  const u = layer.units
  const n = layer.kernel.rows
  const Wx = transpose(layer.kernel)
  const Wh = transpose(layer.recurrentKernel)
  const f = layer.activation === 'tanh' ? Math.tanh : layer.activation === 'sigmoid' ? sigmoid : null
  return (x, [h], S) => {
    const Y = withBias(S, u, layer.bias)
    addInput(Y, x, Wx, S, n, u)
    addProducts(Y, h, Wh, S, u, u)
    if (f) for (let k = 0; k < Y.length; k++) Y[k] = f(Y[k])
    return [Y]
  }
}

function lstmBatch(layer: LstmLayer): BatchStep {
  const u = layer.units
  const n = layer.kernel.rows
  const Wx = transpose(layer.kernel)
  const Wh = transpose(layer.recurrentKernel)
  return (x, [h, c], S) => {
    const Z = withBias(S, 4 * u, layer.bias)
    addInput(Z, x, Wx, S, n, 4 * u)
    addProducts(Z, h, Wh, S, u, 4 * u)
    const H = new Float64Array(S * u)
    const C = new Float64Array(S * u)
    for (let s = 0; s < S; s++) {
      const z = s * 4 * u
      for (let k = 0; k < u; k++) {
        const i = sigmoid(Z[z + k])
        const f = sigmoid(Z[z + u + k])
        const g = Math.tanh(Z[z + 2 * u + k])
        const o = sigmoid(Z[z + 3 * u + k])
        const cn = f * c[s * u + k] + i * g
        C[s * u + k] = cn
        H[s * u + k] = o * Math.tanh(cn)
      }
    }
    return [H, C]
  }
}

function gruBatch(layer: GruLayer): BatchStep {
  const u = layer.units
  const n = layer.kernel.rows
  const { WxZR, WxH, WhZR, WhH, bZR, bxH, bhH } = gruWeights(layer)
  return (x, [h], S) => {
    const ZR = withBias(S, 2 * u, bZR)
    addInput(ZR, x, WxZR, S, n, 2 * u)
    addProducts(ZR, h, WhZR, S, u, 2 * u)
    let pre: Float64Array
    if (layer.resetAfter) {
      const hu = withBias(S, u, bhH)
      addProducts(hu, h, WhH, S, u, u)
      const xw = withBias(S, u, bxH)
      addInput(xw, x, WxH, S, n, u)
      pre = new Float64Array(S * u)
      for (let s = 0; s < S; s++) {
        for (let k = 0; k < u; k++) pre[s * u + k] = xw[s * u + k] + sigmoid(ZR[s * 2 * u + u + k]) * hu[s * u + k]
      }
    } else {
      const rh = new Float64Array(S * u)
      for (let s = 0; s < S; s++) for (let k = 0; k < u; k++) rh[s * u + k] = h[s * u + k] * sigmoid(ZR[s * 2 * u + u + k])
      pre = withBias(S, u, bxH)
      addInput(pre, x, WxH, S, n, u)
      addProducts(pre, rh, WhH, S, u, u)
    }
    const out = new Float64Array(S * u)
    for (let s = 0; s < S; s++) {
      for (let k = 0; k < u; k++) {
        const hh = Math.tanh(pre[s * u + k])
        out[s * u + k] = hh + (h[s * u + k] - hh) * sigmoid(ZR[s * 2 * u + k])
      }
    }
    return [out]
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
  const steps: BatchStep[] = cn.cells.map(({ layer }) => (layer.type === 'simpleRnn' ? simpleRnnBatch(layer) : layer.type === 'lstm' ? lstmBatch(layer) : gruBatch(layer)))
  return {
    run(S, start, inputs) {
      // the first layer reads the frames; the others read the layer below's h, per sample
      let below: StepInput[] = []
      for (let t = start; t < T; t++) below.push(inputs(t))
      cn.cells.forEach(({ cell }, li) => {
        let state: Float64Array[]
        if (start > 0) {
          state = clean.states[li][start - 1].map((v) => {
            const rep = new Float64Array(S * v.length)
            for (let s = 0; s < S; s++) rep.set(v, s * v.length)
            return rep
          })
        } else state = Array.from({ length: cell.stateParts }, () => new Float64Array(S * cell.units))
        const out: StepInput[] = []
        for (const x of below) {
          state = steps[li](x, state, S)
          out.push({ data: state[0], shared: false })
        }
        below = out
      })
      let y = below[below.length - 1].data
      let width = cn.cells[cn.cells.length - 1].cell.units
      cn.dense.forEach((d, k) => {
        const last = k === cn.dense.length - 1
        const Y = withBias(S, d.layer.units, d.layer.bias)
        addProducts(Y, y, d.W, S, width, d.layer.units)
        if (!last && d.layer.activation === 'tanh') for (let j = 0; j < Y.length; j++) Y[j] = Math.tanh(Y[j])
        if (!last && d.layer.activation === 'sigmoid') for (let j = 0; j < Y.length; j++) Y[j] = sigmoid(Y[j])
        y = Y
        width = d.layer.units
      })
      return y
    },
  }
}
