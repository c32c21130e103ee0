/** The parts of an input split, for a reader: the lines, the one-line verdict and the bars around 0. */
import { describe, expect, it } from 'vitest'
import { JARGON } from '../testing/jargon.ts'
import type { SplitPart } from '../../worker/parts.ts'
import { cutWords, marginBars, partLine, signed, splitSentence } from './parts.ts'
import { GLOSSARY } from './terms.ts'

const part = (margin: number, cuts: SplitPart['cuts'] = [{ frame: 2, index: 17, lo: 0.41, hi: 0.45 }]): SplitPart => ({
  cuts,
  depth: cuts.length,
  margin,
  against: 1,
  certified: margin > 0,
  predictedLogit: [1, 2],
  againstLogit: [0, 1],
})

describe('the parts of an input split, in words', () => {
  it('names each part by the values it was cut along, its margin and its verdict', () => {
    expect(partLine(part(0.0123), 3, { kind: 'image' })).toBe('part 3: pixel 17 of frame 2 in [0.41, 0.45] · margin +0.012 · certified')
    expect(partLine(part(-0.003), 4, { kind: 'frames' })).toBe('part 4: value 17 of frame 2 in [0.41, 0.45] · margin −0.003 · not certified')
    expect(cutWords({ frame: 1, index: 0, lo: 0.1, hi: 0.1125 }, { kind: 'tokens', words: ['you', 'stupid'] })).toBe("coordinate 0 of word 1 (“stupid”)'s vector in [0.10, 0.11]")
    // two cuts, and the whole input
    expect(partLine(part(0.5, [{ frame: 0, index: 1, lo: 0, hi: 0.5 }, { frame: 1, index: 2, lo: 0.25, hi: 0.5 }]), 1, { kind: 'frames' })).toBe(
      'part 1: value 1 of frame 0 in [0.00, 0.50], value 2 of frame 1 in [0.25, 0.50] · margin +0.500 · certified',
    )
    expect(partLine(part(-1, []), 1, { kind: 'frames' })).toContain('the whole input, not cut')
    expect(signed(0.00004)).toBe('+0.000040')
    expect(signed(0)).toBe('+0.000')
  })

  it('says the verdict in one line: all parts certified, or the part with the smallest margin', () => {
    expect(splitSentence({ certified: true, parts: [part(0.1), part(0.2), part(0.01)] })).toBe('certified: all 3 parts are')
    expect(splitSentence({ certified: false, parts: [part(0.1), part(-0.01), part(-0.003), part(0.2)] })).toBe("not certified: part 2's margin is −0.010 (2 of 4 parts are not certified)")
    expect(splitSentence({ certified: false, parts: [part(0.1), part(-0.003)] })).toBe("not certified: part 2's margin is −0.003")
    expect(splitSentence({ certified: true, parts: [part(0.1, [])] })).toBe('certified: the whole input is, with no need to split it')
    expect(splitSentence({ certified: false, parts: [part(-0.4, [])] })).toMatch(/^not certified: the whole input's margin is −0\.400/)
    for (const s of [GLOSSARY.split.text, splitSentence({ certified: false, parts: [part(0.1), part(-0.01)] }), partLine(part(0.2), 1, { kind: 'image' })]) expect(s).not.toMatch(JARGON)
  })

  it('draws every margin from one zero line on a shared scale', () => {
    const { zero, bars } = marginBars([part(0.3), part(-0.1), part(0.1)])
    expect(zero).toBeCloseTo(0.25, 12)
    expect(bars[0]).toEqual({ x: zero, width: expect.closeTo(0.75, 12) as unknown as number, certified: true })
    expect(bars[1].x).toBeCloseTo(0, 12)
    expect(bars[1].width).toBeCloseTo(0.25, 12)
    expect(bars[1].certified).toBe(false)
    expect(bars[2].width).toBeCloseTo(0.25, 12)
    // all positive: the zero line at the left edge
    expect(marginBars([part(0.2), part(0.1)]).zero).toBe(0)
  })
})
