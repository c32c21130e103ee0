import { describe, expect, it } from 'vitest'
import { geomean, mean, median, populationStd, ratio, sampleStd } from './stats.ts'

describe('statistics', () => {
  it('mean, and the two standard deviations by their names', () => {
    expect(mean([1, 2, 3, 6])).toBe(3)
    expect(populationStd([1, 3])).toBe(1) // √((1 + 1) / 2)
    expect(sampleStd([1, 3])).toBeCloseTo(Math.SQRT2, 15) // √((1 + 1) / 1)
    expect(sampleStd([5])).toBe(0)
    expect(populationStd([5])).toBe(0)
    for (const f of [mean, populationStd, sampleStd, median]) expect(f([])).toBeNaN()
  })

  it('median, geometric mean and ratios', () => {
    expect(median([3, 1, 2])).toBe(2)
    expect(median([4, 1, 3, 2])).toBe(2.5)
    expect(geomean([1, 4, 0, -1, NaN])).toBe(2)
    expect(geomean([0])).toBeNaN()
    expect([ratio(1, 2), ratio(1, 0), ratio(0, 0), ratio(NaN, 1)]).toEqual([0.5, Infinity, NaN, NaN])
  })
})
