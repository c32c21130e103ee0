import { describe, expect, it } from 'vitest'
import { randomNetwork } from '../../cert/index.ts'
import { toLayersJson } from '../../model/testing/toLayersJson.ts'
import type { UploadedFile } from './upload.ts'
import { checkUploadSizes, readUpload } from './upload.ts'

const enc = (v: unknown) => new TextEncoder().encode(typeof v === 'string' ? v : JSON.stringify(v)).buffer as ArrayBuffer

function files(net = randomNetwork({ cell: 'lstm', hidden: [4], frameSize: 3, classes: 2, seed: 1 }), edit?: (j: Record<string, any>) => void): UploadedFile[] {
  const f = toLayersJson(net)
  const j = structuredClone(f.modelJson) as Record<string, any>
  edit?.(j)
  return [
    { name: 'model.json', bytes: enc(j) },
    { name: 'weights.bin', bytes: f.weights },
  ]
}

const tokenizer = (vocab: number) => ({
  format: 'cert-rnn-tokenizer',
  version: 1,
  level: 'word',
  normalizer: 'text-v1',
  maxLength: 10,
  truncation: 'keep-start',
  padding: 'none',
  padId: 0,
  unkId: 1,
  vocab: ['[PAD]', '[UNK]', ...Array.from({ length: vocab - 2 }, (_, k) => `w${k}`)],
})

function layerOf(j: Record<string, any>, k: number) {
  const topo = j.modelTopology
  const cfg = topo.model_config ?? topo
  const layers = Array.isArray(cfg.config) ? cfg.config : cfg.config.layers
  return layers[k]
}

describe('uploaded models', () => {
  it('accepts a valid model, with or without a tokenizer, in any file order', () => {
    const m = readUpload(files().reverse())
    expect(m.classes).toBe(2)
    expect(m.tokenizer).toBeNull()
    const tok = randomNetwork({ cell: 'gru', hidden: [4], frameSize: 3, classes: 2, seed: 1, vocab: 30 })
    const withTok = readUpload([...files(tok), { name: 'vocab.json', bytes: enc(tokenizer(30)) }])
    expect(withTok.tokenizer?.spec.vocab).toHaveLength(30)
  })

  it.each<[string, () => UploadedFile[], RegExp]>([
    ['no files', () => [], /no files/],
    ['only weights', () => files().slice(1), /no model.json among weights.bin/],
    ['model.json is not JSON', () => [{ name: 'model.json', bytes: enc('{"modelTopology": ') }, files()[1]], /model.json is not valid JSON/],
    ['a graph model', () => [{ name: 'model.json', bytes: enc({ format: 'graph-model', modelTopology: { node: [] }, weightsManifest: [] }) }], /graph model/],
    ['an unrelated JSON file', () => [...files(), { name: 'notes.json', bytes: enc({ hello: 1 }) }], /notes.json is neither a TF.js model.json/],
    ['two models', () => [...files(), { name: 'other.json', bytes: files()[0].bytes }], /two model files/],
    ['missing shard', () => files().slice(0, 1), /weights.bin/],
    ['misnamed shard', () => [files()[0], { name: 'weights (1).bin', bytes: files()[1].bytes }], /weights.bin/],
    ['weights too short', () => [files()[0], { name: 'weights.bin', bytes: files()[1].bytes.slice(0, 40) }], /bytes/],
    ['weights too long', () => [files()[0], { name: 'weights.bin', bytes: new ArrayBuffer(files()[1].bytes.byteLength + 64) }], /bytes/],
    ['a relu recurrent activation', () => files(undefined, (j) => (layerOf(j, 0).config.recurrent_activation = 'relu')), /recurrent activation "relu" is not supported/],
    ['elu SimpleRNN', () => files(randomNetwork({ cell: 'simpleRnn', hidden: [4], frameSize: 3, classes: 2, seed: 1 }), (j) => (layerOf(j, 0).config.activation = 'elu')), /elu/],
    ['an unsupported layer', () => files(undefined, (j) => (layerOf(j, 0).class_name = 'Bidirectional')), /Bidirectional/],
    ['a tokenizer for a frame model', () => [...files(), { name: 'tokenizer.json', bytes: enc(tokenizer(10)) }], /reads frames, not tokens/],
    ['a tokenizer larger than the embedding', () => [...files(randomNetwork({ cell: 'lstm', hidden: [4], frameSize: 3, classes: 2, seed: 1, vocab: 20 })), { name: 'tokenizer.json', bytes: enc(tokenizer(50)) }], /do not belong together/],
    ['a broken tokenizer', () => [...files(), { name: 'tokenizer.json', bytes: enc({ ...tokenizer(10), vocab: 'nope' }) }], /tokenizer.json/],
  ])('refuses %s with a specific message', (_, make, message) => {
    expect(() => readUpload(make())).toThrow(message)
  })
})

describe('hostile uploads are refused up front, with the limits in the message', () => {
  const refusal = (fs: UploadedFile[]): string => {
    try {
      readUpload(fs)
    } catch (e) {
      return (e as Error).message
    }
    throw new Error('accepted')
  }

  it('a model.json above 64 MB, before it is decoded', () => {
    expect(refusal([{ name: 'model.json', bytes: new ArrayBuffer(70e6) }, files()[1]])).toBe('model.json is 70 MB; a model.json or tokenizer.json may be at most 64 MB')
  })

  it('by File.size alone, before any file is read (the view checks this first)', () => {
    expect(() => checkUploadSizes([{ name: 'model.json', size: 5e9 }])).toThrow(/^the files add up to 5 GB; the limit is 300 MB$/)
    expect(() => checkUploadSizes([{ name: 'model.json', size: 64e6 + 1 }, { name: 'weights.bin', size: 1e6 }])).toThrow(/^model\.json is 64,000,001 bytes; a model\.json or tokenizer\.json may be at most 64 MB$/)
    expect(() => checkUploadSizes([{ name: 'model.json', size: 3000 }, { name: 'weights.bin', size: 200e6 }])).not.toThrow()
  })

  it('files adding up to more than 300 MB', () => {
    expect(refusal([...files(), { name: 'big.bin', bytes: new ArrayBuffer(301e6) }])).toMatch(/^the files add up to 301 MB; the limit is 300 MB$/)
  })

  it('a tokenizer.json nested 200,000 deep, before JSON.parse', () => {
    const deep = '['.repeat(200_000) + ']'.repeat(200_000)
    expect(refusal([...files(), { name: 'tokenizer.json', bytes: enc(deep) }])).toMatch(/^tokenizer\.json nests objects and lists more than 64 deep \(at character 64\); model files nest about 12 deep, the limit is 64$/)
  })

  it('a Functional model.json with 200,000-deep inbound_nodes', () => {
    const [model, weights] = files()
    const text = new TextDecoder().decode(model.bytes).replace('"modelTopology":', `"x": ${'['.repeat(200_000)}${']'.repeat(200_000)}, "modelTopology":`)
    expect(refusal([{ name: 'model.json', bytes: enc(text) }, weights])).toMatch(/^model\.json nests objects and lists more than 64 deep/)
  })

  it('200,000 layers, by their count', () => {
    const fs = files(undefined, (j) => {
      const layers = j.modelTopology.config.layers as unknown[]
      for (let k = 0; k < 200_000; k++) layers.push({ class_name: 'Dropout', config: { name: `d${k}`, rate: 0.1 } })
    })
    expect(refusal(fs)).toBe('model.json: the model has 200,002 layers; the limit is 1,000')
  })

  it('an LSTM declaring units=2,000,000', () => {
    expect(refusal(files(undefined, (j) => (layerOf(j, 0).config.units = 2_000_000)))).toMatch(
      /^layer 'lstm_0' \(LSTM\) declares units=2000000: its recurrent kernel \[2000000,8000000\] would hold 16,000,000,000,000 values and need 128 TB as float64; the limit is 32,000,000 values \(256 MB\) per weight$/,
    )
  })

  it("a broken tokenizer is named once, by its file name ('tokenizer.json: tokenizer.json:' no more)", () => {
    const broken = { ...tokenizer(10), vocab: 'nope' }
    expect(refusal([...files(), { name: 'tokenizer.json', bytes: enc(broken) }])).toBe('tokenizer.json: vocab must be a list of at least 3 non-empty strings')
    expect(refusal([...files(), { name: 'vocab.json', bytes: enc(broken) }])).toBe('vocab.json: vocab must be a list of at least 3 non-empty strings')
  })
})
