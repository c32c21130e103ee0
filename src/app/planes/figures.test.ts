import { describe, expect, it } from 'vitest'
import type { Data } from 'plotly.js'
import { METHODS, transformerSet } from '../../cert/index.ts'
import { curveGeometry, sliceGeometry } from './chartGeometry.ts'
import { planesData } from './planeData.ts'
import { planesFigure } from './plotlyFigure.ts'

type Trace = Data & { name?: string; x?: number[]; y?: number[]; z?: number[] | number[][] }

const box = { lx: -1, ux: 1.5, ly: -0.5, uy: 2 }

describe('what the views draw is what the engine computed', () => {
  it.each(['sigmoidTanh', 'xSigmoid', 'mul'] as const)('%s: the 3-D figure’s planes are the engine’s planes on the grid', (kind) => {
    const d = planesData(kind, box)
    for (const method of METHODS) {
      const p = transformerSet(method).binary[kind](box.lx, box.ux, box.ly, box.uy)
      const traces = planesFigure(d, method).data as Trace[]
      const byName = (n: string) => traces.find((t) => t.name === n)!
      const f = byName(d.label)
      expect(f.type).toBe('surface')
      expect(f.z).toBe(d.surface.z)
      // each plane is drawn on the box's four corners, at the engine's A·x + B·y + C
      for (const [name, c] of [['lower plane', p.c1], ['upper plane', p.c2]] as const) {
        const t = byName(name)
        expect(t.type).toBe('mesh3d')
        expect(t.x).toEqual([box.lx, box.ux, box.ux, box.lx])
        expect(t.y).toEqual([box.ly, box.ly, box.uy, box.uy])
        ;(t.z as number[]).forEach((v, k) => expect(v).toBe(p.a * t.x![k] + p.b * t.y![k] + c))
      }
      // the extreme markers sit where planeData found them
      const m = d.methods.find((m) => m.method === method)!
      expect(byName('min g')).toMatchObject({ x: [m.argmin.x], y: [m.argmin.y], z: [m.argmin.f] })
      expect(byName('max g')).toMatchObject({ x: [m.argmax.x], y: [m.argmax.y], z: [m.argmax.f] })
    }
  })

  it('a box with a side of zero width is drawn as 3-D lines', () => {
    const d = planesData('xSigmoid', { lx: 0.7, ux: 0.7, ly: -1, uy: 2 })
    const fig = planesFigure(d, 'certrnn')
    const traces = fig.data as Trace[]
    expect(traces.filter((t) => t.type === 'surface')).toHaveLength(0)
    const f = traces.find((t) => t.name === d.label)!
    expect(f.x!.every((v) => v === 0.7)).toBe(true)
    expect(f.z).toEqual(d.surface.z.map((row) => row[0]))
    const xr = (fig.layout.scene!.xaxis as { range: number[] }).range
    expect(xr[1]).toBeGreaterThan(xr[0])
  })

  it('2-D charts: one path per line, finite coordinates, markers at the extremes', () => {
    const u = planesData('tanh', box)
    for (const method of METHODS) {
      const g = curveGeometry(u, method)
      expect(g.paths.map((p) => p.cls).sort()).toEqual(['band', 'curve-f', 'plane-hi', 'plane-lo'])
      for (const p of g.paths) expect(p.d).not.toMatch(/NaN|Infinity/)
      expect(g.markers.map((m) => m.cls)).toEqual(['extreme-min', 'extreme-max'])
      // Cert-RNN's extremes touch their lines
      if (method === 'certrnn') for (const m of g.markers) expect(Math.abs(m.cy - m.planeY)).toBeLessThan(1e-6)
    }
    const b = planesData('sigmoidTanh', box)
    const s = sliceGeometry(b, 'deepz')
    expect(s.paths).toHaveLength(9)
    expect(s.legend.map((l) => l.label)).toEqual(['y = -0.5', 'y = 0.75', 'y = 2'])
    expect(() => curveGeometry(b, 'deepz')).toThrow(/not a one-variable function/)
  })

  it('the axes say what x, y and f stand for, in both views, with ticks of at most 3 significant digits', () => {
    const generic = planesData('sigmoidTanh', box)
    expect(generic.axes).toEqual({ x: 'x (into σ)', y: 'y (into tanh)', f: 'σ(x)·tanh(y)' })
    const d = planesData('sigmoidTanh', box, { axes: { x: 'i[3] before σ', y: 'g[3] before tanh' } })
    const scene = planesFigure(d, 'certrnn').layout.scene!
    expect([scene.xaxis!.title, scene.yaxis!.title, scene.zaxis!.title].map((t) => (t as { text: string }).text)).toEqual(['i[3] before σ', 'g[3] before tanh', 'σ(x)·tanh(y)'])
    expect(scene.xaxis!.tickformat).toBe('.3~g')
    const slices = sliceGeometry(d, 'deepz')
    expect([slices.xLabel, slices.yLabel]).toEqual(['i[3] before σ', 'σ(x)·tanh(y)'])
    const curve = curveGeometry(planesData('hardSigmoid', { lx: -4, ux: 1, ly: 0, uy: 0 }), 'certrnn')
    expect([curve.xLabel, curve.yLabel]).toEqual(['x (into hard_sigmoid)', 'hard_sigmoid(x)'])
  })
})
