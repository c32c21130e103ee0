/**
 * The small interface every layer is written against, and that every domain implements
 * once: float64 points (../domains/float64.ts), zonotopes with a transformer set
 * (../domains/zonotope.ts), batched float64 points (src/attack/batch64.ts), and the TF.js
 * tensors, intervals and zonotopes of src/tf.
 *
 * V is a value of the domain (a vector, a batch of vectors, a zonotope, a box …), M a
 * weight map and B a bias vector in the domain's representation. `op` names the operation
 * for traces ('pre', 'f*c', 'h' …): the views and the trace tests rely on these names.
 */
import type { BinaryKind, UnaryKind } from '../transformers/plane.ts'

/** What a layer may apply elementwise after an affine map. */
export type Activation = UnaryKind | 'linear'

/** The products a layer takes: σ(x)·tanh(y) and x·σ(y) (cells, also with hard_sigmoid), x·y (Bidirectional merge_mode='mul'). */
export type CellProduct = BinaryKind

/**
 * A step's mask (Keras Masking / Embedding mask_zero): false kept, true masked (skipped),
 * or one entry per row of a batched or abstract value: 0 kept, 1 masked, ½ either (an
 * abstract value whose inputs may or may not be masked).
 */
export type StepMask = boolean | Float64Array

/** Weight preparation (once per network): gate blocks of a kernel, parts and sums of biases. */
export interface WeightOps<M, B> {
  /** output columns [from, from + count) of a kernel map (a gate block) */
  cols(m: M, from: number, count: number): M
  /** entries [from, from + count) of a bias */
  part(b: B, from: number, count: number): B
  plus(a: B, b: B): B
  /** the map with output columns [from, from + count) multiplied by s */
  scaleCols(m: M, from: number, count: number, s: number): M
  /** the bias with entries [from, from + count) multiplied by s */
  scalePart(b: B, from: number, count: number, s: number): B
  /** the map x ↦ diag(d)·x (per-feature scaling: batch normalization, average pooling) */
  diag(d: Float64Array): M
}

export interface Domain<V, M, B> {
  /** Σ_k M_k·x_k + bias */
  affine(terms: Array<[M, V]>, bias: B | null, op: string): V
  /** entries [start, start + count) */
  slice(v: V, start: number, count: number): V
  add(a: V, b: V, op: string): V
  sub(a: V, b: V, op: string): V
  unary(kind: UnaryKind, v: V, op: string): V
  binary(kind: CellProduct, x: V, y: V, op: string): V
  /** the entries of the parts one after the other (Flatten, Bidirectional concat) */
  concat(parts: V[], op: string): V
  /** the elementwise maximum of the parts (max pooling over the steps) */
  max(parts: V[], op: string): V
  /** Keras Masking(value): is step v masked (every feature equals value)? Exact for points; for sets, ½ where both may happen */
  maskOf(v: V, value: number): StepMask
  /**
   * Per row of the mask: `skipped` where masked, `computed` where kept, a sound join of
   * the two (every value either may take) where the mask may be either
   */
  select(m: Float64Array, skipped: V, computed: V, op: string): V
  /** a marker before a cell step's operations (the next fresh symbol; 0 without symbols) */
  mark(): number
  /**
   * Exact compaction of the symbols created since `mark` that each live in one entry of v
   * only (and in no other live value): one symbol per entry. Identity without symbols.
   */
  mergeLocal(v: V, mark: number): V
}

/** A recurrent layer's weights in a domain's representation (Keras gate order). */
interface RecurrentWeights<M, B> {
  units: number
  /** input map, k·units outputs */
  kernel: M
  /** recurrent map, k·units outputs */
  recurrentKernel: M
  bias: B
}

export interface SimpleRnnSpec<M, B> extends RecurrentWeights<M, B> {
  type: 'simpleRnn'
  activation: Activation
}
/**
 * The gates: σ, or with `hardSigmoidSlope` s the hard sigmoid clip(s·x + 1/2, 0, 1)
 * (Keras 2 and TF.js: s = 0.2; Keras 3: s = 1/6), computed as the unit hard sigmoid of
 * the gate's pre-activation with its weights scaled by s.
 */
interface Gated {
  hardSigmoidSlope?: number
}
export interface LstmSpec<M, B> extends RecurrentWeights<M, B>, Gated {
  type: 'lstm'
}
export interface GruSpec<M, B> extends RecurrentWeights<M, B>, Gated {
  type: 'gru'
  resetAfter: boolean
}
export type RecurrentSpec<M, B> = SimpleRnnSpec<M, B> | LstmSpec<M, B> | GruSpec<M, B>

export interface DenseSpec<M, B> {
  units: number
  kernel: M
  bias: B
  activation: Activation
}

/** A recurrent cell with its weights prepared, runnable in every domain over M and B. */
export interface Cell<M, B> {
  units: number
  /** number of state vectors (LSTM: h and c; others: h) */
  stateParts: number
  step<V>(d: Domain<V, M, B>, x: V, state: V[]): V[]
}
