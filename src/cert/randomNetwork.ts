/**
 * Random networks with fixed seeds, for soundness tests and benchmarks
 * (Glorot-like weight scales, so that activations are neither all saturated nor all linear).
 */
import type { DenseLayer, LayerIR, Matrix, NetworkIR, RecurrentLayer } from './network.ts'
import { Rng } from './rng.ts'

export type CellType = 'simpleRnn' | 'lstm' | 'gru' | 'gruResetAfter'

export interface RandomNetworkSpec {
  cell: CellType
  /** hidden units per recurrent layer (several = stacked) */
  hidden: number[]
  frameSize: number
  classes: number
  seed: number
  /** token model: vocabulary size (the frame size is the embedding dimension) */
  vocab?: number
  /** multiply the weights' scale (default 1) */
  scale?: number
  /** the SimpleRNN activation (default tanh) */
  activation?: string
  /** hard_sigmoid gates with this slope (LSTM, GRU; default sigmoid) */
  hardSigmoidSlope?: number
  /** hidden Dense layers before the output layer (units and activation) */
  head?: Array<{ units: number; activation: string }>
}

function matrix(rng: Rng, rows: number, cols: number, scale: number): Matrix {
  const data = new Float64Array(rows * cols)
  const s = scale * Math.sqrt(2 / (rows + cols))
  for (let k = 0; k < data.length; k++) data[k] = rng.normal() * s
  return { rows, cols, data }
}

function vector(rng: Rng, n: number, scale: number): Float64Array {
  return Float64Array.from({ length: n }, () => rng.normal() * scale)
}

export function randomNetwork(spec: RandomNetworkSpec): NetworkIR {
  const rng = new Rng(spec.seed)
  const scale = spec.scale ?? 1
  const layers: LayerIR[] = []
  if (spec.vocab) {
    layers.push({ type: 'embedding', name: 'embedding', embeddings: matrix(rng, spec.vocab, spec.frameSize, 4) })
  }
  let width = spec.frameSize
  spec.hidden.forEach((u, k) => {
    const returnSequences = k < spec.hidden.length - 1
    const name = `${spec.cell}_${k}`
    const gates = spec.cell === 'simpleRnn' ? 1 : spec.cell === 'lstm' ? 4 : 3
    const base = {
      name,
      units: u,
      kernel: matrix(rng, width, gates * u, scale),
      recurrentKernel: matrix(rng, u, gates * u, scale),
      returnSequences,
      activation: spec.cell === 'simpleRnn' ? (spec.activation ?? 'tanh') : 'tanh',
    }
    const gating = spec.hardSigmoidSlope === undefined ? { recurrentActivation: 'sigmoid' } : { recurrentActivation: 'hard_sigmoid', hardSigmoidSlope: spec.hardSigmoidSlope }
    let layer: RecurrentLayer
    if (spec.cell === 'simpleRnn') layer = { ...base, type: 'simpleRnn', bias: vector(rng, u, 0.1) }
    else if (spec.cell === 'lstm') layer = { ...base, type: 'lstm', ...gating, bias: vector(rng, 4 * u, 0.1) }
    else {
      const resetAfter = spec.cell === 'gruResetAfter'
      layer = { ...base, type: 'gru', ...gating, resetAfter, bias: vector(rng, (resetAfter ? 6 : 3) * u, 0.1) }
    }
    layers.push(layer)
    width = u
  })
  ;(spec.head ?? []).forEach(({ units, activation }, k) => {
    layers.push({ type: 'dense', name: `dense_hidden_${k}`, units, kernel: matrix(rng, width, units, scale), bias: vector(rng, units, 0.1), activation })
    width = units
  })
  const dense: DenseLayer = {
    type: 'dense',
    name: 'dense',
    units: spec.classes,
    kernel: matrix(rng, width, spec.classes, scale),
    bias: vector(rng, spec.classes, 0.1),
    activation: 'linear',
  }
  layers.push(dense)
  return {
    name: `random-${spec.cell}-${spec.hidden.join('x')}-seed${spec.seed}`,
    input: spec.vocab ? { kind: 'tokens', seqLen: null } : { kind: 'frames', frameSize: spec.frameSize, seqLen: null },
    layers,
  }
}

export function randomFrames(rng: Rng, T: number, frameSize: number, lo = 0, hi = 1): number[][] {
  return Array.from({ length: T }, () => Array.from({ length: frameSize }, () => rng.uniform(lo, hi)))
}
