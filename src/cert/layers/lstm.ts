/**
 * LSTM (Keras gate order i, f, c, o):
 * z = x·W + h·U + b; c_t = σ(f)⊙c_{t−1} + σ(i)⊙tanh(c̃); h_t = σ(o)⊙tanh(c_t).
 * As products: x·σ(y) for f⊙c, σ(x)·tanh(y) for i⊙c̃ and o⊙tanh(c).
 */
import type { Cell, LstmSpec, WeightOps } from './domain.ts'

export function lstmCell<M, B>(_ops: WeightOps<M, B>, l: LstmSpec<M, B>): Cell<M, B> {
  const u = l.units
  return {
    units: u,
    stateParts: 2,
    step(d, x, [h, c]) {
      const fresh = d.mark()
      const z = d.affine([[l.kernel, x], [l.recurrentKernel, h]], l.bias, 'pre')
      const [zi, zf, zg, zo] = [0, 1, 2, 3].map((gate) => d.slice(z, gate * u, u))
      const fc = d.binary('xSigmoid', c, zf, 'f*c')
      const ig = d.binary('sigmoidTanh', zi, zg, 'i*g')
      // the fresh symbols of f⊙c and i⊙g of a unit live only in that unit's row of c: merge them
      const cNew = d.mergeLocal(d.add(fc, ig, 'c'), fresh)
      const hNew = d.binary('sigmoidTanh', zo, cNew, 'h')
      return [hNew, cNew]
    },
  }
}
