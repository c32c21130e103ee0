import type { BinaryKind, BinaryPlaneFn, UnaryKind, UnaryPlaneFn } from './plane.ts'
import { hardSigmoidPlanes, hardSigmoidTanhPlanes, xHardSigmoidPlanes } from './hardSigmoid.ts'
import { mulPlanes } from './mul.ts'
import { reluPlanes } from './relu.ts'
import { sigmoidPlanes } from './sigmoid.ts'
import { sigmoidTanhPlanes } from './sigmoidTanh.ts'
import { tanhPlanes } from './tanh.ts'
import { xSigmoidPlanes } from './xSigmoid.ts'

export type Method = 'certrnn' | 'deepz' | 'interval' | 'tight'
export const METHODS: readonly Method[] = ['certrnn', 'deepz', 'interval', 'tight']
/**
 * The methods compared when none are chosen (evaluate, the app's comparison and Evaluate
 * tab, the bench): the paper's three. `tight` (2–20× Cert-RNN's time) is chosen explicitly.
 */
export const DEFAULT_METHODS: readonly Method[] = ['certrnn', 'deepz', 'interval']

export const METHOD_LABELS: Record<Method, string> = {
  certrnn: 'Cert-RNN (secant planes with exact residual extremes)',
  deepz: 'DeepZ (minimum-slope planes, bilinear products)',
  interval: 'interval bound propagation (IBP)',
  tight: 'tight (Cert-RNN planes over boxes tightened by a reduced product with intervals)',
}

export const METHOD_SHORT: Record<Method, string> = {
  certrnn: 'Cert-RNN',
  deepz: 'DeepZ',
  interval: 'Interval (IBP)',
  tight: 'Tight',
}

/** The planes one method uses for every nonlinearity a cell needs. */
export interface TransformerSet {
  method: Method
  /**
   * Interval bound propagation keeps no correlation: the cells box every intermediate
   * result (see `settle` in domains/zonotope.ts).
   */
  boxEverything: boolean
  /**
   * The reduced product with intervals (tight): every value carries an interval box beside
   * its zonotope, propagated by the interval transformers below, and each neuron's planes
   * are computed over the intersection of both domains' boxes. Null for the other methods.
   */
  /** tight: re-optimise the slopes of the last transformer for each class's margin (../tail.ts) */
  optimiseTail: boolean
  ranges: { unary: Record<UnaryKind, UnaryPlaneFn>; binary: Record<BinaryKind, BinaryPlaneFn> } | null
  unary: Record<UnaryKind, UnaryPlaneFn>
  binary: Record<BinaryKind, BinaryPlaneFn>
}

type PlaneFamily = 'certrnn' | 'deepz' | 'interval'

function planesOf(family: PlaneFamily): Pick<TransformerSet, 'unary' | 'binary'> {
  return {
    unary: { tanh: tanhPlanes[family], sigmoid: sigmoidPlanes[family], relu: reluPlanes[family], hardSigmoid: hardSigmoidPlanes[family] },
    binary: {
      sigmoidTanh: sigmoidTanhPlanes[family],
      xSigmoid: xSigmoidPlanes[family],
      hardSigmoidTanh: hardSigmoidTanhPlanes[family],
      xHardSigmoid: xHardSigmoidPlanes[family],
      mul: mulPlanes[family],
    },
  }
}

export function transformerSet(method: Method): TransformerSet {
  if (!METHODS.includes(method)) throw new Error(`unknown method "${method}": use one of ${METHODS.join(', ')}`)
  if (method === 'tight') return { method, boxEverything: false, optimiseTail: true, ranges: planesOf('interval'), ...planesOf('certrnn') }
  return { method, boxEverything: method === 'interval', optimiseTail: false, ranges: null, ...planesOf(method) }
}

export type { Plane, PlaneBox, UnaryKind, BinaryKind, TransformerKind, UnaryPlaneFn, BinaryPlaneFn } from './plane.ts'
