/**
 * The certify command line on Keras files passed straight to --model (no converter): a
 * Keras 3 .keras file and a legacy .h5, as a subprocess, JSON lines as for a TF.js folder;
 * and a refused .h5 (a fixture with one setting edited, in a scratch copy) exits 1 with the
 * message in Keras's words.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

const ROOT = resolve(import.meta.dirname, '..')
const FIX = join(ROOT, 'src/model/testing/fixtures/keras3')

function certify(args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/certify.ts', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 })
  return { code: r.status, out: r.stdout, err: r.stderr }
}

describe('certify --model <file.keras | file.h5>', () => {
  it.each([
    ['dotkeras-lstm', 'dotkeras-lstm.keras'],
    ['dotkeras-text-lstm', 'dotkeras-text-lstm.keras'],
    ['stacked-gru-lstm', 'stacked-gru-lstm.h5'],
    // the sequence pipeline: batch norm + a dropped SpatialDropout1D; a leading Reshape (flat 784-pixel inputs)
    ['spatialdropout-bn-lstm', 'spatialdropout-bn-lstm.h5'],
    ['reshape-784-lstm', 'reshape-784-lstm.h5'],
    ['timedistributed-dense-pool', ''],
    ['lstm-seq-globalmax', 'lstm-seq-globalmax.h5'],
    // the classic toxic-comment classifier: Embedding → SpatialDropout1D → Bidirectional(LSTM) → GlobalMaxPooling1D → Dense(relu) → Dense
    ['toxic-classic', 'toxic-classic.h5'],
    ['bidir-gru-sum', ''],
    ['conv1d-gru', 'conv1d-gru.h5'],
    // masking: Masking(0) on frames, Embedding mask_zero on tokens
    ['masking-lstm', 'masking-lstm.h5'],
    ['text-maskzero-gru', 'text-maskzero-gru.h5'],
  ])('%s: %s certifies, predicting as Keras does', (name, file) => {
    const r = certify(['--model', join(FIX, name, file), '--inputs', join(FIX, name, 'inputs.json'), '--n', '3', '--eps', '0.001', '--json'])
    expect(r.err).toBe('')
    expect(r.code).toBe(0)
    const lines = r.out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)
    const ref = JSON.parse(readFileSync(join(FIX, name, 'keras_ref.json'), 'utf8')) as { predicted: number[] }
    const rows = lines.filter((l) => 'index' in l)
    expect(rows.map((l) => l.predicted)).toEqual(ref.predicted.slice(0, 3))
    expect(rows.every((l) => l.eps === 0.001 && typeof l.certified === 'boolean')).toBe(true)
    expect(lines.at(-1)).toHaveProperty('summary')
  })

  it('a refused .h5: exit 1, the layer and the setting in Keras words', () => {
    // the masking fixture with its GRU's go_backwards=False turned True (same length: JSON whitespace), in a scratch copy
    const dir = mkdtempSync(join(tmpdir(), 'refused-h5-'))
    try {
      const bytes = readFileSync(join(FIX, 'text-maskzero-gru', 'text-maskzero-gru.h5'))
      const at = bytes.indexOf('"go_backwards": false')
      expect(at).toBeGreaterThan(0)
      bytes.write('"go_backwards": true ', at, 'latin1')
      const file = join(dir, 'refused.h5')
      writeFileSync(file, bytes)
      const r = certify(['--model', file, '--inputs', join(FIX, 'text-maskzero-gru', 'inputs.json'), '--eps', '0.001', '--json'])
      expect(r.code).toBe(1)
      expect(r.err).toMatch(/layer 'gru\w*' \(GRU\): go_backwards=True is not supported .*retrain with go_backwards=False/)
      expect(r.err).not.toMatch(/^\s+at /m)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
