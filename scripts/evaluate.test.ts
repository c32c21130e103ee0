import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, it } from 'vitest'

it('npm run evaluate: bounds per method, attack radii above them, CSV and JSON files', () => {
  const out = mkdtempSync(join(tmpdir(), 'evaluate-'))
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/evaluate.ts', '--model', 'public/models/rnn-2-32', '--n', '2', '--attack', '--out', out, '--eps-list', '0,0.001,0.5'], { encoding: 'utf8', timeout: 120_000 })
  expect(r.status).toBe(0)
  expect(r.stdout).toMatch(/certrnn\s+1\s+0\.\d+/)
  const json = JSON.parse(readFileSync(join(out, 'evaluation.json'), 'utf8'))
  expect(json.summary.map((s: { method: string }) => s.method)).toEqual(['certrnn', 'deepz', 'interval'])
  for (const s of json.samples) {
    // certified ≤ attack: the true radius lies between them
    expect(s.bound).toBeLessThanOrEqual(s.attack)
    expect(s.perFrame.split(' ')).toHaveLength(2)
  }
  const acc = readFileSync(join(out, 'verified-accuracy.csv'), 'utf8').trim().split('\n')
  expect(acc[0]).toBe('eps,certrnn,deepz,interval')
  expect(acc[1]).toBe('0,1,1,1')
  expect(acc[3]).toBe('0.5,0,0,0')
  expect(readFileSync(join(out, 'samples.csv'), 'utf8').trim().split('\n')).toHaveLength(1 + 2 * 3)
})
