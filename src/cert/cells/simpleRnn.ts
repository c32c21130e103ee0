/** SimpleRNN: h_t = act(x_t·W + h_{t−1}·U + b). */
import type { SimpleRnnLayer } from '../network.ts'
import { transpose } from '../network.ts'
import { sigmoid } from '../transformers/plane.ts'
import type { Cell } from './cell.ts'
import { affineConcrete } from './cell.ts'

export function simpleRnnCell(layer: SimpleRnnLayer): Cell {
  const u = layer.units
  const Wx = transpose(layer.kernel)
  const Wh = transpose(layer.recurrentKernel)
  const b = layer.bias
  const act = layer.activation
  const f = act === 'tanh' ? Math.tanh : act === 'sigmoid' ? sigmoid : (x: number) => x
  return {
    units: u,
    stateParts: 1,
    concreteStep(x, [h], record) {
      const pre = affineConcrete([[Wx, x], [Wh, h]], u, b)
      record?.('pre', pre)
      if (act === 'linear') return [pre]
      const out = pre.map(f)
      record?.('h', out)
      return [out]
    },
    abstractStep(x, [h], ctx) {
      const pre = ctx.affine([[Wx, x], [Wh, h]], u, b, 'pre')
      if (act === 'linear') return [pre]
      return [ctx.unary(act as 'tanh' | 'sigmoid', pre, 'h')]
    },
  }
}
