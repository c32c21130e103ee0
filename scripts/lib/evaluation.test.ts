/**
 * The evaluation's tasks as worker jobs: --split K reaches the tight method's jobs only (the
 * other methods' columns stay theirs), and a run without it keeps its identity (queue keys,
 * part files) as before.
 */
import { expect, it } from 'vitest'
import type { EvalSettings } from './evaluation.ts'
import { runIdentity, taskJob } from './evaluation.ts'

const settings: EvalSettings = { threat: { kind: 'single' }, search: 'fast', margin: 'diff' }
const input = { x: [[0.5]] }

it('--split K is carried by the tight method’s jobs only', () => {
  const split = { ...settings, splits: 16 }
  expect(taskJob({ index: 0, method: 'tight', input }, split)).toMatchObject({ kind: 'bound', method: 'tight', splits: 16 })
  for (const method of ['certrnn', 'deepz', 'interval'] as const) expect(taskJob({ index: 0, method, input }, split)).not.toHaveProperty('splits')
  expect(taskJob({ index: 0, method: 'attack', input }, split)).not.toHaveProperty('splits')
  expect(taskJob({ index: 0, method: 'tight', input }, settings)).not.toHaveProperty('splits')
})

it('a run’s identity names its split budget, and is unchanged without one', () => {
  const model = { name: 'm', hash: 'h' }
  const plain = runIdentity(model, settings, ['certrnn', 'tight'], false, [0.01], [input])
  expect(plain.settings).toEqual({ threat: { kind: 'single' }, search: 'fast', margin: 'diff', clip: null, reduceTo: null })
  expect(runIdentity(model, { ...settings, splits: 4 }, ['certrnn', 'tight'], false, [0.01], [input]).settings).toMatchObject({ splits: 4 })
})
