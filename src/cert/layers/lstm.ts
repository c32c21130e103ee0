/**
 * LSTM (Keras gate order i, f, c, o):
 * z = x·W + h·U + b; c_t = σ(f)⊙c_{t−1} + σ(i)⊙tanh(c̃); h_t = σ(o)⊙tanh(c_t).
 * As products: x·σ(y) for f⊙c, σ(x)·tanh(y) for i⊙c̃ and o⊙tanh(c).
 */
import type { Cell, LstmSpec, WeightOps } from './domain.ts'

export function lstmCell<M, B>(ops: WeightOps<M, B>, l: LstmSpec<M, B>): Cell<M, B> {
  const u = l.units
  const s = l.hardSigmoidSlope
  // hard_sigmoid gates: the i, f, o blocks scaled by the slope, then the unit hard sigmoid
  const gates = <T>(v: T, scale: (v: T, from: number, count: number, s: number) => T): T => (s === undefined ? v : scale(scale(v, 0, 2 * u, s), 3 * u, u, s))
  const kernel = gates(l.kernel, ops.scaleCols)
  const recurrentKernel = gates(l.recurrentKernel, ops.scaleCols)
  const bias = gates(l.bias, ops.scalePart)
  const xGate = s === undefined ? 'xSigmoid' : 'xHardSigmoid'
  const gateTanh = s === undefined ? 'sigmoidTanh' : 'hardSigmoidTanh'
  return {
    units: u,
    stateParts: 2,
    step(d, x, [h, c]) {
      const fresh = d.mark()
      const z = d.affine([[kernel, x], [recurrentKernel, h]], bias, 'pre')
      const [zi, zf, zg, zo] = [0, 1, 2, 3].map((gate) => d.slice(z, gate * u, u))
      const fc = d.binary(xGate, c, zf, 'f*c')
      const ig = d.binary(gateTanh, zi, zg, 'i*g')
      // the fresh symbols of f⊙c and i⊙g of a unit live only in that unit's row of c: merge them
      const cNew = d.mergeLocal(d.add(fc, ig, 'c'), fresh)
      const hNew = d.binary(gateTanh, zo, cNew, 'h')
      return [hNew, cNew]
    },
  }
}
