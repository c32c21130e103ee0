import { describe, expect, it } from 'vitest'
import { insideConvexPolygon, projectVariables } from '../../cert/index.ts'
import { runTiny } from './tinyRnn.ts'

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
})
