/**
 * GRU (Keras gate order z, r, h; h_t = z⊙h_{t−1} + (1 − z)⊙h̃):
 * reset_after = false: h̃ = tanh(x·W_h + b_h + (r⊙h)·U_h)
 * reset_after = true:  h̃ = tanh(x·W_h + b_x + r⊙(h·U_h + b_h))   (bias [2, 3·units]: input, recurrent)
 * Written as h_t = h̃ + (h_{t−1} − h̃)·σ(z_pre), so that r⊙(·) and (·)⊙z are x·σ(y) products.
 * The only place that knows the two variants.
 */
import type { Cell, GruSpec, WeightOps } from './domain.ts'

export function gruCell<M, B>(ops: WeightOps<M, B>, l: GruSpec<M, B>): Cell<M, B> {
  const u = l.units
  // hard_sigmoid gates: the z and r blocks scaled by the slope, then the unit hard sigmoid
  const s = l.hardSigmoidSlope
  const gate = s === undefined ? 'xSigmoid' : 'xHardSigmoid'
  const WxZR = s === undefined ? ops.cols(l.kernel, 0, 2 * u) : ops.scaleCols(ops.cols(l.kernel, 0, 2 * u), 0, 2 * u, s)
  const WxH = ops.cols(l.kernel, 2 * u, u)
  const WhZR = s === undefined ? ops.cols(l.recurrentKernel, 0, 2 * u) : ops.scaleCols(ops.cols(l.recurrentKernel, 0, 2 * u), 0, 2 * u, s)
  const WhH = ops.cols(l.recurrentKernel, 2 * u, u)
  const bx = ops.part(l.bias, 0, 3 * u)
  // the z and r gates: input and recurrent biases add up
  const bZR0 = l.resetAfter ? ops.plus(ops.part(bx, 0, 2 * u), ops.part(l.bias, 3 * u, 2 * u)) : ops.part(bx, 0, 2 * u)
  const bZR = s === undefined ? bZR0 : ops.scalePart(bZR0, 0, 2 * u, s)
  const bxH = ops.part(bx, 2 * u, u)
  const bhH = l.resetAfter ? ops.part(l.bias, 5 * u, u) : null
  return {
    units: u,
    stateParts: 1,
    step(d, x, [h]) {
      const fresh = d.mark()
      const zr = d.affine([[WxZR, x], [WhZR, h]], bZR, 'pre z,r')
      const zPre = d.slice(zr, 0, u)
      const rPre = d.slice(zr, u, u)
      let pre
      if (l.resetAfter) {
        const hu = d.affine([[WhH, h]], bhH, 'h·U_h + b_h')
        const rhu = d.binary(gate, hu, rPre, 'r*(h·U_h)')
        const xw = d.affine([[WxH, x]], bxH, 'x·W_h + b_x')
        pre = d.add(xw, rhu, 'pre h')
      } else {
        const rh = d.binary(gate, h, rPre, 'r*h')
        pre = d.affine([[WxH, x], [WhH, rh]], bxH, 'pre h')
      }
      const hh = d.unary('tanh', pre, 'h~')
      const dh = d.sub(h, hh, 'h-h~')
      const dz = d.binary(gate, dh, zPre, '(h-h~)*z')
      // the fresh symbols of h̃ and of (h − h̃)·σ(z) of a unit live only in its row of h: merge them
      return [d.mergeLocal(d.add(hh, dz, 'h'), fresh)]
    },
  }
}
