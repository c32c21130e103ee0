import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { digitsAsFrames, examplePixel } from './digits.ts'
import type { SharedDigits } from './digits.ts'

const MODELS = join(import.meta.dirname, '..', '..', 'public', 'models')

describe('MNIST digits as frames', () => {
  it('cuts 28×28 digits (0…255) into the model\'s frames, pixel / 255, rows in order', () => {
    const img = Array.from({ length: 784 }, (_, k) => k % 256)
    const ex = digitsAsFrames({ labels: [7], images: [img] }, 4)
    expect(ex).toHaveLength(1)
    expect(ex[0].label).toBe(7)
    expect(ex[0].x).toHaveLength(4)
    expect(ex[0].x[1]).toHaveLength(196)
    expect(ex[0].x[1][0]).toBeCloseTo((196 % 256) / 255, 12)
    expect(ex[0].x.flat()).toEqual(img.map((v) => v / 255))
    expect(() => digitsAsFrames({ labels: [7], images: [img] }, 5)).toThrow(/5 frames/)
  })

  it('with the shipped rounding, the shared digits are exactly the examples each MNIST zoo model ships (so reproduce can extend them)', () => {
    const shared = JSON.parse(readFileSync(join(MODELS, 'mnist-examples.json'), 'utf8')) as SharedDigits
    for (const [id, frames] of [['lstm-7-32', 7], ['rnn-14-64', 14], ['lstm-1-32', 1], ['gru-7-32', 7]] as const) {
      const own = JSON.parse(readFileSync(join(MODELS, id, 'examples.json'), 'utf8')).examples as Array<{ x: number[][]; label: number }>
      expect(own.length).toBeGreaterThan(0)
      expect(digitsAsFrames(shared, frames, own.length, examplePixel)).toEqual(own.map((e) => ({ x: e.x, label: e.label })))
    }
    // `from` continues where the shipped ones stop
    const more = digitsAsFrames(shared, 7, 3, examplePixel, 20)
    expect(more.map((e) => e.label)).toEqual(shared.labels.slice(20, 23))
  })
})
