/**
 * A PyTorch model's state_dict (torch_state.json beside an ONNX fixture, written by
 * scripts/make-onnx-fixtures.py) rebuilt as the certifier's NetworkIR in Keras layout, by
 * hand: independently of the ONNX file and of src/model/onnx.ts. For tests.
 *
 * PyTorch gate orders: LSTM i, f, g, o (= Keras i, f, c, o); GRU r, z, n (Keras z, r, h);
 * GRU biases are PyTorch's two (Keras reset_after=True); LSTM and RNN biases are summed.
 */
import type { LayerIR, Matrix, NetworkIR, RecurrentLayer } from '../../cert/index.ts'

export interface TorchState {
  shapes: Record<string, number[]>
  values: Record<string, number[]>
}

export type TorchCell = 'rnn' | 'lstm' | 'gru'

/** How the model reads the recurrent stack (the `take` of scripts/make-onnx-fixtures.py's Recurrent). */
export type TorchTake = 'output' | 'state' | 'state2' | 'mean' | 'max'

export interface TorchModelSpec {
  cell: TorchCell
  /** input frames: frame size and number of steps (null: any) */
  frameSize: number
  seqLen: number | null
  /** x.view(-1, seqLen, frameSize) of a flat input */
  flat?: boolean
  take: TorchTake
}

const ORDER: Record<TorchCell, number[]> = { rnn: [0], lstm: [0, 1, 2, 3], gru: [1, 0, 2] }

/** PyTorch [k·H, width] (gates in PyTorch order) → Keras [width, k·H] (gates in Keras order) */
function kerasKernel(w: number[], width: number, H: number, order: number[]): Matrix {
  const k = order.length
  const data = new Float64Array(width * k * H)
  order.forEach((g, kg) => {
    for (let u = 0; u < H; u++) for (let j = 0; j < width; j++) data[j * k * H + kg * H + u] = w[(g * H + u) * width + j]
  })
  return { rows: width, cols: k * H, data }
}

/** Layer `l` (suffix '' or '_reverse') of the state's `rnn` module. */
function torchCell(state: TorchState, cell: TorchCell, l: number, suffix: string, name: string): RecurrentLayer {
  const key = (what: string) => `rnn.${what}_l${l}${suffix}`
  const H = state.shapes[key('weight_hh')][1]
  const width = state.shapes[key('weight_ih')][1]
  const order = ORDER[cell]
  const gates = (b: number[]) => Float64Array.from(order.flatMap((g) => b.slice(g * H, (g + 1) * H)))
  const bih = gates(state.values[key('bias_ih')])
  const bhh = gates(state.values[key('bias_hh')])
  const base = { name, units: H, kernel: kerasKernel(state.values[key('weight_ih')], width, H, order), recurrentKernel: kerasKernel(state.values[key('weight_hh')], H, H, order), returnSequences: false, activation: 'tanh' }
  const summed = bih.map((v, i) => v + bhh[i])
  if (cell === 'rnn') return { ...base, type: 'simpleRnn', bias: summed }
  if (cell === 'lstm') return { ...base, type: 'lstm', recurrentActivation: 'sigmoid', bias: summed }
  return { ...base, type: 'gru', recurrentActivation: 'sigmoid', resetAfter: true, bias: Float64Array.from([...bih, ...bhh]) }
}

/** The state_dict's model as a NetworkIR (every rnn layer, bidirectional if the state has `_reverse` weights, then `head`). */
export function torchNetwork(state: TorchState, spec: TorchModelSpec): NetworkIR {
  const layers: LayerIR[] = []
  const bidirectional = 'rnn.weight_ih_l0_reverse' in state.shapes
  const count = Object.keys(state.shapes).filter((k) => /^rnn\.weight_ih_l\d+$/.test(k)).length
  for (let l = 0; l < count; l++) {
    const seq = l < count - 1 || spec.take === 'mean' || spec.take === 'max' || (bidirectional && spec.take === 'output')
    const name = `rnn_${l}`
    if (bidirectional) {
      const forward = { ...torchCell(state, spec.cell, l, '', `${name}_forward`), returnSequences: seq }
      const backward = { ...torchCell(state, spec.cell, l, '_reverse', `${name}_backward`), returnSequences: seq }
      layers.push({ type: 'bidirectional', name, forward, backward, merge: 'concat', returnSequences: seq })
    } else layers.push({ ...torchCell(state, spec.cell, l, '', name), returnSequences: seq })
  }
  if (spec.take === 'mean' || spec.take === 'max') layers.push({ type: 'pool', name: 'pool', mode: spec.take === 'mean' ? 'avg' : 'max' })
  // out[:, -1] of a bidirectional layer: the last step of its sequence
  else if (bidirectional && spec.take === 'output') layers.push({ type: 'pool', name: 'last', mode: 'last' })
  const [C, width] = state.shapes['head.weight']
  const w = state.values['head.weight']
  layers.push({
    type: 'dense',
    name: 'head',
    units: C,
    kernel: { rows: width, cols: C, data: Float64Array.from({ length: width * C }, (_v, i) => w[(i % C) * width + Math.floor(i / C)]) },
    bias: Float64Array.from(state.values['head.bias']),
    activation: 'linear',
  })
  const { frameSize, seqLen } = spec
  return { input: spec.flat ? { kind: 'frames', frameSize, seqLen, flatSize: frameSize * seqLen! } : { kind: 'frames', frameSize, seqLen }, layers }
}
