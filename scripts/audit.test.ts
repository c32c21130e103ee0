/**
 * The audit (npm run audit), fast subset: two small zoo models, one example each, 2,000
 * points per frame ball, on the deterministic TF.js cpu backend. No certified ball may
 * contain an input that changes the prediction; and the audit does catch an overstated
 * (inflated) bound. Needs only public/models.
 */
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import type { ZooAuditOptions } from './audit.ts'
import { auditZoo, estimateCost, formatReport, selectModels, setBackend } from './audit.ts'
import { auditedFrames, samplingPlan } from '../src/attack/audit.ts'
import { METHODS } from '../src/cert/index.ts'

const ROOT = resolve(import.meta.dirname, '..')
const ZOO = join(ROOT, 'public', 'models')
const MODELS = ['rnn-2-32', 'lstm-1-32']
const available = [...MODELS, 'lstm-4-32-tfjs'].every((id) => existsSync(join(ZOO, id, 'model.json')))

const opts: ZooAuditOptions = {
  zoo: ZOO,
  models: MODELS,
  n: 1,
  samples: 2000,
  methods: ['certrnn'],
  steps: 10,
  restarts: 3,
  radiusSteps: 10,
  radiusRestarts: 2,
  clipMode: 'none',
  maxEps: 1,
  seed: 1,
  maxFrames: 16,
  longFrames: 8,
}

beforeAll(async () => {
  expect(await setBackend('cpu')).toBe('cpu')
})

describe.runIf(available)('audit of the zoo (fast subset)', () => {
  it('rnn-2-32 and lstm-1-32: no soundness violation; certified bound below the attack radius', () => {
    const reports = auditZoo(opts)
    expect(reports.map((r) => r.id)).toEqual(MODELS)
    for (const r of reports) {
      const a = r.audit!
      expect(a.violationCount, `${r.id}: ${JSON.stringify(a.violations.slice(0, 2).map((v) => ({ ...v, input: undefined })))}`).toBe(0)
      const s = a.samples[0]
      const m = s.methods[0]
      expect(m.bound).toBeGreaterThan(0)
      expect(m.perFrame).toHaveLength(s.frames)
      expect(s.attackRadius).toBeGreaterThan(m.bound)
      expect(Number.isFinite(s.attackRadius)).toBe(true)
      // PGD at every frame's certified radius, 2,000 points per frame ball
      expect(m.attacked).toBe(s.frames)
      expect(m.sampledFrames * m.samplesPerFrame).toBe(2000 * s.frames)
      expect(m.pgdMinMargin).toBeGreaterThan(0)
      expect(m.sampleMinMargin).toBeGreaterThan(0)
      // PGD pushes the margin lower than random sampling does
      expect(m.pgdMinMargin).toBeLessThan(m.sampleMinMargin)
      const line = formatReport(r)
      expect(line).toContain(r.id)
      expect(line).toContain('violations 0')
      expect(a.summary[0].meanGap).toBeCloseTo(s.attackRadius - m.bound, 12)
    }
  })

  it('lstm-4-32-tfjs (TF.js defaults: hard_sigmoid gates; float16 weights): no violation for any method, on one digit', () => {
    const [r] = auditZoo({ ...opts, models: ['lstm-4-32-tfjs'], samples: 1000, methods: [...METHODS] })
    const a = r.audit!
    expect(a.violationCount, JSON.stringify(a.violations.slice(0, 2).map((v) => ({ ...v, input: undefined })))).toBe(0)
    for (const s of a.samples) {
      for (const m of s.methods) {
        expect(m.bound, m.method).toBeGreaterThan(0)
        expect(m.attacked).toBe(s.frames)
        expect(m.sampledFrames * m.samplesPerFrame).toBe(1000 * s.frames)
        expect(m.pgdMinMargin).toBeGreaterThan(0)
      }
      // the tighter methods certify at least what interval arithmetic does
      const bound = (k: string) => s.methods.find((m) => m.method === k)!.bound
      expect(bound('certrnn')).toBeGreaterThanOrEqual(bound('interval'))
    }
  }, 300_000)

  it('catches a certifier that overstates its bounds (inflated 4×): violations with inputs inside the claimed balls', () => {
    const [r] = auditZoo({ ...opts, models: ['rnn-2-32'], inflate: 4 })
    const a = r.audit!
    expect(a.violationCount).toBeGreaterThan(0)
    const v = a.violations.find((x) => x.kind === 'pgd')!
    expect(v).toBeDefined()
    expect(v.margin).toBeLessThanOrEqual(0)
    expect(formatReport(r)).not.toContain('violations 0')
  })
})

describe('audit planning', () => {
  it('samples every frame within the budget, else fewer points, then the frames with the smallest bounds', () => {
    const cost = [4, 3, 2, 1]
    const bounds = [0.1, 0.02, 0, 0.05]
    expect(samplingPlan(cost, bounds, { samples: 100, budget: 1e6 })).toEqual({ frames: [0, 1, 3], samples: 100, reduced: false })
    expect(samplingPlan(cost, bounds, { samples: 10000, budget: 40000, minSamples: 1000 })).toEqual({ frames: [0, 1, 3], samples: 5000, reduced: true })
    // 1,000 points on all three frames would cost 8,000 > 5,000: the smallest bounds first
    expect(samplingPlan(cost, bounds, { samples: 10000, budget: 5000, minSamples: 1000 })).toEqual({ frames: [1, 3], samples: 1000, reduced: true })
  })

  it('audits evenly spaced frames of long inputs', () => {
    expect(auditedFrames(5, 16)).toEqual([0, 1, 2, 3, 4])
    expect(auditedFrames(64, 16)).toHaveLength(16)
    expect(auditedFrames(64, 16)[0]).toBe(0)
    expect(auditedFrames(64, 16)[15]).toBe(63)
    expect(auditedFrames(10)).toHaveLength(10)
    expect(auditedFrames(64, 16, 8)).toEqual([0, 9, 18, 27, 36, 45, 54, 63])
    expect(auditedFrames(16, 16, 8)).toHaveLength(16)
  })

  it('knows the manifest and ranks model costs', () => {
    expect(() => selectModels([], ['nope'])).toThrow(/nope/)
    if (!available) return
    const reports = auditZoo({ ...opts, models: ['rnn-2-32'], n: 0 })
    expect(reports[0].n).toBe(0)
    const m = (id: string) => ({ id, path: id, cell: 'simpleRnn', hidden: 32, layers: 1, input: { kind: 'frames', frames: Number(id.split('-')[1]), frameSize: 784 / Number(id.split('-')[1]) } }) as never
    expect(estimateCost(m('rnn-14-32'), { zoo: ZOO, n: 3, maxFrames: 16 })).toBeGreaterThan(estimateCost(m('rnn-2-32'), { zoo: ZOO, n: 3, maxFrames: 16 }))
  })
})

describe('npm run audit (command line)', () => {
  const run = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts', 'audit.ts'), ...args], { cwd: ROOT, encoding: 'utf8' })

  it('prints its usage, and refuses bad flags and unknown models with exit code 2', () => {
    const help = run('--help')
    expect(help.status).toBe(0)
    expect(help.stdout).toContain('--samples')
    const bad = run('--methods', 'magic')
    expect(bad.status).toBe(2)
    expect(bad.stderr).toContain('--methods magic')
    const unknown = run('--models', 'no-such-model')
    expect(unknown.status).toBe(2)
    expect(unknown.stderr).toContain('no-such-model')
  })
})
