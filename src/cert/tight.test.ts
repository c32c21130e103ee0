/**
 * The tight method against Cert-RNN: what its construction guarantees (each class's margin
 * is the best of sound bounds that include Cert-RNN's, so it is never below it; the paper's
 * search then never returns less), and that its refinements do something. Its soundness is
 * checked with every other method's in soundness.test.ts (sampling + PGD on every cell type)
 * and its planes with any slopes in transformers/transformers.test.ts.
 */
import { describe, expect, it } from 'vitest'
import { certifyFrames, findBound, prepareSample } from './certify.ts'
import type { RandomNetworkSpec } from './randomNetwork.ts'
import { randomFrames, randomNetwork } from './randomNetwork.ts'
import { Rng } from './rng.ts'
import { compileNetwork } from './runtime.ts'

const CASES: Array<{ name: string } & Omit<RandomNetworkSpec, 'frameSize' | 'classes' | 'seed'>> = [
  { name: 'SimpleRNN', cell: 'simpleRnn', hidden: [8] },
  { name: 'relu SimpleRNN', cell: 'simpleRnn', hidden: [8], activation: 'relu' },
  { name: 'LSTM', cell: 'lstm', hidden: [6] },
  { name: 'LSTM, hard_sigmoid gates', cell: 'lstm', hidden: [6], hardSigmoidSlope: 0.2 },
  { name: 'GRU', cell: 'gru', hidden: [6] },
  { name: 'GRU reset_after', cell: 'gruResetAfter', hidden: [6] },
  { name: 'stacked LSTM', cell: 'lstm', hidden: [5, 4] },
  { name: 'LSTM with a tanh Dense layer', cell: 'lstm', hidden: [6], head: [{ units: 7, activation: 'tanh' }] },
]

const T = 4
const FRAME = 5

function samples(c: (typeof CASES)[number], count: number) {
  const cn = compileNetwork(randomNetwork({ ...c, frameSize: FRAME, classes: 4, seed: 17 }))
  const rng = new Rng(23)
  return Array.from({ length: count }, () => prepareSample(cn, { x: randomFrames(rng, T, FRAME) }))
}

describe.each(CASES)('$name: tight is never looser than Cert-RNN', (c) => {
  it('every class margin at every ε and region, and the paper search’s bound', () => {
    let improved = 0
    let compared = 0
    for (const prep of samples(c, 3)) {
      for (const frames of [[T - 1], [1], [0, 1, 2, 3]]) {
        for (const eps of [0.005, 0.02, 0.05, 0.15]) {
          const base = certifyFrames(prep, frames, eps, { method: 'certrnn' })
          // with a trace the tight run is always made (no shortcut through Cert-RNN's verdict)
          const tight = certifyFrames(prep, frames, eps, { method: 'tight', trace: { sink: [] } })
          for (let k = 0; k < base.margins.length; k++) {
            if (k === prep.predicted) continue
            expect(tight.margins[k]).toBeGreaterThanOrEqual(base.margins[k])
            compared++
            if (tight.margins[k] > base.margins[k] + 1e-9 * (1 + Math.abs(base.margins[k]))) improved++
          }
          expect(tight.margin).toBeGreaterThanOrEqual(base.margin)
          if (base.certified) expect(tight.certified).toBe(true)
        }
      }
      const b0 = findBound(prep, { kind: 'single' }, { method: 'certrnn', search: 'paper' })
      const b1 = findBound(prep, { kind: 'single' }, { method: 'tight', search: 'paper' })
      expect(b1.bound).toBeGreaterThanOrEqual(b0.bound)
      b1.perFrame!.forEach((b, t) => expect(b).toBeGreaterThanOrEqual(b0.perFrame![t]))
    }
    // the reduced product and the re-optimised last slopes do tighten margins
    expect(improved).toBeGreaterThan(compared / 10)
  })
})
