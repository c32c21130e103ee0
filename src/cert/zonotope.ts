/**
 * Zonotopes in float64 with id-tagged noise symbols.
 *
 * A zonotope of n variables is x = c + G·e, e ∈ [-1, 1]^m. G is stored row-major (n × m):
 * row i holds the coefficients of variable i. Every column carries the id of its noise
 * symbol; ids are strictly increasing along the columns. Zonotopes are combined (added,
 * subtracted) by lining their columns up BY ID, never by position.
 */

export interface Zonotope {
  /** number of variables */
  readonly n: number
  /** number of noise symbols (generator columns) */
  readonly m: number
  /** centre, length n */
  readonly c: Float64Array
  /** generators, row-major n × m */
  readonly G: Float64Array
  /** symbol ids, strictly increasing, length m */
  readonly ids: Int32Array
  /**
   * Set on boxes (zonotopeFromBox): column j is zero except in row boxRows[j]. Affine maps
   * of boxes then cost out × m instead of out × n × m.
   */
  readonly boxRows?: Int32Array
}

/** Hands out fresh, strictly increasing noise-symbol ids for one certification run. */
export class SymbolSource {
  private nextId: number
  constructor(start = 0) {
    this.nextId = start
  }
  /** Reserve `count` consecutive fresh ids and return the first. */
  take(count: number): number {
    const first = this.nextId
    this.nextId += count
    return first
  }
  get peek(): number {
    return this.nextId
  }
}

const EMPTY_IDS = new Int32Array(0)

export function zonotopeConstant(c: ArrayLike<number>): Zonotope {
  return { n: c.length, m: 0, c: Float64Array.from(c), G: new Float64Array(0), ids: EMPTY_IDS }
}

export function zonotopeCreate(c: Float64Array, G: Float64Array, ids: Int32Array): Zonotope {
  if (G.length !== c.length * ids.length) {
    throw new Error(`zonotope: generator matrix has ${G.length} entries, expected ${c.length}×${ids.length}`)
  }
  return { n: c.length, m: ids.length, c, G, ids }
}

/**
 * The box [lo, hi] as a zonotope: one fresh symbol per variable of non-zero width
 * (constant variables get no symbol).
 */
export function zonotopeFromBox(lo: ArrayLike<number>, hi: ArrayLike<number>, symbols: SymbolSource): Zonotope {
  const n = lo.length
  const c = new Float64Array(n)
  const rows: number[] = []
  for (let i = 0; i < n; i++) {
    if (!(hi[i] >= lo[i])) throw new Error(`zonotope: empty box at ${i}: [${lo[i]}, ${hi[i]}]`)
    c[i] = (lo[i] + hi[i]) / 2
    if (hi[i] > lo[i]) rows.push(i)
  }
  const m = rows.length
  const first = symbols.take(m)
  const ids = new Int32Array(m)
  const G = new Float64Array(n * m)
  for (let j = 0; j < m; j++) {
    ids[j] = first + j
    const i = rows[j]
    // radius rounded up so that c ± r still covers [lo, hi]
    let r = (hi[i] - lo[i]) / 2
    while (c[i] - r > lo[i] || c[i] + r < hi[i]) r = nextUp(r)
    G[i * m + j] = r
  }
  return { n, m, c, G, ids, boxRows: Int32Array.from(rows) }
}

/** Radius Σ_j |G_ij| of every variable. */
export function zonotopeRadii(z: Zonotope): Float64Array {
  const { n, m, G } = z
  const r = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    let s = 0
    const row = i * m
    for (let j = 0; j < m; j++) s += Math.abs(G[row + j])
    r[i] = s
  }
  return r
}

/**
 * Relative slack added to every bound to cover float64 rounding in the generator sums
 * (a few ulps per term over thousands of terms is far below this).
 */
export const BOUND_SLACK = 1e-12

export interface Box {
  lo: Float64Array
  hi: Float64Array
}

/** Interval bounds c_i ± Σ_j |G_ij| (widened by a tiny relative slack for rounding). */
export function zonotopeBounds(z: Zonotope): Box {
  const r = zonotopeRadii(z)
  const lo = new Float64Array(z.n)
  const hi = new Float64Array(z.n)
  for (let i = 0; i < z.n; i++) {
    const slack = BOUND_SLACK * (Math.abs(z.c[i]) + r[i])
    lo[i] = z.c[i] - r[i] - slack
    hi[i] = z.c[i] + r[i] + slack
  }
  return { lo, hi }
}

/**
 * Affine map W·x + b with W given row-major (out × n). Exact.
 * Inner loop: four output rows at a time share each load of a generator row.
 */
export function zonotopeAffine(z: Zonotope, W: Float64Array, out: number, b?: ArrayLike<number>): Zonotope {
  const { n, m } = z
  if (W.length !== out * n) throw new Error(`zonotopeAffine: W has ${W.length} entries, expected ${out}×${n}`)
  const c = matVec(W, out, n, z.c)
  if (b) for (let o = 0; o < out; o++) c[o] += b[o]
  if (z.boxRows) {
    // W·diag: column j of the result is column boxRows[j] of W times the box radius
    const rows = z.boxRows
    const G = new Float64Array(out * m)
    for (let j = 0; j < m; j++) {
      const i = rows[j]
      const r = z.G[i * m + j]
      for (let o = 0; o < out; o++) G[o * m + j] = W[o * n + i] * r
    }
    return { n: out, m, c, G, ids: z.ids }
  }
  const G = matMulRowMajor(W, out, n, z.G, m)
  return { n: out, m, c, G, ids: z.ids }
}

/** y = W·x for W row-major (rows × cols). */
export function matVec(W: Float64Array, rows: number, cols: number, x: ArrayLike<number>): Float64Array {
  const y = new Float64Array(rows)
  for (let o = 0; o < rows; o++) {
    let s = 0
    const base = o * cols
    for (let i = 0; i < cols; i++) s += W[base + i] * x[i]
    y[o] = s
  }
  return y
}

/** Scratch buffers of matMulRowMajor (grown on demand, reused across calls). */
let panel = new Float64Array(1024)
let denseCols = new Int32Array(256)

/**
 * Work done by `matMulRowMajor` since the process started (multiply-adds of its dense
 * columns, and calls): read by the bench to say how much of a search is the generator
 * product and what it would cost at the kernel's measured rate (never reset by the library).
 */
export const productWork = { macs: 0, calls: 0 }

/**
 * C = A·B with A (r × k) and B (k × m), both row-major. Columns of B with at most one
 * non-zero (the fresh symbols of the last step: one per unit, row-local) are a scaled column
 * of A and cost r multiplications instead of r·k. The other columns go through a
 * register-blocked kernel: four of them are packed contiguously (k × 4) and a 4 × 4 block of
 * C is accumulated in locals over the whole inner dimension (16 multiply-adds per 8 loads, no
 * stores in the inner loop), with plain loops for the edges. Exact and bit for bit the naive
 * product's result: every entry is summed over i = 0 … k − 1 in order from +0, and a skipped
 * term A[o][i]·0 is ±0, which leaves such a sum unchanged (A is finite: else every column is
 * taken as dense).
 */
export function matMulRowMajor(A: Float64Array, r: number, k: number, B: Float64Array, m: number): Float64Array {
  const C = new Float64Array(r * m)
  if (m === 0 || r === 0) return C
  let finite = true
  for (let q = 0; q < r * k && finite; q++) finite = Number.isFinite(A[q])
  // classify the columns: dense ones are listed, sparse ones (≤ 1 non-zero) done at once
  if (denseCols.length < m) denseCols = new Int32Array(m)
  const cols = denseCols
  let nd = 0
  for (let j = 0; j < m; j++) {
    let row = -1
    let dense = !finite
    for (let i = 0, bi = j; i < k && !dense; i++, bi += m) {
      if (B[bi] !== 0) {
        if (row >= 0) dense = true
        else row = i
      }
    }
    if (dense) cols[nd++] = j
    else if (row >= 0) {
      const b = B[row * m + j]
      for (let o = 0; o < r; o++) C[o * m + j] = 0 + A[o * k + row] * b
    }
  }
  const r4 = r - (r % 4)
  const nd4 = nd - (nd % 4)
  productWork.macs += r * k * nd
  productWork.calls++
  if (panel.length < 4 * k) panel = new Float64Array(4 * k)
  const P = panel
  for (let d = 0; d < nd4; d += 4) {
    const j0 = cols[d], j1 = cols[d + 1], j2 = cols[d + 2], j3 = cols[d + 3]
    for (let i = 0, bi = 0, p = 0; i < k; i++, bi += m, p += 4) {
      P[p] = B[bi + j0]; P[p + 1] = B[bi + j1]; P[p + 2] = B[bi + j2]; P[p + 3] = B[bi + j3]
    }
    for (let o = 0; o < r4; o += 4) {
      const a0 = o * k, a1 = a0 + k, a2 = a1 + k, a3 = a2 + k
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0
      let c10 = 0, c11 = 0, c12 = 0, c13 = 0
      let c20 = 0, c21 = 0, c22 = 0, c23 = 0
      let c30 = 0, c31 = 0, c32 = 0, c33 = 0
      for (let i = 0, p = 0; i < k; i++, p += 4) {
        const b0 = P[p], b1 = P[p + 1], b2 = P[p + 2], b3 = P[p + 3]
        const w0 = A[a0 + i], w1 = A[a1 + i], w2 = A[a2 + i], w3 = A[a3 + i]
        c00 += w0 * b0; c01 += w0 * b1; c02 += w0 * b2; c03 += w0 * b3
        c10 += w1 * b0; c11 += w1 * b1; c12 += w1 * b2; c13 += w1 * b3
        c20 += w2 * b0; c21 += w2 * b1; c22 += w2 * b2; c23 += w2 * b3
        c30 += w3 * b0; c31 += w3 * b1; c32 += w3 * b2; c33 += w3 * b3
      }
      let q = o * m
      C[q + j0] = c00; C[q + j1] = c01; C[q + j2] = c02; C[q + j3] = c03
      q += m
      C[q + j0] = c10; C[q + j1] = c11; C[q + j2] = c12; C[q + j3] = c13
      q += m
      C[q + j0] = c20; C[q + j1] = c21; C[q + j2] = c22; C[q + j3] = c23
      q += m
      C[q + j0] = c30; C[q + j1] = c31; C[q + j2] = c32; C[q + j3] = c33
    }
    // remaining rows of these columns
    for (let o = r4; o < r; o++) {
      const ao = o * k
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0
      for (let i = 0, p = 0; i < k; i++, p += 4) {
        const w = A[ao + i]
        s0 += w * P[p]; s1 += w * P[p + 1]; s2 += w * P[p + 2]; s3 += w * P[p + 3]
      }
      const q = o * m
      C[q + j0] = s0; C[q + j1] = s1; C[q + j2] = s2; C[q + j3] = s3
    }
  }
  // remaining dense columns
  for (let d = nd4; d < nd; d++) {
    const j = cols[d]
    for (let o = 0; o < r; o++) {
      const ao = o * k
      let s = 0
      for (let i = 0, bi = j; i < k; i++, bi += m) s += A[ao + i] * B[bi]
      C[o * m + j] = s
    }
  }
  return C
}

function sameIds(a: Int32Array, b: Int32Array): boolean {
  if (a === b) return true
  if (a.length !== b.length) return false
  for (let j = 0; j < a.length; j++) if (a[j] !== b[j]) return false
  return true
}

/** Whether `short` is the start of `long`. */
function isPrefix(short: Int32Array, long: Int32Array): boolean {
  if (short.length > long.length) return false
  for (let k = 0; k < short.length; k++) if (short[k] !== long[k]) return false
  return true
}

/** Union of two strictly increasing id lists, with each side's column positions in it. */
function mergeIds(a: Int32Array, b: Int32Array): { ids: Int32Array; posA: Int32Array; posB: Int32Array } {
  // the usual case: one list extends the other (older symbols first, fresh ones appended)
  const [short, long] = a.length <= b.length ? [a, b] : [b, a]
  if (isPrefix(short, long)) {
    const identity = Int32Array.from({ length: long.length }, (_, k) => k)
    const shortPos = identity.subarray(0, short.length)
    return short === a ? { ids: long, posA: shortPos, posB: identity } : { ids: long, posA: identity, posB: shortPos }
  }
  const ids = new Int32Array(a.length + b.length)
  const posA = new Int32Array(a.length)
  const posB = new Int32Array(b.length)
  let i = 0
  let j = 0
  let m = 0
  while (i < a.length || j < b.length) {
    if (j >= b.length || (i < a.length && a[i] < b[j])) {
      posA[i] = m
      ids[m++] = a[i++]
    } else if (i >= a.length || b[j] < a[i]) {
      posB[j] = m
      ids[m++] = b[j++]
    } else {
      posA[i] = m
      posB[j] = m
      ids[m++] = a[i++]
      j++
    }
  }
  return { ids: ids.slice(0, m), posA, posB }
}

/** Re-express z over the (superset) id list `ids`, given where its columns land. */
function spread(z: Zonotope, m: number, pos: Int32Array): Float64Array {
  const G = new Float64Array(z.n * m)
  for (let i = 0; i < z.n; i++) {
    const src = i * z.m
    const dst = i * m
    for (let j = 0; j < z.m; j++) G[dst + pos[j]] = z.G[src + j]
  }
  return G
}

/** α·a + β·b, columns aligned by symbol id. */
export function zonotopeLinComb(alpha: number, a: Zonotope, beta: number, b: Zonotope): Zonotope {
  return zonotopeDiagComb(new Float64Array(a.n).fill(alpha), a, new Float64Array(b.n).fill(beta), b)
}

/** diag(α)·a + diag(β)·b (per-variable coefficients), columns aligned by symbol id. */
export function zonotopeDiagComb(alpha: ArrayLike<number>, a: Zonotope, beta: ArrayLike<number>, b: Zonotope): Zonotope {
  return diagCombAppend(alpha, a, beta, b, null, null)
}

/**
 * diag(α)·a + diag(β)·b + diag(w)·e_new (one fresh symbol per variable with w_i ≠ 0): what a
 * plane transformer outputs, built in one generator matrix (the same entries as
 * zonotopeDiagComb then diagonalAppend, without the copy).
 */
export function zonotopeDiagCombFresh(alpha: ArrayLike<number>, a: Zonotope, beta: ArrayLike<number>, b: Zonotope, w: ArrayLike<number>, symbols: SymbolSource): Zonotope {
  return diagCombAppend(alpha, a, beta, b, w, symbols)
}

function diagCombAppend(alpha: ArrayLike<number>, a: Zonotope, beta: ArrayLike<number>, b: Zonotope, w: ArrayLike<number> | null, symbols: SymbolSource | null): Zonotope {
  if (a.n !== b.n) throw new Error(`zonotope: cannot combine ${a.n} and ${b.n} variables`)
  const n = a.n
  const c = new Float64Array(n)
  for (let i = 0; i < n; i++) c[i] = alpha[i] * a.c[i] + beta[i] * b.c[i]
  let ids: Int32Array
  let fill: (G: Float64Array, stride: number) => void
  if (b.m === 0 || a.m === 0) {
    // one side is a constant: scale the other's generators, keep its symbols
    const [src, coef] = b.m === 0 ? [a, alpha] : [b, beta]
    const m = src.m
    ids = src.ids
    fill = (G, stride) => {
      for (let i = 0; i < n; i++) {
        const k = coef[i], row = i * m, dst = i * stride
        if (k !== 0) for (let j = 0; j < m; j++) G[dst + j] = k * src.G[row + j]
      }
    }
  } else if (sameIds(a.ids, b.ids)) {
    const m = a.m
    ids = a.ids
    fill = (G, stride) => {
      for (let i = 0; i < n; i++) {
        const al = alpha[i], be = beta[i], row = i * m, dst = i * stride
        for (let j = 0; j < m; j++) G[dst + j] = al * a.G[row + j] + be * b.G[row + j]
      }
    }
  } else if (isPrefix(a.ids, b.ids) || isPrefix(b.ids, a.ids)) {
    // the usual case (older symbols first, fresh ones appended): the columns line up by
    // position, so the loop below runs without its position arrays (the same sums)
    ids = a.m >= b.m ? a.ids : b.ids
    fill = (G, stride) => {
      for (let i = 0; i < n; i++) {
        const dst = i * stride
        const al = alpha[i], be = beta[i]
        if (al !== 0) for (let j = 0, src = i * a.m; j < a.m; j++) G[dst + j] += al * a.G[src + j]
        if (be !== 0) for (let j = 0, src = i * b.m; j < b.m; j++) G[dst + j] += be * b.G[src + j]
      }
    }
  } else {
    const merged = mergeIds(a.ids, b.ids)
    const { posA, posB } = merged
    ids = merged.ids
    fill = (G, stride) => {
      for (let i = 0; i < n; i++) {
        const dst = i * stride
        const al = alpha[i], be = beta[i]
        if (al !== 0) for (let j = 0; j < a.m; j++) G[dst + posA[j]] += al * a.G[i * a.m + j]
        if (be !== 0) for (let j = 0; j < b.m; j++) G[dst + posB[j]] += be * b.G[i * b.m + j]
      }
    }
  }
  const fresh = w && symbols ? withFresh(n, c, ids, w, symbols, fill) : undefined
  if (fresh) return fresh
  const m = ids.length
  const G = new Float64Array(n * m)
  fill(G, m)
  return { n, m, c, G, ids }
}

export function zonotopeAdd(a: Zonotope, b: Zonotope): Zonotope {
  return zonotopeLinComb(1, a, 1, b)
}

export function zonotopeSub(a: Zonotope, b: Zonotope): Zonotope {
  return zonotopeLinComb(1, a, -1, b)
}

/** Stack the variables of several zonotopes (columns aligned by id). */
export function zonotopeConcat(parts: Zonotope[]): Zonotope {
  let ids = parts[0].ids
  for (const p of parts.slice(1)) if (!sameIds(ids, p.ids)) ids = mergeIds(ids, p.ids).ids
  const m = ids.length
  const n = parts.reduce((s, p) => s + p.n, 0)
  const c = new Float64Array(n)
  const G = new Float64Array(n * m)
  let row = 0
  for (const p of parts) {
    c.set(p.c, row)
    if (sameIds(ids, p.ids)) G.set(p.G, row * m)
    else G.set(spread(p, m, mergeIds(ids, p.ids).posB), row * m)
    row += p.n
  }
  return { n, m, c, G, ids }
}

/** Variables [start, start + count) of z. */
export function zonotopeSlice(z: Zonotope, start: number, count: number): Zonotope {
  return {
    n: count,
    m: z.m,
    // views, not copies: zonotopes are never modified in place
    c: z.c.subarray(start, start + count),
    G: z.G.subarray(start * z.m, (start + count) * z.m),
    ids: z.ids,
  }
}

/**
 * Replace z by its interval box (one fresh symbol per variable): what interval bound
 * propagation keeps after every operation.
 */
export function zonotopeToBox(z: Zonotope, symbols: SymbolSource): Zonotope {
  const r = zonotopeRadii(z)
  return diagonalAppend(zonotopeConstant(z.c), r, symbols)
}

/**
 * A zonotope containing both a and b (symbols lined up by id): x ∈ {a, b} lies in
 * (a + b)/2 + diag(r)·e_new with r_i = |c_a − c_b|_i/2 + Σ_j |G_a − G_b|_ij/2 (fresh
 * symbols), widened by the bounds' slack for rounding.
 */
export function zonotopeJoin(a: Zonotope, b: Zonotope, symbols: SymbolSource): Zonotope {
  const mid = zonotopeLinComb(0.5, a, 0.5, b)
  const d = zonotopeSub(a, b)
  const rd = zonotopeRadii(d)
  const ra = zonotopeRadii(a)
  const rb = zonotopeRadii(b)
  const w = new Float64Array(a.n)
  for (let i = 0; i < a.n; i++) {
    const scale = Math.abs(a.c[i]) + Math.abs(b.c[i]) + ra[i] + rb[i]
    w[i] = nextUp((Math.abs(d.c[i]) + rd[i]) / 2 + BOUND_SLACK * scale)
  }
  return diagonalAppend(mid, w, symbols)
}

/**
 * z + diag(w)·e_new: append one fresh symbol for each variable with w_i ≠ 0.
 */
export function diagonalAppend(z: Zonotope, w: ArrayLike<number>, symbols: SymbolSource): Zonotope {
  return withFresh(z.n, z.c, z.ids, w, symbols, (G, stride) => {
    for (let i = 0; i < z.n; i++) G.set(z.G.subarray(i * z.m, (i + 1) * z.m), i * stride)
  }) ?? z
}

/**
 * A zonotope over the symbols `ids` plus one fresh symbol for each variable with w_i ≠ 0
 * (coefficient |w_i|, after the old columns, in row order), its generator matrix allocated
 * once with room for both: `fill` writes the old columns (row stride given). Undefined when
 * no w_i is non-zero (nothing to append; the caller builds the plain zonotope).
 */
function withFresh(n: number, c: Float64Array, ids: Int32Array, w: ArrayLike<number>, symbols: SymbolSource, fill: (G: Float64Array, stride: number) => void): Zonotope | undefined {
  let extra = 0
  for (let i = 0; i < n; i++) if (w[i] !== 0) extra++
  if (extra === 0) return undefined
  const m0 = ids.length
  const m = m0 + extra
  const G = new Float64Array(n * m)
  fill(G, m)
  const first = symbols.take(extra)
  const all = new Int32Array(m)
  all.set(ids)
  const rows = new Int32Array(extra)
  for (let i = 0, k = 0; i < n; i++) {
    if (w[i] === 0) continue
    all[m0 + k] = first + k
    rows[k] = i
    G[i * m + m0 + k] = Math.abs(w[i])
    k++
  }
  // a constant plus a diagonal is a box: its affine maps take the W·diag shortcut
  return m0 === 0 ? { n, m, c, G, ids: all, boxRows: rows } : { n, m, c, G, ids: all }
}

/** Sound order reduction of one zonotope (see zonotopeReduceState): at most keep + n symbols. */
export function zonotopeReduce(z: Zonotope, keep: number, symbols: SymbolSource): Zonotope {
  return zonotopeReduceState([z], keep, symbols)[0]
}

/**
 * Sound order reduction of a recurrent state (h, or h and c, which share symbols): the
 * `keep` symbols whose boxing would lose the most (score Σ_parts (‖g‖₁ − ‖g‖∞) of their
 * columns: a symbol with one non-zero is boxed for free) stay in every part; every other
 * symbol is folded, row by row, into one fresh symbol per row of each part (the box of the
 * folded columns' absolute values). Each part contains its old set for the same values of
 * the kept symbols (the fresh symbols are distinct and free), so the joint state does too.
 */
export function zonotopeReduceState(parts: Zonotope[], keep: number, symbols: SymbolSource): Zonotope[] {
  let ids = parts[0].ids
  for (const p of parts.slice(1)) if (!sameIds(ids, p.ids)) ids = mergeIds(ids, p.ids).ids
  const rows = parts.reduce((s, p) => s + p.n, 0)
  if (ids.length <= keep + rows) return parts
  // score of each symbol (position in the union `ids`)
  const l1 = new Float64Array(ids.length)
  const score = new Float64Array(ids.length)
  const posOf = parts.map((p) => (sameIds(ids, p.ids) ? null : mergeIds(ids, p.ids).posB))
  parts.forEach((p, q) => {
    const pos = posOf[q]
    const inf = new Float64Array(p.m)
    const one = new Float64Array(p.m)
    for (let i = 0; i < p.n; i++) {
      const row = i * p.m
      for (let j = 0; j < p.m; j++) {
        const a = Math.abs(p.G[row + j])
        one[j] += a
        if (a > inf[j]) inf[j] = a
      }
    }
    for (let j = 0; j < p.m; j++) {
      const u = pos ? pos[j] : j
      l1[u] += one[j]
      score[u] += one[j] - inf[j]
    }
  })
  const order = Array.from({ length: ids.length }, (_, j) => j).sort((a, b) => score[b] - score[a] || l1[b] - l1[a])
  const kept = new Uint8Array(ids.length)
  for (let r = 0; r < keep; r++) kept[order[r]] = 1
  return parts.map((p, q) => {
    const pos = posOf[q]
    const cols: number[] = []
    for (let j = 0; j < p.m; j++) if (kept[pos ? pos[j] : j]) cols.push(j)
    const m = cols.length
    const G = new Float64Array(p.n * m)
    const box = new Float64Array(p.n)
    for (let i = 0; i < p.n; i++) {
      const row = i * p.m
      let s = 0
      for (let j = 0, k = 0; j < p.m; j++) {
        if (k < m && cols[k] === j) G[i * m + k++] = p.G[row + j]
        else s += Math.abs(p.G[row + j])
      }
      // rounded up: the box covers the exact sum despite the rounding of its m terms
      box[i] = s === 0 ? 0 : nextUp(s * (1 + p.m * 2 ** -52))
    }
    return diagonalAppend({ n: p.n, m, c: p.c, G, ids: Int32Array.from(cols, (j) => p.ids[j]) }, box, symbols)
  })
}

/** The point c + G·e for a given assignment e (length m, aligned with z.ids). */
export function zonotopePoint(z: Zonotope, e: ArrayLike<number>): Float64Array {
  const x = Float64Array.from(z.c)
  for (let i = 0; i < z.n; i++) {
    let s = 0
    for (let j = 0; j < z.m; j++) s += z.G[i * z.m + j] * e[j]
    x[i] += s
  }
  return x
}

/**
 * Exact 2-D projection onto variables (i, k): the convex polygon that is the Minkowski sum
 * of the segments ±(G_ij, G_kj) around (c_i, c_k). Vertices counter-clockwise, at most 2m.
 */
export function zonotopeProject2d(z: Zonotope, i: number, k: number): Array<[number, number]> {
  const cx = z.c[i]
  const cy = z.c[k]
  const gens: Array<[number, number]> = []
  for (let j = 0; j < z.m; j++) {
    let gx = z.G[i * z.m + j]
    let gy = z.G[k * z.m + j]
    if (gx === 0 && gy === 0) continue
    // orient every generator into the upper half-plane
    if (gy < 0 || (gy === 0 && gx < 0)) {
      gx = -gx
      gy = -gy
    }
    gens.push([gx, gy])
  }
  if (gens.length === 0) return [[cx, cy]]
  gens.sort((p, q) => Math.atan2(p[1], p[0]) - Math.atan2(q[1], q[0]))
  // merge parallel generators so that the polygon has no collinear vertices
  const merged: Array<[number, number]> = []
  for (const g of gens) {
    const last = merged[merged.length - 1]
    if (last && Math.abs(last[0] * g[1] - last[1] * g[0]) <= 1e-15 * Math.hypot(...last) * Math.hypot(...g)) {
      last[0] += g[0]
      last[1] += g[1]
    } else merged.push([g[0], g[1]])
  }
  // lowest vertex: centre minus the sum of all (upper half-plane) generators
  let x = cx
  let y = cy
  for (const g of merged) {
    x -= g[0]
    y -= g[1]
  }
  const poly: Array<[number, number]> = []
  for (const g of merged) {
    poly.push([x, y])
    x += 2 * g[0]
    y += 2 * g[1]
  }
  for (const g of merged) {
    poly.push([x, y])
    x -= 2 * g[0]
    y -= 2 * g[1]
  }
  return poly
}

/** The next float64 above x (x finite). */
export function nextUp(x: number): number {
  if (Number.isNaN(x) || x === Infinity) return x
  if (x === 0) return Number.MIN_VALUE
  const buf = new DataView(new ArrayBuffer(8))
  buf.setFloat64(0, x)
  let bits = buf.getBigUint64(0)
  bits = x > 0 ? bits + 1n : bits - 1n
  buf.setBigUint64(0, bits)
  return buf.getFloat64(0)
}

/**
 * Exact symbol compaction: among the symbols with id ≥ fromId, those that are non-zero in
 * exactly one row of z are merged, row by row, into one fresh symbol whose coefficient is
 * the sum of their absolute values. Exact (the set is unchanged) provided no other live
 * zonotope holds these symbols: the cells call it on a state right after its fresh
 * symbols were created (LSTM: c = f⊙c + i⊙g; GRU: h = h̃ + (h − h̃)·σ(z)).
 */
export function zonotopeMergeRowLocal(z: Zonotope, fromId: number, symbols: SymbolSource): Zonotope {
  const { n, m, G, ids } = z
  const rowOf = new Int32Array(m).fill(-1) // -1: not local (or older); ≥ 0: the only row
  for (let j = 0; j < m; j++) {
    if (ids[j] < fromId) continue
    let row = -1
    for (let i = 0; i < n; i++) {
      if (G[i * m + j] !== 0) {
        if (row >= 0) {
          row = -2
          break
        }
        row = i
      }
    }
    if (row >= 0) rowOf[j] = row
  }
  // merging pays only where a row has two or more local symbols
  const perRow = new Int32Array(n)
  for (let j = 0; j < m; j++) if (rowOf[j] >= 0) perRow[rowOf[j]]++
  let mergedRows = 0
  for (let i = 0; i < n; i++) if (perRow[i] >= 2) mergedRows++
  if (mergedRows === 0) return z
  const keep: number[] = []
  const box = new Float64Array(n)
  for (let j = 0; j < m; j++) {
    const r = rowOf[j]
    if (r >= 0 && perRow[r] >= 2) box[r] += Math.abs(G[r * m + j])
    else keep.push(j)
  }
  const m2 = keep.length
  const fill = (G2: Float64Array, stride: number) => {
    for (let i = 0; i < n; i++) for (let k = 0; k < m2; k++) G2[i * stride + k] = G[i * m + keep[k]]
  }
  const kept = Int32Array.from(keep, (j) => ids[j])
  const out = withFresh(n, z.c, kept, box, symbols, fill)
  if (out) return out
  const G2 = new Float64Array(n * m2)
  fill(G2, m2)
  return { n, m: m2, c: z.c, G: G2, ids: kept }
}
