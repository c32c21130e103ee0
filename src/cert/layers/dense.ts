/** Dense: y = act(x·W + b); the output layer gives the logits (its softmax is monotone: dropped). */
import type { DenseSpec, Domain } from './domain.ts'

export function denseApply<V, M, B>(d: Domain<V, M, B>, l: DenseSpec<M, B>, x: V, last: boolean): V {
  const y = d.affine([[l.kernel, x]], l.bias, last ? 'logits' : 'pre')
  return last || l.activation === 'linear' ? y : d.unary(l.activation, y, 'out')
}
