import { describe, expect, it } from 'vitest'
import type { Projection } from '../../cert/index.ts'
import { randomNetwork } from '../../cert/index.ts'
import type { TraceSummary } from '../../worker/protocol.ts'
import { buildScene, maxChoiceCounts, outsideCount, opLabel, planeAxes, stepsOf, variableNames, widestBox } from './scene.ts'

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

  it('counts the sampled points outside each polygon, or takes the count computed ahead', () => {
    const points: Array<[number, number]> = [
      [0, 0],
      [0.5, -0.5],
      [3, 0],
      [0, -4],
    ]
    expect(outsideCount(square(-1, 1).polygon, points)).toBe(2)
    expect(outsideCount(square(-5, 5).polygon, points)).toBe(0)
    const fresh = buildScene([{ method: 'certrnn', p: square(-1, 1) }], points)
    expect(fresh.outside).toBe(2)
    expect(fresh.layers[0].outside).toBe(2)
    // a count computed ahead (the view checks prefetched projections when idle) is used as it is
    const ahead = buildScene([{ method: 'certrnn', p: square(-1, 1), outside: outsideCount(square(-1, 1).polygon, points) }], points)
    expect(ahead.outside).toBe(2)
    expect({ ...ahead, sx: null, sy: null }).toEqual({ ...fresh, sx: null, sy: null })
  })

  it('the widest box of a step: the transformer and neuron with the widest x (+ y) range', () => {
    const rec = (lx: number[], ux: number[], ly = lx.map(() => NaN), uy = lx.map(() => NaN)) => ({ lx, ux, ly, uy })
    expect(widestBox([rec([0, 0], [0, 0], [0, 0], [1, 1]), rec([0, -1, 0], [0.5, 2, 0])])).toEqual({ op: 1, neuron: 1 })
    expect(widestBox([rec([0, 0], [0, 0], [0, -3], [0, 3])])).toEqual({ op: 0, neuron: 1 })
  })

  it('the operations in words: both directions of a Bidirectional LSTM, the merge, the pool, the relu head, a convolution', () => {
    const bi = randomNetwork({ cell: 'lstm', hidden: [3], frameSize: 2, classes: 2, seed: 1, bidirectional: 'concat', returnSequences: true, after: [{ kind: 'pool', mode: 'max' }], head: [{ units: 4, activation: 'relu' }] })
    const [rec, pool, hidden, out] = bi.layers
    expect(opLabel('forward pre', rec)).toBe('forward direction: gates i, f, g, o (before activation)')
    expect(opLabel('backward f*c', rec)).toBe('backward direction: f ⊙ c: what the cell keeps')
    expect(opLabel('backward h', rec)).toBe('backward direction: hidden state h = o ⊙ tanh(c)')
    expect(opLabel('merge', rec)).toBe('merge of the two directions (concat)')
    expect(opLabel('max pool', pool)).toBe('max pool over the steps')
    expect(opLabel('backward mask state', rec)).toBe('backward direction: state after a step that may be masked (skipped or not: both bounded)')
    expect(opLabel('mask avg pool', pool)).toMatch(/^average pool over the unmasked steps/)
    expect(opLabel('last step', pool)).toMatch(/last step/)
    expect(opLabel('pre', hidden)).toBe('W·x + b (before activation)')
    expect(opLabel('out', hidden)).toBe('relu output')
    expect(opLabel('logits', out)).toBe('logits (output layer)')
    const conv = randomNetwork({ cell: 'gru', hidden: [3], frameSize: 2, classes: 2, seed: 1, before: [{ kind: 'conv1d', filters: 2, kernelSize: 2, padding: 'causal', activation: 'relu' }] })
    expect(opLabel('conv', conv.layers[0])).toMatch(/^convolution/)
    expect(opLabel('pre z,r', conv.layers[1])).toBe('update and reset gates z, r (before σ)')
    // the variables: each direction's gates, the merged halves
    const entry = (op: string, n: number) => ({ layer: 0, layerName: 'bidirectional', step: 1, op, n })
    expect(variableNames(entry('backward pre', 12), [], rec).slice(2, 5)).toEqual(['b:i[2]', 'b:f[0]', 'b:f[1]'])
    expect(variableNames(entry('merge', 6), [], rec)).toEqual(['forward h[0]', 'forward h[1]', 'forward h[2]', 'backward h[0]', 'backward h[1]', 'backward h[2]'])
    expect(variableNames(entry('forward c', 3), [], rec)).toEqual(['f:c[0]', 'f:c[1]', 'f:c[2]'])
    // the planes' axes: the two inputs of the neuron's transformer
    expect(planeAxes('backward i*g', 2, rec)).toEqual({ x: 'i[2] before σ', y: 'g[2] before tanh' })
    expect(planeAxes('forward f*c', 0, rec)).toEqual({ x: 'c[0] (previous)', y: 'f[0] before σ' })
    expect(planeAxes('out', 1, hidden)).toEqual({ x: 'unit 1 before relu', y: '' })
    expect(planeAxes('(h-h~)*z', 0, conv.layers[1])).toEqual({ x: '(h − h̃)[0]', y: 'z[0] before σ' })
  })

  it('steps in time order, the layers after the recurrence last (a backward direction is traced from the last perturbed step down)', () => {
    const entries = [1, 2, 3, 1, 0, null].map((step, k) => ({ layer: 0, layerName: 'l', step, op: `op${k}`, n: 1 }))
    expect(stepsOf({ entries } as unknown as TraceSummary)).toEqual([0, 1, 2, 3, null])
    expect(maxChoiceCounts(['exact', 'box', 'exact', 'step'])).toEqual({ exact: 2, step: 1, box: 1 })
  })
})
