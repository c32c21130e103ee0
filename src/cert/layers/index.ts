/**
 * The layers, each written once against the domain interface (./domain.ts), and the
 * stacking: a recurrent stack over a sequence (layer by layer, or step-interleaved) and the
 * Dense head. To add a layer kind: one file here, one line in `recurrentCell` (or a new
 * head), its tests.
 */
import type { Cell, DenseSpec, Domain } from './domain.ts'
import { denseApply } from './dense.ts'

export type { Activation, Cell, CellProduct, DenseSpec, Domain, GruSpec, LstmSpec, RecurrentSpec, SimpleRnnSpec, StepMask, WeightOps } from './domain.ts'
export { denseApply } from './dense.ts'

export type { Direction, PipelineHooks, Stage, StageSpec } from './pipeline.ts'
export { keepsSequence, prepareStages, reach, recurrentCell, runPipeline } from './pipeline.ts'

export interface StackHooks<V> {
  /** the states before the layer's first step (default: zeros from `zeros`) */
  initial(layer: number, cell: { units: number; stateParts: number }): V[]
  /** called before each layer (trace coordinates) */
  onLayer?(layer: number): void
  /** called before each step, with the step's index in the sequence given */
  onStep?(layer: number, step: number): void
  /** after each step: a replacement of the state (order reduction), or undefined */
  afterStep?(state: V[]): V[]
  /** each step's state, as computed */
  onState?(layer: number, step: number, state: V[]): void
  /** a domain's view of a layer's whole input sequence (e.g. one product for all steps) */
  sequence?(inputs: V[]): V[]
}

/**
 * A recurrent stack over a sequence, layer by layer (each layer returns its sequence to the
 * next): the h of every step of the last layer.
 */
export function runStack<V, M, B>(d: Domain<V, M, B>, cells: Array<Cell<M, B>>, inputs: V[], hooks: StackHooks<V>): V[] {
  let seq = inputs
  cells.forEach((cell, li) => {
    hooks.onLayer?.(li)
    if (hooks.sequence) seq = hooks.sequence(seq)
    let state = hooks.initial(li, cell)
    const out: V[] = []
    seq.forEach((x, k) => {
      hooks.onStep?.(li, k)
      state = cell.step(d, x, state)
      if (hooks.afterStep) state = hooks.afterStep(state)
      hooks.onState?.(li, k, state)
      out.push(state[0])
    })
    seq = out
  })
  return seq
}

/**
 * The same stack, step-interleaved: at step t every layer takes its step, then `afterStep`
 * sees the states of all layers (a consolidation shared by the whole stack). The final h of
 * the last layer.
 */
export function runStackInterleaved<V, M, B>(
  d: Domain<V, M, B>,
  cells: Array<Cell<M, B>>,
  steps: number,
  input: (t: number) => V,
  initial: (layer: number, cell: Cell<M, B>) => V[],
  afterStep: (states: V[][], t: number) => V[][],
): V {
  let states = cells.map((cell, li) => initial(li, cell))
  for (let t = 0; t < steps; t++) {
    let x = input(t)
    states = states.map((state, li) => {
      const next = cells[li].step(d, x, state)
      x = next[0]
      return next
    })
    states = afterStep(states, t)
  }
  return states[states.length - 1][0]
}

/** The Dense head: every layer but the last with its activation, the last giving logits. */
export function runDense<V, M, B>(d: Domain<V, M, B>, dense: Array<DenseSpec<M, B>>, x: V, onLayer?: (k: number) => void): V {
  let y = x
  dense.forEach((l, k) => {
    onLayer?.(k)
    y = denseApply(d, l, y, k === dense.length - 1)
  })
  return y
}
export { boxMask, maskOfRows, singleChoice } from './mask.ts'
