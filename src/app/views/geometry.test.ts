import { describe, expect, it } from 'vitest'
import type { RunResult } from '../../worker/protocol.ts'
import { chipText, formatDuration, formatEps, heatScale, logitChartGeometry, logitRows, heatmapAttack, mostSensitive, sensitivity, threatWords } from './geometry.ts'

const certify: RunResult = {
  kind: 'certify',
  predicted: 1,
  logits: [0.5, 2, -1],
  ms: 3,
  result: {
    method: 'certrnn', marginCheck: 'diff', threat: 'single', predicted: 1, eps: 0.01, certified: true, perFrame: [true, true], margin: 0.4,
    verdicts: [
      { certified: true, margin: 0.5, margins: [1, NaN, 2], logitLo: [0.4, 1.8, -1.2], logitHi: [0.6, 2.1, -0.9], generators: 10 },
      { certified: true, margin: 0.4, margins: [1, NaN, 2], logitLo: [0.3, 1.9, -1.1], logitHi: [0.7, 2.2, -0.8], generators: 12 },
    ],
  },
}

describe('result view geometry', () => {
  it('logit rows: the hull of the per-frame certified bounds around the concrete logit', () => {
    const rows = logitRows(certify, ['a', 'b', 'c'])
    expect(rows[1]).toEqual({ cls: 1, name: 'b', concrete: 2, lo: 1.8, hi: 2.2, predicted: true })
    for (const r of rows) {
      expect(r.lo!).toBeLessThanOrEqual(r.concrete)
      expect(r.hi!).toBeGreaterThanOrEqual(r.concrete)
    }
  })
  it('the chart places every interval around its concrete value, inside the plot', () => {
    const g = logitChartGeometry(logitRows(certify, ['a', 'b', 'c']))
    for (const r of g.rows) {
      expect(r.xLo!).toBeLessThanOrEqual(r.xConcrete)
      expect(r.xHi!).toBeGreaterThanOrEqual(r.xConcrete)
      expect(r.xLo!).toBeGreaterThanOrEqual(0)
      expect(r.xHi!).toBeLessThanOrEqual(g.width)
    }
    expect(g.zeroX).not.toBeNull()
  })
  it('sensitivity: smaller bounds are hotter; the most sensitive frames come first', () => {
    const h = heatScale(1)
    expect(h.color(0)).not.toEqual(h.color(1))
    // fixed: the same bound gets the same colour whatever else is on the page
    expect(h.color(0.0646)).toEqual(heatScale(1).color(0.0646))
    expect(h.color(0.0646)).not.toEqual(h.color(0.0212))
    expect(h.color(0)).toEqual(h.color(2 ** -14))
    expect(h.ticks[0].at).toBe(0)
    expect(h.ticks.at(-1)!.at).toBe(1)
    expect(mostSensitive([0.3, 0.01, 0.2, 0.01], 3)).toEqual([1, 3, 2])
  })

  it('per token: the certified bound beside the attack radius, the most sensitive by each and their agreement', () => {
    // 7 tokens: the first words look most sensitive to the certifier, the attack blames tokens 3, 4 and 6
    const certified = [0.01, 0.012, 0.015, 0.02, 0.03, 0.05, 0.04]
    const attack = [0.2, 0.15, 0.3, 0.05, 0.04, Infinity, 0.06]
    const s = sensitivity(certified, attack)
    expect(s.k).toBe(3)
    expect(s.hot).toEqual([0, 1, 2])
    expect(s.hotAttack).toEqual([4, 3, 6])
    expect(s.cells.map((c) => c.attack)).toEqual(attack)
    expect(s.cells.filter((c) => c.hotAttack).length).toBe(3)
    expect(s.violations).toEqual([])
    expect(s.agreement!.overlap).toBe(0)
    expect(s.agreement!.spearman).toBeLessThan(0)
    // the same ranking: full overlap, ρ = 1
    expect(sensitivity(certified, certified.map((c) => 3 * c)).agreement).toEqual({ overlap: 3, spearman: 1 })
    // before the attack (or an attack of some frames only): no attack row, no agreement
    for (const a of [null, [0.1, 0.2], [0.1, NaN, 0.1, 0.1, 0.1, 0.1, 0.1]]) {
      const none = sensitivity(certified, a)
      expect(none.hotAttack).toBeNull()
      expect(none.agreement).toBeNull()
      expect(none.cells.every((c) => c.attack === null && !c.violation)).toBe(true)
    }
    // an attack below the certified bound is flagged (a soundness bug), a short input names one token
    const bad = sensitivity([0.02, 0.01], [0.5, 0.005])
    expect(bad.k).toBe(1)
    expect(bad.violations).toEqual([1])
    expect(bad.cells[1].violation).toBe(true)
    // the heatmap's attack: every frame, bisected to 1/32 of the smallest positive certified bound, never finer than 2⁻¹³
    const b = { bound: 0, perFrame: [0.064, 0, 0.032] } as unknown as Parameters<typeof heatmapAttack>[0]
    expect(heatmapAttack(b)).toEqual({ everyFrame: true, resolution: 0.001, steps: 10, restarts: 2 })
    expect(heatmapAttack({ ...b, perFrame: [0.001, 0.2] }).resolution).toBe(2 ** -13)
    expect(heatmapAttack({ ...b, perFrame: [0, 0] }).resolution).toBe(2 ** -13)
  })
})

describe('words and numbers', () => {
  it('example chips are cut at a word, never inside one', () => {
    expect(chipText('short sentence')).toBe('short sentence')
    const long = 'this film is an absolute delight from start to finish and more'
    const c = chipText(long)
    expect(c.endsWith('…')).toBe(true)
    expect(c.length).toBeLessThanOrEqual(41)
    expect(long.startsWith(c.slice(0, -1))).toBe(true)
    expect(long[c.length - 1]).toBe(' ')
  })
  it('threats, durations and ε in words', () => {
    expect(threatWords('single', 'token')).toBe('each token alone')
    expect(threatWords('all', 'frame')).toBe('all frames')
    expect(threatWords('frames=1,3', 'token')).toBe('tokens 1, 3')
    expect(formatDuration(85)).toBe('85 ms')
    expect(formatDuration(4200)).toBe('4.2 s')
    expect(formatDuration(192_000)).toBe('3 min 12 s')
    expect(formatEps(0.0646)).toBe('0.0646')
    expect(formatEps(0.01)).toBe('0.01')
    expect(formatEps(0.00122)).toBe('1.22e-3')
  })
})
