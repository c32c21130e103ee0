import { describe, expect, it } from 'vitest'
import type { VarSelector } from '../cert/index.ts'
import { compileNetwork, insideConvexPolygon, looseness, prepareSample, randomFrames, randomNetwork, Rng, selectValue } from '../cert/index.ts'
import { CertClient } from './client.ts'
import type { AttackSummary, BoundSummary, LoosenessSummary, ProjectSummary, TraceSummary } from './protocol.ts'
import { InProcessWorker } from './testing/inProcessWorker.ts'

describe('trace and projection jobs (the visualiser)', () => {
  it('trace every operation per method; every sampled point lies inside every projection', async () => {
    const client = new CertClient(() => new InProcessWorker())
    const net = randomNetwork({ cell: 'lstm', hidden: [4], frameSize: 3, classes: 3, seed: 6 })
    await client.load('m', net)
    const input = { x: randomFrames(new Rng(1), 3, 3) }
    const t = (await client.run({ kind: 'trace', input, frames: [1, 2], eps: 0.1, methods: ['certrnn', 'deepz', 'interval'], margin: 'diff', samples: 300 }).result) as TraceSummary
    expect(t.entries.map((e) => `${e.step}:${e.op}`)).toEqual(['1:pre', '1:f*c', '1:i*g', '1:c', '1:h', '2:pre', '2:f*c', '2:i*g', '2:c', '2:h', 'null:logits'])
    expect(t.methods.map((m) => m.method)).toEqual(['certrnn', 'deepz', 'interval'])
    expect(t.cloud[0].length).toBe(300 * 16)
    let checked = 0
    for (const m of t.methods) {
      for (const entry of [4, 9, 10]) {
        const n = t.entries[entry].n
        const vars: [VarSelector, VarSelector] = entry === 10 ? [{ index: 0 }, { diff: [t.predicted, (t.predicted + 1) % 3] }] : [{ index: 0 }, { index: n - 1 }]
        const p = (await client.run({ kind: 'project', traceId: t.traceId, method: m.method, entry, vars: [vars[0], vars[1]] }).result) as ProjectSummary
        expect(p.polygon.length).toBeGreaterThan(2)
        for (let s = 0; s < t.samples; s++) {
          const values = t.cloud[entry].subarray(s * n, (s + 1) * n)
          const pt: [number, number] = [selectValue(values, vars[0]), selectValue(values, vars[1])]
          if (!insideConvexPolygon(p.polygon, pt)) expect.fail(`${m.method} entry ${entry}: sample ${s} at ${pt} outside the polygon`)
          checked++
        }
      }
    }
    expect(checked).toBe(3 * 3 * 300)
    // sample 0 is the unperturbed input: its logits are the model's
    const logits = t.cloud[10].subarray(0, 3)
    logits.forEach((v, c) => expect(v).toBeCloseTo(t.logits[c], 12))
  })

  // the trace computes only what the perturbed token reaches: a backward direction from the
  // last perturbed step down, a convolution's outputs from before the first; the sampled
  // values must be the same operations' (a misaligned cloud would look unsound)
  it.each([
    ['Bidirectional LSTM → max pool → relu head', randomNetwork({ cell: 'lstm', hidden: [4], frameSize: 3, classes: 3, seed: 6, vocab: 20, bidirectional: 'concat', returnSequences: true, after: [{ kind: 'pool', mode: 'max' }], head: [{ units: 5, activation: 'relu' }], before: [{ kind: 'identity', className: 'SpatialDropout1D' }] })],
    ['Conv1D (same) → GRU', randomNetwork({ cell: 'gru', hidden: [4], frameSize: 3, classes: 3, seed: 6, vocab: 20, before: [{ kind: 'conv1d', filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }] })],
  ])('%s: every sampled value lies in every method\'s bounds of its own operation', async (_name, net) => {
    const client = new CertClient(() => new InProcessWorker())
    await client.load('m', net)
    const t = (await client.run({ kind: 'trace', input: { tokens: [1, 2, 3, 4, 5] }, frames: [2], eps: 0.05, methods: ['certrnn', 'deepz', 'interval'], margin: 'diff', samples: 200 }).result) as TraceSummary
    const ops = new Set(t.entries.map((e) => e.op))
    if (ops.has('merge')) {
      expect(t.entries.filter((e) => e.op === 'backward h').map((e) => e.step)).toEqual([2, 1, 0])
      expect(ops).toContain('max pool')
      expect(ops).toContain('out')
      const k = t.entries.findIndex((e) => e.op === 'max pool')
      for (const m of t.methods) expect(m.max[k]!.choice).toHaveLength(t.entries[k].n)
      expect(t.methods.find((m) => m.method === 'interval')!.max[k]!.choice.every((c) => c === 'box')).toBe(true)
    } else expect(t.entries.filter((e) => e.op === 'conv').map((e) => e.step)).toEqual([1, 2, 3])
    let checked = 0
    t.entries.forEach((e, k) => {
      for (const m of t.methods) {
        for (let s = 0; s < t.samples; s++) {
          for (let i = 0; i < e.n; i++) {
            const v = t.cloud[k][s * e.n + i]
            if (!(v >= m.lo[k][i] - 1e-9 && v <= m.hi[k][i] + 1e-9)) expect.fail(`${m.method} ${e.op} at step ${e.step}: sample ${s} variable ${i} = ${v} outside [${m.lo[k][i]}, ${m.hi[k][i]}]`)
            checked++
          }
        }
      }
    })
    expect(checked).toBe(3 * 200 * t.entries.reduce((a, e) => a + e.n, 0))
  })

  it('a projection of a stale trace says so', async () => {
    const client = new CertClient(() => new InProcessWorker())
    await client.load('m', randomNetwork({ cell: 'gru', hidden: [3], frameSize: 2, classes: 2, seed: 1 }))
    await expect(client.run({ kind: 'project', traceId: 99, method: 'certrnn', entry: 0, vars: [{ index: 0 }, { index: 1 }] }).result).rejects.toThrow(/trace is gone/)
  })
})

describe('attack job', () => {
  it('finds an adversarial input at or above the certified bound, inside the ball', async () => {
    const client = new CertClient(() => new InProcessWorker())
    const net = randomNetwork({ cell: 'gru', hidden: [4], frameSize: 3, classes: 3, seed: 9 })
    await client.load('m', net)
    const input = { x: randomFrames(new Rng(4), 3, 3) }
    const b = (await client.run({ kind: 'bound', input, threat: { kind: 'all' }, method: 'certrnn', margin: 'diff', search: 'fast' }).result) as BoundSummary
    const a = (await client.run({ kind: 'attack', input, threat: { kind: 'all' }, guess: b.result.bound }).result) as AttackSummary
    expect(Number.isFinite(a.radius)).toBe(true)
    expect(a.radius).toBeGreaterThanOrEqual(b.result.bound)
    a.adversarial!.forEach((f, t) => f.forEach((v, i) => expect(Math.abs(v - input.x[t][i])).toBeLessThanOrEqual(a.radius + 1e-12)))
    const logits = a.adversarialLogits!
    expect(logits.indexOf(Math.max(...logits))).not.toBe(a.predicted)
  })

  it('single-frame threat with everyFrame: every frame\'s radius (a heatmap\'s upper bounds), each at or above its certified bound', async () => {
    const client = new CertClient(() => new InProcessWorker())
    await client.load('m', randomNetwork({ cell: 'gru', hidden: [4], frameSize: 3, classes: 3, seed: 9 }))
    const input = { x: randomFrames(new Rng(5), 3, 3) }
    const b = (await client.run({ kind: 'bound', input, threat: { kind: 'single' }, method: 'certrnn', margin: 'diff', search: 'fast' }).result) as BoundSummary
    const certified = b.result.perFrame!
    const guess = certified.map((c) => Math.max(c, 1e-3))
    const pgd = { steps: 10, restarts: 2 }
    const every = (await client.run({ kind: 'attack', input, threat: { kind: 'single' }, guess, everyFrame: true, ...pgd }).result) as AttackSummary
    const onlyMin = (await client.run({ kind: 'attack', input, threat: { kind: 'single' }, guess, ...pgd }).result) as AttackSummary
    expect(every.perFrame).toHaveLength(3)
    every.perFrame!.forEach((a, t) => {
      expect(Number.isFinite(a)).toBe(true)
      expect(a).toBeGreaterThanOrEqual(certified[t])
    })
    expect(every.radius).toBe(Math.min(...every.perFrame!))
    // without it the frames that cannot be the minimum stop early: fewer of them are searched to the end
    expect(onlyMin.perFrame!.filter((a, t) => a > every.perFrame![t] + 2 ** -13).length).toBeGreaterThan(0)
  })
})

describe('the looseness job (the abstraction view\'s "where the looseness comes from")', () => {
  it('each method\'s split of the gap, as the certifier computes it', async () => {
    const client = new CertClient(() => new InProcessWorker())
    const net = randomNetwork({ cell: 'lstm', hidden: [4], frameSize: 3, classes: 3, seed: 6 })
    await client.load('m', net)
    const input = { x: randomFrames(new Rng(1), 3, 3) }
    const r = (await client.run({ kind: 'looseness', input, frames: [1, 2], eps: 0.1, methods: ['certrnn', 'deepz'], margin: 'diff' }).result) as LoosenessSummary
    expect(r.splits.map((s) => s.method)).toEqual(['certrnn', 'deepz'])
    const cn = compileNetwork(net)
    const prep = prepareSample(cn, input)
    expect(r.predicted).toBe(prep.predicted)
    for (const { method, split } of r.splits) {
      expect(split).toEqual(looseness(prep, [1, 2], 0.1, { method }))
      expect(split.parts.map((p) => p.origin.step)).toContain(2)
    }
  })
})
