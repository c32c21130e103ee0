/**
 * The network as a chain of stages over a sequence (one value per time step) or a vector,
 * written once against the domain interface. Sequence stages say which output positions
 * an input position range [a, b] can reach (`reach`), so that an abstract pass over a
 * perturbed range computes only those; the other positions are the clean run's values
 * (`hooks.known`), as the recurrent prefix reuse always did.
 *
 *   sequence → sequence   recurrent and Bidirectional (return_sequences), Dense and batch norm per step
 *   sequence → vector     recurrent and Bidirectional (last steps), average and max pooling, the last step, Flatten
 *   vector → vector       Dense, batch norm
 */
import type { MergeMode, PoolLayer } from '../network.ts'
import { convGeometry } from '../network.ts'
import type { Activation, Cell, DenseSpec, Domain, RecurrentSpec, StepMask, WeightOps } from './domain.ts'
import { denseApply } from './dense.ts'
import { gruCell } from './gru.ts'
import { lstmCell } from './lstm.ts'
import { simpleRnnCell } from './simpleRnn.ts'

/** The cell of a recurrent layer, its weights prepared once with the domain family's ops. */
export function recurrentCell<M, B>(ops: WeightOps<M, B>, spec: RecurrentSpec<M, B>): Cell<M, B> {
  if (spec.type === 'simpleRnn') return simpleRnnCell(ops, spec)
  if (spec.type === 'lstm') return lstmCell(ops, spec)
  return gruCell(ops, spec)
}

type PoolMode = PoolLayer['mode']

interface StageBase {
  /** index of the layer in the network IR (trace coordinates) */
  layer: number
  name: string
}

/** A stage's weights in a domain family's representation, before its cells are built. */
export type StageSpec<M, B> = StageBase &
  (
    | { type: 'recurrent'; spec: RecurrentSpec<M, B>; returnSequences: boolean; zeroOutput: boolean }
    | { type: 'bidirectional'; forward: RecurrentSpec<M, B>; backward: RecurrentSpec<M, B>; merge: MergeMode; returnSequences: boolean; units: number }
    /** Keras Masking(value): the identity, setting each step's mask */
    | { type: 'mask'; value: number }
    | { type: 'dense'; spec: DenseSpec<M, B> }
    /** per-feature affine map x·diag(scale) + offset (inference batch normalization), as a diagonal kernel */
    | { type: 'scale'; kernel: M; bias: B; units: number }
    | { type: 'pool'; mode: PoolMode; units: number }
    | { type: 'flatten' }
    | ({ type: 'conv1d' } & ConvSpec<M, B>)
  )

/** A Conv1D's weights: one map per tap (IR: src/cert/network.ts Conv1dLayer). */
export interface ConvSpec<M, B> {
  taps: M[]
  bias: B
  strides: number
  dilation: number
  padding: 'valid' | 'same' | 'causal'
  activation: Activation
}

/** A stage ready to run in every domain of the family. */
export type Stage<M, B> = StageBase &
  (
    /** `zeroOutput`: masked steps output zeros (Keras zero_output_for_mask), else the previous output */
    | { type: 'recurrent'; cell: Cell<M, B>; returnSequences: boolean; zeroOutput: boolean }
    | { type: 'mask'; value: number }
    /** `half`: diag(1/2), for merge_mode='ave' */
    | { type: 'bidirectional'; forward: Cell<M, B>; backward: Cell<M, B>; merge: MergeMode; returnSequences: boolean; half: M | null }
    | { type: 'dense'; spec: DenseSpec<M, B>; last: boolean }
    | { type: 'scale'; kernel: M; bias: B }
    | { type: 'pool'; mode: PoolMode; units: number; weights: (T: number) => M }
    | { type: 'flatten' }
    | ({ type: 'conv1d' } & ConvSpec<M, B>)
  )

/** Build the cells and the pooling weights once per network. */
export function prepareStages<M, B>(ops: WeightOps<M, B>, specs: Array<StageSpec<M, B>>): Array<Stage<M, B>> {
  return specs.map((s, k): Stage<M, B> => {
    const base = { layer: s.layer, name: s.name }
    if (s.type === 'recurrent') return { ...base, type: 'recurrent', cell: recurrentCell(ops, s.spec), returnSequences: s.returnSequences, zeroOutput: s.zeroOutput }
    if (s.type === 'mask') return { ...base, type: 'mask', value: s.value }
    if (s.type === 'bidirectional') {
      const half = s.merge === 'ave' ? ops.diag(new Float64Array(s.units).fill(0.5)) : null
      return { ...base, type: 'bidirectional', forward: recurrentCell(ops, s.forward), backward: recurrentCell(ops, s.backward), merge: s.merge, returnSequences: s.returnSequences, half }
    }
    if (s.type === 'dense') return { ...base, type: 'dense', spec: s.spec, last: k === specs.length - 1 }
    if (s.type === 'scale') return { ...base, type: 'scale', kernel: s.kernel, bias: s.bias }
    if (s.type === 'conv1d') return { ...s, ...base }
    if (s.type === 'pool') {
      const byT = new Map<number, M>()
      const units = s.units
      const weights = (T: number) => {
        let w = byT.get(T)
        if (!w) byT.set(T, (w = ops.diag(new Float64Array(units).fill(1 / T))))
        return w
      }
      return { ...base, type: 'pool', mode: s.mode, units, weights }
    }
    return { ...base, type: 'flatten' }
  })
}

/** The domain with every operation's trace name prefixed (the two directions of a Bidirectional layer). */
function named<V, M, B>(d: Domain<V, M, B>, prefix: string): Domain<V, M, B> {
  return {
    affine: (terms, bias, op) => d.affine(terms, bias, prefix + op),
    slice: (v, start, count) => d.slice(v, start, count),
    add: (a, b, op) => d.add(a, b, prefix + op),
    sub: (a, b, op) => d.sub(a, b, prefix + op),
    unary: (kind, v, op) => d.unary(kind, v, prefix + op),
    binary: (kind, x, y, op) => d.binary(kind, x, y, prefix + op),
    concat: (parts, op) => d.concat(parts, prefix + op),
    max: (parts, op) => d.max(parts, prefix + op),
    maskOf: (v, value) => d.maskOf(v, value),
    select: (m, skipped, computed, op) => d.select(m, skipped, computed, prefix + op),
    mark: () => d.mark(),
    mergeLocal: (v, mark) => d.mergeLocal(v, mark),
  }
}

/** Does the stage take a sequence and give one? */
export const keepsSequence = <M, B>(s: Stage<M, B>, inSequence: boolean): boolean =>
  inSequence && (s.type === 'recurrent' || s.type === 'bidirectional' ? s.returnSequences : s.type === 'dense' || s.type === 'scale' || s.type === 'conv1d' || s.type === 'mask')

/** The output positions a sequence stage computes from perturbed input positions [a, b] of T. */
export function reach<M, B>(s: Stage<M, B>, a: number, b: number, T: number): [number, number] {
  // a recurrence carries a change at step a to every later step; its backward direction to every earlier one
  if (s.type === 'recurrent') return [a, T - 1]
  if (s.type === 'bidirectional') return [0, T - 1]
  if (s.type === 'conv1d') {
    // the outputs whose window covers a perturbed step
    const { length, left } = convGeometry(s, T)
    const span = s.dilation * (s.taps.length - 1)
    return [Math.max(0, Math.ceil((a + left - span) / s.strides)), Math.min(length - 1, Math.floor((b + left) / s.strides))]
  }
  return [a, b]
}

/** The direction a recurrent cell reads the sequence: 1 from the first step, −1 from the last. */
export type Direction = 1 | -1

export interface PipelineHooks<V> {
  /**
   * The states before a recurrent stage's step `from` in direction `dir` (zeros, or the
   * clean run's states after step from − dir), on a sequence of `steps` steps
   */
  initial(stage: number, cell: { units: number; stateParts: number }, from: number, dir: Direction, steps: number): V[]
  /** a Bidirectional stage's h of one direction at step t, outside the computed range */
  knownH?(stage: number, t: number, dir: Direction): V
  /** position t of stage k's output sequence (k = −1: the input), outside the computed range */
  known?(stage: number, t: number): V
  /** called before each stage (trace coordinates) */
  onStage?(stage: number): void
  /** called before each position of a sequence stage (null: a vector stage) */
  onStep?(stage: number, t: number | null): void
  /** after each recurrent step: a replacement of the state (order reduction), or undefined */
  afterStep?(state: V[]): V[]
  /** each recurrent step's state, as computed */
  onState?(stage: number, t: number, state: V[], dir: Direction): void
  /** each sequence stage's output, as computed (positions [from, from + length)) */
  onSequence?(stage: number, seq: V[], from: number): void
  /** a domain's view of a recurrent stage's whole input sequence (e.g. one product for all steps) */
  sequence?(inputs: V[]): V[]
  /** the input steps' masks (Embedding mask_zero: fixed by the token ids); none: unmasked */
  inputMask?(t: number): StepMask
}

/** At most this many steps whose mask may change in a masked GlobalAveragePooling1D (2^k averages joined). */
export const MAX_UNCERTAIN_MASKS = 4

/** Is step t masked in every row? Kept in every row? (Otherwise per row, or uncertain.) */
const always = (m: StepMask, masked: boolean): boolean => (typeof m === 'boolean' ? m === masked : m.every((v) => v === (masked ? 1 : 0)))

/** A mask as per-row entries (for `select`). */
const rowsOf = (m: StepMask): Float64Array => (typeof m === 'boolean' ? Float64Array.of(m ? 1 : 0) : m)

/**
 * Run the stages on a sequence of T positions of which [a, T − 1] are given (`inputs`,
 * input position a first) and positions before a are the clean input; the perturbation
 * reaches positions [a, b] of the input. Returns the last stage's vector (the logits).
 */
export function runPipeline<V, M, B>(d: Domain<V, M, B>, stages: Array<Stage<M, B>>, inputs: V[], a: number, b: number, hooks: PipelineHooks<V>): V {
  let T = a + inputs.length
  // the current sequence: positions [lo, hi] computed, values seq[t − lo]; the rest known
  let seq = inputs.slice(0, b - a + 1)
  let lo = a
  let hi = b
  let vec: V | null = null
  /** the current sequence's step masks (null: no mask) */
  let masks: StepMask[] | null = hooks.inputMask ? Array.from({ length: T }, (_v, t) => hooks.inputMask!(t)) : null
  const at = (k: number, t: number): V => {
    if (t >= lo && t <= hi) return seq[t - lo]
    // the given inputs after the perturbed range
    return k === 0 && t >= a ? inputs[t - a] : hooks.known!(k - 1, t)
  }
  stages.forEach((s, k) => {
    hooks.onStage?.(k)
    if (vec !== null) {
      hooks.onStep?.(k, null)
      if (s.type === 'dense') vec = denseApply(d, s.spec, vec, s.last)
      else if (s.type === 'scale') vec = d.affine([[s.kernel, vec]], s.bias, 'batch norm')
      else throw new Error(`stage "${s.name}" needs a sequence`)
      return
    }
    /**
     * One direction of a recurrent stage over steps [from, to] (in its reading order): each
     * step's output. A masked step keeps the state and outputs the previous output (or
     * zeros, `zeroOutput`); where the mask may be either, the join of both.
     */
    const run = (cell: Cell<M, B>, dd: Domain<V, M, B>, from: number, to: number, dir: Direction, zeroOutput: boolean): V[] => {
      const n = (to - from) * dir + 1
      let xs = Array.from({ length: n }, (_v, j) => at(k, from + j * dir))
      if (hooks.sequence) xs = hooks.sequence(xs)
      let state = hooks.initial(k, cell, from, dir, T)
      const out: V[] = []
      let zero: V | null = null
      const zeros = () => (zero ??= hooks.initial(k, cell, dir === 1 ? 0 : T - 1, dir, T)[0])
      xs.forEach((x, j) => {
        const t = from + j * dir
        hooks.onStep?.(k, t)
        const m = masks ? masks[t] : false
        const skip = always(m, true)
        const keep = always(m, false)
        let computed: V | null = null
        if (!skip) {
          const next = cell.step(dd, x, state)
          computed = next[0]
          state = keep ? next : next.map((v, i) => dd.select(rowsOf(m), state[i], v, 'mask state'))
          if (hooks.afterStep) state = hooks.afterStep(state)
        }
        hooks.onState?.(k, t, state, dir)
        if (!zeroOutput || keep) out.push(state[0])
        else out.push(skip ? zeros() : dd.select(rowsOf(m), zeros(), computed!, 'mask out'))
      })
      return out
    }
    if (s.type === 'bidirectional') {
      // forward from the first perturbed step to the end, backward from the last one to the start
      // Keras forces zero_output_for_mask = return_sequences on both directions
      const fwd = run(s.forward, named(d, 'forward '), lo, T - 1, 1, s.returnSequences)
      const bwd = run(s.backward, named(d, 'backward '), hi, 0, -1, s.returnSequences).reverse()
      // outside the computed range: the clean run's h, or zeros on a masked step (its mask is the clean one)
      const known = (t: number, dir: Direction) =>
        s.returnSequences && masks && always(masks[t], true) ? hooks.initial(k, dir === 1 ? s.forward : s.backward, dir === 1 ? 0 : T - 1, dir, T)[0] : hooks.knownH!(k, t, dir)
      const f = (t: number) => (t >= lo ? fwd[t - lo] : known(t, 1))
      const b = (t: number) => (t <= hi ? bwd[t] : known(t, -1))
      const merge = (x: V, y: V) => {
        if (s.merge === 'concat') return d.concat([x, y], 'merge')
        if (s.merge === 'sum') return d.add(x, y, 'merge')
        if (s.merge === 'mul') return d.binary('mul', x, y, 'merge')
        return d.affine([[s.half!, x], [s.half!, y]], null, 'merge')
      }
      if (s.returnSequences) {
        seq = Array.from({ length: T }, (_v, t) => {
          hooks.onStep?.(k, t)
          return merge(f(t), b(t))
        })
        lo = 0
        hi = T - 1
        hooks.onSequence?.(k, seq, 0)
      } else {
        hooks.onStep?.(k, null)
        vec = merge(f(T - 1), b(0))
      }
      return
    }
    if (s.type === 'recurrent') {
      // from the first perturbed step to the end: the inputs after hi are known values
      const out = run(s.cell, d, lo, T - 1, 1, s.zeroOutput)
      if (s.returnSequences) {
        seq = out
        hi = reach(s, lo, hi, T)[1]
        hooks.onSequence?.(k, seq, lo)
      } else vec = out[out.length - 1]
      return
    }
    if (s.type === 'mask') {
      // the identity on values; every step's mask from its value (the clean run's outside the computed range)
      masks = Array.from({ length: T }, (_v, t) => d.maskOf(at(k, t), s.value))
      hooks.onSequence?.(k, seq, lo)
      return
    }
    if (s.type === 'conv1d') {
      const { length, left } = convGeometry(s, T)
      const [from, to] = reach(s, lo, hi, T)
      const out: V[] = []
      for (let t = from; t <= to; t++) {
        hooks.onStep?.(k, t)
        const terms: Array<[M, V]> = []
        s.taps.forEach((w, j) => {
          const i = t * s.strides - left + j * s.dilation
          if (i >= 0 && i < T) terms.push([w, at(k, i)])
        })
        const y = d.affine(terms, s.bias, 'conv')
        out.push(s.activation === 'linear' ? y : d.unary(s.activation, y, 'out'))
      }
      seq = out
      lo = from
      hi = to
      T = length
      hooks.onSequence?.(k, seq, lo)
      return
    }
    if (s.type === 'dense' || s.type === 'scale') {
      seq = seq.map((x, j) => {
        hooks.onStep?.(k, lo + j)
        return s.type === 'dense' ? denseApply(d, s.spec, x, false) : d.affine([[s.kernel, x]], s.bias, 'batch norm')
      })
      hooks.onSequence?.(k, seq, lo)
      return
    }
    hooks.onStep?.(k, null)
    if (s.type === 'pool' && s.mode === 'last') {
      vec = d.concat([at(k, T - 1)], 'last step')
      return
    }
    const all = Array.from({ length: T }, (_v, t) => at(k, t))
    // (Keras 3's GlobalMaxPooling1D ignores a mask: the max of every step)
    if (s.type === 'pool' && s.mode === 'max') vec = d.max(all, 'max pool')
    else if (s.type === 'pool' && masks) vec = maskedAverage(d, s, all, masks)
    else if (s.type === 'pool') {
      const w = s.weights(T)
      vec = d.affine(all.map((x) => [w, x]), null, 'avg pool')
    } else vec = d.concat(all, 'flatten')
    masks = null
  })
  if (vec === null) throw new Error('the network ends with a sequence')
  return vec
}

/**
 * Keras's GlobalAveragePooling1D with a mask: the mean of the unmasked steps. Steps whose
 * mask differs between rows (or may be either) are decided one by one with `select`,
 * over the 2^k means of the ways they may be masked.
 */
function maskedAverage<V, M, B>(d: Domain<V, M, B>, s: { units: number; weights: (T: number) => M }, all: V[], masks: StepMask[]): V {
  const kept = masks.map((m) => always(m, false))
  const open = masks.flatMap((m, t) => (kept[t] || always(m, true) ? [] : [t]))
  if (open.length > MAX_UNCERTAIN_MASKS) {
    throw new Error(`the masks of ${open.length} steps may change before an average pooling (at most ${MAX_UNCERTAIN_MASKS}): perturb fewer masked or mask-like frames`)
  }
  /** the mean over the kept steps plus the open ones in `also` */
  const mean = (also: Set<number>): V => {
    const steps = all.flatMap((x, t) => (kept[t] || also.has(t) ? [x] : []))
    if (steps.length === 0) throw new Error('every step is masked: the masked average pooling divides by zero (Keras gives NaN)')
    const w = s.weights(steps.length)
    return d.affine(steps.map((x) => [w, x]), null, 'avg pool')
  }
  const decide = (i: number, also: Set<number>): V => {
    if (i === open.length) return mean(also)
    const t = open[i]
    return d.select(rowsOf(masks[t]), decide(i + 1, also), decide(i + 1, new Set([...also, t])), 'mask avg pool')
  }
  return decide(0, new Set())
}
