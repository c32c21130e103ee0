import { describe, expect, it } from 'vitest'
import { insideConvexPolygon, projectVariables } from '../../cert/index.ts'
import { runTiny, TINY_PARAMS, TINY_RNN, tinyNet } from './tinyRnn.ts'

describe('the walkthrough network', () => {
  const run = runTiny(1000)
  it('Cert-RNN certifies it at ε = 1 (all frames); DeepZ and interval do not', () => {
    expect(run.runs.certrnn.verdict.certified).toBe(true)
    expect(run.runs.deepz.verdict.certified).toBe(false)
    expect(run.runs.interval.verdict.certified).toBe(false)
  })
  it('every sampled input lies inside every step\'s projection, for every method', () => {
    for (const method of ['certrnn', 'deepz', 'interval'] as const) {
      const trace = run.runs[method].trace
      expect(trace.map((e) => `${e.step}:${e.op}`)).toEqual(['0:pre', '0:h', '1:pre', '1:h', 'null:logits'])
      trace.forEach((e, k) => {
        const p = projectVariables(e.zonotope!, { index: 0 }, { index: 1 })
        for (const sample of run.cloud) {
          const v = sample[k].values
          expect(insideConvexPolygon(p.polygon, [v[0], v[1]])).toBe(true)
        }
      })
    }
  })
  it('the learner\'s ε and weights are the network\'s: W·x in the equations\' orientation, every step recomputed', () => {
    // the default parameters are the published network, bit for bit
    expect(Array.from((TINY_RNN.layers[0] as { kernel: { data: Float64Array } }).kernel.data)).toEqual([-0.8, -0.9, 0.3, -0.4])
    expect(Array.from((TINY_RNN.layers[1] as { kernel: { data: Float64Array } }).kernel.data)).toEqual([0.4, -0.6, -0.8, 1])
    // W[unit][input]: unit 0 reads input 1 with weight 0.3
    const net = tinyNet({ ...TINY_PARAMS, W: [[0, 1], [0, 0]] })
    expect(Array.from((net.layers[0] as { kernel: { data: Float64Array } }).kernel.data)).toEqual([0, 0, 1, 0])
    // a smaller ε: every method certifies, and the samples stay in the smaller ball
    const small = runTiny(50, { ...TINY_PARAMS, eps: 0.05 })
    for (const method of ['certrnn', 'deepz', 'interval'] as const) expect(small.runs[method].verdict.certified).toBe(true)
    for (const x of small.inputs) x.forEach((f, t) => f.forEach((v, i) => expect(Math.abs(v - small.inputs[0][t][i])).toBeLessThanOrEqual(0.05 + 1e-12)))
  })
})
