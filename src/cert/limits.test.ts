import { describe, expect, it } from 'vitest'
import { checkSequenceCost, costShape, estimateSeconds, MAX_FRAMES, roughDuration, SequenceTooLongError, sequenceCostProblem } from './limits.ts'
import { randomNetwork } from './randomNetwork.ts'

const lstm = costShape(randomNetwork({ cell: 'lstm', hidden: [32], frameSize: 4, classes: 3, seed: 1 }))
const text = costShape(randomNetwork({ cell: 'gru', hidden: [8], frameSize: 5, classes: 2, seed: 1, vocab: 20 }))

describe('sequence length cap', () => {
  it('reads the shape of a network (embedding width for token models)', () => {
    expect(lstm).toEqual({ frameSize: 4, layers: [{ units: 32, gates: 4, fresh: 3 }] })
    expect(text.frameSize).toBe(5)
    expect(text.layers).toEqual([{ units: 8, gates: 3, fresh: 3 }])
  })

  it('lets inputs up to the cap through and refuses longer ones with the length, the cap, an estimate and how to raise it', () => {
    expect(sequenceCostProblem(MAX_FRAMES, lstm)).toBeNull()
    expect(() => checkSequenceCost(10, lstm)).not.toThrow()
    const msg = sequenceCostProblem(1000, lstm, { index: 3, raiseWith: '--max-frames' })!
    expect(msg).toMatch(/^input 3 has 1000 frames; the certifier's cap is 256 frames \(its time grows faster than the square of the length; estimated .+ for this input\); raise the cap with --max-frames 1000$/)
    expect(() => checkSequenceCost(1000, lstm, { index: 3 })).toThrow(SequenceTooLongError)
    expect(sequenceCostProblem(1000, lstm, { maxFrames: 1000 })).toBeNull()
    expect(sequenceCostProblem(30, text, { maxFrames: 20, unit: 'tokens' })).toMatch(/^the input has 30 tokens; the certifier's cap is 20 tokens/)
  })

  it('estimates grow faster than the square of the length, and with the evaluations', () => {
    const t1 = estimateSeconds(50, lstm)
    const t2 = estimateSeconds(100, lstm)
    expect(t2 / t1).toBeGreaterThan(4)
    expect(estimateSeconds(100, lstm, { threat: 'all' })).toBeLessThan(t2)
    expect(estimateSeconds(100, lstm, { evaluations: 1 }) * 13).toBeCloseTo(t2, 6)
    expect(estimateSeconds(100, lstm, { threat: { frames: [98, 99] } })).toBeLessThan(estimateSeconds(100, lstm, { threat: { frames: [0, 1] } }))
  })

  it('rounds durations', () => {
    expect(roughDuration(0.2)).toBe('under a second')
    expect(roughDuration(12.4)).toBe('12 s')
    expect(roughDuration(600)).toBe('10 min')
    expect(roughDuration(3 * 3600)).toBe('3.0 h')
    expect(roughDuration(30 * 3600)).toBe('30 h')
    expect(roughDuration(100 * 3600)).toBe('4 days')
  })
})
