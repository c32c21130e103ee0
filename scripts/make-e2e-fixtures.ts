/**
 * Writes the small model fixtures the end-to-end tests upload (committed under
 * e2e/fixtures/): `npx tsx scripts/make-e2e-fixtures.ts`.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { NetworkIR } from '../src/cert/index.ts'
import { randomNetwork } from '../src/cert/index.ts'
import { toLayersJson } from '../src/model/testing/toLayersJson.ts'

const root = join(import.meta.dirname, '..', 'e2e', 'fixtures')

function write(name: string, net: NetworkIR) {
  const dir = join(root, name)
  mkdirSync(dir, { recursive: true })
  const files = toLayersJson(net)
  writeFileSync(join(dir, 'model.json'), JSON.stringify(files.modelJson))
  writeFileSync(join(dir, 'weights.bin'), Buffer.from(files.weights))
}

// an MNIST-shaped LSTM reading 4 frames of 196 pixels: quick to certify
write('tiny-lstm', randomNetwork({ cell: 'lstm', hidden: [8], frameSize: 196, classes: 10, seed: 7, scale: 0.5 }))
// a slower one (28 frames of 28 pixels, 64 units): long enough to cancel
write('slow-lstm', randomNetwork({ cell: 'lstm', hidden: [64], frameSize: 28, classes: 10, seed: 8, scale: 0.5 }))
