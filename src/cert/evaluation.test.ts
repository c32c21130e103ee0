import { describe, expect, it } from 'vitest'
import type { EvalRow } from './evaluation.ts'
import { accuracyCurve, epsGrid, rowRecord, summarize } from './evaluation.ts'

const row = (index: number, method: EvalRow['method'], bound: number, correct = true): EvalRow => ({
  index, label: correct ? 1 : 0, predicted: 1, correct, method, bound, perFrame: [bound, bound * 2], attack: NaN, ms: 10 + index,
})

describe('evaluation summaries', () => {
  const rows = [row(0, 'certrnn', 0.02), row(1, 'certrnn', 0.04), row(2, 'certrnn', 0.5, false), row(0, 'deepz', 0.01), row(1, 'deepz', 0.03), row(2, 'deepz', 0.2, false)]

  it('summarises bounds over correctly classified samples only, per method', () => {
    const [c, d] = summarize(rows, ['certrnn', 'deepz'])
    expect(c).toMatchObject({ method: 'certrnn', n: 3, minBound: 0.02, maxBound: 0.04 })
    expect(c.accuracy).toBeCloseTo(2 / 3, 12)
    expect(c.meanBound).toBeCloseTo(0.03, 12)
    expect(c.stdBound).toBeCloseTo(0.01, 12)
    expect(c.msPerSample).toBeCloseTo(11, 12)
    expect(d.meanBound).toBeCloseTo(0.02, 12)
    expect(summarize([], ['interval'])[0].accuracy).toBeNaN()
  })

  it('verified accuracy counts correct samples whose bound reaches ε', () => {
    const curve = accuracyCurve(rows, ['certrnn', 'deepz'], [0, 0.02, 0.025, 0.04, 0.05])
    expect(curve.map((p) => p.accuracy.certrnn)).toEqual([2 / 3, 2 / 3, 1 / 3, 1 / 3, 0])
    expect(curve.map((p) => p.accuracy.deepz)).toEqual([2 / 3, 1 / 3, 1 / 3, 0, 0])
  })

  it('the ε grid spans the bounds, log-spaced and increasing', () => {
    const g = epsGrid(rows, 30)
    expect(g).toHaveLength(30)
    expect(g[0]).toBeLessThan(0.01)
    expect(g.at(-1)).toBeGreaterThan(0.5)
    for (let k = 1; k < g.length; k++) expect(g[k]).toBeGreaterThan(g[k - 1])
    expect(epsGrid([])).toHaveLength(4)
  })

  it('a row as it goes into CSV: rounded numbers, per-frame bounds space-separated', () => {
    expect(rowRecord(rows[0])).toMatchObject({ index: 0, method: 'certrnn', bound: 0.02, perFrame: '0.02 0.04' })
  })
})
