/**
 * Where a certificate's looseness comes from.
 *
 * The certified lower bound of a margin is c − Σ_j |g_j| over the noise symbols j of the
 * margin's zonotope (then a tiny rounding slack). Every symbol was made somewhere: the
 * perturbed input's own symbols (for a zonotope, the irreducible linear part of the ball) or
 * the fresh symbols of one transformer application (the planes of a nonlinearity at one
 * layer and step), a box (interval bound propagation), a join (a step that may be masked)
 * or a max pool. Grouping the |g_j| by origin splits the gap between the margin's centre and
 * its lower bound exactly; the centre's own distance to the input's margin (the planes'
 * offsets move it) is reported beside it.
 *
 * The origins are recorded only when asked: `looseness` runs the certificate with a symbol
 * source that notes the origin of every block of fresh symbols it hands out, and a context
 * that names the operation before each one runs. Symbols that later replace others (the
 * exact merge of a step's row-local symbols, the optional order reduction) inherit their
 * origins in proportion to the coefficients they fold; for the exact merge this is the
 * split the unmerged symbols would have given. The plain certifier pays nothing.
 */
import type { CellProduct } from './layers/index.ts'
import type { PreparedSample, CertifyOptions } from './certify.ts'
import { certifyFrames, certifyRegion } from './certify.ts'
import { AbstractContext } from './domains/zonotope.ts'
import type { TraceOptions } from './domains/zonotope.ts'
import { checkClip, checkEps } from './threat.ts'
import type { BinaryKind, Method, TransformerSet, UnaryKind } from './transformers/index.ts'
import type { Box, Zonotope } from './zonotope.ts'
import { SymbolSource, zonotopeBounds, zonotopeLinComb, zonotopeSlice } from './zonotope.ts'

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
  /** Σ |g_j| of the margin over this origin's symbols (≥ 0) */
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
  /** concrete − centre: how far the planes' offsets moved the centre (either sign) */
  shift: number
  /** the bounds' rounding slack, and the rounding of summing the parts (tiny) */
  slack: number
  /** the loss per origin, in the order the symbols were made (the input first); only origins whose symbols reach the margin */
  parts: LoosenessPart[]
  /** concrete − margin = shift + Σ parts + slack (up to rounding) */
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

/** A zonotope context that tells its OriginSource which operation makes the next symbols. */
export class OriginContext extends AbstractContext {
  private readonly src: OriginSource

  constructor(set: TransformerSet, src: OriginSource, trace?: TraceOptions) {
    super(set, src, trace)
    this.src = src
    // the optional order reduction (set after construction by the run): fold its symbols' origins
    let inner: AbstractContext['reduce']
    Object.defineProperty(this, 'reduce', {
      get: () =>
        inner &&
        ((state: Zonotope[]) => {
          const from = src.peek
          const out = inner!(state)
          src.fold(state, out, from)
          return out
        }),
      set: (f: AbstractContext['reduce']) => {
        inner = f
      },
    })
  }

  private at(kind: OriginKind, op: string, fn?: UnaryKind | BinaryKind) {
    this.src.current = this.src.originOf({ kind, layer: this.layer, layerName: this.layerName, step: this.step, op, ...(fn ? { fn } : {}) })
  }

  override settle(z: Zonotope, op: string, interval?: () => Box): Zonotope {
    if (this.set.boxEverything) this.at('box', op)
    return super.settle(z, op, interval)
  }

  override unary(kind: UnaryKind, z: Zonotope, op: string): Zonotope {
    this.at('planes', op, kind)
    return super.unary(kind, z, op)
  }

  override binary(kind: CellProduct, zx: Zonotope, zy: Zonotope, op: string): Zonotope {
    this.at('planes', op, kind)
    return super.binary(kind, zx, zy, op)
  }

  override select(m: Float64Array, skipped: Zonotope, computed: Zonotope, op: string): Zonotope {
    this.at('join', op)
    return super.select(m, skipped, computed, op)
  }

  override max(parts: Zonotope[], op: string): Zonotope {
    this.at('max', op)
    return super.max(parts, op)
  }

  override mergeLocal(z: Zonotope, fromId: number): Zonotope {
    const from = this.src.peek
    const out = super.mergeLocal(z, fromId)
    if (out !== z) this.src.fold([z], [out], from)
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
  const { result } = certifyRegion(prep, frames, eps, opts, { symbols: src, context: (set, trace) => new OriginContext(set, src, trace) })
  const label = prep.predicted
  // tight's full margins (a trace turns off its early stop where Cert-RNN's run already decides)
  const final = method === 'tight' ? certifyFrames(prep, frames, eps, { ...opts, trace: { sink: [] } }).margins : result.margins
  let against = opts.against ?? -1
  if (against === -1) {
    for (let c = 0; c < final.length; c++) if (c !== label && (against < 0 || final[c] < final[against])) against = c
  }
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
  const loss = new Float64Array(src.origins.length)
  for (const r of rows) {
    for (let j = 0; j < r.m; j++) {
      const g = Math.abs(r.G[j])
      if (g === 0) continue
      for (const [o, s] of src.shares(r.ids[j])) loss[o] += g * s
    }
  }
  let radius = 0
  const parts: LoosenessPart[] = []
  src.origins.forEach((origin, k) => {
    radius += loss[k]
    if (loss[k] > 0) parts.push({ origin, loss: loss[k] })
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
    slack,
    parts,
    total: concrete - margin,
    recovered: final[against] - margin,
  }
}
