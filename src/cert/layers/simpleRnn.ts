/** SimpleRNN: h_t = act(x_t·W + h_{t−1}·U + b). */
import type { Cell, SimpleRnnSpec, WeightOps } from './domain.ts'

export function simpleRnnCell<M, B>(_ops: WeightOps<M, B>, l: SimpleRnnSpec<M, B>): Cell<M, B> {
  const act = l.activation
  return {
    units: l.units,
    stateParts: 1,
    step(d, x, [h]) {
      const pre = d.affine([[l.kernel, x], [l.recurrentKernel, h]], l.bias, 'pre')
      return [act === 'linear' ? pre : d.unary(act, pre, 'h')]
    },
  }
}
