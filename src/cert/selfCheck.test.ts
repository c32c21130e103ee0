import { expect, it } from 'vitest'
import { selfCheck } from './selfCheck.ts'

it('the engine self-check certifies its LSTM and every sampled input stays inside', () => {
  const r = selfCheck(2000)
  expect(r.message).toMatch(/certified at ε = 0\.\d{4}/)
  expect(r.ok).toBe(true)
  expect(r.bound).toBeGreaterThan(1e-3)
  expect(r.samples).toBe(2000)
})
