/**
 * The walkthrough's network: two inputs, two tanh units, two steps, two classes, chosen so
 * that at ε = 1 (all frames) Cert-RNN certifies while DeepZ and interval bounds do not.
 * Everything is computed live by the engine; nothing here is pre-baked.
 */
import type { ConcreteEntry, Looseness, Method, NetworkIR, RegionResult, TraceEntry } from '../../cert/index.ts'
import { certifyFrames, compileNetwork, forward, looseness, METHODS, prepareSample, Rng } from '../../cert/index.ts'
const m = (rows: number, cols: number, data: number[]) => ({ rows, cols, data: Float64Array.from(data) })

/**
 * The walkthrough's parameters, as the learner edits them: ε and every weight in the
 * equations' orientation, h = tanh(W·x + U·h + b), logits = V·h + c (W[unit][input],
 * U[unit][unit], V[class][unit]).
 */
export interface TinyParams {
  eps: number
  W: number[][]
  U: number[][]
  b: number[]
  V: number[][]
  c: number[]
}

export const TINY_PARAMS: TinyParams = {
  eps: 1,
  W: [
    [-0.8, 0.3],
    [-0.9, -0.4],
  ],
  U: [
    [-0.4, 0],
    [-0.6, 0.9],
  ],
  b: [0.3, -0.5],
  V: [
    [0.4, -0.8],
    [-0.6, 1],
  ],
  c: [0.7, -0.1],
}

/** Keras stores kernels as [inputs][units]: the transpose of the equations' matrices. */
const kernelOf = (M: number[][]) => m(M[0].length, M.length, M[0].flatMap((_, i) => M.map((row) => row[i])))

export function tinyNet(p: TinyParams): NetworkIR {
  return {
    name: 'walkthrough RNN',
    input: { kind: 'frames', frameSize: 2, seqLen: 2 },
    classNames: ['A', 'B'],
    layers: [
      { type: 'simpleRnn', name: 'rnn', units: 2, kernel: kernelOf(p.W), recurrentKernel: kernelOf(p.U), bias: Float64Array.from(p.b), returnSequences: false, activation: 'tanh' },
      { type: 'dense', name: 'out', units: 2, kernel: kernelOf(p.V), bias: Float64Array.from(p.c), activation: 'linear' },
    ],
  }
}

export const TINY_RNN: NetworkIR = tinyNet(TINY_PARAMS)

export const TINY_INPUT = [
  [1, -1],
  [0.5, 1],
]
export const TINY_EPS = TINY_PARAMS.eps

export interface TinyRun {
  predicted: number
  logits: Float64Array
  /** per method: the trace (with zonotopes) and the verdict */
  runs: Record<Method, { trace: TraceEntry[]; verdict: RegionResult }>
  /** concrete values of every traced operation for sampled inputs (sample 0 = the input) */
  cloud: ConcreteEntry[][]
  /** the sampled inputs themselves (sample 0 = the input), frames × 2 */
  inputs: number[][][]
  eps: number
  /** where each method's looseness comes from (margin A − B, the methods of LOOSE_METHODS) */
  loose: Array<{ method: Method; split: Looseness }>
}

/** The methods whose looseness the walkthrough splits (interval bounds box everything: their whole gap is the last box). */
export const LOOSE_METHODS: readonly Method[] = ['certrnn', 'tight', 'deepz']

export function runTiny(samples = 400, params: TinyParams = TINY_PARAMS): TinyRun {
  const cn = compileNetwork(tinyNet(params))
  const eps = params.eps
  const prep = prepareSample(cn, { x: TINY_INPUT })
  const runs = {} as TinyRun['runs']
  for (const method of METHODS) {
    const trace: TraceEntry[] = []
    const verdict = certifyFrames(prep, [0, 1], eps, { method, trace: { sink: trace, zonotopes: true } })
    runs[method] = { trace, verdict }
  }
  const rng = new Rng(5)
  const cloud: ConcreteEntry[][] = []
  const inputs: number[][][] = []
  for (let s = 0; s < samples; s++) {
    const x = TINY_INPUT.map((f) => Float64Array.from(f, (v) => (s === 0 ? v : v + eps * (rng.next() < 0.3 ? Math.sign(rng.uniform(-1, 1)) : rng.uniform(-1, 1)))))
    const sink: ConcreteEntry[] = []
    forward(cn, x, sink)
    cloud.push(sink)
    inputs.push(x.map((f) => Array.from(f)))
  }
  const loose = LOOSE_METHODS.map((method) => ({ method, split: looseness(prep, [0, 1], eps, { method }) }))
  return { predicted: prep.predicted, logits: prep.concrete.logits, runs, cloud, inputs, eps, loose }
}
