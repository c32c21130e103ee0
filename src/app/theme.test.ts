/** One colour per method everywhere: no plane, slice or non-method series looks like a method's colour. */
import { lab } from 'd3'
import { describe, expect, it } from 'vitest'
import { METHODS } from '../cert/index.ts'
import { METHOD_COLORS, ORIGIN_COLORS, PLANE_COLORS, SERIES_COLORS, SLICE_COLORS } from './theme.ts'

/** CIE76 distance in Lab: about 2.3 is just noticeable; 20 is plainly another colour. */
const distance = (a: string, b: string) => {
  const p = lab(a)
  const q = lab(b)
  return Math.hypot(p.l - q.l, p.a - q.a, p.b - q.b)
}

describe('theme', () => {
  it('every method has its own colour, plainly apart from the others', () => {
    const colors = METHODS.map((m) => METHOD_COLORS[m])
    expect(new Set(colors).size).toBe(METHODS.length)
    for (let i = 0; i < colors.length; i++) for (let j = i + 1; j < colors.length; j++) expect(distance(colors[i], colors[j])).toBeGreaterThan(20)
  })

  it('the planes, the slices and the series that are not methods use no method colour', () => {
    const others: Array<[string, string]> = [
      ['lower plane', PLANE_COLORS.lower],
      ['upper plane', PLANE_COLORS.upper],
      ['function', PLANE_COLORS.curve],
      ...PLANE_COLORS.surface.map(([t, c]): [string, string] => [`surface ${t}`, c]),
      ...Object.entries(SLICE_COLORS).map(([k, c]): [string, string] => [`slice ${k}`, c]),
      ['attack', SERIES_COLORS.attack],
      ['accuracy', SERIES_COLORS.accuracy],
      ['loss', SERIES_COLORS.loss],
      ...SERIES_COLORS.more.map((c, k): [string, string] => [`series ${k}`, c]),
      ['looseness: the input', ORIGIN_COLORS.input],
      ['looseness: after the recurrence', ORIGIN_COLORS.after],
      ...ORIGIN_COLORS.steps.map((c, k): [string, string] => [`looseness: step ${k}`, c]),
    ]
    for (const [what, c] of others) {
      for (const m of METHODS) {
        const d = distance(c, METHOD_COLORS[m])
        if (d <= 20) expect.fail(`${what} (${c}) is too close to ${m}'s colour ${METHOD_COLORS[m]} (ΔE ${d.toFixed(1)})`)
      }
    }
    // the two planes are told apart at a glance
    expect(distance(PLANE_COLORS.lower, PLANE_COLORS.upper)).toBeGreaterThan(40)
    // the certified bound of the Defenses chart is Cert-RNN's: its colour
    expect(SERIES_COLORS.bound).toBe(METHOD_COLORS.certrnn)
  })
})
