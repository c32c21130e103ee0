import { describe, expect, it } from 'vitest'
import { boxFields, boxText, parseBox, parseNumber, slideValue } from './boxInput.ts'

describe('playground box fields', () => {
  it('parses numbers and says what is wrong', () => {
    expect(parseNumber('lx', ' -1.5 ')).toEqual({ value: -1.5 })
    expect(parseNumber('lx', '1e-3')).toEqual({ value: 0.001 })
    expect(parseNumber('ux', 'abc')).toEqual({ error: 'ux: “abc” is not a number' })
    expect(parseNumber('ux', '')).toEqual({ error: 'ux is empty: type a number' })
    expect(parseNumber('ux', 'Infinity')).toEqual({ error: 'ux must be finite' })
  })

  it('a box, or every problem with it; unary kinds ignore y', () => {
    expect(parseBox('sigmoidTanh', { lx: '-1', ux: '2', ly: '0', uy: '1' })).toEqual({ box: { lx: -1, ux: 2, ly: 0, uy: 1 }, errors: [] })
    expect(parseBox('sigmoidTanh', { lx: '3', ux: '2', ly: '0', uy: '1' }).errors).toEqual(['lx must not exceed ux (3 > 2)'])
    expect(parseBox('mul', { lx: 'a', ux: '2', ly: '', uy: '1' }).errors).toEqual(['lx: “a” is not a number', 'ly is empty: type a number'])
    expect(parseBox('tanh', { lx: '-1', ux: '2', ly: 'junk', uy: '' })).toEqual({ box: { lx: -1, ux: 2, ly: 0, uy: 0 }, errors: [] })
    expect(boxFields('sigmoid')).toEqual(['lx', 'ux'])
    expect(boxText({ lx: -1, ux: 1.5, ly: 0, uy: 2 })).toEqual({ lx: '-1', ux: '1.5', ly: '0', uy: '2' })
  })

  it('a slider stops at the other end of its interval', () => {
    const t = { lx: '-1', ux: '1', ly: '0', uy: 'x' }
    expect(slideValue('lx', 2, t)).toBe(1)
    expect(slideValue('ux', -3, t)).toBe(-1)
    expect(slideValue('lx', 0.5, t)).toBe(0.5)
    expect(slideValue('ly', 5, t)).toBe(5) // the other end is not a number: no clamp
  })
})
