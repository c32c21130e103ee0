/**
 * Every domain on the same networks: one random network of every cell type (SimpleRNN
 * tanh and relu, LSTM, GRU with reset_after false and true, a stacked LSTM, an Embedding model,
 * LSTM and GRU with hard_sigmoid gates, an LSTM with two relu Dense layers) and one input, evaluated by the layers of src/cert/layers in
 * - float64 points (the certifier's forward) = batched float64 (src/attack, bit for bit)
 *   ≈ TF.js tensors (float32, 1e-5);
 * - zonotopes at ε = 0 (every method): zero width up to the planes' outward rounding
 *   (1e-14 relative per operation: ≤ 1e-9 at the logits), centre = the float64 logits
 *   (within 1e-10);
 * - at a small ε: the certifier's zonotopes (certrnn, deepz, interval), the TF.js intervals
 *   and the TF.js zonotopes contain the point and sampled points of the ball, and agree
 *   (TF.js interval = the certifier's interval method, TF.js exact zonotope = certrnn,
 *   within 1e-5).
 */
import * as tf from '@tensorflow/tfjs'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { batchForward } from '../attack/batch64.ts'
import type { RandomNetworkSpec } from '../cert/index.ts'
import {
  AbstractContext,
  abstractForward,
  certifyFrames,
  compileNetwork,
  embedTokens,
  forward,
  inputRegion,
  METHODS,
  prepareSample,
  randomFrames,
  randomNetwork,
  Rng,
  SymbolSource,
  transformerSet,
  zonotopeBounds as certBounds,
} from '../cert/index.ts'
import { inputBox } from './box.ts'
import { logits as tfLogits, tokenLogits } from './forward.ts'
import { intervalBounds } from './intervalBounds.ts'
import { paramsFromNetwork, withoutEmbedding } from './params.ts'
import { PADDING } from './planes.ts'
import { zonotopeBounds } from './zonotopeBounds.ts'

beforeAll(async () => {
  await tf.setBackend('cpu')
})

const DEFAULT_PADDING = { ...PADDING }
afterEach(() => Object.assign(PADDING, DEFAULT_PADDING))

/** `zero`: frames set to all zeros (token models: token 0), masked by a Masking(0) layer or mask_zero */
const NETWORKS: Array<[string, Omit<RandomNetworkSpec, 'seed' | 'classes'> & { zero?: number[] }]> = [
  ['SimpleRNN tanh', { cell: 'simpleRnn', hidden: [5], frameSize: 3 }],
  ['LSTM', { cell: 'lstm', hidden: [5], frameSize: 3 }],
  ['GRU', { cell: 'gru', hidden: [5], frameSize: 3 }],
  ['GRU reset_after', { cell: 'gruResetAfter', hidden: [5], frameSize: 3 }],
  ['stacked LSTM', { cell: 'lstm', hidden: [4, 3], frameSize: 3 }],
  ['Embedding + GRU reset_after', { cell: 'gruResetAfter', hidden: [4], frameSize: 3, vocab: 9 }],
  ['SimpleRNN relu', { cell: 'simpleRnn', hidden: [5], frameSize: 3, activation: 'relu' }],
  ['LSTM hard_sigmoid 0.2', { cell: 'lstm', hidden: [5], frameSize: 3, hardSigmoidSlope: 0.2 }],
  ['GRU reset_after hard_sigmoid 1/6', { cell: 'gruResetAfter', hidden: [5], frameSize: 3, hardSigmoidSlope: 1 / 6 }],
  ['LSTM + two relu Dense', { cell: 'lstm', hidden: [4], frameSize: 3, head: [{ units: 6, activation: 'relu' }, { units: 4, activation: 'relu' }] }],
  // the sequence pipeline
  ['Dropout + BatchNormalization + LSTM', { cell: 'lstm', hidden: [4], frameSize: 3, before: [{ kind: 'identity', className: 'Dropout' }, { kind: 'batchNorm' }] }],
  [
    'Dense per frame + GRU reset_after sequences + GlobalAveragePooling1D',
    { cell: 'gruResetAfter', hidden: [4], frameSize: 3, before: [{ kind: 'dense', units: 4, activation: 'tanh' }], returnSequences: true, after: [{ kind: 'pool', mode: 'avg' }] },
  ],
  ['Conv1D (same, relu) + GRU', { cell: 'gru', hidden: [3], frameSize: 3, before: [{ kind: 'conv1d', filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }] }],
  [
    'Conv1D (valid, stride 2, sigmoid) + Bidirectional SimpleRNN',
    { cell: 'simpleRnn', hidden: [3], frameSize: 3, before: [{ kind: 'conv1d', filters: 3, kernelSize: 2, strides: 2, padding: 'valid', activation: 'sigmoid' }], bidirectional: 'sum' },
  ],
  ['Bidirectional LSTM, concat', { cell: 'lstm', hidden: [3], frameSize: 3, bidirectional: 'concat' }],
  ['stacked Bidirectional GRU reset_after, sum', { cell: 'gruResetAfter', hidden: [3, 3], frameSize: 3, bidirectional: 'sum' }],
  ['Bidirectional SimpleRNN, ave', { cell: 'simpleRnn', hidden: [4], frameSize: 3, bidirectional: 'ave' }],
  ['Bidirectional GRU sequences, mul + average pool', { cell: 'gru', hidden: [3], frameSize: 3, bidirectional: 'mul', returnSequences: true, after: [{ kind: 'pool', mode: 'avg' }] }],
  ['Bidirectional GRU reset_after sequences, concat + the last step (PyTorch out[:, -1])', { cell: 'gruResetAfter', hidden: [3], frameSize: 3, bidirectional: 'concat', returnSequences: true, after: [{ kind: 'pool', mode: 'last' }] }],
  [
    'toxic shape: Embedding + Bidirectional LSTM (sequences, concat) + GlobalMaxPooling1D + relu head',
    { cell: 'lstm', hidden: [3], frameSize: 3, vocab: 9, bidirectional: 'concat', returnSequences: true, after: [{ kind: 'pool', mode: 'max' }], head: [{ units: 5, activation: 'relu' }] },
  ],
  ['LSTM sequences + GlobalMaxPooling1D', { cell: 'lstm', hidden: [4], frameSize: 3, returnSequences: true, after: [{ kind: 'pool', mode: 'max' }] }],
  [
    'Embedding + GRU sequences + GlobalMaxPooling1D + relu head',
    { cell: 'gru', hidden: [4], frameSize: 3, vocab: 9, returnSequences: true, after: [{ kind: 'pool', mode: 'max' }], head: [{ units: 5, activation: 'relu' }] },
  ],
  [
    'LSTM sequences + TimeDistributed(Dense relu) + Flatten + relu head',
    { cell: 'lstm', hidden: [3], frameSize: 3, returnSequences: true, after: [{ kind: 'dense', units: 3, activation: 'relu' }, { kind: 'flatten' }], seqLen: 4, head: [{ units: 4, activation: 'relu' }] },
  ],
  [
    'Embedding + SpatialDropout1D + SimpleRNN sequences + BatchNormalization + average pool',
    { cell: 'simpleRnn', hidden: [4], frameSize: 3, vocab: 9, before: [{ kind: 'identity', className: 'SpatialDropout1D' }], returnSequences: true, after: [{ kind: 'batchNorm' }, { kind: 'pool', mode: 'avg' }] },
  ],
  // masking: the zero frames perturbed may be masked or not (the join of skipped and processed); tokens: fixed masks
  [
    'Masking(0) + LSTM sequences + Bidirectional GRU (sequences, concat) + masked average pool',
    { cell: 'lstm', hidden: [4], frameSize: 3, before: [{ kind: 'masking', value: 0 }], returnSequences: true, after: [{ kind: 'pool', mode: 'avg' }], zero: [1, 3] },
  ],
  ['Embedding mask_zero + Bidirectional GRU reset_after, sum', { cell: 'gruResetAfter', hidden: [4], frameSize: 3, vocab: 9, maskZero: true, bidirectional: 'sum', zero: [2, 3] }],
]

const T = 4
const EPS = 0.02
const rel = (a: number, b: number) => Math.abs(a - b) / (1 + Math.abs(b))

describe.each(NETWORKS)('%s: every domain on the same input', (_name, spec) => {
  const net = randomNetwork({ ...spec, classes: 3, seed: 21, scale: 1.5 })
  const cn = compileNetwork(net)
  const rng = new Rng(4)
  const tokens = spec.vocab ? Array.from({ length: T }, (_v, t) => (spec.zero?.includes(t) ? 0 : 1 + rng.int(spec.vocab! - 1))) : null
  const frames = tokens ? embedTokens(cn, tokens) : randomFrames(rng, T, spec.frameSize).map((f, t) => Float64Array.from(f, (v) => (spec.zero?.includes(t) ? 0 : v)))
  const x = frames.map((f) => Array.from(f))
  const prep = prepareSample(cn, tokens ? { tokens } : { x })
  const all = frames.map((_f, t) => t)

  /** the float64 logits of S points of the ball: the certifier's forward and the batched domain */
  const points = (S: number) => {
    const pts = Array.from({ length: S }, (_s, s) => frames.map((f) => f.map((v) => v + (s === 0 ? 0 : EPS * (rng.next() < 0.5 ? Math.sign(rng.uniform(-1, 1)) : rng.uniform(-1, 1))))))
    const blocks = all.map((t) => {
      const b = new Float64Array(S * cn.frameSize)
      pts.forEach((p, s) => b.set(p[t], s * cn.frameSize))
      return b
    })
    const batched = batchForward(cn, prep.concrete, T).run(S, 0, (t) => ({ data: blocks[t], shared: false }))
    return { pts, single: pts.map((p) => forward(cn, p, undefined, prep.concrete.masks).logits), batched }
  }

  it('float64 points = batched float64 (bit for bit) ≈ TF.js tensors (1e-5)', () => {
    const { pts, single, batched } = points(7)
    expect(Array.from(single[0])).toEqual(Array.from(prep.concrete.logits))
    single.forEach((l, s) => expect(Array.from(batched.subarray(s * cn.classes, (s + 1) * cn.classes))).toEqual(Array.from(l)))
    const params = paramsFromNetwork(net)
    try {
      const got = tf.tidy(() => {
        const viaFrames = tfLogits(withoutEmbedding(params), tf.tensor3d(pts.map((p) => p.map((f) => Array.from(f)))), prep.concrete.masks ?? undefined)
        const viaTokens = tokens ? tokenLogits(params, tf.tensor2d([tokens], [1, T], 'int32')) : null
        return { frames: viaFrames.arraySync(), tokens: viaTokens?.arraySync() }
      })
      got.frames.forEach((row, s) => row.forEach((v, c) => expect(rel(v, single[s][c])).toBeLessThan(1e-5)))
      got.tokens?.[0].forEach((v, c) => expect(rel(v, single[0][c])).toBeLessThan(1e-5))
    } finally {
      params.dispose()
    }
  })

  it('zonotopes at ε = 0: zero width (up to the planes’ outward rounding), the centre at the float64 logits (every method)', () => {
    for (const method of METHODS) {
      // certifyFrames refuses ε = 0: the zonotope pass itself, on the region of radius 0
      const symbols = new SymbolSource()
      const z = abstractForward(cn, inputRegion(prep.frames, all, 0, undefined, symbols), 0, prep.concrete, new AbstractContext(transformerSet(method), symbols))
      const { lo, hi } = certBounds(z)
      for (let c = 0; c < cn.classes; c++) {
        expect(hi[c] - lo[c]).toBeLessThanOrEqual(1e-9)
        expect(Math.abs(z.c[c] - prep.concrete.logits[c])).toBeLessThanOrEqual(1e-10)
      }
    }
  })

  it('at a small ε the bounds of every domain contain the ball and agree', () => {
    const { single } = points(300)
    const cert = Object.fromEntries(METHODS.map((m) => [m, certifyFrames(prep, all, EPS, { method: m })]))
    const params = paramsFromNetwork(net)
    const frameParams = withoutEmbedding(params)
    const tfBounds = (padding: { abs: number; rel: number }) => {
      Object.assign(PADDING, padding)
      return tf.tidy(() => {
        const box = { ...inputBox(tf.tensor3d([x]), EPS), masks: prep.concrete.masks?.map((m) => Float64Array.of(m ? 1 : 0)) }
        const ibp = intervalBounds(frameParams, box)
        const ex = zonotopeBounds(frameParams, box, undefined, { consolidate: false })
        const co = zonotopeBounds(frameParams, box)
        return [ibp.lower, ibp.upper, ex.lower, ex.upper, co.lower, co.upper].map((b) => Array.from(b.dataSync()))
      })
    }
    try {
      const [il, iu, zl, zu, ol, ou] = tfBounds(DEFAULT_PADDING)
      const [, , el, eu] = tfBounds({ abs: 0, rel: 0 })
      const slack = (v: number) => 1e-5 * (1 + Math.abs(v))
      for (let c = 0; c < cn.classes; c++) {
        // agreement: TF.js interval = the interval method, unpadded TF.js exact zonotope = certrnn
        expect(rel(il[c], cert.interval.logitLo[c])).toBeLessThan(1e-5)
        expect(rel(iu[c], cert.interval.logitHi[c])).toBeLessThan(1e-5)
        expect(rel(el[c], cert.certrnn.logitLo[c])).toBeLessThan(1e-5)
        expect(rel(eu[c], cert.certrnn.logitHi[c])).toBeLessThan(1e-5)
        for (const l of single) {
          for (const m of METHODS) {
            expect(l[c]).toBeGreaterThanOrEqual(cert[m].logitLo[c])
            expect(l[c]).toBeLessThanOrEqual(cert[m].logitHi[c])
          }
          for (const [lo, hi] of [[il, iu], [zl, zu], [ol, ou]]) {
            expect(l[c]).toBeGreaterThanOrEqual(lo[c] - slack(l[c]))
            expect(l[c]).toBeLessThanOrEqual(hi[c] + slack(l[c]))
          }
        }
      }
    } finally {
      params.dispose()
    }
  })
})
