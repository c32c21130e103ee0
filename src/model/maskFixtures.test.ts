/**
 * Masking and Embedding(mask_zero=True) (issue 13): the real Keras 3.15 fixtures
 * `masking-lstm` (Masking(0) → LSTM; padding frames at the end, often an all-zero first
 * frame) and `text-maskzero-gru` (right-padded token ids) load from the converted TF.js
 * folder and the .h5 and agree with Keras's logits within 1e-5; certificates over masked
 * and unmasked frames hold under sampling (vertices included: a clipped ball around an
 * all-zero frame has the all-zero corner, where the step is masked again) and PGD; the
 * join of "skipped" and "processed" is taken exactly where a perturbed frame's mask may
 * change; refusals name the layer.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadModelDir } from '../../scripts/lib/loadModelDir.ts'
import { ballOf, sampleBall } from '../attack/ball.ts'
import { batchForward } from '../attack/batch64.ts'
import { pgdAttack } from '../attack/pgd.ts'
import { buildTfForward } from '../attack/tfNetwork.ts'
import * as tf from '@tensorflow/tfjs'
import type { Method, NetworkIR, SampleInput } from '../cert/index.ts'
import { AbstractContext, abstractForward, certifyFrames, compileNetwork, forward, inputRegion, prepareSample, randomNetwork, SymbolSource, transformerSet, UnsupportedModelError, validateNetwork, verifyLabel } from '../cert/index.ts'

const DIR = join(import.meta.dirname, 'testing', 'fixtures', 'keras3')
const at = (name: string, file = '') => join(DIR, name, file)
const json = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T

describe.each([
  { name: 'masking-lstm', types: ['masking', 'lstm', 'dense'] },
  { name: 'text-maskzero-gru', types: ['embedding', 'gru', 'dense'] },
])('$name', ({ name, types }) => {
  const inputs = json<SampleInput[]>(at(name, 'inputs.json'))
  const ref = json<{ logits: number[][] }>(at(name, 'keras_ref.json'))

  it.each([
    ['TF.js folder', at(name)],
    ['.h5', at(name, `${name}.h5`)],
  ])('%s: loads and agrees with Keras (1e-5)', (_format, path) => {
    const net = loadModelDir(path)
    expect(net.layers.map((l) => l.type)).toEqual(types)
    if (name === 'masking-lstm') expect(net.layers[0]).toEqual({ type: 'masking', name: 'masking', maskValue: 0 })
    else expect(net.layers[0]).toMatchObject({ type: 'embedding', maskZero: true })
    const cn = compileNetwork(net)
    inputs.forEach((input, i) => {
      const prep = prepareSample(cn, input)
      prep.concrete.logits.forEach((v, k) => expect(Math.abs(v - ref.logits[i][k])).toBeLessThan(1e-5))
    })
  })

  it('every domain agrees: batched float64 bit for bit, TF.js tensors (1e-5), all inputs in one batch with their own masks', () => {
    const net = loadModelDir(at(name))
    const cn = compileNetwork(net)
    const preps = inputs.map((input) => prepareSample(cn, input))
    const T = preps[0].frames.length
    const F = cn.frameSize
    // batch64: the samples as rows of one batch (rows differ in their masks)
    const first = preps[0]
    if (name === 'masking-lstm') {
      const out = batchForward(cn, first.concrete, T).run(preps.length, 0, (t) => {
        const data = new Float64Array(preps.length * F)
        preps.forEach((p, s) => data.set(p.frames[t], s * F))
        return { data, shared: false }
      })
      preps.forEach((p, s) => expect(Array.from(out.subarray(s * cn.classes, (s + 1) * cn.classes))).toEqual(Array.from(p.concrete.logits)))
    }
    const fwd = buildTfForward(net)
    try {
      const data = new Float32Array(preps.length * T * F)
      preps.forEach((p, s) => p.frames.forEach((f, t) => data.set(f, (s * T + t) * F)))
      const masks = name === 'text-maskzero-gru' ? Array.from({ length: T }, (_v, t) => Float64Array.from(preps, (p) => (p.concrete.masks![t] ? 1 : 0))) : undefined
      const got = tf.tidy(() => fwd(tf.tensor3d(data, [preps.length, T, F]), masks).arraySync())
      preps.forEach((p, s) => p.concrete.logits.forEach((v, k) => expect(Math.abs(v - got[s][k])).toBeLessThan(1e-5)))
    } finally {
      fwd.dispose()
    }
  })
})

/** The certificate of one frame's ball, and whether the masked/unmasked join was taken. */
function certifyOne(net: NetworkIR, input: SampleInput, frame: number, eps: number, method: Method, clip?: [number, number]) {
  const cn = compileNetwork(net)
  const prep = prepareSample(cn, input)
  const symbols = new SymbolSource()
  const ctx = new AbstractContext(transformerSet(method), symbols)
  const z = abstractForward(cn, inputRegion(prep.frames, [frame], eps, clip, symbols), frame, prep.concrete, ctx, frame)
  const verdict = verifyLabel(z, prep.predicted, 'diff')
  expect(verdict.certified).toBe(certifyFrames(prep, [frame], eps, { method, clip }).certified)
  return { prep, cn, certified: verdict.certified, joins: ctx.joins }
}

describe('masking-lstm: masked frames perturbed', () => {
  const net = loadModelDir(at('masking-lstm'))
  const inputs = json<Array<{ x: number[][] }>>(at('masking-lstm', 'inputs.json'))
  const input = inputs[0]
  const clip: [number, number] = [0, 1]
  // the padding frames at the end are all zero: masked; a frame with pixels away from 0 is not
  const zeroFrames = input.x.flatMap((f, t) => (f.every((v) => v === 0) ? [t] : []))
  const imageFrame = input.x.findIndex((f) => f.some((v) => v > 0.5))

  it('the fixture has masked and unmasked frames', () => {
    expect(zeroFrames).toContain(9)
    expect(imageFrame).toBeGreaterThanOrEqual(0)
  })

  it.each(['certrnn', 'deepz', 'interval'] as Method[])('%s: the mask is fixed on an image frame (no join) and may change on a padding frame (join); both hold under 4,000 samples and PGD', (method) => {
    const eps = 0.01
    const fixed = certifyOne(net, input, imageFrame, 1e-3, method, clip)
    expect(fixed.joins).toBe(0)
    const open = certifyOne(net, input, 9, eps, method, clip)
    expect(open.joins).toBeGreaterThan(0)
    for (const [frame, e, r] of [
      [imageFrame, 1e-3, fixed],
      [9, eps, open],
    ] as const) {
      if (!r.certified) continue
      const ball = ballOf(r.prep.frames, [frame], e, clip)
      // vertices of the clipped ball around an all-zero frame include the all-zero frame: masked again
      const s = sampleBall(r.cn, r.prep.concrete, r.prep.frames, r.prep.predicted, ball, { samples: 4000, seed: 5, vertexFraction: 0.5 })
      expect(s.violations).toBe(0)
      const a = pgdAttack(net, r.prep.frames, r.prep.predicted, [frame], e, { steps: 20, restarts: 2, seed: 3, clip })
      expect(a.success).toBe(false)
    }
    // the join holds both outcomes: the padding frame skipped (clean) and processed (every pixel ε)
    const bounds = certifyFrames(open.prep, [9], eps, { method, clip })
    const processed = open.prep.frames.map((f, t) => (t === 9 ? f.map(() => eps) : f))
    const both = [open.prep.concrete.logits, forward(open.cn, processed).logits]
    expect(Math.max(...both[0].map((v, k) => Math.abs(v - both[1][k])))).toBeGreaterThan(1e-3)
    for (const l of both) l.forEach((v, k) => expect(v >= bounds.logitLo[k] && v <= bounds.logitHi[k]).toBe(true))
  })
})

describe('text-maskzero-gru: perturbing padding tokens leaves them skipped', () => {
  const net = loadModelDir(at('text-maskzero-gru'))
  const inputs = json<Array<{ tokens: number[] }>>(at('text-maskzero-gru', 'inputs.json'))

  it('a padding token’s embedding perturbed changes nothing; a real token’s certificate holds under samples and PGD', () => {
    const input = inputs[0]
    const pad = input.tokens.lastIndexOf(0)
    const word = input.tokens.findIndex((t) => t !== 0)
    expect(pad).toBeGreaterThan(word)
    const skipped = certifyOne(net, input, pad, 10, 'certrnn')
    expect(skipped.joins).toBe(0)
    expect(skipped.certified).toBe(true)
    const r = certifyOne(net, input, word, 0.05, 'certrnn')
    expect(r.joins).toBe(0)
    const ball = ballOf(r.prep.frames, [word], 0.05)
    expect(sampleBall(r.cn, r.prep.concrete, r.prep.frames, r.prep.predicted, ball, { samples: 2000, seed: 9 }).violations).toBe(0)
    const a = pgdAttack(net, r.prep.frames, r.prep.predicted, [word], 0.05, { steps: 20, restarts: 2, seed: 3, masks: r.prep.concrete.masks })
    if (r.certified) expect(a.success).toBe(false)
  })

  it('the forward pass of a mask_zero model refuses to run without the masks', () => {
    const cn = compileNetwork(net)
    const prep = prepareSample(cn, inputs[0])
    expect(() => forward(cn, prep.frames)).toThrow("this model masks token 0 (mask_zero=True): the forward pass needs the token ids' masks")
  })
})

describe('refusals', () => {
  const base = randomNetwork({ cell: 'lstm', hidden: [4], frameSize: 3, classes: 2, seed: 1 })
  const masking = { type: 'masking' as const, name: 'masking', maskValue: 0 }
  const net = (layers: NetworkIR['layers']): NetworkIR => ({ ...base, layers })

  it('Masking elsewhere than first', () => {
    expect(() => validateNetwork(net([base.layers[0], masking, ...base.layers.slice(1)]))).toThrow(
      new UnsupportedModelError(`layer "masking" (Masking) is supported only as the first layer, on the input frames (token models mask with the Embedding's mask_zero)`),
    )
  })

  it('a mask reaching Conv1D or Flatten', () => {
    const conv = { type: 'conv1d' as const, name: 'conv', filters: 3, taps: [{ rows: 3, cols: 3, data: new Float64Array(9) }], bias: new Float64Array(3), strides: 1, dilation: 1, padding: 'same' as const, activation: 'linear' }
    expect(() => validateNetwork(net([masking, conv, ...base.layers]))).toThrow(/layer "conv" \(Conv1D\) receives the mask of "masking" \(Masking or mask_zero\): Keras 2 and TF.js refuse a mask there and Keras 3 drops it/)
    const seq = { ...base.layers[0], returnSequences: true } as NetworkIR['layers'][number]
    const withFlatten = { ...base, input: { kind: 'frames' as const, frameSize: 3, seqLen: 4 }, layers: [masking, seq, { type: 'flatten' as const, name: 'flat' }, { ...base.layers[1], kernel: { rows: 16, cols: 2, data: new Float64Array(32) } } as NetworkIR['layers'][number]] }
    expect(() => validateNetwork(withFlatten)).toThrow(/layer "flat" \(Flatten\) receives the mask of "masking"/)
  })
})
