/**
 * Cert-RNN's zonotope bounds as a batched, differentiable TF.js computation, for certified
 * training (Cert-RNN-VT) and for checking trained models.
 *
 * A zonotope of a batch is a centre [B, n] and generators [m, B, n]: x = c + Σ_j G_j·e_j,
 * e ∈ [−1, 1]^m, where the m generators are noise symbols with consecutive ids
 * [from, from + m), the same ids for every sample of the batch (symbols first, so that
 * lining up, padding and folding symbols move contiguous blocks). Zonotopes are combined by
 * id (padding with zero columns), never by position. Transformers are the certifier's
 * cells (src/cert/cells) with the Cert-RNN planes of planes.ts (one fresh symbol per neuron
 * and transformer; LSTM's f⊙c and i⊙g share one, as the certifier's exact row-local merge
 * does). The input symbols are one per element of each perturbed frame.
 *
 * Layers run step-interleaved (at step t every layer takes its step), so that with
 * `consolidate` (the default) the cost stays bounded: after every step, in each state
 * zonotope, the generators of every symbol older than the step (earlier input symbols,
 * earlier fresh symbols) are folded into one new box symbol per neuron (radius = the row's
 * Σ|G|, a sound over-approximation); the step's own input symbols and fresh symbols stay.
 * `consolidate: false` keeps every symbol (exact Cert-RNN; for agreement with the
 * certifier, O(T²) memory).
 *
 * Worst-case logits come from the difference zonotope z_c − z_y (shared symbols cancel):
 * upper bound = (c_c − c_y) + Σ_j |G_jc − G_jy|.
 */
import * as tf from '@tensorflow/tfjs'
import type { CellProduct, Domain, StepMask, UnaryKind } from '../cert/index.ts'
import { boxMask, runDense, runPipeline, runStackInterleaved } from '../cert/index.ts'
import type { InputBox, LogitBounds } from './box.ts'
import { cols, steps, tfStages } from './forward.ts'
import type { TfParams } from './params.ts'
import { absSumFirst, eye, maskRows, matMul } from './ops.ts'
import type { TfPlane } from './planes.ts'
import { hardSigmoidPlane, hardSigmoidTanhPlane, mulPlane, reluPlane, sigmoidTanhPlane, unaryPlane, xHardSigmoidPlane, xSigmoidPlane } from './planes.ts'

type T2 = tf.Tensor2D
type T3 = tf.Tensor3D

/** A batch of zonotopes: centre [B, n]; generators [m, B, n] of symbols [from, from + m). */
interface Zono {
  c: T2
  /** null: no symbols (a constant) */
  G: T3 | null
  /** id of the first generator of G */
  from: number
  /**
   * first ids of the diagonal blocks of G (symbols from + k move neuron k only: fresh
   * symbols, also after elementwise scaling and sums); empty when unknown
   */
  local?: number[]
}

export interface ZonotopeOptions {
  /**
   * After every step: `true` (default) folds every symbol older than the step into one box
   * symbol per neuron; `{ keep: K }` keeps the K symbols with the largest Σ|G| over the
   * batch and every state neuron (the certifier's order reduction, shared by all states) and
   * folds the others; `false` keeps everything (exact).
   */
  consolidate?: boolean | { keep: number }
}

/** The symbol source of one propagation. */
class Symbols {
  next = 0
  alloc(k: number): number {
    const s = this.next
    this.next += k
    return s
  }
}

const constantZono = (c: T2): Zono => ({ c, G: null, from: 0 })

/** diag(w) as generators [n, B, n] (w: [B, n]): symbol j moves neuron j only. */
function diagGenerators(w: T2): T3 {
  const n = w.shape[1]
  return tf.mul(tf.expandDims(w, 0), tf.expandDims(eye(n), 1)) as T3
}

/** Sum of generator terms lined up by symbol id. */
function sumGenerators(terms: Array<{ G: T3; from: number }>): { G: T3 | null; from: number } {
  if (terms.length === 0) return { G: null, from: 0 }
  if (terms.length === 1) return terms[0]
  const from = Math.min(...terms.map((t) => t.from))
  const end = Math.max(...terms.map((t) => t.from + t.G.shape[0]))
  let G: T3 | null = null
  for (const t of terms) {
    const before = t.from - from
    const after = end - t.from - t.G.shape[0]
    const padded = before || after ? (tf.pad(t.G, [[before, after], [0, 0], [0, 0]]) as T3) : t.G
    G = G ? tf.add(G, padded) : padded
  }
  return { G, from }
}

/** A term of a linear combination: W·z (matrix [n, n']) or s⊙z (per-neuron [B, n]). */
type Term = { z: Zono; W: T2 } | { z: Zono; s: T2 }

const covers = (z: Zono, id: number) => !!z.G && id >= z.from && id < z.from + z.G.shape[0]

/**
 * The diagonal blocks of an elementwise combination of `zs` (those listed in `keeps`
 * keep theirs; a matrix product keeps none): a block stays diagonal when every operand
 * that has its symbols has it as a diagonal block.
 */
function localOf(zs: Zono[], keeps: boolean[]): number[] {
  const blocks = new Set<number>()
  zs.forEach((z, k) => keeps[k] && z.local?.forEach((b) => blocks.add(b)))
  return [...blocks].filter((b) => zs.every((z, k) => !covers(z, b) || (keeps[k] && !!z.local?.includes(b)))).sort((p, q) => p - q)
}

/** Σ terms + bias. */
function combine(terms: Term[], bias: tf.Tensor | null): Zono {
  let c: T2 | null = null
  const gens: Array<{ G: T3; from: number }> = []
  for (const t of terms) {
    let ct: T2
    if ('W' in t) {
      ct = matMul(t.z.c, t.W)
      if (t.z.G) {
        const [m, B, n] = t.z.G.shape
        gens.push({ G: tf.reshape(matMul(tf.reshape(t.z.G, [m * B, n]) as T2, t.W), [m, B, t.W.shape[1]]) as T3, from: t.z.from })
      }
    } else {
      ct = tf.mul(t.z.c, t.s) as T2
      if (t.z.G) gens.push({ G: tf.mul(t.z.G, tf.expandDims(t.s, 0)) as T3, from: t.z.from })
    }
    c = c ? (tf.add(c, ct) as T2) : ct
  }
  if (bias) c = tf.add(c!, bias) as T2
  const { G, from } = sumGenerators(gens)
  return { c: c!, G, from, local: localOf(terms.map((t) => t.z), terms.map((t) => 's' in t)) }
}

/** Σ_k x_k·W_k + b, where an input box x_k = (centre, radius) contributes radius ⊙ W rows. */
function affineZono(terms: Array<[Zono | InputFrame, T2]>, bias: tf.Tensor | null): Zono {
  const plain: Term[] = []
  const boxGens: Array<{ G: T3; from: number }> = []
  let boxC: T2 | null = null
  for (const [x, W] of terms) {
    if ('radius' in x) {
      // diag(r)·W: G[j, b, o] = r[b, j]·W[j, o]
      boxGens.push({ G: tf.mul(tf.expandDims(tf.transpose(x.radius), 2), tf.expandDims(W, 1)) as T3, from: x.from })
      const cw = matMul(x.c, W)
      boxC = boxC ? (tf.add(boxC, cw) as T2) : cw
    } else plain.push({ z: x, W })
  }
  let z = plain.length ? combine(plain, bias) : null
  if (boxC) {
    const c = z ? tf.add(z.c, boxC) : bias ? tf.add(boxC, bias) : boxC
    const { G, from } = sumGenerators([...(z?.G ? [{ G: z.G, from: z.from }] : []), ...boxGens])
    z = { c: c as T2, G, from }
  }
  return z!
}

/** A perturbed input frame: centre [B, d] and radius [B, d], symbols [from, from + d). */
interface InputFrame {
  c: T2
  radius: T2
  from: number
}

function addZono(a: Zono, b: Zono): Zono {
  const { G, from } = sumGenerators([a, b].filter((z) => z.G).map((z) => ({ G: z.G!, from: z.from })))
  return { c: tf.add(a.c, b.c), G, from, local: localOf([a, b], [true, true]) }
}

function subZono(a: Zono, b: Zono): Zono {
  const gens = [...(a.G ? [{ G: a.G, from: a.from }] : []), ...(b.G ? [{ G: tf.neg(b.G) as T3, from: b.from }] : [])]
  const { G, from } = sumGenerators(gens)
  return { c: tf.sub(a.c, b.c), G, from, local: localOf([a, b], [true, true]) }
}

/** Neurons [from, from + count). */
function sliceZono(z: Zono, start: number, count: number): Zono {
  return {
    c: cols(z.c, start, count),
    G: z.G ? (tf.slice(z.G, [0, 0, start], [z.G.shape[0], z.G.shape[1], count]) as T3) : null,
    from: z.from,
  }
}

/** Σ_j |G_j| per neuron ([B, n]). */
function radiusOf(z: Zono): T2 {
  return z.G ? absSumFirst(z.G) : (tf.zerosLike(z.c) as T2)
}

function zonoBounds(z: Zono): { l: T2; u: T2 } {
  const r = radiusOf(z)
  return { l: tf.sub(z.c, r), u: tf.add(z.c, r) }
}

/** Every row of z scaled by its weight w [B, 1]. */
function scaleRows(z: Zono, w: T2): Zono {
  return { c: tf.mul(z.c, w) as T2, G: z.G ? (tf.mul(z.G, tf.expandDims(w, 0)) as T3) : null, from: z.from, local: z.local }
}

/** Append one fresh symbol per neuron with coefficient w ([B, n], ≥ 0). */
function withFresh(z: Zono, w: T2, symbols: Symbols): Zono {
  const from = symbols.alloc(w.shape[1])
  const { G, from: f } = sumGenerators([...(z.G ? [{ G: z.G, from: z.from }] : []), { G: diagGenerators(w), from }])
  return { c: z.c, G, from: f, local: [...(z.local ?? []), from] }
}

/**
 * The certifier's exact row-local merge, for the diagonal blocks created since `mark` that
 * end G (a cell step's fresh symbols, dead everywhere but in z): one symbol per neuron,
 * coefficient Σ|G| over the blocks; their ids are reused when nothing was allocated after.
 */
function mergeTail(z: Zono, mark: number, symbols: Symbols): Zono {
  if (!z.G) return z
  const n = z.c.shape[1]
  const [m, B] = z.G.shape
  let start = z.from + m
  while (start - n >= mark && start - n >= z.from && z.local?.includes(start - n)) start -= n
  if (z.from + m - start < 2 * n) return z
  const k = start - z.from
  const r = absSumFirst(tf.slice(z.G, [k, 0, 0], [m - k, B, n]) as T3)
  const kept: Zono = k > 0 ? { c: z.c, G: tf.slice(z.G, [0, 0, 0], [k, B, n]) as T3, from: z.from, local: z.local!.filter((b) => b < start) } : { c: z.c, G: null, from: 0 }
  if (symbols.next === z.from + m) symbols.next = start
  return withFresh(kept, r, symbols)
}

/**
 * Fold the generators of symbols older than `keepFrom` into one new box symbol per neuron
 * (sound: the box symbols are fresh and independent of everything else).
 */
function foldZono(z: Zono, keepFrom: number, symbols: Symbols): Zono {
  if (!z.G || z.from >= keepFrom) return z
  const [m, B, n] = z.G.shape
  const k = Math.min(m, keepFrom - z.from)
  const r = absSumFirst(z.G, k)
  const kept: Zono = k < m ? { c: z.c, G: tf.slice(z.G, [k, 0, 0], [m - k, B, n]) as T3, from: keepFrom, local: z.local?.filter((b) => b >= keepFrom) } : { c: z.c, G: null, from: 0 }
  return withFresh(kept, r, symbols)
}

/**
 * Keep the `keep` symbols with the largest Σ_{b,i}|G| over all the state zonotopes (one
 * choice for all of them, so their correlations through the kept symbols stay), relabelled
 * as fresh consecutive ids; fold every other symbol into one new box symbol per neuron.
 * The selection is a gather where the backend has a scatter kernel for its gradient
 * (UnsortedSegmentSum: cpu, or wasm with registerScatterAdd), else a 0/1 product.
 */
function reduceStates(states: Zono[], keep: number, symbols: Symbols): Zono[] {
  const live = states.filter((z) => z.G)
  if (live.length === 0) return states
  const from = Math.min(...live.map((z) => z.from))
  const end = Math.max(...live.map((z) => z.from + z.G!.shape[0]))
  const m = end - from
  if (m <= keep) return states
  const padded = states.map((z) => (z.G ? (tf.pad(z.G, [[z.from - from, end - z.from - z.G.shape[0]], [0, 0], [0, 0]]) as T3) : null))
  // scores: read back (the choice is discrete, off the tape)
  const score = new Float64Array(m)
  for (const G of padded) {
    if (!G) continue
    const s = tf.tidy(() => tf.sum(tf.abs(tf.reshape(G, [m, -1])), 1).dataSync())
    for (let j = 0; j < m; j++) score[j] += s[j]
  }
  const order = Array.from({ length: m }, (_v, j) => j).sort((p, q) => score[q] - score[p] || p - q)
  const kept = order.slice(0, keep).sort((p, q) => p - q)
  const foldMask = new Float32Array(m).fill(1)
  const sel = new Float32Array(kept.length * m)
  kept.forEach((j, r) => {
    sel[r * m + j] = 1
    foldMask[j] = 0
  })
  const useGather = !!tf.getKernel('UnsortedSegmentSum', tf.getBackend())
  const S = useGather ? null : tf.tensor2d(sel, [kept.length, m])
  const idx = useGather ? tf.tensor1d(kept, 'int32') : null
  const newFrom = symbols.alloc(kept.length)
  return states.map((z, k) => {
    const G = padded[k]
    if (!G) return z
    const [, B, n] = G.shape
    const keptG = (idx ? tf.gather(G, idx, 0) : tf.reshape(matMul(S!, tf.reshape(G, [m, B * n]) as T2), [kept.length, B, n])) as T3
    return withFresh({ c: z.c, G: keptG, from: newFrom }, absSumFirst(G, foldMask), symbols)
  })
}

/** A transformer's output before its fresh symbols: the linear part and their coefficients. */
interface Linear {
  z: Zono
  w: T2
}

function planeLinear(p: TfPlane, x: Zono, y: Zono | null): Linear {
  const terms: Term[] = [{ z: x, s: p.a }]
  if (y && p.b) terms.push({ z: y, s: p.b })
  const lin = combine(terms, tf.div(tf.add(p.c1, p.c2), 2))
  return { z: lin, w: tf.div(tf.sub(p.c2, p.c1), 2) as T2 }
}

function unaryLinear(kind: UnaryKind, z: Zono): Linear {
  const { l, u } = zonoBounds(z)
  return planeLinear(kind === 'relu' ? reluPlane(l, u) : kind === 'hardSigmoid' ? hardSigmoidPlane(l, u) : unaryPlane(kind, l, u), z, null)
}

const PRODUCT_PLANES: Record<CellProduct, typeof sigmoidTanhPlane> = {
  sigmoidTanh: sigmoidTanhPlane,
  xSigmoid: xSigmoidPlane,
  hardSigmoidTanh: hardSigmoidTanhPlane,
  xHardSigmoid: xHardSigmoidPlane,
  mul: mulPlane,
}

function binaryLinear(kind: CellProduct, x: Zono, y: Zono): Linear {
  const bx = zonoBounds(x)
  const by = zonoBounds(y)
  const plane = PRODUCT_PLANES[kind](bx.l, bx.u, by.l, by.u)
  return planeLinear(plane, x, y)
}

const asZono = (v: Zono | InputFrame): Zono => {
  if ('radius' in v) throw new Error('an input frame enters affine maps only')
  return v
}

/**
 * The max over the steps, per neuron, as the certifier's (src/cert/transformers/maxPool.ts):
 * the step j with the largest lower bound, exact when D = max_k hi(x_k − x_j) ≤ 0, else x_j
 * plus a one-sided fresh symbol [0, D] when D < (max u − max l)/2, else the box [max l, max u].
 */
function maxZono(parts: Zono[], symbols: Symbols): Zono {
  if (parts.length === 1) return parts[0]
  const bs = parts.map(zonoBounds)
  const L = bs.map((b) => b.l).reduce((a, b) => tf.maximum(a, b))
  const U = bs.map((b) => b.u).reduce((a, b) => tf.maximum(a, b))
  const j = tf.argMax(tf.stack(bs.map((b) => b.l)), 0)
  const masks = parts.map((_z, k) => tf.cast(tf.equal(j, k), 'float32') as T2)
  const xj = combine(
    parts.map((z, k) => ({ z, s: masks[k] })),
    null,
  )
  const none = tf.fill(L.shape, -Infinity) as T2
  const D = parts.map((z, k) => tf.where(tf.equal(masks[k], 1), none, zonoBounds(subZono(z, xj)).u) as T2).reduce((a, b) => tf.maximum(a, b))
  const radBox = tf.div(tf.sub(U, L), 2) as T2
  const half = tf.div(tf.maximum(D, 0), 2) as T2
  const exact = tf.lessEqual(D, 0)
  const step = tf.logicalAnd(tf.logicalNot(exact), tf.less(D, radBox))
  const box = tf.cast(tf.logicalNot(tf.logicalOr(exact, step)), 'float32') as T2
  const stepF = tf.cast(step, 'float32') as T2
  const keep = tf.sub(1, box) as T2
  const centre = tf.add(tf.mul(stepF, half), tf.mul(box, tf.div(tf.add(L, U), 2)))
  const lin = combine([{ z: xj, s: keep }], centre)
  return withFresh(lin, tf.add(tf.mul(stepF, half), tf.mul(box, radBox)) as T2, symbols)
}

/** Any value as a zonotope (an input frame: its box as diagonal generators). */
const zonoOf = (v: Zono | InputFrame): Zono => ('radius' in v ? { c: v.c, G: diagGenerators(v.radius), from: v.from } : v)

/** The neurons of the parts one after the other, generators lined up by symbol id. */
function concatZono(parts: Zono[]): Zono {
  const live = parts.filter((z) => z.G)
  const c = tf.concat(parts.map((z) => z.c), 1) as T2
  if (live.length === 0) return { c, G: null, from: 0 }
  const from = Math.min(...live.map((z) => z.from))
  const end = Math.max(...live.map((z) => z.from + z.G!.shape[0]))
  const B = c.shape[0]
  const G = tf.concat(
    parts.map((z) => (z.G ? (tf.pad(z.G, [[z.from - from, end - z.from - z.G.shape[0]], [0, 0], [0, 0]]) as T3) : (tf.zeros([end - from, B, z.c.shape[1]]) as T3))),
    2,
  ) as T3
  return { c, G, from }
}

/** Zonotopes of a batch with the Cert-RNN planes; an input frame is a box (diag(radius)·W). */
class ZonotopeDomain implements Domain<Zono | InputFrame, T2, tf.Tensor1D> {
  readonly symbols = new Symbols()

  affine(terms: Array<[T2, Zono | InputFrame]>, bias: tf.Tensor1D | null): Zono {
    return affineZono(terms.map(([W, x]) => [x, W]), bias)
  }

  slice(v: Zono | InputFrame, start: number, count: number): Zono {
    return sliceZono(asZono(v), start, count)
  }

  add(a: Zono | InputFrame, b: Zono | InputFrame): Zono {
    return addZono(asZono(a), asZono(b))
  }

  sub(a: Zono | InputFrame, b: Zono | InputFrame): Zono {
    return subZono(asZono(a), asZono(b))
  }

  unary(kind: UnaryKind, v: Zono | InputFrame): Zono {
    const r = unaryLinear(kind, asZono(v))
    return withFresh(r.z, r.w, this.symbols)
  }

  binary(kind: CellProduct, x: Zono | InputFrame, y: Zono | InputFrame): Zono {
    const r = binaryLinear(kind, asZono(x), asZono(y))
    return withFresh(r.z, r.w, this.symbols)
  }

  concat(parts: Array<Zono | InputFrame>): Zono {
    return concatZono(parts.map(zonoOf))
  }

  max(parts: Array<Zono | InputFrame>): Zono {
    return maxZono(parts.map(zonoOf), this.symbols)
  }

  /** Masking(value) on the box of each row's zonotope: masked, kept, or either (½). */
  maskOf(v: Zono | InputFrame, value: number): StepMask {
    const { l, u } = 'radius' in v ? { l: tf.sub(v.c, v.radius), u: tf.add(v.c, v.radius) } : zonoBounds(v)
    return boxMask(l.dataSync(), u.dataSync(), v.c.shape[0], v.c.shape[1], value)
  }

  /**
   * Per row: `skipped` (masked), `computed` (kept), or their join (either): (a + b)/2 plus a
   * fresh symbol per neuron of radius |c_a − c_b|/2 + Σ_j |G_a − G_b|_j/2, all in one
   * α·a + β·b + γ·r·e_new with per-row weights.
   */
  select(m: Float64Array, skipped: Zono | InputFrame, computed: Zono | InputFrame): Zono {
    const a = asZono(skipped)
    const b = asZono(computed)
    if (m.length === 1 && m[0] !== 0.5) return m[0] === 1 ? a : b
    const { skip, keep, join } = maskRows(m, b.c.shape[0])
    const half = tf.mul(join, 0.5) as T2
    const d = subZono(a, b)
    const r = tf.div(tf.add(tf.abs(d.c), radiusOf(d)), 2) as T2
    const z = addZono(scaleRows(a, tf.add(skip, half) as T2), scaleRows(b, tf.add(keep, half) as T2))
    return withFresh(z, tf.mul(join, r) as T2, this.symbols)
  }

  mark(): number {
    return this.symbols.next
  }

  mergeLocal(v: Zono | InputFrame, mark: number): Zono {
    return mergeTail(asZono(v), mark, this.symbols)
  }
}

/** The logits' zonotope over the box. */
function logitZonotope(p: TfParams, box: InputBox, opts: ZonotopeOptions = {}): Zono {
  if (box.lower.rank !== 3 || box.lower.shape[2] !== p.frameSize) {
    throw new Error(`the box must have shape [batch, T, ${p.frameSize}], got [${box.lower.shape.join(', ')}]`)
  }
  const consolidate = opts.consolidate ?? true
  const d = new ZonotopeDomain()
  const symbols = d.symbols
  const lo = steps(box.lower)
  const hi = steps(box.upper)
  const B = box.lower.shape[0]
  const perturbed = box.frames ? new Set(box.frames) : null
  let stepStart = 0
  const input = (t: number): Zono | InputFrame => {
    stepStart = symbols.next
    const c = tf.div(tf.add(lo[t], hi[t]), 2) as T2
    return perturbed && !perturbed.has(t) ? constantZono(c) : { c, radius: tf.div(tf.sub(hi[t], lo[t]), 2) as T2, from: symbols.alloc(p.frameSize) }
  }
  const stages = tfStages(p)
  const zeros = (_k: number, c: { units: number; stateParts: number }) => Array.from({ length: c.stateParts }, () => constantZono(tf.zeros([B, c.units])))
  /** the consolidation of states that share their symbols (one step of every layer, or of one) */
  const consolidateStates = (zs: Zono[][]): Zono[][] => {
    if (consolidate === true) return zs.map((s) => s.map((z) => foldZono(z, stepStart, symbols)))
    if (!consolidate) return zs
    // one reduction over every state part of every layer (they share symbols)
    const flat = reduceStates(zs.flat(), consolidate.keep, symbols)
    let k = 0
    return zs.map((s) => s.map(() => flat[k++]))
  }
  const recurrent = stages.filter((s) => s.type === 'recurrent')
  const dense = stages.filter((s) => s.type === 'dense')
  const masks = box.masks
  if (!masks && recurrent.length + dense.length === stages.length && recurrent.every((s, k) => k === recurrent.length - 1 || s.returnSequences) && stages[recurrent.length - 1]?.type === 'recurrent') {
    // a recurrent stack and a Dense head: step-interleaved, consolidated across the layers
    const h = runStackInterleaved(
      d,
      recurrent.map((s) => s.cell),
      lo.length,
      input,
      zeros,
      (states) => consolidateStates(states as Zono[][]),
    )
    return asZono(runDense(d, dense.map((s) => s.spec), h))
  }
  // any other chain: stage by stage, each recurrent step consolidated on its own
  const inputs = lo.map((_l, t) => input(t))
  return asZono(
    runPipeline(d, stages, inputs, 0, lo.length - 1, {
      initial: zeros,
      ...(masks ? { inputMask: (t: number) => masks[t] } : {}),
      onStep: (_k, t) => {
        if (t !== null) stepStart = symbols.next
      },
      afterStep: (state) => consolidateStates([state as Zono[]])[0],
    }),
  )
}

/** Upper bounds of z_c − z_y from the difference zonotope (entry y = 0). */
function worstFromZonotope(z: Zono, labels: tf.Tensor1D): T2 {
  const C = z.c.shape[1]
  const onehot = tf.oneHot(tf.cast(labels, 'int32'), C) as T2
  const cy = tf.sum(tf.mul(z.c, onehot), 1, true)
  const dc = tf.sub(z.c, cy)
  if (!z.G) return dc as T2
  const Gy = tf.sum(tf.mul(z.G, tf.expandDims(onehot, 0)), 2, true)
  return tf.add(dc, absSumFirst(tf.sub(z.G, Gy) as T3)) as T2
}

/** Cert-RNN zonotope bounds of the logits over the box (and the worst-case logits for `labels`). */
export function zonotopeBounds(p: TfParams, box: InputBox, labels?: tf.Tensor1D, opts: ZonotopeOptions = {}): LogitBounds {
  const z = logitZonotope(p, box, opts)
  const { l, u } = zonoBounds(z)
  return { lower: l, upper: u, worst: labels ? worstFromZonotope(z, labels) : null }
}
