import { copyFileSync, cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { InputError, UsageError } from './lib/args.ts'
import { mergeParts, shardValue } from './lib/shards.ts'
import { evaluationFiles, mnistInputs } from './lib/testing/evaluationFiles.ts'
import { runScript } from './lib/testing/scripts.ts'

const EVALUATE = 'scripts/evaluate.ts'

describe('npm run evaluate --shard i/n, then --merge (batch schedulers without Redis)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'shards-'))
  const inputs = mnistInputs(join(dir, 'inputs.json'), 3, 2)
  const run = ['--inputs', inputs, '--methods', 'certrnn', '--attack', '--search', 'fast', '--eps-list', '0,0.005,0.01,0.02']
  const parts = join(dir, 'parts')
  // a copy of the model with one weight changed in its last bits: a different model, as valid
  const other = join(dir, 'rnn-2-32')
  cpSync('public/models/rnn-2-32', other, { recursive: true })
  const weights = readFileSync(join(other, 'weights.bin'))
  weights[0] ^= 1
  writeFileSync(join(other, 'weights.bin'), weights)

  let local: Awaited<ReturnType<typeof runScript>>
  beforeAll(async () => {
    // the local run, the three shards and one shard of another model's run, side by side
    const runs = await Promise.all([
      runScript(EVALUATE, ['--model', 'public/models/rnn-2-32', ...run, '--out', join(dir, 'local')]),
      ...[0, 1, 2].map((i) => runScript(EVALUATE, ['--model', 'public/models/rnn-2-32', ...run, '--shard', `${i}/3`, '--out', parts])),
      runScript(EVALUATE, ['--model', other, ...run, '--shard', '1/3', '--out', join(dir, 'other')]),
    ])
    for (const r of runs) expect(r.stderr).not.toMatch(/error/)
    expect(runs.map((r) => r.status)).toEqual([0, 0, 0, 0, 0])
    local = runs[0]
    expect(runs[2].stdout).toContain(`shard 1/3: 2 of 6 tasks; wrote ${join(parts, 'part-1-of-3.json')}`)
  }, 600_000)

  it('the three parts merged (as a folder, or as files in any order) give the files of the local run', async () => {
    expect(readdirSync(parts).sort()).toEqual(['part-0-of-3.json', 'part-1-of-3.json', 'part-2-of-3.json'])
    const byFolder = await runScript(EVALUATE, ['--merge', parts, '--out', join(dir, 'merged')])
    expect(byFolder.stderr).toBe('')
    expect(byFolder.status).toBe(0)
    const files = ['part-2-of-3.json', 'part-0-of-3.json', 'part-1-of-3.json'].map((f) => join(parts, f))
    const byFiles = await runScript(EVALUATE, ['--merge', ...files, '--out', join(dir, 'merged2')])
    expect(byFiles.status).toBe(0)
    const expected = evaluationFiles(join(dir, 'local'))
    expect(expected.samples).toHaveLength(1 + 3)
    expect(expected.json.meanAttackRadius).toBeGreaterThan(0)
    expect(evaluationFiles(join(dir, 'merged'))).toEqual(expected)
    expect(evaluationFiles(join(dir, 'merged2'))).toEqual(expected)
    // the same table printed
    expect(byFolder.stdout.split('\n').slice(0, 3).join('\n').replace(/\s[\d.]+$/gm, '')).toBe(local.stdout.split('\n').slice(0, 3).join('\n').replace(/\s[\d.]+$/gm, ''))
  })

  it('refuses parts of another run, a missing or doubled shard, and other files, in one line each', async () => {
    const p = (i: number) => join(parts, `part-${i}-of-3.json`)
    const otherPart = join(dir, 'other', 'part-1-of-3.json')
    const r = await runScript(EVALUATE, ['--merge', p(0), otherPart, p(2), '--out', join(dir, 'refused')])
    expect(r.status).toBe(1)
    expect(r.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(new RegExp(`^evaluate: --merge: ${otherPart} is from a different run than ${p(0)}: the model \\(content hash of its files\\) differs \\("[0-9a-f]{64}" vs "[0-9a-f]{64}"\\); merge only the parts of one run$`)),
    ])
    const usage = await runScript(EVALUATE, ['--merge', parts, '--model', 'public/models/rnn-2-32'])
    expect(usage.status).toBe(2)
    expect(usage.stderr.split('\n')[0]).toBe(`evaluate: --merge takes only the part files and --out (the run's options are in the parts), not --model`)

    expect(() => mergeParts([p(0), p(2)])).toThrow(new InputError('--merge: shard 1/3 missing (given: 0/3, 2/3); run evaluate with --shard 1/3 and merge again'))
    copyFileSync(p(0), join(dir, 'copy.json'))
    expect(() => mergeParts([p(0), p(1), join(dir, 'copy.json')])).toThrow(`--merge: ${p(0)} and ${join(dir, 'copy.json')} are both shard 0/3`)
    expect(() => mergeParts([inputs])).toThrow(`--merge ${inputs}: not a part file of npm run evaluate --shard (no "format": "cert-rnn-evaluate-part")`)
    expect(() => mergeParts([join(dir, 'nothing-here')])).toThrow(`--merge ${join(dir, 'nothing-here')}: no such file or folder`)
    expect(() => mergeParts([dir])).toThrow(`--merge ${dir}: the folder holds no part-<i>-of-<n>.json files (written by --shard i/n)`)
    const cut = JSON.parse(readFileSync(p(1), 'utf8'))
    cut.results.push(cut.results[0]) // a result doubled: edited
    writeFileSync(join(dir, 'cut.json'), JSON.stringify(cut))
    expect(() => mergeParts([p(0), join(dir, 'cut.json'), p(2)])).toThrow(`--merge: ${join(dir, 'cut.json')} holds 3 results, shard 1/3 of 6 tasks has 2: the file is incomplete or was edited`)
    expect(() => shardValue('3/3', '--shard')).toThrow(new UsageError('--shard 3/3: the index counts from 0, so it must be below 3 (the shards of 3 are 0/3 … 2/3)'))
    expect(() => shardValue('1-3', '--shard')).toThrow('--shard 1-3: give i/n')
    expect(shardValue('2/3', '--shard')).toEqual({ index: 2, count: 3 })
  })
})
