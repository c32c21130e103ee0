/** Where the looseness comes from, for a reader: the walkthrough's parts, shares, colours and sentence, in plain words. */
import { describe, expect, it } from 'vitest'
import type { Looseness, SymbolOrigin } from '../../cert/index.ts'
import { compileNetwork, looseness, prepareSample, randomFrames, randomNetwork, Rng } from '../../cert/index.ts'
import { JARGON } from '../testing/jargon.ts'
import { ORIGIN_COLORS } from '../theme.ts'
import { runTiny, TINY_RNN } from '../walkthrough/tinyRnn.ts'
import { INPUT_WORDS, looseBars, looseSentence, originWords } from './looseness.ts'

describe('where the looseness comes from', () => {
  const run = runTiny(5)
  const byMethod = Object.fromEntries(run.loose.map((r) => [r.method, looseBars(r.split, TINY_RNN.layers)]))

  it('the walkthrough: Cert-RNN, tight and DeepZ split the margin A − B into the input and each step\'s tanh', () => {
    expect(run.loose.map((r) => r.method)).toEqual(['certrnn', 'tight', 'deepz'])
    for (const b of Object.values(byMethod)) {
      expect(b.parts.map((p) => p.words)).toEqual([INPUT_WORDS, 'tanh at step 0', 'tanh at step 1'])
      expect(b.parts.map((p) => p.color)).toEqual([ORIGIN_COLORS.input, ORIGIN_COLORS.steps[0], ORIGIN_COLORS.steps[1]])
      // the parts make up the whole gap
      expect(b.parts.reduce((s, p) => s + p.share, 0)).toBeCloseTo(1, 10)
      expect(b.concrete - b.parts.reduce((s, p) => s + p.loss, 0)).toBeCloseTo(b.margin, 10)
    }
    // step 1's tanh is the largest part for every method: the sentence says so
    for (const b of Object.values(byMethod)) expect(b.top?.words).toBe('tanh at step 1')
    expect(looseSentence(byMethod.certrnn)).toMatch(/^The largest part of the gap \(\d+%\) comes from tanh at step 1: tighter lines there would help most\. The input’s own part \(\d+%\)/)
    // DeepZ's flatter lines: a far larger part from the lines than Cert-RNN's
    expect(byMethod.deepz.parts[2].loss).toBeGreaterThan(2 * byMethod.certrnn.parts[2].loss)
    // tight's narrower boxes: smaller parts from the lines than Cert-RNN's
    expect(byMethod.tight.parts[2].loss).toBeLessThan(byMethod.certrnn.parts[2].loss)
  })

  it('plain words for every kind of origin, no jargon', () => {
    const net = randomNetwork({ cell: 'lstm', hidden: [3], frameSize: 2, classes: 2, seed: 1, returnSequences: true, after: [{ kind: 'pool', mode: 'max' }], head: [{ units: 3, activation: 'tanh' }] })
    const at = (o: Partial<SymbolOrigin>): SymbolOrigin => ({ kind: 'planes', layer: 0, layerName: 'lstm_0', step: 3, op: 'i*g', fn: 'sigmoidTanh', ...o })
    expect(originWords(at({}), net.layers)).toBe('σ·tanh at step 3 (i ⊙ g: what the cell writes)')
    expect(originWords(at({ op: 'h' }), net.layers)).toBe('σ·tanh at step 3 (hidden state h = o ⊙ tanh(c))')
    expect(originWords(at({ kind: 'join', op: 'mask state', fn: undefined }), net.layers)).toBe('a step that may be masked at step 3')
    expect(originWords(at({ kind: 'box', op: 'pre' }), net.layers)).toBe('box around gates i, f, g, o (before activation) at step 3')
    // a real split of that network: every part in words, and the sentence
    const prep = prepareSample(compileNetwork(net), { x: randomFrames(new Rng(4), 4, 2) })
    const splits: Looseness[] = (['certrnn', 'deepz', 'tight', 'interval'] as const).map((method) => looseness(prep, [0, 1, 2, 3], 0.05, { method }))
    for (const s of splits) {
      const b = looseBars(s, net.layers)
      for (const p of b.parts) expect(p.words).not.toMatch(JARGON)
      expect(looseSentence(b)).not.toMatch(JARGON)
    }
    const words = looseBars(splits[0], net.layers).parts.map((p) => p.words)
    expect(words).toContain('max pool over the steps')
    // the Dense head's tanh (after the recurrence: no step)
    expect(words).toContain('tanh')
    for (const b of Object.values(byMethod)) expect(looseSentence(b)).not.toMatch(JARGON)
  })
})
