/**
 * Where a certificate's looseness comes from.
 *
 * The certified lower bound of a margin is c − Σ_j |g_j| over the noise symbols j of the
 * margin's zonotope (then a tiny rounding slack). Every symbol was made somewhere: the
 * perturbed input's own symbols or the fresh symbols of one transformer application (the
 * planes of a nonlinearity at one layer, step and operation), a box (interval bound
 * propagation), a join (a step that may be masked) or a max pool. Each origin's part of the
 * gap between the input's own margin and the certified one is its spread (Σ|g_j| over its
 * symbols) plus its shift (how far it moved the centre c from the input's margin: a plane's
 * middle is not the function at the input's own point, and later layers carry that along).
 * The parts sum to the gap up to rounding.
 *
 * The origins are recorded only when asked: `looseness` runs the certificate with a symbol
 * source that notes the origin of every block of fresh symbols it hands out (OriginSource),
 * and a context that names the operation before each one runs and follows every value's
 * centre against the float64 value of the same operation (OriginContext). Symbols that
 * later replace others (the exact merge of a step's row-local symbols, the optional order
 * reduction) inherit their origins in proportion to the coefficients they fold; for the
 * exact merge this is the split the unmerged symbols would have given. The plain certifier
 * pays nothing.
 *
 * The split says which transformer's error terms reach the margin, not what the margin
 * would be were that transformer exact: a transformer's gap grows with its input box, which
 * all earlier looseness widens.
 */
import type { CellProduct, StepMask } from './layers/index.ts'
import type { PreparedSample, CertifyOptions } from './certify.ts'
import { certifyFrames, certifyRegion } from './certify.ts'
import { AbstractContext } from './domains/zonotope.ts'
import type { TraceEntry, TraceOptions } from './domains/zonotope.ts'
import type { Lin } from './domains/float64.ts'
import { affineFloat64, PRODUCT, UNARY } from './domains/float64.ts'
import { checkClip, checkEps } from './threat.ts'
import { weakestClass } from './verify.ts'
import type { BinaryKind, Method, TransformerSet, UnaryKind } from './transformers/index.ts'
import type { Box, Zonotope } from './zonotope.ts'
import { matVec, SymbolSource, zonotopeBounds, zonotopeLinComb, zonotopeSlice } from './zonotope.ts'

/** What made a noise symbol. */
export type OriginKind = 'input' | 'planes' | 'box' | 'join' | 'max'

export interface SymbolOrigin {
  kind: OriginKind
  /** the layer (index in the network's layers) and its name; null and '' for the input */
  layer: number | null
  layerName: string
  /** the time step, null outside the recurrence (Dense layers, pooling) and for the input */
  step: number | null
  /** the operation's trace name ('h', 'i*g', 'f*c', 'logits', …); '' for the input */
  op: string
  /** kind 'planes': the nonlinearity the planes enclose */
  fn?: UnaryKind | BinaryKind
}

export interface LoosenessPart {
  origin: SymbolOrigin
  /** Σ |g_j| of the margin over this origin's symbols (≥ 0): how much it widens the range */
  spread: number
  /** how far it moved the centre of the margin's range down from the input's margin (either sign) */
  shift: number
  /** spread + shift: its part of the gap between the input's margin and the certified margin */
  loss: number
}

export interface Looseness {
  method: Method
  /** the predicted label y and the class c of the margin logit_y − logit_c */
  label: number
  against: number
  /** the analysed run's certified lower bound of the margin */
  margin: number
  /** the input's own margin (the float64 forward pass) */
  concrete: number
  /** the centre of the margin's zonotope */
  centre: number
  /** concrete − centre: how far the transformers moved the centre (either sign; split among the parts) */
  shift: number
  /** the part of the shift no origin explains: rounding (tiny) */
  rest: number
  /** the bounds' rounding slack, and the rounding of summing the parts (tiny) */
  slack: number
  /** per origin, in the order the symbols were made (the input first); only origins that reach the margin */
  parts: LoosenessPart[]
  /** concrete − margin = Σ parts' loss + rest + slack (up to rounding) */
  total: number
  /**
   * tight: the method's full margin for this class (its last slopes re-optimised, and the
   * best of it and Cert-RNN's run; computed without the early stop it takes when Cert-RNN's
   * run already decides) minus the analysed run's; 0 for the other methods
   */
  recovered: number
}

/** Origin table: a key per origin, blocks of consecutive symbol ids, and mixed (folded) symbols. */
export class OriginSource extends SymbolSource {
  readonly origins: SymbolOrigin[] = [{ kind: 'input', layer: null, layerName: '', step: null, op: '' }]
  private readonly keys = new Map<string, number>([['input', 0]])
  /** the origin of the symbols taken next (set by OriginContext before each operation) */
  current = 0
  private readonly blockFirst: number[] = []
  private readonly blockOrigin: number[] = []
  /** symbols that replaced others: their origins' shares (summing to 1) */
  private readonly mixed = new Map<number, Map<number, number>>()

  override take(count: number): number {
    const first = super.take(count)
    if (count > 0) {
      this.blockFirst.push(first)
      this.blockOrigin.push(this.current)
    }
    return first
  }

  /** The index of an origin (registered on first use). */
  originOf(o: SymbolOrigin): number {
    const key = `${o.kind}|${o.layer}|${o.step}|${o.op}|${o.fn ?? ''}`
    let k = this.keys.get(key)
    if (k === undefined) {
      k = this.origins.length
      this.origins.push(o)
      this.keys.set(key, k)
    }
    return k
  }

  /** Symbol id → its origins' shares. */
  shares(id: number): Map<number, number> {
    const m = this.mixed.get(id)
    if (m) return m
    // the block holding id: the last block starting at or before it
    let lo = 0
    let hi = this.blockFirst.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if (this.blockFirst[mid] <= id) lo = mid
      else hi = mid - 1
    }
    return new Map([[this.blockOrigin[lo] ?? 0, 1]])
  }

  /**
   * `after` replaced `before` part by part (same rows), its symbols with id ≥ `from` made by
   * folding, row by row, the symbols of `before` that `after` no longer has: each new symbol
   * inherits their origins weighted by their coefficients in its row.
   */
  fold(before: readonly Zonotope[], after: readonly Zonotope[], from: number): void {
    before.forEach((b, q) => {
      const a = after[q]
      if (a === b) return
      const kept = new Set(a.ids)
      const gone: number[] = []
      for (let j = 0; j < b.m; j++) if (!kept.has(b.ids[j])) gone.push(j)
      for (let k = 0; k < a.m; k++) {
        if (a.ids[k] < from) continue
        const shares = new Map<number, number>()
        let sum = 0
        for (let i = 0; i < a.n; i++) {
          if (a.G[i * a.m + k] === 0) continue
          for (const j of gone) {
            const w = Math.abs(b.G[i * b.m + j])
            if (w === 0) continue
            sum += w
            for (const [o, s] of this.shares(b.ids[j])) shares.set(o, (shares.get(o) ?? 0) + w * s)
          }
        }
        if (sum > 0) {
          for (const [o, s] of shares) shares.set(o, s / sum)
          this.mixed.set(a.ids[k], shares)
        }
      }
    })
  }
}

/** Per origin, how far it moved a value's centre from the concrete value (a vector per origin). */
type Shifts = Map<number, Float64Array>
const NO_SHIFTS: Shifts = new Map()

/** Σ_k W_k·d_k over the terms, per origin (origins missing from a term contribute nothing). */
function mapShifts(terms: Array<[Lin, Shifts]>): Shifts {
  const out: Shifts = new Map()
  for (const [{ W, out: rows, n }, shifts] of terms) {
    for (const [o, d] of shifts) {
      const y = matVec(W, rows, n, d)
      const acc = out.get(o)
      if (acc) for (let i = 0; i < rows; i++) acc[i] += y[i]
      else out.set(o, y)
    }
  }
  return out
}

/** Per origin, f applied to the parts' vectors (a missing origin is a zero vector of the part's length). */
function zipShifts(parts: Shifts[], lengths: number[], f: (ds: Array<Float64Array>) => Float64Array): Shifts {
  const out: Shifts = new Map()
  const origins = new Set(parts.flatMap((p) => [...p.keys()]))
  for (const o of origins) out.set(o, f(parts.map((p, k) => p.get(o) ?? new Float64Array(lengths[k]))))
  return out
}

/**
 * A zonotope context that tells its OriginSource which operation makes the next symbols, and
 * follows the centre of every value against the concrete value of the same operation at the
 * input (the float64 run): the exact operations carry each origin's shift of the centre along
 * (linearly), and each transformer, join or max adds its own (the centre it outputs minus the
 * function's value at the concrete input, after the shifts it carries).
 */
export class OriginContext extends AbstractContext {
  private readonly src: OriginSource
  private readonly conc = new WeakMap<Zonotope, Float64Array>()
  private readonly shifts = new WeakMap<Zonotope, Shifts>()
  /** the trace this context reads the planes from (the caller's, or its own) */
  private readonly sink: TraceEntry[]

  constructor(set: TransformerSet, src: OriginSource, trace?: TraceOptions) {
    const own = trace ?? { sink: [] }
    super(set, src, own)
    this.src = src
    this.sink = own.sink
    // the optional order reduction (set after construction by the run): fold its symbols' origins
    let inner: AbstractContext['reduce']
    Object.defineProperty(this, 'reduce', {
      get: () =>
        inner &&
        ((state: Zonotope[]) => {
          const from = src.peek
          const out = inner!(state)
          src.fold(state, out, from)
          out.forEach((z, k) => this.same(state[k], z))
          return out
        }),
      set: (f: AbstractContext['reduce']) => {
        inner = f
      },
    })
  }

  /**
   * The input zonotopes and the input's frames: a frame's concrete value is the input's, and
   * where the ball is clipped its centre moves off the input (the input's own shift).
   */
  setInputs(zs: Zonotope[], frames: Float64Array[]) {
    zs.forEach((z, t) => {
      const d = z.c.map((v, i) => v - frames[t][i])
      this.keep(z, frames[t], d.some((v) => v !== 0) ? new Map([[0, d]]) : new Map())
    })
  }

  /** The concrete value of z at the input (a value made outside the pass: its centre). */
  concreteOf(z: Zonotope): Float64Array {
    return this.conc.get(z) ?? z.c
  }

  /** Per origin, how far z's centre lies from its concrete value. */
  shiftsOf(z: Zonotope): Shifts {
    return this.shifts.get(z) ?? NO_SHIFTS
  }

  private at(kind: OriginKind, op: string, fn?: UnaryKind | BinaryKind) {
    this.src.current = this.src.originOf({ kind, layer: this.layer, layerName: this.layerName, step: this.step, op, ...(fn ? { fn } : {}) })
  }

  /** Keep out's concrete value and shifts; with `local`, what the centre moved beyond the carried shifts is the current origin's. */
  private keep(out: Zonotope, conc: Float64Array, shifts: Shifts, local = false): Zonotope {
    if (local) {
      const own = new Float64Array(out.n)
      for (let i = 0; i < out.n; i++) own[i] = out.c[i] - conc[i]
      for (const d of shifts.values()) for (let i = 0; i < out.n; i++) own[i] -= d[i]
      if (own.some((v) => v !== 0)) {
        const o = this.src.current
        const acc = shifts.get(o)
        if (acc) for (let i = 0; i < out.n; i++) acc[i] += own[i]
        else shifts.set(o, own)
      }
    }
    this.conc.set(out, conc)
    this.shifts.set(out, shifts)
    return out
  }

  /** out has z's centre and concrete value (merges, reductions). */
  private same(z: Zonotope, out: Zonotope) {
    if (out !== z) this.keep(out, this.concreteOf(z), this.shiftsOf(z))
  }

  override affine(terms: Array<[Lin, Zonotope]>, b: Float64Array | null, op: string): Zonotope {
    const out = super.affine(terms, b, op)
    return this.keep(out, affineFloat64(terms.map(([W, x]) => [W, this.concreteOf(x)]), b), mapShifts(terms.map(([W, x]) => [W, this.shiftsOf(x)])))
  }

  override slice(z: Zonotope, start: number, count: number): Zonotope {
    const out = super.slice(z, start, count)
    const shifts: Shifts = new Map()
    for (const [o, d] of this.shiftsOf(z)) shifts.set(o, d.subarray(start, start + count))
    return this.keep(out, this.concreteOf(z).subarray(start, start + count), shifts)
  }

  override settle(z: Zonotope, op: string, interval?: () => Box): Zonotope {
    if (this.set.boxEverything) this.at('box', op)
    return super.settle(z, op, interval)
  }

  private sum(a: Zonotope, b: Zonotope, out: Zonotope, sign: 1 | -1): Zonotope {
    const ca = this.concreteOf(a)
    const cb = this.concreteOf(b)
    const conc = ca.map((v, i) => v + sign * cb[i])
    return this.keep(out, conc, zipShifts([this.shiftsOf(a), this.shiftsOf(b)], [a.n, b.n], ([da, db]) => da.map((v, i) => v + sign * db[i])))
  }

  override add(a: Zonotope, b: Zonotope, op: string): Zonotope {
    return this.sum(a, b, super.add(a, b, op), 1)
  }

  override sub(a: Zonotope, b: Zonotope, op: string): Zonotope {
    return this.sum(a, b, super.sub(a, b, op), -1)
  }

  override concat(parts: Zonotope[], op: string): Zonotope {
    const out = super.concat(parts, op)
    const glue = (vs: Float64Array[]) => {
      const v = new Float64Array(out.n)
      let at = 0
      for (const p of vs) {
        v.set(p, at)
        at += p.length
      }
      return v
    }
    return this.keep(out, glue(parts.map((p) => this.concreteOf(p))), zipShifts(parts.map((p) => this.shiftsOf(p)), parts.map((p) => p.n), glue))
  }

  override unary(kind: UnaryKind, z: Zonotope, op: string): Zonotope {
    this.at('planes', op, kind)
    const out = super.unary(kind, z, op)
    const a = this.sink[this.sink.length - 1].planes!.a
    const f = UNARY[kind]
    const shifts: Shifts = new Map()
    for (const [o, d] of this.shiftsOf(z)) shifts.set(o, d.map((v, i) => a[i] * v))
    return this.keep(out, this.concreteOf(z).map(f), shifts, true)
  }

  override binary(kind: CellProduct, zx: Zonotope, zy: Zonotope, op: string): Zonotope {
    this.at('planes', op, kind)
    const out = super.binary(kind, zx, zy, op)
    const { a, b } = this.sink[this.sink.length - 1].planes!
    const f = PRODUCT[kind]
    const cx = this.concreteOf(zx)
    const cy = this.concreteOf(zy)
    const shifts = zipShifts([this.shiftsOf(zx), this.shiftsOf(zy)], [zx.n, zy.n], ([dx, dy]) => dx.map((v, i) => a[i] * v + b[i] * dy[i]))
    return this.keep(out, cx.map((v, i) => f(v, cy[i])), shifts, true)
  }

  /** the Masking layer's masks of the steps at the input (its maskOf calls come in step order) */
  private concreteMasks: boolean[] = []
  private maskLayer = -1

  override maskOf(z: Zonotope, value: number): StepMask {
    if (this.maskLayer !== this.layer) {
      this.maskLayer = this.layer
      this.concreteMasks = []
    }
    this.concreteMasks.push(this.concreteOf(z).every((v) => v === value))
    return super.maskOf(z, value)
  }

  override select(m: Float64Array, skipped: Zonotope, computed: Zonotope, op: string): Zonotope {
    this.at('join', op)
    const out = super.select(m, skipped, computed, op)
    if (out === skipped || out === computed) return out
    // the join's centre is the two centres' mean: each carries half of both's shifts; its
    // concrete value is the one the step's mask at the centre picks (a masked average
    // pool's steps are not told apart here: the step processed)
    const shifts = zipShifts([this.shiftsOf(skipped), this.shiftsOf(computed)], [skipped.n, computed.n], ([ds, dc]) => ds.map((v, i) => (v + dc[i]) / 2))
    const masked = this.step !== null && this.concreteMasks[this.step] === true
    return this.keep(out, this.concreteOf(masked ? skipped : computed), shifts, true)
  }

  override max(parts: Zonotope[], op: string): Zonotope {
    this.at('max', op)
    const out = super.max(parts, op)
    // per variable the concrete maximum, and the shifts of the step that attains it
    const concs = parts.map((p) => this.concreteOf(p))
    const arg = Array.from({ length: out.n }, (_v, i) => concs.reduce((best, c, k) => (c[i] > concs[best][i] ? k : best), 0))
    const shifts = zipShifts(parts.map((p) => this.shiftsOf(p)), parts.map((p) => p.n), (ds) => Float64Array.from(arg, (k, i) => ds[k][i]))
    return this.keep(out, Float64Array.from(arg, (k, i) => concs[k][i]), shifts, true)
  }

  override mergeLocal(z: Zonotope, fromId: number): Zonotope {
    const from = this.src.peek
    const out = super.mergeLocal(z, fromId)
    if (out !== z) {
      this.src.fold([z], [out], from)
      this.same(z, out)
    }
    return out
  }
}

/** A short name of an origin, e.g. "lstm step 3: i*g (sigmoidTanh planes)". */
export function originName(o: SymbolOrigin): string {
  if (o.kind === 'input') return 'the input region'
  const where = `${o.layerName}${o.step === null ? '' : ` step ${o.step}`}: ${o.op}`
  return o.kind === 'planes' ? `${where} (${o.fn} planes)` : `${where} (${o.kind})`
}

export interface LoosenessOptions extends CertifyOptions {
  /** the class c of the margin logit_y − logit_c (default: the one with the smallest certified margin) */
  against?: number
}

/**
 * Certify the region at ε with the method and split the looseness of one class's margin by
 * the origin of its noise symbols. Deterministic; the same run as `certifyFrames` (for
 * tight: its tight run, before the per-class slope re-optimisation, which `recovered` adds).
 */
export function looseness(prep: PreparedSample, frames: number[], eps: number, opts: LoosenessOptions = {}): Looseness {
  checkEps(eps)
  checkClip(opts.clip, prep.frames)
  const method = opts.method ?? 'certrnn'
  const check = opts.margin ?? 'diff'
  const src = new OriginSource()
  let ctx: OriginContext | undefined
  let inputs: Zonotope[] = []
  const { result } = certifyRegion(prep, frames, eps, opts, {
    symbols: src,
    inputs: (zs) => (inputs = zs),
    context: (set, trace) => {
      ctx = new OriginContext(set, src, trace)
      ctx.setInputs(inputs, prep.frames)
      return ctx
    },
  })
  const label = prep.predicted
  // tight's full margins (a trace turns off its early stop where Cert-RNN's run already decides)
  const final = method === 'tight' ? certifyFrames(prep, frames, eps, { ...opts, trace: { sink: [] } }).margins : result.margins
  let against = opts.against ?? -1
  if (against === -1) against = weakestClass(final, label)
  if (!(Number.isInteger(against) && against >= 0 && against < final.length) || against === label) {
    throw new Error(`class ${against} is not another class than the predicted ${label} (0…${final.length - 1})`)
  }
  const z = result.logits
  // the margin's generators: one row (diff), or the two logits' rows (paper: lower(x_y) − upper(x_c))
  let centre: number
  let slack: number
  const rows: Array<{ G: Float64Array; m: number; ids: Int32Array }> = []
  if (check === 'diff') {
    const d = zonotopeLinComb(1, zonotopeSlice(z, label, 1), -1, zonotopeSlice(z, against, 1))
    centre = d.c[0]
    slack = centre - zonotopeBounds(d).lo[0]
    rows.push(d)
  } else {
    const y = zonotopeSlice(z, label, 1)
    const c = zonotopeSlice(z, against, 1)
    centre = y.c[0] - c.c[0]
    slack = centre - (zonotopeBounds(y).lo[0] - zonotopeBounds(c).hi[0])
    rows.push(y, c)
  }
  const spread = new Float64Array(src.origins.length)
  for (const r of rows) {
    for (let j = 0; j < r.m; j++) {
      const g = Math.abs(r.G[j])
      if (g === 0) continue
      for (const [o, s] of src.shares(r.ids[j])) spread[o] += g * s
    }
  }
  // each origin's shift of the margin's centre (up: negative loss)
  const moved = new Float64Array(src.origins.length)
  for (const [o, d] of ctx!.shiftsOf(z)) moved[o] = -(d[label] - d[against])
  let radius = 0
  let explained = 0
  const parts: LoosenessPart[] = []
  src.origins.forEach((origin, k) => {
    radius += spread[k]
    explained += moved[k]
    if (spread[k] > 0 || moved[k] !== 0) parts.push({ origin, spread: spread[k], shift: moved[k], loss: spread[k] + moved[k] })
  })
  // the slack is what the bound takes beyond Σ|g| (the radius summed here, in origin order)
  slack -= radius
  const margin = result.margins[against]
  const l = prep.concrete.logits
  const concrete = l[label] - l[against]
  return {
    method,
    label,
    against,
    margin,
    concrete,
    centre,
    shift: concrete - centre,
    rest: concrete - centre - explained,
    slack,
    parts,
    total: concrete - margin,
    recovered: final[against] - margin,
  }
}
