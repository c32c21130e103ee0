/** scripts/lib/loadModelDir: model.json + shards from disk. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { loadModelDir } from '../../scripts/lib/loadModelDir.ts'
import { compileNetwork, forward } from '../cert/runtime.ts'
import { randomNetwork } from '../cert/testing/randomNetwork.ts'
import { toLayersJson } from './testing/toLayersJson.ts'

const root = mkdtempSync(join(tmpdir(), 'cert-rnn-model-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

function writeModel(dir: string, shards: number) {
  const source = randomNetwork({ cell: 'lstm', hidden: [5, 4], frameSize: 3, classes: 3, seed: 7 })
  const { modelJson, weights } = toLayersJson(source)
  mkdirSync(dir, { recursive: true })
  const bytes = new Uint8Array(weights)
  const cut = Math.floor(bytes.length / shards)
  const paths: string[] = []
  for (let k = 0; k < shards; k++) {
    const name = `group1-shard${k + 1}of${shards}.bin`
    writeFileSync(join(dir, name), bytes.subarray(k * cut, k === shards - 1 ? bytes.length : (k + 1) * cut))
    paths.push(name)
  }
  const manifest = modelJson.weightsManifest as Array<{ paths: string[] }>
  manifest[0].paths = paths
  writeFileSync(join(dir, 'model.json'), JSON.stringify(modelJson))
  return source
}

describe('loadModelDir', () => {
  it('round trip: the loaded network computes what the source network does (float32 weights)', () => {
    const dir = join(root, 'ok')
    const source = writeModel(dir, 3)
    const net = loadModelDir(dir)
    expect(net.layers.map((l) => l.type)).toEqual(['lstm', 'lstm', 'dense'])
    expect(loadModelDir(join(dir, 'model.json'))).toEqual(net)
    const x = Array.from({ length: 5 }, (_v, t) => Float64Array.from({ length: 3 }, (_w, i) => Math.cos(t * 3 + i)))
    const a = forward(compileNetwork(source), x).logits
    const b = forward(compileNetwork(net), x).logits
    a.forEach((v, k) => expect(Math.abs(v - b[k])).toBeLessThan(1e-5))
  })

  it('clear errors for a missing directory, a missing model.json and a missing shard', () => {
    expect(() => loadModelDir(join(root, 'nope'))).toThrow(/model directory '.*nope' does not exist/)
    mkdirSync(join(root, 'empty'))
    expect(() => loadModelDir(join(root, 'empty'))).toThrow(/has no model\.json/)
    const dir = join(root, 'partial')
    writeModel(dir, 2)
    rmSync(join(dir, 'group1-shard2of2.bin'))
    expect(() => loadModelDir(dir)).toThrow(/shard 'group1-shard2of2\.bin' is missing/)
    writeFileSync(join(dir, 'model.json'), 'not json')
    expect(() => loadModelDir(dir)).toThrow(/model\.json is not valid JSON/)
  })
})
