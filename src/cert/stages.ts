/**
 * The network IR as the pipeline's stages (./layers/pipeline.ts), in any domain family's
 * weight representation: the one place that maps IR layers to stages (the embedding is a
 * lookup before the domains).
 */
import type { Activation, RecurrentSpec, StageSpec, WeightOps } from './layers/index.ts'
import type { Matrix, NetworkIR, RecurrentLayer } from './network.ts'
import { isRecurrent } from './network.ts'

/** How a domain family holds IR weights: a Keras kernel [in, out] as M, a vector as B. */
export interface WeightFamily<M, B> {
  mat(m: Matrix): M
  vec(v: Float64Array): B
  ops: WeightOps<M, B>
}

/** A recurrent layer's weights in the family's representation (validated: activations the cells know). */
function recurrentSpec<M, B>(l: RecurrentLayer, w: WeightFamily<M, B>): RecurrentSpec<M, B> {
  return { ...l, kernel: w.mat(l.kernel), recurrentKernel: w.mat(l.recurrentKernel), bias: w.vec(l.bias) } as RecurrentSpec<M, B>
}

/** The stages of a validated network, in order. */
export function stageSpecs<M, B>(net: NetworkIR, w: WeightFamily<M, B>): Array<StageSpec<M, B>> {
  const out: Array<StageSpec<M, B>> = []
  let width = net.input.kind === 'frames' ? net.input.frameSize : 0
  net.layers.forEach((l, layer) => {
    const base = { layer, name: l.name }
    if (l.type === 'embedding') width = l.embeddings.cols
    else if (l.type === 'masking') out.push({ ...base, type: 'mask', value: l.maskValue })
    else if (isRecurrent(l)) {
      out.push({ ...base, type: 'recurrent', spec: recurrentSpec(l, w), returnSequences: l.returnSequences, zeroOutput: l.zeroOutputForMask ?? false })
      width = l.units
    } else if (l.type === 'bidirectional') {
      const units = l.forward.units
      out.push({ ...base, type: 'bidirectional', forward: recurrentSpec(l.forward, w), backward: recurrentSpec(l.backward, w), merge: l.merge, returnSequences: l.returnSequences, units })
      width = l.merge === 'concat' ? units + l.backward.units : units
    } else if (l.type === 'dense') {
      out.push({ ...base, type: 'dense', spec: { units: l.units, kernel: w.mat(l.kernel), bias: w.vec(l.bias), activation: l.activation as Activation } })
      width = l.units
    } else if (l.type === 'batchNorm') out.push({ ...base, type: 'scale', kernel: w.ops.diag(l.scale), bias: w.vec(l.offset), units: width })
    else if (l.type === 'pool') out.push({ ...base, type: 'pool', mode: l.mode, units: width })
    else if (l.type === 'flatten') out.push({ ...base, type: 'flatten' })
    else if (l.type === 'conv1d') {
      const { strides, dilation, padding } = l
      out.push({ ...base, type: 'conv1d', taps: l.taps.map((m) => w.mat(m)), bias: w.vec(l.bias), strides, dilation, padding, activation: l.activation as Activation })
      width = l.filters
    }
  })
  return out
}
