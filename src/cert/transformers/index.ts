import type { BinaryKind, BinaryPlaneFn, UnaryKind, UnaryPlaneFn } from './plane.ts'
import { hardSigmoidPlanes, hardSigmoidTanhPlanes, xHardSigmoidPlanes } from './hardSigmoid.ts'
import { mulPlanes } from './mul.ts'
import { reluPlanes } from './relu.ts'
import { sigmoidPlanes } from './sigmoid.ts'
import { sigmoidTanhPlanes } from './sigmoidTanh.ts'
import { tanhPlanes } from './tanh.ts'
import { xSigmoidPlanes } from './xSigmoid.ts'

export type Method = 'certrnn' | 'deepz' | 'interval'
export const METHODS: readonly Method[] = ['certrnn', 'deepz', 'interval']

export const METHOD_LABELS: Record<Method, string> = {
  certrnn: 'Cert-RNN (secant planes with exact residual extremes)',
  deepz: 'DeepZ (minimum-slope planes, bilinear products)',
  interval: 'interval bound propagation (IBP)',
}

export const METHOD_SHORT: Record<Method, string> = {
  certrnn: 'Cert-RNN',
  deepz: 'DeepZ',
  interval: 'Interval (IBP)',
}

/** The planes one method uses for every nonlinearity a cell needs. */
export interface TransformerSet {
  method: Method
  /**
   * Interval bound propagation keeps no correlation: the cells box every intermediate
   * result (see `settle` in domains/zonotope.ts).
   */
  boxEverything: boolean
  unary: Record<UnaryKind, UnaryPlaneFn>
  binary: Record<BinaryKind, BinaryPlaneFn>
}

export function transformerSet(method: Method): TransformerSet {
  if (!METHODS.includes(method)) throw new Error(`unknown method "${method}": use one of ${METHODS.join(', ')}`)
  return {
    method,
    boxEverything: method === 'interval',
    unary: { tanh: tanhPlanes[method], sigmoid: sigmoidPlanes[method], relu: reluPlanes[method], hardSigmoid: hardSigmoidPlanes[method] },
    binary: {
      sigmoidTanh: sigmoidTanhPlanes[method],
      xSigmoid: xSigmoidPlanes[method],
      hardSigmoidTanh: hardSigmoidTanhPlanes[method],
      xHardSigmoid: xHardSigmoidPlanes[method],
      mul: mulPlanes[method],
    },
  }
}

export type { Plane, PlaneBox, UnaryKind, BinaryKind, TransformerKind, UnaryPlaneFn, BinaryPlaneFn } from './plane.ts'
