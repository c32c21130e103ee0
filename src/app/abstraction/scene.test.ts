import { describe, expect, it } from 'vitest'
import type { Projection } from '../../cert/index.ts'
import { buildScene, widestBox } from './scene.ts'

const square = (lo: number, hi: number): Projection =>
  ({
    polygon: [
      [lo, lo],
      [hi, lo],
      [hi, hi],
      [lo, hi],
    ],
    lo: [lo, lo],
    hi: [hi, hi],
  }) as unknown as Projection

describe('projection scene', () => {
  it('scales to the tighter methods and the samples; a huge interval box is drawn clipped and named', () => {
    const points: Array<[number, number]> = [
      [0, 0],
      [0.5, -0.5],
    ]
    const s = buildScene(
      [
        { method: 'certrnn', p: square(-1, 1) },
        { method: 'interval', p: square(-100, 100) },
      ],
      points,
    )
    expect(s.xDomain[0]).toBeGreaterThan(-2)
    expect(s.xDomain[1]).toBeLessThan(2)
    expect(s.offScale).toEqual(['interval'])
    // the interval alone sets the scale when it is the only shape shown
    const alone = buildScene([{ method: 'interval', p: square(-100, 100) }], points)
    expect(alone.xDomain[0]).toBeLessThan(-99)
    expect(alone.offScale).toEqual([])
  })

  it('the widest box of a step: the transformer and neuron with the widest x (+ y) range', () => {
    const rec = (lx: number[], ux: number[], ly = lx.map(() => NaN), uy = lx.map(() => NaN)) => ({ lx, ux, ly, uy })
    expect(widestBox([rec([0, 0], [0, 0], [0, 0], [1, 1]), rec([0, -1, 0], [0.5, 2, 0])])).toEqual({ op: 1, neuron: 1 })
    expect(widestBox([rec([0, 0], [0, 0], [0, -3], [0, 3])])).toEqual({ op: 0, neuron: 1 })
  })
})
