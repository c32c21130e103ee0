/**
 * GRU (Keras gate order z, r, h; h_t = z⊙h_{t−1} + (1 − z)⊙h̃):
 * reset_after = false: h̃ = tanh(x·W_h + b_h + (r⊙h)·U_h)
 * reset_after = true:  h̃ = tanh(x·W_h + b_x + r⊙(h·U_h + b_h))
 * Abstractly h_t = h̃ + (h_{t−1} − h̃)·σ(z_pre) and r⊙(·) are both x·σ(y) products.
 */
import type { GruLayer } from '../network.ts'
import { sigmoid } from '../transformers/plane.ts'
import { zonotopeSlice } from '../zonotope.ts'
import type { Cell } from './cell.ts'
import { affineConcrete, gateRows } from './cell.ts'

/** A GRU's weights split by gate, as maps W·x (rows: z and r together, then h). */
export function gruWeights(layer: GruLayer) {
  const u = layer.units
  const bx = layer.bias.slice(0, 3 * u)
  const bh = layer.resetAfter ? layer.bias.slice(3 * u, 6 * u) : new Float64Array(3 * u)
  return {
    WxZR: gateRows(layer.kernel, u, 0, 2),
    WxH: gateRows(layer.kernel, u, 2),
    WhZR: gateRows(layer.recurrentKernel, u, 0, 2),
    WhH: gateRows(layer.recurrentKernel, u, 2),
    // bias of the z and r gates: input and recurrent biases add up
    bZR: bx.slice(0, 2 * u).map((v, k) => v + bh[k]),
    bxH: bx.slice(2 * u),
    bhH: bh.slice(2 * u),
  }
}

export function gruCell(layer: GruLayer): Cell {
  const u = layer.units
  const { WxZR, WxH, WhZR, WhH, bZR, bxH, bhH } = gruWeights(layer)
  const resetAfter = layer.resetAfter

  return {
    units: u,
    stateParts: 1,
    concreteStep(x, [h], record) {
      const zr = affineConcrete([[WxZR, x], [WhZR, h]], 2 * u, bZR)
      record?.('pre z,r', zr)
      const r = zr.subarray(u).map(sigmoid)
      let pre: Float64Array
      if (resetAfter) {
        const hu = affineConcrete([[WhH, h]], u, bhH)
        const rhu = hu.map((v, k) => r[k] * v)
        const xw = affineConcrete([[WxH, x]], u, bxH)
        pre = xw.map((v, k) => v + rhu[k])
        record?.('h·U_h + b_h', hu)
        record?.('r*(h·U_h)', rhu)
        record?.('x·W_h + b_x', xw)
      } else {
        const rh = h.map((v, k) => v * r[k])
        record?.('r*h', rh)
        pre = affineConcrete([[WxH, x], [WhH, rh]], u, bxH)
      }
      record?.('pre h', pre)
      const hh = pre.map(Math.tanh)
      const d = h.map((v, k) => v - hh[k])
      const dz = d.map((v, k) => v * sigmoid(zr[k]))
      const out = hh.map((v, k) => v + dz[k])
      if (record) {
        record('h~', hh)
        record('h-h~', d)
        record('(h-h~)*z', dz)
        record('h', out)
      }
      return [out]
    },
    abstractStep(x, [h], ctx) {
      const fresh = ctx.symbols.peek
      const zr = ctx.affine([[WxZR, x], [WhZR, h]], 2 * u, bZR, 'pre z,r')
      const zPre = zonotopeSlice(zr, 0, u)
      const rPre = zonotopeSlice(zr, u, u)
      let pre
      if (resetAfter) {
        const hu = ctx.affine([[WhH, h]], u, bhH, 'h·U_h + b_h')
        const rhu = ctx.binary('xSigmoid', hu, rPre, 'r*(h·U_h)')
        const xw = ctx.affine([[WxH, x]], u, bxH, 'x·W_h + b_x')
        pre = ctx.add(xw, rhu, 'pre h')
      } else {
        const rh = ctx.binary('xSigmoid', h, rPre, 'r*h')
        pre = ctx.affine([[WxH, x], [WhH, rh]], u, bxH, 'pre h')
      }
      const hh = ctx.unary('tanh', pre, 'h~')
      const d = ctx.sub(h, hh, 'h-h~')
      const dz = ctx.binary('xSigmoid', d, zPre, '(h-h~)*z')
      // the fresh symbols of h̃ and of (h − h̃)·σ(z) of a unit live only in its row of h: merge them
      return [ctx.mergeLocal(ctx.add(hh, dz, 'h'), fresh)]
    },
  }
}
