import { expect, it } from 'vitest'
import { weakestClass } from './verify.ts'

it('weakestClass: the other class with the smallest margin, the first of ties, never the label or a NaN', () => {
  expect(weakestClass([NaN, 0.3, -0.1, 0.2], 0)).toBe(2)
  expect(weakestClass([0.5, NaN, 0.5, 0.7], 1)).toBe(0)
  expect(weakestClass(Float64Array.from([1, -2, NaN]), 2)).toBe(1)
  expect(weakestClass([NaN, NaN, 0.4], 2)).toBe(0) // only NaN others: the first (as before: no margin compares below)
  expect(weakestClass([NaN], 0)).toBe(-1)
})
