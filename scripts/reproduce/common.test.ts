import { describe, expect, it } from 'vitest'
import { readExamples } from './common.ts'

describe('reproduce reads a zoo model\'s examples', () => {
  it('an MNIST model asked for more than the 20 it ships continues with the bundled test digits; beyond 100 it says so', () => {
    const own = readExamples('lstm-7-32')
    expect(own).toHaveLength(20)
    const more = readExamples('lstm-7-32', 25, { task: 'mnist' })
    expect(more).toHaveLength(25)
    expect(more.slice(0, 20)).toEqual(own)
    // digit 20 of the MNIST test set is a 9, cut into 7 frames of 112 pixels like the shipped ones
    expect(more[20].label).toBe(9)
    expect(more[20].x).toHaveLength(7)
    expect(more[20].x![0]).toHaveLength(112)
    const notes: string[] = []
    const all = readExamples('rnn-14-64', 150, { task: 'mnist', log: (s) => notes.push(s) })
    expect(all).toHaveLength(100)
    expect(notes).toEqual(['rnn-14-64: 150 examples asked for, 100 available (the first 100 MNIST test digits are bundled): using 100'])
  })

  it('a text model gives what it ships and says when fewer exist', () => {
    const notes: string[] = []
    const ex = readExamples('toxic-lstm', 1000, { task: 'toxic', log: (s) => notes.push(s) })
    expect(ex.length).toBeGreaterThan(0)
    expect(ex.length).toBeLessThan(1000)
    expect(notes[0]).toMatch(/^toxic-lstm: 1000 examples asked for, \d+ available \(the examples the model ships\)/)
    expect(readExamples('toxic-lstm', 2, { task: 'toxic', log: (s) => notes.push(s) })).toHaveLength(2)
    expect(notes).toHaveLength(1)
  })
})
