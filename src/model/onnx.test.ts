/**
 * ONNX models exported by PyTorch (src/model/testing/fixtures/onnx, made by
 * scripts/make-onnx-fixtures.py): loading, agreement with PyTorch's logits, sampling
 * soundness of certificates, the same bounds as the network rebuilt in Keras layout, and a
 * refusal message for every unsupported op or setting (models edited with onnx-proto).
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { onnx } from 'onnx-proto'
import { describe, expect, it } from 'vitest'
import type { LayerIR, NetworkIR, SampleInput } from '../cert/index.ts'
import { certifyThreat, compileNetwork, findBound, forward, prepareSample, Rng, UnsupportedModelError } from '../cert/index.ts'
import { ModelFileError, parseModelFiles } from './layersJson.ts'
import { LIMITS } from './limits.ts'
import { ONNX, parseOnnxModel } from './onnx.ts'
import { toLayersJson } from './testing/toLayersJson.ts'


const DIR = join(import.meta.dirname, 'testing', 'fixtures', 'onnx')
const bytes = (name: string) => new Uint8Array(readFileSync(join(DIR, name, 'model.onnx')))
const json = (name: string, file: string) => JSON.parse(readFileSync(join(DIR, name, file), 'utf8'))

function samples(name: string): SampleInput[] {
  const inputs = json(name, 'inputs.json') as { x?: number[][][]; tokens?: number[][] }
  return inputs.x ? inputs.x.map((x) => ({ x })) : inputs.tokens!.map((tokens) => ({ tokens }))
}

const LOADS: Array<[string, string]> = [
  ['rnn_tanh', 'simpleRnn dense'],
  ['lstm', 'lstm dense'],
  ['gru', 'gru dense'],
  ['lstm_2layer', 'lstm+seq lstm dense'],
  ['gru_2layer_dynamic', 'gru+seq gru dense'],
  ['text_lstm', 'embedding lstm dense'],
  ['mnist_lstm_28x28', 'lstm dense'],
  ['mnist_gru_7x112', 'gru dense'],
  ['head_tanh_sigmoid', 'gru dense dense dense'],
  ['rnn_relu', 'simpleRnn dense'],
  ['head_relu', 'lstm dense dense'],
]

const summary = (net: NetworkIR) => net.layers.map((l) => l.type + ('returnSequences' in l && l.returnSequences ? '+seq' : '')).join(' ')

describe('ONNX exports of PyTorch models', () => {
  it.each(LOADS)('%s loads (%s) and agrees with PyTorch within 1e-5', (name, layers) => {
    const net = parseOnnxModel(bytes(name), name)
    expect(summary(net)).toBe(layers)
    const cn = compileNetwork(net)
    const ref = json(name, 'torch_ref.json').logits as number[][]
    samples(name).forEach((s, i) => {
      const logits = prepareSample(cn, s).concrete.logits
      expect(logits.length).toBe(ref[i].length)
      logits.forEach((v, k) => expect(Math.abs(v - ref[i][k])).toBeLessThan(1e-5))
    })
  })

  it('reads the input shape: frames × features, token ids, static or dynamic time', () => {
    expect(parseOnnxModel(bytes('lstm')).input).toEqual({ kind: 'frames', frameSize: 4, seqLen: 6 })
    expect(parseOnnxModel(bytes('gru')).input).toEqual({ kind: 'frames', frameSize: 4, seqLen: 6 }) // batch_first
    expect(parseOnnxModel(bytes('mnist_lstm_28x28')).input).toEqual({ kind: 'frames', frameSize: 28, seqLen: 28 })
    expect(parseOnnxModel(bytes('mnist_gru_7x112')).input).toEqual({ kind: 'frames', frameSize: 112, seqLen: 7 })
    expect(parseOnnxModel(bytes('gru_2layer_dynamic')).input).toEqual({ kind: 'frames', frameSize: 4, seqLen: null })
    expect(parseOnnxModel(bytes('text_lstm')).input).toEqual({ kind: 'tokens', seqLen: null })
  })

  it.each([
    ['lstm_bidirectional', "node '/rnn/LSTM' (op LSTM): direction 'bidirectional' is not supported yet"],
    ['gru_bidirectional', "node '/rnn/GRU' (op GRU): direction 'bidirectional' is not supported yet"],
  ])('%s is refused with a message naming the node', (name, message) => {
    expect(() => parseOnnxModel(bytes(name))).toThrow(UnsupportedModelError)
    expect(() => parseOnnxModel(bytes(name))).toThrow(message)
  })
})

describe('certificates of ONNX models are sound', () => {
  it.each(['rnn_tanh', 'lstm', 'gru', 'lstm_2layer', 'text_lstm', 'head_tanh_sigmoid'])('%s: 1,000 points sampled in a certified ε-ball keep the class', (name) => {
    const cn = compileNetwork(parseOnnxModel(bytes(name)))
    const rng = new Rng(17)
    let checked = 0
    for (const s of samples(name).slice(0, 3)) {
      const prep = prepareSample(cn, s)
      const eps = 0.01
      const r = certifyThreat(prep, { kind: 'all' }, eps)
      if (!r.certified) continue
      checked++
      for (let k = 0; k < 1000; k++) {
        const x = prep.frames.map((f) => f.map((v) => v + (rng.next() < 0.5 ? (rng.next() < 0.5 ? -eps : eps) : (2 * rng.next() - 1) * eps)))
        const logits = forward(cn, x).logits
        const top = logits.indexOf(Math.max(...logits))
        expect(top).toBe(prep.predicted)
      }
    }
    expect(checked).toBeGreaterThan(0)
  })
})

// ---------------------------------------------------------------------------------------
// The same network rebuilt from PyTorch's state_dict in Keras layout (independently of the ONNX file)

function fromTorchState(name: string, cell: 'lstm' | 'gru', frameSize: number, seqLen: number): NetworkIR {
  const { shapes, values } = json(name, 'torch_state.json') as { shapes: Record<string, number[]>; values: Record<string, number[]> }
  const H = shapes['rnn.weight_hh_l0'][1]
  // PyTorch gate orders: LSTM i, f, g, o (= Keras i, f, c, o); GRU r, z, n (Keras z, r, h)
  const order = cell === 'lstm' ? [0, 1, 2, 3] : [1, 0, 2]
  const k = order.length
  const keras = (w: number[], width: number) => {
    const data = new Float64Array(width * k * H)
    order.forEach((g, kg) => {
      for (let u = 0; u < H; u++) for (let j = 0; j < width; j++) data[j * k * H + kg * H + u] = w[(g * H + u) * width + j]
    })
    return { rows: width, cols: k * H, data }
  }
  const gates = (b: number[]) => Float64Array.from(order.flatMap((g) => b.slice(g * H, (g + 1) * H)))
  const bih = gates(values['rnn.bias_ih_l0'])
  const bhh = gates(values['rnn.bias_hh_l0'])
  const kernel = keras(values['rnn.weight_ih_l0'], frameSize)
  const recurrentKernel = keras(values['rnn.weight_hh_l0'], H)
  const base = { name: 'rnn', units: H, kernel, recurrentKernel, returnSequences: false, activation: 'tanh', recurrentActivation: 'sigmoid' }
  const rnn: LayerIR =
    cell === 'lstm'
      ? { ...base, type: 'lstm', bias: bih.map((v, i) => v + bhh[i]) }
      : { ...base, type: 'gru', resetAfter: true, bias: Float64Array.from([...bih, ...bhh]) }
  const [C] = shapes['head.weight']
  const w = values['head.weight']
  const head: LayerIR = {
    type: 'dense',
    name: 'head',
    units: C,
    kernel: { rows: H, cols: C, data: Float64Array.from({ length: H * C }, (_v, i) => w[(i % C) * H + Math.floor(i / C)]) },
    bias: Float64Array.from(values['head.bias']),
    activation: 'linear',
  }
  return { input: { kind: 'frames', frameSize, seqLen }, layers: [rnn, head] }
}

describe('an ONNX export and the same network in Keras layout', () => {
  it.each([
    ['lstm', 'lstm'],
    ['gru', 'gru'],
  ] as const)('%s: the same certified bounds (bit for bit from the weights; within float32 rounding through a Keras model.json)', (name, cell) => {
    const fromOnnx = compileNetwork(parseOnnxModel(bytes(name)))
    const byHand = fromTorchState(name, cell, 4, 6)
    const files = toLayersJson(byHand)
    const viaKeras = compileNetwork(parseModelFiles(JSON.stringify(files.modelJson), new Map([['weights.bin', files.weights]])))
    for (const s of samples(name).slice(0, 2)) {
      const a = findBound(prepareSample(fromOnnx, s), { kind: 'all' })
      const b = findBound(prepareSample(compileNetwork(byHand), s), { kind: 'all' })
      const c = findBound(prepareSample(viaKeras, s), { kind: 'all' })
      expect(a.bound).toBeGreaterThan(0)
      expect(b.bound).toBe(a.bound)
      expect(Math.abs(c.bound - a.bound)).toBeLessThanOrEqual(1e-6 * a.bound)
    }
  })
})

// ---------------------------------------------------------------------------------------
// Refusals: fixtures edited with onnx-proto

function edit(name: string, change: (m: onnx.ModelProto) => void): Uint8Array {
  const m = ONNX.ModelProto.decode(bytes(name))
  change(m)
  return ONNX.ModelProto.encode(m).finish()
}

/** decoded messages have every repeated field (as empty arrays) */
const graph = (m: onnx.ModelProto) => m.graph as unknown as { node: onnx.NodeProto[]; initializer: onnx.TensorProto[]; output: onnx.ValueInfoProto[] }
const nodeOf = (m: onnx.ModelProto, op: string) => graph(m).node.find((n) => n.opType === op)!
const setAttr = (n: onnx.INodeProto, a: onnx.IAttributeProto) => {
  n.attribute = [...(n.attribute ?? []).filter((b) => b.name !== a.name), ONNX.AttributeProto.create(a)]
}
const str = (s: string) => new TextEncoder().encode(s)
const initializer = (name: string, dims: number[], values: number[]) => ONNX.TensorProto.create({ name, dims, dataType: 1, floatData: values })

describe('ONNX settings and ops the certifier refuses, by node', () => {
  const AT = ONNX.AttributeProto.AttributeType
  it.each<[string, string, (m: onnx.ModelProto) => void, string]>([
    ['lstm', 'direction reverse', (m) => setAttr(nodeOf(m, 'LSTM'), { name: 'direction', type: AT.STRING, s: str('reverse') }), "node '/rnn/LSTM' (op LSTM): direction 'reverse' is not supported"],
    ['lstm', 'input_forget', (m) => setAttr(nodeOf(m, 'LSTM'), { name: 'input_forget', type: AT.INT, i: 1 }), "node '/rnn/LSTM' (op LSTM): input_forget=1 (coupled input and forget gates) is not supported"],
    ['lstm', 'clip', (m) => setAttr(nodeOf(m, 'LSTM'), { name: 'clip', type: AT.FLOAT, f: 3 }), "node '/rnn/LSTM' (op LSTM): clip is not supported"],
    [
      'lstm',
      'peepholes',
      (m) => {
        graph(m).initializer.push(initializer('P', [1, 24], Array.from({ length: 24 }, (_v, i) => i / 10)))
        const n = nodeOf(m, 'LSTM')
        n.input = [...n.input, 'P']
      },
      "node '/rnn/LSTM' (op LSTM): peepholes (P) are not supported",
    ],
    [
      'lstm',
      'a non-zero initial state',
      (m) => {
        graph(m).initializer.push(initializer('h0', [1, 1, 8], Array.from({ length: 8 }, () => 0.5)))
        nodeOf(m, 'LSTM').input[5] = 'h0'
      },
      "node '/rnn/LSTM' (op LSTM): a non-zero initial_h is not supported",
    ],
    [
      'lstm',
      'sequence_lens',
      (m) => {
        graph(m).initializer.push(ONNX.TensorProto.create({ name: 'lens', dims: [1], dataType: 6, int32Data: [6] }))
        nodeOf(m, 'LSTM').input[4] = 'lens'
      },
      "node '/rnn/LSTM' (op LSTM): sequence_lens is not supported",
    ],
    ['lstm', 'the cell state as output', (m) => (graph(m).output[0].name = nodeOf(m, 'LSTM').output[2]), "node '/rnn/LSTM' (op LSTM): its cell state output Y_c is used"],
    ['rnn_tanh', 'LeakyRelu', (m) => setAttr(nodeOf(m, 'RNN'), { name: 'activations', type: AT.STRINGS, strings: [str('LeakyRelu')] }), "node '/rnn/RNN' (op RNN): activation 'LeakyRelu' is not supported"],
    [
      'lstm',
      'an unknown op',
      (m) => {
        const gemm = nodeOf(m, 'Gemm')
        graph(m).node.splice(graph(m).node.indexOf(gemm), 0, ONNX.NodeProto.create({ name: 'norm', opType: 'LayerNormalization', input: [gemm.input[0]], output: ['normed'] }))
        gemm.input[0] = 'normed'
      },
      "node 'norm' (op LayerNormalization): this op is not supported",
    ],
    ['lstm', 'a custom domain', (m) => (nodeOf(m, 'Gemm').domain = 'com.example'), "node '/head/Gemm' (op Gemm): ops of the domain 'com.example' are not supported"],
    ['lstm', 'a step other than the last', (m) => ((graph(m).node.find((n) => n.name === '/Constant')!.attribute[0].t as onnx.TensorProto).rawData = new Uint8Array(new BigInt64Array([2n]).buffer)), "node '/Gather' (op Gather): takes time step 2; only the last step (index -1) is supported"],
    [
      'lstm',
      'a Linear on every step',
      (m) => {
        const gather = graph(m).node.find((n) => n.name === '/Gather')!
        const gemm = nodeOf(m, 'Gemm')
        graph(m).initializer.push(initializer('Wt', [8, 3], Array.from({ length: 24 }, () => 0.1)))
        graph(m).node.splice(graph(m).node.indexOf(gather), 0, ONNX.NodeProto.create({ name: 'perstep', opType: 'MatMul', input: [gather.input[0], 'Wt'], output: ['steps'] }))
        gather.input[0] = 'steps'
        gemm.input[1] = 'head.weight' // shapes no longer fit, but the MatMul is refused first
      },
      "node 'perstep' (op MatMul): is applied to every time step",
    ],
    ['lstm', 'two outputs', (m) => graph(m).output.push(ONNX.ValueInfoProto.create({ name: nodeOf(m, 'LSTM').output[1] })), "the graph has 2 outputs ('logits', '/rnn/LSTM_output_1')"],
    [
      'lstm',
      'external data',
      (m) => {
        const t = graph(m).initializer.find((i) => i.name === 'head.weight')!
        t.dataLocation = 1
        t.rawData = new Uint8Array()
      },
      "initializer 'head.weight' is stored outside the .onnx file (external data)",
    ],
    ['lstm', 'float16 weights', (m) => (graph(m).initializer.find((i) => i.name === 'head.bias')!.dataType = 10), "initializer 'head.bias' has data type float16"],
    ['lstm', 'no head', (m) => (graph(m).output[0].name = '/Gather_output_0'), "the last layer \"/rnn/LSTM\" must be Dense"],
  ])('%s with %s', (name, _what, change, message) => {
    const file = edit(name, change)
    expect(() => parseOnnxModel(file)).toThrow(UnsupportedModelError)
    expect(() => parseOnnxModel(file)).toThrow(message)
  })

  it('layout=1 (batch, time, features) reads the same model as layout 0 with a Transpose', () => {
    // gru: x [1, 6, 4] → Transpose → GRU(layout 0) → …: the Transpose made an Identity and layout=1, then Y is [B, T, D, H]
    const file = edit('gru', (m) => {
      const t = graph(m).node.find((n) => n.opType === 'Transpose' && n.input[0] === 'x')!
      t.opType = 'Identity'
      t.attribute = []
      setAttr(nodeOf(m, 'GRU'), { name: 'layout', type: AT.INT, i: 1 })
      // Y_h is [B, D, H] with layout 1: PyTorch's h_n[-1] gathers axis 0, now the batch (size 1): equivalent
    })
    const a = compileNetwork(parseOnnxModel(bytes('gru')))
    const b = compileNetwork(parseOnnxModel(file))
    for (const s of samples('gru').slice(0, 3)) expect(prepareSample(b, s).concrete.logits).toEqual(prepareSample(a, s).concrete.logits)
  })
})

describe('broken and oversized .onnx files', () => {
  it.each<[string, Uint8Array, string]>([
    ['random bytes', Uint8Array.from({ length: 64 }, (_v, i) => (i * 97 + 13) % 256), 'model.onnx is not an ONNX model'],
    ['a truncated model', bytes('lstm').slice(0, 1000), 'model.onnx is not an ONNX model: its protobuf encoding is broken'],
    ['JSON text', new TextEncoder().encode('{"modelTopology": {}}'), 'model.onnx is not an ONNX model'],
    ['an empty file', new Uint8Array(), 'model.onnx is not an ONNX model: it holds no graph'],
  ])('%s', (_what, file, message) => {
    expect(() => parseOnnxModel(file, 'model.onnx')).toThrow(ModelFileError)
    expect(() => parseOnnxModel(file, 'model.onnx')).toThrow(message)
  })

  it('a file over the size limit is refused before it is decoded', () => {
    expect(() => parseOnnxModel(new Uint8Array(LIMITS.onnxBytes + 1), 'big.onnx')).toThrow('big.onnx is 250,000,001 bytes; the limit is 250 MB')
  })

  it('tensors declaring more values than the limits are refused before anything is allocated', () => {
    const huge = edit('lstm', (m) => graph(m).initializer.push(ONNX.TensorProto.create({ name: 'huge', dims: [100_000, 100_000], dataType: 1 })))
    expect(() => parseOnnxModel(huge)).toThrow("initializer 'huge' has shape [100000, 100000], 10,000,000,000 values (80 GB as float64); the limit is 32,000,000 values")
    const many = edit('lstm', (m) => {
      for (let k = 0; k < 20; k++) graph(m).initializer.push(ONNX.TensorProto.create({ name: `w${k}`, dims: [4_000, 1_000], dataType: 1 }))
    })
    expect(() => parseOnnxModel(many)).toThrow('the limit is 50,000,000')
  })

  it('weights whose data does not match their shape', () => {
    const file = edit('lstm', (m) => (graph(m).initializer.find((i) => i.name === 'head.bias')!.rawData = new Uint8Array(8)))
    expect(() => parseOnnxModel(file)).toThrow(ModelFileError)
    expect(() => parseOnnxModel(file)).toThrow("initializer 'head.bias' has shape [3] (3 values) but 8 bytes of data, expected 12")
  })
})
