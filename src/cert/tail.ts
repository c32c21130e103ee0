/**
 * The tight method's last step: the slopes of the network's LAST transformer application
 * (the final h of an RNN/LSTM, or a hidden Dense activation), re-optimised for each class's
 * margin, as α-CROWN does for ReLU networks.
 *
 * When only affine maps follow that transformer, logits = M·(z + a) + m for its output z and
 * a value a that does not depend on its planes (none, or the GRU's h̃ in h = h̃ + (h − h̃)·σ(z)).
 * The margin of the predicted label y against class c is then, for planes with ANY slopes
 * (A_k, B_k) and their exact residual offsets (transformers/slopes.ts),
 *   logit_y − logit_c ≥ lower(Σ_k δ_k·(A_k·x_k + B_k·y_k + a_k)) + Σ_k (δ_k ≥ 0 ? δ_k·C1_k : δ_k·C2_k) + β
 * with δ = M_y − M_c and β = m_y − m_c: only the side of each plane the margin needs. This is
 * a concave function of the slopes (C1 is a minimum of affine functions of them, C2 a
 * maximum, and the zonotope's lower bound a centre minus a sum of absolute values of affine
 * functions), so a supergradient ascent from the planes actually used only improves it, and
 * every iterate is a sound bound (its offsets are exact for its slopes): the best is kept.
 */
import type { PlaneRecord } from './apply.ts'
import type { Box, Zonotope } from './zonotope.ts'
import { BOUND_SLACK, zonotopeConcat, zonotopeSlice } from './zonotope.ts'
import type { TransformerKind } from './transformers/plane.ts'
import { planeWithSlopes } from './transformers/slopes.ts'

/** The last transformer application and the affine maps applied to its output since. */
export interface Tail {
  kind: TransformerKind
  x: Zonotope
  /** the second input (products), null for one-variable transformers */
  y: Zonotope | null
  /** the boxes the planes were computed over */
  bx: Box
  by: Box | null
  planes: PlaneRecord
  /**
   * a value added to the transformer's output before the maps (GRU: h = h̃ + (h − h̃)·σ(z)),
   * null when none
   */
  addend: Zonotope | null
  /** the maps W (out × n, row-major) and biases applied since, in order */
  maps: Array<{ W: Float64Array; out: number; n: number; b: Float64Array | null }>
  /** the latest value of the chain: the logits when the tail reaches them */
  result: Zonotope
}

/** Ascent steps per class (each one pass over the two inputs' generators). */
export const TAIL_STEPS = 12

/** The composed affine map logits = M·z + m of the tail (M row-major classes × n). */
function composeMaps(maps: Tail['maps'], n: number): { M: Float64Array; m: Float64Array; rows: number } {
  let M = new Float64Array(n * n)
  for (let i = 0; i < n; i++) M[i * n + i] = 1
  let m = new Float64Array(n)
  let rows = n
  for (const { W, out, n: cols, b } of maps) {
    const M2 = new Float64Array(out * n)
    const m2 = new Float64Array(out)
    for (let o = 0; o < out; o++) {
      let s = b ? b[o] : 0
      for (let i = 0; i < cols; i++) {
        const w = W[o * cols + i]
        if (w === 0) continue
        s += w * m[i]
        for (let k = 0; k < n; k++) M2[o * n + k] += w * M[i * n + k]
      }
      m2[o] = s
    }
    M = M2
    m = m2
    rows = out
  }
  return { M, m, rows }
}

/**
 * Per class c ≠ label: the best lower bound on logit_label − logit_c found by the slope
 * ascent, never less than `start[c]` (each class's margin with the planes as applied, where
 * the ascent starts). Classes that cannot decide the minimum over classes are not optimised
 * (their entry is −Infinity).
 */
export function tailMargins(tail: Tail, label: number, start: Float64Array, steps = TAIL_STEPS): Float64Array {
  const n = tail.x.n
  const binary = tail.y !== null
  const { M, m, rows } = composeMaps(tail.maps, n)
  // the inputs (and the addend) over one id list
  const parts = [tail.x, ...(tail.y ? [tail.y] : []), ...(tail.addend ? [tail.addend] : [])]
  const all = zonotopeConcat(parts)
  const X = zonotopeSlice(all, 0, n)
  const Y = tail.y ? zonotopeSlice(all, n, n) : null
  const H = tail.addend ? zonotopeSlice(all, parts.length * n - n, n) : null
  const ms = X.m
  const boxes = Array.from({ length: n }, (_, k) => ({ lx: tail.bx.lo[k], ux: tail.bx.hi[k], ly: tail.by ? tail.by.lo[k] : 0, uy: tail.by ? tail.by.hi[k] : 0 }))
  const out = new Float64Array(rows).fill(-Infinity)
  const S = new Float64Array(ms)
  const sgn = new Float64Array(ms)
  const A = new Float64Array(n), B = new Float64Array(n)
  const stepA = new Float64Array(n), stepB = new Float64Array(n)
  const lastA = new Float64Array(n), lastB = new Float64Array(n)
  const delta = new Float64Array(n)
  // the smallest margins first: a class whose starting margin is at least the best minimum
  // reached so far cannot lower the minimum (the ascent never returns less than its start)
  const order = Array.from({ length: rows }, (_, c) => c).filter((c) => c !== label).sort((p, q) => start[p] - start[q])
  let minimum = Infinity
  for (const c of order) {
    if (start[c] >= minimum) break
    for (let k = 0; k < n; k++) {
      delta[k] = M[label * n + k] - M[c * n + k]
      A[k] = tail.planes.a[k]
      B[k] = tail.planes.b[k]
      stepA[k] = 0.05 * Math.max(Math.abs(A[k]), 1e-3)
      stepB[k] = 0.05 * Math.max(Math.abs(B[k]), 1e-3)
      lastA[k] = lastB[k] = 0
    }
    const beta = m[label] - m[c]
    let best = start[c]
    const gA = new Float64Array(n), gB = new Float64Array(n)
    for (let it = 0; it <= steps; it++) {
      // the bound at the current slopes, and its supergradient
      S.fill(0)
      let centre = beta
      let scale = Math.abs(beta)
      if (H) {
        for (let k = 0; k < n; k++) {
          const d = delta[k]
          if (d === 0) continue
          centre += d * H.c[k]
          scale += Math.abs(d * H.c[k])
          const row = k * ms
          for (let j = 0; j < ms; j++) S[j] += d * H.G[row + j]
        }
      }
      for (let k = 0; k < n; k++) {
        const d = delta[k]
        if (d === 0) continue
        const p = planeWithSlopes(tail.kind, A[k], B[k], boxes[k])
        const off = d >= 0 ? d * p.c1 : d * p.c2
        centre += d * A[k] * X.c[k] + off
        scale += Math.abs(d * A[k] * X.c[k]) + Math.abs(off)
        gA[k] = d * X.c[k] - d * (d >= 0 ? p.x1 : p.x2)
        if (Y) {
          centre += d * B[k] * Y.c[k]
          scale += Math.abs(d * B[k] * Y.c[k])
          gB[k] = d * Y.c[k] - d * (d >= 0 ? p.y1 : p.y2)
        }
        const da = d * A[k], db = Y ? d * B[k] : 0
        const row = k * ms
        if (da !== 0) for (let j = 0; j < ms; j++) S[j] += da * X.G[row + j]
        if (db !== 0) for (let j = 0; j < ms; j++) S[j] += db * Y!.G[row + j]
      }
      let radius = 0
      for (let j = 0; j < ms; j++) {
        radius += Math.abs(S[j])
        sgn[j] = S[j] > 0 ? 1 : S[j] < 0 ? -1 : 0
      }
      // rounding: the composed map and these sums differ from the forward pass's order of
      // operations by far less than this
      const bound = centre - radius - 1e-10 * (scale + radius) - BOUND_SLACK
      if (bound > best) best = bound
      if (it === steps) break
      // supergradient of −Σ|S_j|: −δ_k·Σ_j sgn(S_j)·X_kj
      for (let k = 0; k < n; k++) {
        const d = delta[k]
        if (d === 0) continue
        const row = k * ms
        let sx = 0, sy = 0
        for (let j = 0; j < ms; j++) {
          const s = sgn[j]
          if (s === 0) continue
          sx += s * X.G[row + j]
          if (Y) sy += s * Y.G[row + j]
        }
        gA[k] -= d * sx
        if (Y) gB[k] -= d * sy
        // sign steps with adaptive sizes (Rprop): robust to the scale of each slope
        const moveA = Math.sign(gA[k])
        if (moveA * lastA[k] < 0) stepA[k] /= 2
        else if (moveA !== 0) stepA[k] *= 1.2
        A[k] += moveA * stepA[k]
        lastA[k] = moveA
        if (binary) {
          const moveB = Math.sign(gB[k])
          if (moveB * lastB[k] < 0) stepB[k] /= 2
          else if (moveB !== 0) stepB[k] *= 1.2
          B[k] += moveB * stepB[k]
          lastB[k] = moveB
        }
      }
    }
    out[c] = best
    minimum = Math.min(minimum, best)
  }
  return out
}
