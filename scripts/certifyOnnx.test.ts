/**
 * The certify command line on PyTorch models exported to ONNX (--model file.onnx), as a
 * subprocess: a bidirectional layer read at its last step, a bidirectional layer max-pooled
 * over time, a flat 784-pixel input reshaped by the graph; predictions as PyTorch's; and a
 * refused op exits 1 naming the node.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'

const ROOT = resolve(import.meta.dirname, '..')
const FIX = join(ROOT, 'src/model/testing/fixtures/onnx')
const TMP = mkdtempSync(join(tmpdir(), 'certify-onnx-'))
afterAll(() => rmSync(TMP, { recursive: true, force: true }))

function certify(args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/certify.ts', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 })
  return { code: r.status, out: r.stdout, err: r.stderr }
}

/** the fixture's inputs as the CLI reads them: [{"x": …}, …] */
function inputsFile(name: string, n: number): string {
  const { x } = JSON.parse(readFileSync(join(FIX, name, 'inputs.json'), 'utf8')) as { x: number[][][] }
  const file = join(TMP, `${name}.json`)
  writeFileSync(file, JSON.stringify(x.slice(0, n).map((s) => ({ x: s }))))
  return file
}

describe('certify --model <file.onnx>', () => {
  it.each(['rnn_bidirectional', 'lstm_bidirectional_max', 'mnist_gru_flat784'])('%s certifies, predicting as PyTorch does', (name) => {
    const n = 2
    const r = certify(['--model', join(FIX, name, 'model.onnx'), '--inputs', inputsFile(name, n), '--n', String(n), '--eps', '0.001', '--json'])
    expect(r.err).toBe('')
    expect(r.code).toBe(0)
    const lines = r.out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)
    const logits = (JSON.parse(readFileSync(join(FIX, name, 'torch_ref.json'), 'utf8')) as { logits: number[][] }).logits
    const rows = lines.filter((l) => 'index' in l)
    expect(rows.map((l) => l.predicted)).toEqual(logits.slice(0, n).map((l) => l.indexOf(Math.max(...l))))
    expect(rows.every((l) => l.eps === 0.001 && l.certified === true)).toBe(true)
    expect(lines.at(-1)).toHaveProperty('summary')
  })

  it('a refused op: exit 1, the node and its op type, no stack trace', () => {
    const r = certify(['--model', join(FIX, 'gru_sum', 'model.onnx'), '--inputs', inputsFile('gru_sum', 1), '--eps', '0.001', '--json'])
    expect(r.code).toBe(1)
    expect(r.err).toMatch(/node '\/ReduceSum' \(op ReduceSum\): this op is not supported/)
    expect(r.err).not.toMatch(/^\s+at /m)
  })
})
