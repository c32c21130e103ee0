/**
 * The walkthrough's network: two inputs, two tanh units, two steps, two classes, chosen so
 * that at ε = 1 (all frames) Cert-RNN certifies while DeepZ and interval bounds do not.
 * Everything is computed live by the engine; nothing here is pre-baked.
 */
import type { ConcreteEntry, Method, NetworkIR, RegionResult, TraceEntry } from '../../cert/index.ts'
import { certifyFrames, compileNetwork, forward, METHODS, prepareSample, Rng } from '../../cert/index.ts'
const m = (rows: number, cols: number, data: number[]) => ({ rows, cols, data: Float64Array.from(data) })

export const TINY_RNN: NetworkIR = {
  name: 'walkthrough RNN',
  input: { kind: 'frames', frameSize: 2, seqLen: 2 },
  classNames: ['A', 'B'],
  layers: [
    {
      type: 'simpleRnn',
      name: 'rnn',
      units: 2,
      kernel: m(2, 2, [-0.8, -0.9, 0.3, -0.4]),
      recurrentKernel: m(2, 2, [-0.4, -0.6, 0, 0.9]),
      bias: Float64Array.from([0.3, -0.5]),
      returnSequences: false,
      activation: 'tanh',
    },
    { type: 'dense', name: 'out', units: 2, kernel: m(2, 2, [0.4, -0.6, -0.8, 1]), bias: Float64Array.from([0.7, -0.1]), activation: 'linear' },
  ],
}

export const TINY_INPUT = [
  [1, -1],
  [0.5, 1],
]
export const TINY_EPS = 1

export interface TinyRun {
  predicted: number
  logits: Float64Array
  /** per method: the trace (with zonotopes) and the verdict */
  runs: Record<Method, { trace: TraceEntry[]; verdict: RegionResult }>
  /** concrete values of every traced operation for sampled inputs (sample 0 = the input) */
  cloud: ConcreteEntry[][]
}

export function runTiny(samples = 400): TinyRun {
  const cn = compileNetwork(TINY_RNN)
  const prep = prepareSample(cn, { x: TINY_INPUT })
  const runs = {} as TinyRun['runs']
  for (const method of METHODS) {
    const trace: TraceEntry[] = []
    const verdict = certifyFrames(prep, [0, 1], TINY_EPS, { method, trace: { sink: trace, zonotopes: true } })
    runs[method] = { trace, verdict }
  }
  const rng = new Rng(5)
  const cloud: ConcreteEntry[][] = []
  for (let s = 0; s < samples; s++) {
    const x = TINY_INPUT.map((f) => Float64Array.from(f, (v) => (s === 0 ? v : v + TINY_EPS * (rng.next() < 0.3 ? Math.sign(rng.uniform(-1, 1)) : rng.uniform(-1, 1)))))
    const sink: ConcreteEntry[] = []
    forward(cn, x, sink)
    cloud.push(sink)
  }
  return { predicted: prep.predicted, logits: prep.concrete.logits, runs, cloud }
}
