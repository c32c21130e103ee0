import { describe, expect, it } from 'vitest'
import { geomean, mean, median, pearson, populationStd, ranks, ratio, sampleStd, smallestIndices, spearman, topOverlap } from './stats.ts'

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

  it('ranks with ties, Pearson and Spearman correlations, the k smallest and their overlap', () => {
    expect(ranks([0.3, 0.1, 0.3, Infinity])).toEqual([2.5, 1, 2.5, 4])
    expect(pearson([1, 2, 3], [2, 4, 6])).toBeCloseTo(1, 15)
    expect(pearson([1, 2, 3], [5, 5, 5])).toBeNaN()
    expect(pearson([1], [1])).toBeNaN()
    // monotone but not linear: Spearman 1, Pearson below 1
    expect(spearman([1, 2, 3, 4], [1, 10, 100, 1000])).toBeCloseTo(1, 15)
    expect(pearson([1, 2, 3, 4], [1, 10, 100, 1000])).toBeLessThan(0.9)
    expect(spearman([1, 2, 3], [3, 2, 1])).toBeCloseTo(-1, 15)
    // ρ = 1 − 6Σd²/(n(n²−1)) without ties: d = (0, 1, −1, 0) → 1 − 12/60
    expect(spearman([1, 2, 3, 4], [1, 3, 2, 4])).toBeCloseTo(0.8, 15)
    expect(spearman([1, 2, Infinity], [0.1, 0.2, 0.3])).toBeCloseTo(1, 15)
    expect(spearman([1, NaN], [1, 2])).toBeNaN()
    expect(() => spearman([1, 2], [1])).toThrow('2 values against 1')
    expect(smallestIndices([0.5, 0.1, 0.1, 0.3], 3)).toEqual([1, 2, 3])
    expect(topOverlap([0.5, 0.1, 0.2, 0.3], [0.1, 0.2, 0.9, 0.3], 2)).toBe(1)
    expect(topOverlap([1, 2], [2, 1], 3)).toBe(2)
  })
})
