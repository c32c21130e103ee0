/**
 * Real Keras 3.15 models with the layers of issue 13 part 2 (testing/fixtures/keras3,
 * converted by tensorflowjs 4.22): a relu SimpleRNN, an LSTM with a hidden Dense(relu)
 * head, LSTM and GRU with hard_sigmoid gates (Keras 3: relu6(x + 3)/6). They load from the
 * converted TF.js folder, the float64 forward agrees with Keras's logits within 1e-5, and
 * certificates hold under sampling for every method.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { Method, SampleInput } from '../cert/index.ts'
import { certifyThreat, compileNetwork, forward, METHODS, prepareSample, Rng } from '../cert/index.ts'
import { parseModelFiles } from './layersJson.ts'

const DIR = join(import.meta.dirname, 'testing', 'fixtures', 'keras3')
const at = (name: string, file: string) => join(DIR, name, file)
const json = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T

function load(name: string) {
  return parseModelFiles(readFileSync(at(name, 'model.json'), 'utf8'), (p: string) => {
    const b = readFileSync(at(name, p.split('/').pop()!))
    return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)
  })
}

const CASES = [
  { name: 'simplernn-relu', types: ['simpleRnn:relu', 'dense:softmax'] },
  { name: 'lstm-relu-head', types: ['lstm:tanh', 'dense:relu', 'dense:linear'] },
  { name: 'lstm-hardsigmoid', types: ['lstm:tanh', 'dense:softmax'], hardSigmoidSlope: 1 / 6 },
  { name: 'gru-hardsigmoid', types: ['gru:tanh', 'dense:softmax'], hardSigmoidSlope: 1 / 6 },
  // the sequence pipeline
  { name: 'spatialdropout-bn-lstm', types: ['batchNorm:', 'lstm:tanh', 'dense:softmax'] },
  { name: 'gru-seq-globalavg', types: ['gru:tanh', 'pool:', 'dense:softmax'] },
  { name: 'lstm-seq-globalmax', types: ['lstm:tanh', 'pool:', 'dense:softmax'] },
  { name: 'bidir-lstm-concat', types: ['bidirectional:', 'dense:softmax'] },
  { name: 'bidir-gru-sum', types: ['bidirectional:', 'dense:softmax'] },
  // 28 frames of 28 all perturbed, every operation boxed: the interval width grows ~3.6e6-fold (measured), so 1e-9
  { name: 'conv1d-gru', types: ['conv1d:relu', 'gru:tanh', 'dense:softmax'], intervalEps: 1e-9 },
  { name: 'toxic-classic', types: ['embedding:', 'bidirectional:', 'pool:', 'dense:relu', 'dense:softmax'] },
  { name: 'timedistributed-dense-pool', types: ['lstm:tanh', 'dense:linear', 'pool:', 'dense:softmax'] },
  // 784 pixels over 28 steps, all perturbed: interval bounds certify only a tiny ball (1e-6: 2 of the 3 inputs)
  { name: 'reshape-784-lstm', types: ['lstm:tanh', 'dense:softmax'], intervalEps: 1e-6 },
]

describe.each(CASES as Array<(typeof CASES)[number] & { hardSigmoidSlope?: number; intervalEps?: number }>)('$name', ({ name, types, hardSigmoidSlope, intervalEps }) => {
  const inputs = json<SampleInput[]>(at(name, 'inputs.json'))
  const ref = json<{ logits: number[][] }>(at(name, 'keras_ref.json'))

  it('loads from the TF.js folder and agrees with Keras (1e-5)', () => {
    const net = load(name)
    expect(net.layers.map((l) => `${l.type}:${'activation' in l ? l.activation : ''}`)).toEqual(types)
    if (hardSigmoidSlope) expect(net.layers[0]).toMatchObject({ recurrentActivation: 'hard_sigmoid', hardSigmoidSlope })
    if (name === 'spatialdropout-bn-lstm') expect(net.dropped).toEqual([{ name: 'spatial_dropout1d_1', className: 'SpatialDropout1D', at: 0 }])
    if (name === 'reshape-784-lstm') expect(net.input).toEqual({ kind: 'frames', frameSize: 28, seqLen: 28, flatSize: 784 })
    const cn = compileNetwork(net)
    inputs.forEach((input, i) => {
      const logits = prepareSample(cn, input).concrete.logits
      expect(logits.length).toBe(ref.logits[i].length)
      logits.forEach((v, k) => expect(Math.abs(v - ref.logits[i][k])).toBeLessThan(1e-5))
    })
  })

  it('certificates hold under sampling: every method certifies some input (ε = 0.001, interval 0.0001, all frames), and 1,000 points of each certified ball keep the class', () => {
    const cn = compileNetwork(load(name))
    const rng = new Rng(13)
    const epsOf = (method: Method) => (method === 'interval' ? (intervalEps ?? 1e-4) : 1e-3)
    const certified: Record<string, number> = {}
    for (const input of inputs.slice(0, 3)) {
      const prep = prepareSample(cn, input)
      // the methods that share an ε share its sampled points
      for (const eps of new Set((METHODS as Method[]).map(epsOf))) {
        const held = (METHODS as Method[]).filter((method) => epsOf(method) === eps && certifyThreat(prep, { kind: 'all' }, eps, { method }).certified)
        if (held.length === 0) continue
        for (const method of held) certified[method] = (certified[method] ?? 0) + 1
        for (let s = 0; s < 1000; s++) {
          const x = prep.frames.map((f) => f.map((v) => v + rng.uniform(-eps, eps)))
          const l = forward(cn, x).logits
          if (l.indexOf(Math.max(...l)) !== prep.predicted) expect.fail(`${held.join(', ')} certified ε = ${eps}, yet a sampled point changes the class`)
        }
      }
    }
    for (const method of METHODS) expect(certified[method] ?? 0, method).toBeGreaterThan(0)
  })
})
