/**
 * scripts/bench/ab.ts as a subprocess: a checkout compared with itself finds identical
 * bounds on every row and exits 0; a base whose certifier answers differently is caught
 * (exit 1, "DIFFER"); a missing --base or an unknown --search is a usage error (exit 2).
 */
import { spawnSync } from 'node:child_process'
import { cpSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

const ROOT = resolve(import.meta.dirname, '..')

function ab(args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/bench/ab.ts', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 })
  return { code: r.status, out: r.stdout, err: r.stderr }
}

describe('bench:ab', () => {
  it('compares a checkout with itself: identical bounds on every row, exit 0', () => {
    const r = ab(['--base', ROOT, '--models', 'rnn-1-32', '--rounds', '1', '--methods', 'certrnn,interval', '--search', 'paper'])
    expect(r.err).not.toMatch(/^\s+at /m)
    expect(r.code).toBe(0)
    const rows = r.out.split('\n').filter((l) => l.startsWith('rnn-1-32'))
    expect(rows).toHaveLength(2)
    for (const row of rows) expect(row).toMatch(/identical$/)
  })

  it('says when the two checkouts find different bounds (exit 1)', () => {
    // a copy of src/cert whose search stops one step early: same interface, other bounds
    const base = mkdtempSync(join(tmpdir(), 'ab-base-'))
    cpSync(join(ROOT, 'src/cert'), join(base, 'src/cert'), { recursive: true })
    symlinkSync(join(ROOT, 'node_modules'), join(base, 'node_modules'))
    const search = join(base, 'src/cert/search.ts')
    const text = readFileSync(search, 'utf8')
    expect(text).toContain('for (let l = 2; l <= 14; l++)')
    writeFileSync(search, text.replace('for (let l = 2; l <= 14; l++)', 'for (let l = 2; l <= 6; l++)'))
    const r = ab(['--base', base, '--models', 'rnn-1-32', '--rounds', '1', '--methods', 'certrnn', '--search', 'paper'])
    expect(r.code).toBe(1)
    expect(r.out).toMatch(/DIFFER/)
  })

  it('refuses a missing --base and an unknown --search with exit 2', () => {
    const missing = ab(['--models', 'rnn-1-32'])
    expect(missing.code).toBe(2)
    expect(missing.err).toMatch(/--base <checkout> is required/)
    const search = ab(['--base', ROOT, '--search', 'slow'])
    expect(search.code).toBe(2)
    expect(search.err).toMatch(/--search: "slow" is not paper, fast or both/)
  })
})
