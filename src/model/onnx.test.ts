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
import type { NetworkIR, SampleInput } from '../cert/index.ts'
import { certifyThreat, compileNetwork, findBound, forward, prepareSample, Rng, UnsupportedModelError } from '../cert/index.ts'
import { ModelFileError, parseModelFiles } from './layersJson.ts'
import { LIMITS } from './limits.ts'
import { ONNX, parseOnnx, parseOnnxModel } from './onnx.ts'
import { toLayersJson } from './testing/toLayersJson.ts'
import type { TorchModelSpec } from './testing/torchState.ts'
import { torchNetwork } from './testing/torchState.ts'


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
  // out[-1] / out[:, -1] of a bidirectional layer: its sequence's last step
  ['rnn_bidirectional', 'bidirectional+seq pool:last dense'],
  ['lstm_bidirectional', 'bidirectional+seq pool:last dense'],
  ['gru_bidirectional', 'bidirectional+seq pool:last dense'],
  // torch.cat((h_n[-2], h_n[-1]), dim=1): the final states, Keras's Bidirectional(return_sequences=False)
  ['gru_bidirectional_2layer', 'bidirectional+seq bidirectional dense'],
  ['gru_mean', 'gru+seq pool:avg dense'],
  ['lstm_bidirectional_max', 'bidirectional+seq pool:max dense'],
  ['mnist_gru_flat784', 'gru dense'],
]

const summary = (net: NetworkIR) => net.layers.map((l) => l.type + (l.type === 'pool' ? `:${l.mode}` : '') + ('returnSequences' in l && l.returnSequences ? '+seq' : '')).join(' ')

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
    // x.view(-1, 28, 28) in forward: Keras's leading Reshape (inputs give 784 values or 28 frames)
    expect(parseOnnxModel(bytes('mnist_gru_flat784')).input).toEqual({ kind: 'frames', frameSize: 28, seqLen: 28, flatSize: 784 })
    expect(parseOnnx(bytes('mnist_gru_flat784')).input).toEqual({ name: 'x', dtype: 'float32', timeAxis: 1, flatSize: 784 })
    const cn = compileNetwork(parseOnnxModel(bytes('mnist_gru_flat784')))
    const row = samples('mnist_gru_flat784')[0].x!
    const frames = Array.from({ length: 28 }, (_v, t) => row[0].slice(28 * t, 28 * t + 28))
    expect(prepareSample(cn, { x: frames }).concrete.logits).toEqual(prepareSample(cn, { x: row }).concrete.logits)
  })

  it.each(['rnn_bidirectional', 'lstm_bidirectional', 'gru_bidirectional'])("%s: out[:, -1] is the backward direction's FIRST step, not its final state (Keras's return_sequences=False)", (name) => {
    const net = parseOnnxModel(bytes(name))
    const bi = net.layers[0]
    if (bi.type !== 'bidirectional') throw new Error('expected a bidirectional layer')
    // the same weights read as Keras's Bidirectional(return_sequences=False): the backward direction's final state
    const keras: NetworkIR = { ...net, layers: [{ ...bi, returnSequences: false, forward: { ...bi.forward, returnSequences: false }, backward: { ...bi.backward, returnSequences: false } }, net.layers[2]] }
    const ref = json(name, 'torch_ref.json').logits as number[][]
    const [a, b] = [compileNetwork(net), compileNetwork(keras)]
    let far = 0
    samples(name).forEach((s, i) => {
      prepareSample(a, s).concrete.logits.forEach((v, k) => expect(Math.abs(v - ref[i][k])).toBeLessThan(1e-5))
      far = Math.max(far, ...Array.from(prepareSample(b, s).concrete.logits, (v, k) => Math.abs(v - ref[i][k])))
    })
    expect(far).toBeGreaterThan(0.05)
  })
})

describe('certificates of ONNX models are sound', () => {
  it.each(['rnn_tanh', 'lstm', 'gru', 'lstm_2layer', 'text_lstm', 'head_tanh_sigmoid', 'rnn_bidirectional', 'gru_bidirectional_2layer', 'gru_mean', 'lstm_bidirectional_max', 'mnist_gru_flat784'])('%s: 1,000 points sampled in a certified ε-ball keep the class', (name) => {
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

describe('an ONNX export and the same network in Keras layout', () => {
  const T = 6
  it.each<[string, TorchModelSpec, number]>([
    // GRU (reset_after=True, PyTorch's two biases): the Keras file holds the same float32 weights
    ['gru', { cell: 'gru', frameSize: 4, seqLen: T, take: 'state' }, 1e-9],
    ['gru_bidirectional_2layer', { cell: 'gru', frameSize: 4, seqLen: T, take: 'state2' }, 1e-9],
    ['gru_mean', { cell: 'gru', frameSize: 4, seqLen: null, take: 'mean' }, 1e-9],
    ['mnist_gru_flat784', { cell: 'gru', frameSize: 28, seqLen: 28, flat: true, take: 'output' }, 1e-9],
    // LSTM: Keras has one bias, PyTorch's two summed, rounded to float32 in the Keras file
    ['lstm', { cell: 'lstm', frameSize: 4, seqLen: T, take: 'output' }, 1e-6],
    ['lstm_bidirectional_max', { cell: 'lstm', frameSize: 4, seqLen: T, take: 'max' }, 1e-6],
    // out[:, -1] of a bidirectional layer has no Keras layer: the IR by hand only
    ['rnn_bidirectional', { cell: 'rnn', frameSize: 4, seqLen: T, take: 'output' }, NaN],
  ])('%s: the same certified bounds (bit for bit from the weights; through a Keras 2 model.json where Keras has the layers)', (name, spec, tolerance) => {
    const fromOnnx = compileNetwork(parseOnnxModel(bytes(name)))
    const byHand = torchNetwork(json(name, 'torch_state.json'), spec)
    const viaKeras = Number.isNaN(tolerance) ? null : (() => {
      const files = toLayersJson(byHand, 'keras2')
      return compileNetwork(parseModelFiles(JSON.stringify(files.modelJson), new Map([['weights.bin', files.weights]])))
    })()
    for (const s of samples(name).slice(0, spec.flat ? 1 : 2)) {
      const a = findBound(prepareSample(fromOnnx, s), { kind: 'all' })
      const b = findBound(prepareSample(compileNetwork(byHand), s), { kind: 'all' })
      expect(a.bound).toBeGreaterThan(0)
      expect(b.bound).toBe(a.bound)
      if (viaKeras) {
        const c = findBound(prepareSample(viaKeras, s), { kind: 'all' })
        expect(Math.abs(c.bound - a.bound)).toBeLessThanOrEqual(tolerance * a.bound)
      }
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
    ['gru_sum', 'a sum over time (out.sum(dim=1))', () => {}, "node '/ReduceSum' (op ReduceSum): this op is not supported"],
    ['gru_mean', 'a mean over the features', (m) => setAttr(nodeOf(m, 'ReduceMean'), { name: 'axes', type: AT.INTS, ints: [2] }), "node '/ReduceMean' (op ReduceMean): reduces axes [2], which do not include time; only pooling over the time steps is supported"],
    ['lstm_bidirectional_max', 'a max over time and features', (m) => setAttr(nodeOf(m, 'ReduceMax'), { name: 'axes', type: AT.INTS, ints: [0, 2] }), "node '/ReduceMax' (op ReduceMax): reduces axis 2 (the features) as well as time"],
    [
      'gru_bidirectional_2layer',
      "one direction's final state (h_n[-1])",
      (m) => (nodeOf(m, 'Gemm').input[0] = '/Gather_1_output_0'),
      "node '/head/Gemm' (op Gemm): reads only the backward direction of the bidirectional layer '/rnn/GRU_1'; only both directions together are supported",
    ],
    [
      'gru_bidirectional_2layer',
      "both directions' final states unmerged (the last layer's h_n)",
      (m) => (nodeOf(m, 'Gemm').input[0] = '/rnn/GRU_1_output_1'),
      "node '/head/Gemm' (op Gemm): reads the two directions of the bidirectional layer '/rnn/GRU_1' as separate entries; only their concatenation along the features is supported",
    ],
    [
      'gru_bidirectional_2layer',
      'the directions in the wrong order (torch.cat((h_n[-1], h_n[-2])))',
      (m) => (graph(m).node.find((n) => n.name === '/Concat')!.input = ['/Gather_1_output_0', '/Gather_output_0']),
      "node '/Concat' (op Concat): concatenates data; only the final states of stacked recurrent layers (h_n) and the two directions of a bidirectional layer (forward first, along the features) can be concatenated",
    ],
    ['rnn_bidirectional', 'different activations per direction', (m) => setAttr(nodeOf(m, 'RNN'), { name: 'activations', type: AT.STRINGS, strings: [str('Tanh'), str('Sigmoid')] }), "node '/rnn/RNN' (op RNN): its two directions have different activations (Tanh, Sigmoid)"],
    [
      'mnist_gru_flat784',
      'a flat input reshaped into 4 axes',
      (m) => {
        const t = graph(m).node.find((n) => n.name === '/Constant')!.attribute[0].t as onnx.TensorProto
        t.dims = [4]
        t.rawData = new Uint8Array(new BigInt64Array([-1n, 2n, 14n, 28n]).buffer)
      },
      "node '/Reshape' (op Reshape): reshapes the flat input [?, 784] into [-1, 2, 14, 28]; only [batch, T·F] → [batch, T, F] (x.view(-1, T, F)) is supported",
    ],
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
