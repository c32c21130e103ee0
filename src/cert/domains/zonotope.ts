/**
 * The zonotope domain: the certifier's abstract forward pass with a method's transformers
 * (certrnn, deepz, interval: interval bound propagation boxes every linear result), the
 * symbol source, and an optional trace of every operation (bounds, planes, zonotopes on
 * demand).
 */
import type { Applied, PlaneRecord } from '../apply.ts'
import { applyBinary, applyUnary } from '../apply.ts'
import type { CellProduct, Domain } from '../layers/index.ts'
import type { TransformerSet, UnaryKind } from '../transformers/index.ts'
import type { MaxChoice } from '../transformers/maxPool.ts'
import { zonotopeMax } from '../transformers/maxPool.ts'
import type { Box, SymbolSource, Zonotope } from '../zonotope.ts'
import { matVec, zonotopeAdd, zonotopeAffine, zonotopeBounds, zonotopeConcat, zonotopeConstant, zonotopeMergeRowLocal, zonotopeSlice, zonotopeSub, zonotopeToBox } from '../zonotope.ts'
import type { Lin } from './float64.ts'

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
  /** optional sound order reduction of the state after every step */
  reduce: ((z: Zonotope) => Zonotope) | undefined

  constructor(set: TransformerSet, symbols: SymbolSource, trace?: TraceOptions) {
    this.set = set
    this.symbols = symbols
    this.trace = trace
  }

  private record(op: string, z: Zonotope, planes?: PlaneRecord, max?: TraceEntry['max']) {
    if (!this.trace) return
    this.trace.sink.push({
      layer: this.layer,
      layerName: this.layerName,
      step: this.step,
      op,
      bounds: zonotopeBounds(z),
      planes,
      ...(max ? { max } : {}),
      zonotope: this.trace.zonotopes ? z : undefined,
    })
  }

  /**
   * End of a linear operation: interval bound propagation boxes the result (keeping no
   * correlation); the zonotope methods keep it as it is.
   */
  settle(z: Zonotope, op: string): Zonotope {
    const out = this.set.boxEverything ? zonotopeToBox(z, this.symbols) : z
    this.record(op, out)
    return out
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
    return this.settle({ ...acc, c }, op)
  }

  slice(z: Zonotope, start: number, count: number): Zonotope {
    return zonotopeSlice(z, start, count)
  }

  /** Stacked variables (exact: no transformer, so interval bound propagation keeps it as it is). */
  concat(parts: Zonotope[], op: string): Zonotope {
    const z = zonotopeConcat(parts)
    this.record(op, z)
    return z
  }

  /** The max over the steps (./transformers/maxPool.ts): exact, a step plus a one-sided symbol, or a box, per variable. */
  max(parts: Zonotope[], op: string): Zonotope {
    const r = zonotopeMax(parts, this.symbols, this.set.boxEverything)
    this.record(op, r.z, undefined, { choice: r.choice, step: r.step })
    return r.z
  }

  mark(): number {
    return this.symbols.peek
  }

  /** Exact compaction of this step's row-local symbols (see zonotopeMergeRowLocal). */
  mergeLocal(z: Zonotope, fromId: number): Zonotope {
    return this.set.boxEverything ? z : zonotopeMergeRowLocal(z, fromId, this.symbols)
  }

  add(a: Zonotope, b: Zonotope, op: string): Zonotope {
    return this.settle(zonotopeAdd(a, b), op)
  }

  sub(a: Zonotope, b: Zonotope, op: string): Zonotope {
    return this.settle(zonotopeSub(a, b), op)
  }

  unary(kind: UnaryKind, z: Zonotope, op: string): Zonotope {
    const r: Applied = applyUnary(z, kind, this.set.unary[kind], this.symbols)
    this.record(op, r.z, r.planes)
    return r.z
  }

  binary(kind: CellProduct, zx: Zonotope, zy: Zonotope, op: string): Zonotope {
    const r: Applied = applyBinary(zx, zy, kind, this.set.binary[kind], this.symbols)
    this.record(op, r.z, r.planes)
    return r.z
  }
}
