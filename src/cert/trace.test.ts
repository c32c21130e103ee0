import { describe, expect, it } from 'vitest'
import type { TraceEntry } from './domains/zonotope.ts'
import { certifyFrames, prepareSample } from './certify.ts'
import { Rng } from './rng.ts'
import type { ConcreteEntry } from './runtime.ts'
import { compileNetwork, forward } from './runtime.ts'
import { randomFrames, randomNetwork } from './randomNetwork.ts'
import { transformerSet } from './transformers/index.ts'
import { isUnaryKind } from './transformers/plane.ts'
import { zonotopeBounds } from './zonotope.ts'

describe('trace', () => {
  const cn = compileNetwork(randomNetwork({ cell: 'lstm', hidden: [4], frameSize: 3, classes: 3, seed: 8 }))
  const prep = prepareSample(cn, { x: randomFrames(new Rng(1), 3, 3) })

  it('records every LSTM operation per step, starting at the first perturbed frame', () => {
    const sink: TraceEntry[] = []
    certifyFrames(prep, [1], 0.05, { trace: { sink, zonotopes: true } })
    const ops = sink.map((e) => `${e.step}:${e.op}`)
    expect(ops).toEqual(['1:pre', '1:f*c', '1:i*g', '1:c', '1:h', '2:pre', '2:f*c', '2:i*g', '2:c', '2:h', 'null:logits'])
    for (const e of sink) {
      expect(e.zonotope).toBeDefined()
      // the recorded bounds are those of the recorded zonotope
      expect([...e.bounds.lo]).toEqual([...zonotopeBounds(e.zonotope!).lo])
    }
  })

  it('the planes in the trace are exactly the planes the method computes for the recorded boxes', () => {
    const sink: TraceEntry[] = []
    certifyFrames(prep, [0, 1, 2], 0.1, { method: 'certrnn', trace: { sink } })
    const set = transformerSet('certrnn')
    let checked = 0
    for (const e of sink) {
      const p = e.planes
      if (!p) continue
      for (let i = 0; i < p.a.length; i++) {
        const q = isUnaryKind(p.kind) ? set.unary[p.kind](p.lx[i], p.ux[i]) : set.binary[p.kind](p.lx[i], p.ux[i], p.ly[i], p.uy[i])
        expect([p.a[i], p.b[i], p.c1[i], p.c2[i]]).toEqual([q.a, q.b, q.c1, q.c2])
        checked++
      }
    }
    expect(checked).toBe(3 * 3 * 4) // three products per step, four units, three steps
  })

  it('order reduction stays sound and caps the generators', () => {
    const big = compileNetwork(randomNetwork({ cell: 'gru', hidden: [6], frameSize: 5, classes: 3, seed: 2 }))
    const rng = new Rng(5)
    const p = prepareSample(big, { x: randomFrames(rng, 5, 5) })
    const frames = [0, 1, 2, 3, 4]
    const full = certifyFrames(p, frames, 0.05)
    const reduced = certifyFrames(p, frames, 0.05, { reduceTo: 10 })
    expect(reduced.generators).toBeLessThan(full.generators)
    for (let k = 0; k < 3000; k++) {
      const x = p.frames.map((f) => f.map((v) => v + 0.05 * (rng.next() < 0.5 ? Math.sign(rng.uniform(-1, 1)) : rng.uniform(-1, 1))))
      const l = forward(big, x).logits
      for (let c = 0; c < 3; c++) {
        expect(l[c]).toBeGreaterThanOrEqual(reduced.logitLo[c] - 1e-9)
        expect(l[c]).toBeLessThanOrEqual(reduced.logitHi[c] + 1e-9)
      }
    }
  })
})

describe('concrete trace', () => {
  it.each([
    ['simpleRnn', [5]],
    ['lstm', [4, 3]],
    ['gru', [4]],
    ['gruResetAfter', [4]],
  ] as const)('%s: every abstract operation has its concrete twin, and a point lies inside its zonotope', (cell, hidden) => {
    const cn = compileNetwork(randomNetwork({ cell, hidden: [...hidden], frameSize: 3, classes: 3, seed: 4 }))
    const prep = prepareSample(cn, { x: randomFrames(new Rng(2), 3, 3) })
    const sink: TraceEntry[] = []
    certifyFrames(prep, [0, 1, 2], 0.1, { trace: { sink } })
    const concrete: ConcreteEntry[] = []
    const x = prep.frames.map((f) => f.map((v) => v + 0.1 * (2 * Math.random() - 1)))
    forward(cn, x, concrete)
    expect(concrete.map((e) => `${e.layer}/${e.step}/${e.op}`)).toEqual(sink.map((e) => `${e.layer}/${e.step}/${e.op}`))
    concrete.forEach((e, k) => {
      const b = sink[k].bounds
      e.values.forEach((v, i) => {
        expect(v).toBeGreaterThanOrEqual(b.lo[i] - 1e-9)
        expect(v).toBeLessThanOrEqual(b.hi[i] + 1e-9)
      })
    })
  })
})

describe('trace of the sequence pipeline', () => {
  it('a Bidirectional SimpleRNN (sequences) with max pooling: forward from the perturbed frame, backward down from it, merged at every step, then the max', () => {
    const net = randomNetwork({ cell: 'simpleRnn', hidden: [3], frameSize: 2, classes: 2, seed: 3, bidirectional: 'concat', returnSequences: true, after: [{ kind: 'pool', mode: 'max' }] })
    const cn = compileNetwork(net)
    const prep = prepareSample(cn, { x: randomFrames(new Rng(2), 4, 2) })
    const sink: TraceEntry[] = []
    certifyFrames(prep, [1], 0.05, { trace: { sink } })
    expect(sink.map((e) => `${e.layerName}:${e.step}:${e.op}`)).toEqual([
      'bidirectional_0:1:forward pre',
      'bidirectional_0:1:forward h',
      'bidirectional_0:2:forward pre',
      'bidirectional_0:2:forward h',
      'bidirectional_0:3:forward pre',
      'bidirectional_0:3:forward h',
      'bidirectional_0:1:backward pre',
      'bidirectional_0:1:backward h',
      'bidirectional_0:0:backward pre',
      'bidirectional_0:0:backward h',
      'bidirectional_0:0:merge',
      'bidirectional_0:1:merge',
      'bidirectional_0:2:merge',
      'bidirectional_0:3:merge',
      'pool_100:null:max pool',
      'dense:null:logits',
    ])
    const max = sink.find((e) => e.op === 'max pool')!
    expect(max.max?.choice.length).toBe(6)
    // the concrete trace names the same operations
    const concrete: ConcreteEntry[] = []
    forward(cn, prep.frames, concrete)
    const names = new Set(concrete.map((e) => `${e.layerName}:${e.step}:${e.op}`))
    for (const e of sink) expect(names.has(`${e.layerName}:${e.step}:${e.op}`)).toBe(true)
  })
})
