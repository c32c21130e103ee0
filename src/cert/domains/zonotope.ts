/**
 * The zonotope domain: the certifier's abstract forward pass with a method's transformers
 * (certrnn, deepz, interval: interval bound propagation boxes every linear result), the
 * symbol source, and an optional trace of every operation (bounds, planes, zonotopes on
 * demand).
 */
import type { Applied, PlaneRecord } from '../apply.ts'
import { applyBinary, applyUnary } from '../apply.ts'
import type { CellProduct, Domain, StepMask } from '../layers/index.ts'
import { boxMask, singleChoice } from '../layers/index.ts'
import type { TransformerSet, UnaryKind } from '../transformers/index.ts'
import type { MaxChoice } from '../transformers/maxPool.ts'
import { zonotopeMax } from '../transformers/maxPool.ts'
import type { Box, SymbolSource, Zonotope } from '../zonotope.ts'
import { BOUND_SLACK, matVec, zonotopeAdd, zonotopeAffine, zonotopeBounds, zonotopeConcat, zonotopeConstant, zonotopeFromBox, zonotopeJoin, zonotopeMergeRowLocal, zonotopeSlice, zonotopeSub, zonotopeToBox } from '../zonotope.ts'
import type { Lin } from './float64.ts'
import type { Tail } from '../tail.ts'

export interface TraceEntry {
  layer: number
  layerName: string
  /** time step, or null for layers outside the recurrence (Dense) */
  step: number | null
  /** e.g. 'pre', 'i*g', 'c', 'h', 'logits' */
  op: string
  /** bounds of every variable after the operation */
  bounds: Box
  /** the planes, for transformer operations */
  planes?: PlaneRecord
  /** max pooling: per variable how the max was bounded, and the step kept (−1: a box) */
  max?: { choice: MaxChoice[]; step: number[] }
  /** the zonotope after the operation, when asked for */
  zonotope?: Zonotope
}

export interface TraceOptions {
  /** keep the zonotope of every operation (memory-hungry) */
  zonotopes?: boolean
  sink: TraceEntry[]
}

export class AbstractContext implements Domain<Zonotope, Lin, Float64Array> {
  layer = 0
  layerName = ''
  step: number | null = null
  readonly set: TransformerSet
  readonly symbols: SymbolSource
  readonly trace: TraceOptions | undefined
  /** optional sound order reduction of the state (all its parts) after every step */
  reduce: ((state: Zonotope[]) => Zonotope[]) | undefined
  /**
   * tight: the last transformer application and the affine maps applied to its output since
   * (when the logits are the end of that chain, ../tail.ts re-optimises its slopes).
   */
  tail: Tail | null = null
  /** tight: the order in which values were made (values made outside the pass count as −1) */
  private readonly born = new WeakMap<Zonotope, number>()
  private made = 0
  private bornAt(z: Zonotope, at = this.made++): Zonotope {
    if (this.set.optimiseTail) this.born.set(z, at)
    return z
  }
  private tailStart = -1

  constructor(set: TransformerSet, symbols: SymbolSource, trace?: TraceOptions) {
    this.set = set
    this.symbols = symbols
    this.trace = trace
  }

  /** The reduced product's interval box of each value (tight), keyed by its zonotope. */
  private readonly boxes = new WeakMap<Zonotope, Box>()

  /**
   * The box every value of z lies in: z's bounds, intersected (tight) with the interval
   * box computed beside it.
   */
  boxOf(z: Zonotope): Box {
    return this.boxes.get(z) ?? zonotopeBounds(z)
  }

  /** Store z's box: its bounds intersected with the interval domain's box `other`. */
  private reduce2(z: Zonotope, other: Box): Box {
    const own = zonotopeBounds(z)
    const lo = new Float64Array(z.n)
    const hi = new Float64Array(z.n)
    for (let i = 0; i < z.n; i++) {
      lo[i] = Math.max(own.lo[i], other.lo[i])
      hi[i] = Math.min(own.hi[i], other.hi[i])
      // both contain every value, so they meet; should rounding say otherwise, keep z's own
      if (!(lo[i] <= hi[i])) {
        lo[i] = own.lo[i]
        hi[i] = own.hi[i]
      }
    }
    const box = { lo, hi }
    this.boxes.set(z, box)
    return box
  }

  private record(op: string, z: Zonotope, planes?: PlaneRecord, max?: TraceEntry['max']) {
    if (!this.trace) return
    this.trace.sink.push({
      layer: this.layer,
      layerName: this.layerName,
      step: this.step,
      op,
      bounds: this.boxOf(z),
      planes,
      ...(max ? { max } : {}),
      zonotope: this.trace.zonotopes ? z : undefined,
    })
  }

  /**
   * End of a linear operation: interval bound propagation boxes the result (keeping no
   * correlation); the zonotope methods keep it as it is.
   */
  settle(z: Zonotope, op: string, interval?: () => Box): Zonotope {
    const out = this.set.boxEverything ? zonotopeToBox(z, this.symbols) : z
    if (this.set.ranges && interval) this.reduce2(out, interval())
    this.record(op, out)
    return this.bornAt(out)
  }

  /** Σ_k W_k·x_k + b. */
  affine(terms: Array<[Lin, Zonotope]>, b: Float64Array | null, op: string): Zonotope {
    // constant terms (unperturbed frames) only shift the centre: fold them into the bias
    const out = terms[0][0].out
    const bias = new Float64Array(out)
    if (b) bias.set(b)
    let acc: Zonotope | undefined
    for (const [{ W }, x] of terms) {
      if (x.m === 0) {
        const y = matVec(W, out, x.n, x.c)
        for (let o = 0; o < out; o++) bias[o] += y[o]
      } else {
        const t = zonotopeAffine(x, W, out)
        acc = acc ? zonotopeAdd(acc, t) : t
      }
    }
    if (!acc) return this.settle(zonotopeConstant(bias), op)
    const c = acc.c.slice()
    for (let o = 0; o < out; o++) c[o] += bias[o]
    const z = this.settle({ ...acc, c }, op, () => intervalAffine(terms.map(([W, x]) => [W, this.boxOf(x)]), b))
    const tail = this.tail
    if (tail && terms.length === 1 && terms[0][1] === tail.result && !this.set.boxEverything) {
      tail.maps.push({ W: terms[0][0].W, out, n: terms[0][0].n, b })
      tail.result = z
    }
    return z
  }

  slice(z: Zonotope, start: number, count: number): Zonotope {
    const out = zonotopeSlice(z, start, count)
    const box = this.boxes.get(z)
    if (box) this.boxes.set(out, { lo: box.lo.subarray(start, start + count), hi: box.hi.subarray(start, start + count) })
    const born = this.born.get(z)
    return born === undefined ? out : this.bornAt(out, born)
  }

  /** Stacked variables (exact: no transformer, so interval bound propagation keeps it as it is). */
  concat(parts: Zonotope[], op: string): Zonotope {
    const z = zonotopeConcat(parts)
    this.record(op, z)
    // (tight) made now: never taken for a value independent of the last transformer's planes
    return this.bornAt(z)
  }

  /** The max over the steps (./transformers/maxPool.ts): exact, a step plus a one-sided symbol, or a box, per variable. */
  max(parts: Zonotope[], op: string): Zonotope {
    const r = zonotopeMax(parts, this.symbols, this.set.boxEverything)
    this.record(op, r.z, undefined, { choice: r.choice, step: r.step })
    // (tight) a new value made now, as concat's
    return this.bornAt(r.z)
  }

  /**
   * Masking(value): exact for a constant; a perturbed frame is masked only if its box is
   * the mask point, kept when some feature's range excludes the value, else either (½).
   */
  maskOf(z: Zonotope, value: number): StepMask {
    if (z.m === 0) return z.c.every((x) => x === value)
    const box = this.boxOf(z)
    return boxMask(box.lo, box.hi, 1, z.n, value)
  }

  /** Masked: `skipped`; kept: `computed`; either: their join (zonotopeJoin, one fresh symbol per variable). */
  select(m: Float64Array, skipped: Zonotope, computed: Zonotope, op: string): Zonotope {
    const c = singleChoice(m, op)
    if (c !== 0.5) return c === 1 ? skipped : computed
    this.joins++
    const a = this.boxOf(skipped)
    const b = this.boxOf(computed)
    const hull = () => ({ lo: a.lo.map((v, i) => Math.min(v, b.lo[i])), hi: a.hi.map((v, i) => Math.max(v, b.hi[i])) })
    if (this.set.boxEverything) {
      // interval bound propagation: the hull of the two boxes (the join's box can be wider)
      const h = hull()
      const z = zonotopeFromBox(h.lo, h.hi, this.symbols)
      this.record(op, z)
      return this.bornAt(z)
    }
    return this.settle(zonotopeJoin(skipped, computed, this.symbols), op, hull)
  }

  /** How many joins of masked and unmasked values were made (masks that may change inside the region). */
  joins = 0

  mark(): number {
    return this.symbols.peek
  }

  /** Exact compaction of this step's row-local symbols (see zonotopeMergeRowLocal). */
  mergeLocal(z: Zonotope, fromId: number): Zonotope {
    if (this.set.boxEverything) return z
    const out = zonotopeMergeRowLocal(z, fromId, this.symbols)
    // the same set: the same box, and the same value at the end of the tail
    const box = this.boxes.get(z)
    if (box && out !== z) this.boxes.set(out, box)
    if (this.tail?.result === z) this.tail.result = out
    const born = this.born.get(z)
    return born === undefined || out === z ? out : this.bornAt(out, born)
  }

  add(a: Zonotope, b: Zonotope, op: string): Zonotope {
    const z = this.settle(zonotopeAdd(a, b), op, () => intervalSum(this.boxOf(a), this.boxOf(b), 1))
    // the GRU's h = h̃ + (h − h̃)·σ(z): the tail's output plus a value its planes do not change
    const tail = this.tail
    if (tail && tail.addend === null && tail.maps.length === 0 && (a === tail.result) !== (b === tail.result)) {
      const addend = a === tail.result ? b : a
      // only a value made before the tail's transformer is independent of its planes
      if ((this.born.get(addend) ?? -1) < this.tailStart) {
        tail.addend = addend
        tail.result = z
      }
    }
    return z
  }

  sub(a: Zonotope, b: Zonotope, op: string): Zonotope {
    return this.settle(zonotopeSub(a, b), op, () => intervalSum(this.boxOf(a), this.boxOf(b), -1))
  }

  unary(kind: UnaryKind, z: Zonotope, op: string): Zonotope {
    const ranges = this.set.ranges
    const box = ranges ? this.boxOf(z) : undefined
    const r: Applied = applyUnary(z, kind, this.set.unary[kind], this.symbols, box)
    if (ranges && box) {
      const f = ranges.unary[kind]
      this.reduce2(r.z, rangeBox(r.z.n, (i) => f(box.lo[i], box.hi[i])))
    }
    this.bornAt(r.z)
    if (this.set.optimiseTail) this.tailStart = this.born.get(r.z)!
    if (this.set.optimiseTail) this.tail = { kind, x: z, y: null, bx: box ?? zonotopeBounds(z), by: null, planes: r.planes, addend: null, maps: [], result: r.z }
    this.record(op, r.z, r.planes)
    return r.z
  }

  binary(kind: CellProduct, zx: Zonotope, zy: Zonotope, op: string): Zonotope {
    const ranges = this.set.ranges
    const bx = ranges ? this.boxOf(zx) : undefined
    const by = ranges ? this.boxOf(zy) : undefined
    const r: Applied = applyBinary(zx, zy, kind, this.set.binary[kind], this.symbols, bx, by)
    if (ranges && bx && by) {
      const f = ranges.binary[kind]
      this.reduce2(r.z, rangeBox(r.z.n, (i) => f(bx.lo[i], bx.hi[i], by.lo[i], by.hi[i])))
    }
    this.bornAt(r.z)
    if (this.set.optimiseTail) this.tailStart = this.born.get(r.z)!
    if (this.set.optimiseTail) this.tail = { kind, x: zx, y: zy, bx: bx ?? zonotopeBounds(zx), by: by ?? zonotopeBounds(zy), planes: r.planes, addend: null, maps: [], result: r.z }
    this.record(op, r.z, r.planes)
    return r.z
  }
}

/** The interval ranges of a transformer, neuron by neuron (interval planes: zero slopes). */
function rangeBox(n: number, plane: (i: number) => { c1: number; c2: number }): Box {
  const lo = new Float64Array(n)
  const hi = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    const p = plane(i)
    lo[i] = p.c1
    hi[i] = p.c2
  }
  return { lo, hi }
}

/** The interval box of a ± b (widened by the bounds' relative slack for rounding). */
function intervalSum(a: Box, b: Box, sign: 1 | -1): Box {
  const n = a.lo.length
  const lo = new Float64Array(n)
  const hi = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    const l = sign > 0 ? a.lo[i] + b.lo[i] : a.lo[i] - b.hi[i]
    const h = sign > 0 ? a.hi[i] + b.hi[i] : a.hi[i] - b.lo[i]
    const slack = BOUND_SLACK * (Math.abs(a.lo[i]) + Math.abs(a.hi[i]) + Math.abs(b.lo[i]) + Math.abs(b.hi[i]))
    lo[i] = l - slack
    hi[i] = h + slack
  }
  return { lo, hi }
}

/** The interval box of Σ_k W_k·x_k + b over boxes of the x_k (centre–radius form, widened for rounding). */
function intervalAffine(terms: Array<[Lin, Box]>, b: Float64Array | null): Box {
  const out = terms[0][0].out
  const c = new Float64Array(out)
  const r = new Float64Array(out)
  const scale = new Float64Array(out)
  if (b) for (let o = 0; o < out; o++) {
    c[o] = b[o]
    scale[o] = Math.abs(b[o])
  }
  for (const [{ W, n }, box] of terms) {
    const mid = new Float64Array(n)
    const rad = new Float64Array(n)
    for (let i = 0; i < n; i++) {
      mid[i] = (box.lo[i] + box.hi[i]) / 2
      // rounded up past the ulp the midpoint may have lost
      rad[i] = (box.hi[i] - box.lo[i]) / 2 + BOUND_SLACK * (Math.abs(box.lo[i]) + Math.abs(box.hi[i]))
    }
    for (let o = 0; o < out; o++) {
      let s = 0, t = 0, u = 0
      const base = o * n
      for (let i = 0; i < n; i++) {
        const w = W[base + i]
        s += w * mid[i]
        t += Math.abs(w) * rad[i]
        u += Math.abs(w) * Math.abs(mid[i])
      }
      c[o] += s
      r[o] += t
      scale[o] += u + t
    }
  }
  const lo = new Float64Array(out)
  const hi = new Float64Array(out)
  for (let o = 0; o < out; o++) {
    const slack = BOUND_SLACK * scale[o]
    lo[o] = c[o] - r[o] - slack
    hi[o] = c[o] + r[o] + slack
  }
  return { lo, hi }
}
