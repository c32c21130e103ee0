/** The app's TF.js prediction finds the weight shards as the certifier does (findShard). */
import { describe, expect, it } from 'vitest'
import { compileNetwork, forward, randomNetwork } from '../../cert/index.ts'
import { findShard } from '../../model/layersJson.ts'
import { toLayersJson } from '../../model/testing/toLayersJson.ts'
import { predict, shardOf, softmax } from './predict.ts'
import { loadedFromUpload, readUpload } from './upload.ts'

const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v)).buffer as ArrayBuffer

describe('findShard: a manifest path → the file picked with model.json', () => {
  const w = new ArrayBuffer(8)
  const g = new ArrayBuffer(12)
  const picked = new Map([
    ['weights.bin', w],
    ['group1-shard1of1.bin', g],
  ])
  it.each<[string, ArrayBuffer | undefined]>([
    ['weights.bin', w],
    ['./weights.bin', w],
    ['././weights.bin', w],
    ['group1-shard1of1.bin', g],
    ['https://example.org/models/group1-shard1of1.bin', g],
    ['some/dir/weights.bin', w],
    ['group1-shard1of2.bin', undefined],
    ['weights (1).bin', undefined],
  ])('%s', (path, expected) => {
    expect(findShard(picked, path)).toBe(expected)
  })
  it('files keyed by a path match on their file name', () => {
    expect(findShard(new Map([['model/weights.bin', w]]), './weights.bin')).toBe(w)
  })
  it('a missing shard is named in the prediction error', () => {
    expect(shardOf({ shards: picked }, './weights.bin')).toBe(w)
    expect(() => shardOf({ shards: picked }, 'group1-shard2of2.bin')).toThrow("shard 'group1-shard2of2.bin' is missing")
  })
})

describe('predict', () => {
  it.each(['./weights.bin', 'weights.bin', 'group1-shard1of1.bin'])(
    "a model whose manifest names its shard '%s' (as model.save('downloads://…') writes './weights.bin') is run by TF.js",
    async (path) => {
      const net = randomNetwork({ cell: 'lstm', hidden: [4], frameSize: 3, classes: 3, seed: 5 })
      const { modelJson, weights } = toLayersJson(net)
      const json = structuredClone(modelJson) as { weightsManifest: Array<{ paths: string[] }> }
      json.weightsManifest[0].paths = [path]
      const up = readUpload([
        { name: 'model.json', bytes: enc(json) },
        { name: path.replace(/^\.\//, ''), bytes: weights },
      ])
      const m = loadedFromUpload(up, 'test')
      const x = Array.from({ length: 4 }, (_v, t) => Array.from({ length: 3 }, (_w, i) => Math.sin(3 * t + i)))
      const p = await predict(m, { x })
      expect(p.note).toBeUndefined()
      expect(p.source).toBe('tfjs')
      const expected = softmax(forward(compileNetwork(up.net), x.map((f) => Float64Array.from(f))).logits)
      p.probabilities.forEach((v, k) => expect(Math.abs(v - expected[k])).toBeLessThan(1e-5))
    },
  )
})
