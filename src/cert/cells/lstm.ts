/**
 * LSTM (Keras gate order i, f, c, o):
 * z = x·W + h·U + b; c_t = σ(f)⊙c_{t−1} + σ(i)⊙tanh(c̃); h_t = σ(o)⊙tanh(c_t).
 * Abstractly: x·σ(y) for f⊙c, σ(x)·tanh(y) for i⊙c̃ and o⊙tanh(c).
 */
import type { LstmLayer } from '../network.ts'
import { transpose } from '../network.ts'
import { sigmoid } from '../transformers/plane.ts'
import { zonotopeSlice } from '../zonotope.ts'
import type { Cell } from './cell.ts'
import { affineConcrete } from './cell.ts'

export function lstmCell(layer: LstmLayer): Cell {
  const u = layer.units
  const Wx = transpose(layer.kernel)
  const Wh = transpose(layer.recurrentKernel)
  const b = layer.bias
  return {
    units: u,
    stateParts: 2,
    concreteStep(x, [h, c], record) {
      const z = affineConcrete([[Wx, x], [Wh, h]], 4 * u, b)
      const hNew = new Float64Array(u)
      const cNew = new Float64Array(u)
      const fc = new Float64Array(u)
      const ig = new Float64Array(u)
      for (let k = 0; k < u; k++) {
        const i = sigmoid(z[k])
        const f = sigmoid(z[u + k])
        const g = Math.tanh(z[2 * u + k])
        const o = sigmoid(z[3 * u + k])
        fc[k] = f * c[k]
        ig[k] = i * g
        cNew[k] = fc[k] + ig[k]
        hNew[k] = o * Math.tanh(cNew[k])
      }
      if (record) {
        record('pre', z)
        record('f*c', fc)
        record('i*g', ig)
        record('c', cNew)
        record('h', hNew)
      }
      return [hNew, cNew]
    },
    abstractStep(x, [h, c], ctx) {
      const fresh = ctx.symbols.peek
      const z = ctx.affine([[Wx, x], [Wh, h]], 4 * u, b, 'pre')
      const zi = zonotopeSlice(z, 0, u)
      const zf = zonotopeSlice(z, u, u)
      const zg = zonotopeSlice(z, 2 * u, u)
      const zo = zonotopeSlice(z, 3 * u, u)
      const fc = ctx.binary('xSigmoid', c, zf, 'f*c')
      const ig = ctx.binary('sigmoidTanh', zi, zg, 'i*g')
      // the fresh symbols of f⊙c and i⊙g of a unit live only in that unit's row of c: merge them
      const cNew = ctx.mergeLocal(ctx.add(fc, ig, 'c'), fresh)
      const hNew = ctx.binary('sigmoidTanh', zo, cNew, 'h')
      return [hNew, cNew]
    },
  }
}
