/** scripts/lib/loadModelDir: model.json + shards from disk, and nothing outside the model folder. */
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { loadModelDir, loadModelTokenizer } from '../../scripts/lib/loadModelDir.ts'
import { compileNetwork, forward, randomNetwork } from '../cert/index.ts'
import { ModelFileError } from './layersJson.ts'
import { toLayersJson } from './testing/toLayersJson.ts'
import { makeTokenizerSpec, PAD, UNK } from './tokenizer.ts'

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

/** A one-shard model in a fresh folder `name`, its manifest naming the shard `shardPath`; returns the folder and the shard's bytes. */
function modelNaming(name: string, shardPath: string): { dir: string; weights: Uint8Array } {
  const dir = join(root, name)
  mkdirSync(dir, { recursive: true })
  const { modelJson, weights } = toLayersJson(randomNetwork({ cell: 'lstm', hidden: [4], frameSize: 3, classes: 2, seed: 3 }))
  ;(modelJson.weightsManifest as Array<{ paths: string[] }>)[0].paths = [shardPath]
  writeFileSync(join(dir, 'model.json'), JSON.stringify(modelJson))
  return { dir, weights: new Uint8Array(weights) }
}

/** The ModelFileError message of loading `dir` (fails the test if it loads or throws anything else). */
function refusal(dir: string): string {
  try {
    loadModelDir(dir)
  } catch (e) {
    expect(e).toBeInstanceOf(ModelFileError)
    return (e as Error).message
  }
  throw new Error(`${dir} loaded`)
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

  it("plain relative shard paths inside the folder load: './weights.bin', 'sub/../weights.bin', 'sub/w.bin', a symlink to a file inside", () => {
    for (const [name, path] of [
      ['dot', './weights.bin'],
      ['updown', 'sub/../weights.bin'],
      ['insub', 'sub/weights.bin'],
    ] as const) {
      const { dir, weights } = modelNaming(name, path)
      mkdirSync(join(dir, 'sub'), { recursive: true })
      writeFileSync(join(dir, path), weights)
      expect(loadModelDir(dir).layers).toHaveLength(2)
    }
    const { dir, weights } = modelNaming('innerlink', 'link.bin')
    writeFileSync(join(dir, 'real.bin'), weights)
    symlinkSync(join(dir, 'real.bin'), join(dir, 'link.bin'))
    expect(loadModelDir(dir).layers).toHaveLength(2)
  })
})

describe('loadModelDir reads nothing outside the model folder', () => {
  const tail = 'shards are read only from the folder holding model.json'

  it("'../../etc/passwd' is refused as leading outside the folder", () => {
    const { dir } = modelNaming('dotdot', '../../etc/passwd')
    expect(refusal(dir)).toBe(`model.json: the weights manifest names the shard '../../etc/passwd', which leads outside the model folder (through '..'); ${tail}`)
  })

  it("a valid shard placed outside the folder ('../outside/weights.bin') is refused, not loaded", () => {
    const { dir, weights } = modelNaming('escape/model', '../outside/weights.bin')
    mkdirSync(join(root, 'escape/outside'), { recursive: true })
    writeFileSync(join(root, 'escape/outside/weights.bin'), weights)
    expect(refusal(dir)).toMatch(/names the shard '\.\.\/outside\/weights\.bin', which leads outside the model folder/)
    // 'sub/../../x' escapes as well
    const other = modelNaming('escape2', 'sub/../../escape/outside/weights.bin')
    expect(refusal(other.dir)).toMatch(/which leads outside the model folder/)
  })

  it("the absolute path '/etc/passwd' is refused", () => {
    const { dir } = modelNaming('absolute', '/etc/passwd')
    expect(refusal(dir)).toBe(`model.json: the weights manifest names the shard '/etc/passwd', which is an absolute path; ${tail}`)
  })

  it('URLs are refused, also when their file name lies next to model.json (no fallback to the base name)', () => {
    const { dir, weights } = modelNaming('url', 'http://example.org/models/weights.bin')
    writeFileSync(join(dir, 'weights.bin'), weights)
    expect(refusal(dir)).toBe(
      `model.json: the weights manifest names the shard 'http://example.org/models/weights.bin', which is a URL; put the file next to model.json and give its name relative to model.json (e.g. 'weights.bin'); ${tail}`,
    )
    const file = modelNaming('fileurl', 'file:///etc/passwd')
    expect(refusal(file.dir)).toMatch(/names the shard 'file:\/\/\/etc\/passwd', which is a URL/)
  })

  it('a symbolic link to a shard outside the folder is refused (real paths compared)', () => {
    const { dir, weights } = modelNaming('outlink', 'weights.bin')
    writeFileSync(join(root, 'outlink-target.bin'), weights)
    symlinkSync(join(root, 'outlink-target.bin'), join(dir, 'weights.bin'))
    expect(refusal(dir)).toMatch(/names the shard 'weights\.bin', which is a symbolic link to '.*outlink-target\.bin', outside the model folder/)
    // a link to a directory outside, reached through a relative path inside
    const via = modelNaming('outdirlink', 'data/weights.bin')
    symlinkSync(join(root, 'escape', 'outside'), join(via.dir, 'data'))
    expect(refusal(via.dir)).toMatch(/names the shard 'data\/weights\.bin', which is a symbolic link to '.*escape\/outside\/weights\.bin', outside the model folder/)
  })

  it('a symbolic link to /dev/zero is refused as outside the folder', () => {
    const { dir } = modelNaming('devzero', 'weights.bin')
    symlinkSync('/dev/zero', join(dir, 'weights.bin'))
    expect(refusal(dir)).toBe(`model.json: the weights manifest names the shard 'weights.bin', which is a symbolic link to '/dev/zero', outside the model folder; ${tail}`)
  })

  it('a dangling symbolic link is named as such', () => {
    const { dir } = modelNaming('dangling', 'weights.bin')
    symlinkSync(join(root, 'no-such-file.bin'), join(dir, 'weights.bin'))
    expect(refusal(dir)).toMatch(/names the shard 'weights\.bin', which is a symbolic link to a file that does not exist/)
  })

  it('a shard that is a directory or a named pipe is refused (a FIFO would block the read)', () => {
    const d = modelNaming('shard-dir', 'weights.bin')
    mkdirSync(join(d.dir, 'weights.bin'))
    expect(refusal(d.dir)).toBe(`model.json: the weights manifest names the shard 'weights.bin', which is a directory, not a regular file; ${tail}`)
    const f = modelNaming('shard-fifo', 'weights.bin')
    execFileSync('mkfifo', [join(f.dir, 'weights.bin')])
    expect(refusal(f.dir)).toMatch(/names the shard 'weights\.bin', which is a named pipe \(FIFO\), not a regular file/)
  })

  it('a NUL character in a shard path is refused', () => {
    const { dir } = modelNaming('nul', 'weights.bin\u0000.txt')
    expect(refusal(dir)).toMatch(/which contains a NUL character/)
  })

  it('model.json itself: a symbolic link to outside the folder, a directory, a FIFO', () => {
    const { dir } = modelNaming('json-src', 'weights.bin')
    mkdirSync(join(root, 'json-link'))
    symlinkSync(join(dir, 'model.json'), join(root, 'json-link', 'model.json'))
    expect(refusal(join(root, 'json-link'))).toMatch(/model\.json' is a symbolic link to '.*json-src\/model\.json', outside the model folder/)
    mkdirSync(join(root, 'json-dir', 'model.json'), { recursive: true })
    expect(refusal(join(root, 'json-dir'))).toMatch(/json-dir\/model\.json' is a directory, not a regular file/)
    mkdirSync(join(root, 'json-fifo'))
    execFileSync('mkfifo', [join(root, 'json-fifo', 'model.json')])
    expect(refusal(join(root, 'json-fifo'))).toMatch(/json-fifo\/model\.json' is a named pipe \(FIFO\), not a regular file/)
  })
})

describe('loadModelDir checks sizes before reading', () => {
  it('a 99 MB shard (sparse) is refused by its size', () => {
    const { dir, weights } = modelNaming('big-shard', 'weights.bin')
    writeFileSync(join(dir, 'weights.bin'), '')
    truncateSync(join(dir, 'weights.bin'), 99e6)
    expect(refusal(dir)).toBe(`weights.bin is 99 MB (99,000,000 bytes) but the manifest needs ${weights.byteLength} bytes`)
  })

  it('a 5 GB shard is refused by its size, so it is never read (reading it would fail: Node reads at most 2 GB into a buffer)', () => {
    const { dir, weights } = modelNaming('huge-shard', 'weights.bin')
    writeFileSync(join(dir, 'weights.bin'), '')
    truncateSync(join(dir, 'weights.bin'), 5e9)
    expect(() => readFileSync(join(dir, 'weights.bin'))).toThrow(/greater than 2 GiB|ERR_FS_FILE_TOO_LARGE/)
    expect(refusal(dir)).toBe(`weights.bin is 5 GB (5,000,000,000 bytes) but the manifest needs ${weights.byteLength} bytes`)
  })

  it('shards that together exceed the declared size are refused, none read', () => {
    const dir = join(root, 'two-big')
    writeModel(dir, 2)
    truncateSync(join(dir, 'group1-shard2of2.bin'), 5e9)
    expect(refusal(dir)).toMatch(/^the shards of weight group 1 \(group1-shard1of2\.bin \+ group1-shard2of2\.bin\) are 5 GB \(5,000,000,\d+ bytes\) in all but the manifest needs \d\.\d KB \([\d,]+ bytes\)$/)
  })

  it('a model.json above 64 MB (sparse, 5 GB) is refused before it is read', () => {
    const dir = join(root, 'big-json')
    mkdirSync(dir)
    writeFileSync(join(dir, 'model.json'), '')
    truncateSync(join(dir, 'model.json'), 5e9)
    expect(refusal(dir)).toBe(`'${join(dir, 'model.json')}' is 5 GB; a model.json may be at most 64 MB (the weights belong in the shard files)`)
    const small = join(root, 'big-json-2')
    mkdirSync(small)
    writeFileSync(join(small, 'model.json'), '')
    truncateSync(join(small, 'model.json'), 70e6)
    expect(refusal(join(small, 'model.json'))).toBe(`'${join(small, 'model.json')}' is 70 MB; a model.json may be at most 64 MB (the weights belong in the shard files)`)
  })
})

describe('loadModelTokenizer: tokenizer.json under the same rules', () => {
  const spec = makeTokenizerSpec('word', 'text-v1', 8, [PAD, UNK, 'good', 'constructor'])

  it('reads a model folder\'s tokenizer (or none), also given the path of model.json', () => {
    const { dir } = modelNaming('tok-ok', 'weights.bin')
    expect(loadModelTokenizer(dir)).toBeNull()
    writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(spec))
    expect(loadModelTokenizer(dir)?.index.get('constructor')).toBe(3)
    expect(loadModelTokenizer(join(dir, 'model.json'))?.spec.vocab).toHaveLength(4)
  })

  it('names the file once in every message: bad JSON, a bad field, nesting', () => {
    const { dir } = modelNaming('tok-bad', 'weights.bin')
    const file = join(dir, 'tokenizer.json')
    writeFileSync(file, '{"format": ')
    expect(() => loadModelTokenizer(dir)).toThrow(`${file} is not valid JSON: `)
    writeFileSync(file, JSON.stringify({ ...spec, vocab: 'nope' }))
    expect(() => loadModelTokenizer(dir)).toThrow(`${file}: vocab must be a list of at least 3 non-empty strings`)
    expect(() => loadModelTokenizer(dir)).not.toThrow(/tokenizer\.json: tokenizer\.json/)
    writeFileSync(file, '['.repeat(100_000) + ']'.repeat(100_000))
    expect(() => loadModelTokenizer(dir)).toThrow(`${file} nests objects and lists more than 64 deep (at character 64)`)
  })

  it('refuses a tokenizer.json linked from outside the folder, a FIFO, one above 64 MB', () => {
    const out = modelNaming('tok-link', 'weights.bin')
    writeFileSync(join(root, 'outside-tokenizer.json'), JSON.stringify(spec))
    symlinkSync(join(root, 'outside-tokenizer.json'), join(out.dir, 'tokenizer.json'))
    expect(() => loadModelTokenizer(out.dir)).toThrow(/tokenizer\.json' is a symbolic link to '.*outside-tokenizer\.json', outside the model folder/)
    const fifo = modelNaming('tok-fifo', 'weights.bin')
    execFileSync('mkfifo', [join(fifo.dir, 'tokenizer.json')])
    expect(() => loadModelTokenizer(fifo.dir)).toThrow(/tokenizer\.json' is a named pipe \(FIFO\), not a regular file/)
    const big = modelNaming('tok-big', 'weights.bin')
    writeFileSync(join(big.dir, 'tokenizer.json'), '')
    truncateSync(join(big.dir, 'tokenizer.json'), 3e9)
    expect(() => loadModelTokenizer(big.dir)).toThrow(`'${join(big.dir, 'tokenizer.json')}' is 3 GB; a tokenizer.json may be at most 64 MB`)
  })
})

describe('loadModelDir: .onnx files under the same rules', () => {
  const fixture = join(import.meta.dirname, 'testing', 'fixtures', 'onnx', 'lstm', 'model.onnx')

  it('loads an .onnx file by its path, or a folder holding model.onnx', () => {
    const dir = join(root, 'onnx-ok')
    mkdirSync(dir)
    writeFileSync(join(dir, 'model.onnx'), readFileSync(fixture))
    writeFileSync(join(dir, 'my model.ONNX'), readFileSync(fixture))
    for (const p of [join(dir, 'model.onnx'), dir, join(dir, 'my model.ONNX')]) expect(loadModelDir(p).layers.map((l) => l.type)).toEqual(['lstm', 'dense'])
  })

  it('refuses a symbolic link to outside the folder, a FIFO, a file above the limit (before reading it), a broken file', () => {
    mkdirSync(join(root, 'onnx-link'))
    symlinkSync(fixture, join(root, 'onnx-link', 'model.onnx'))
    expect(refusal(join(root, 'onnx-link', 'model.onnx'))).toMatch(/model\.onnx' is a symbolic link to '.*lstm\/model\.onnx', outside the model folder/)
    mkdirSync(join(root, 'onnx-dir', 'x.onnx'), { recursive: true })
    expect(refusal(join(root, 'onnx-dir', 'x.onnx'))).toMatch(/x\.onnx' has no model\.json/) // a folder, whatever its name
    mkdirSync(join(root, 'onnx-fifo'))
    execFileSync('mkfifo', [join(root, 'onnx-fifo', 'model.onnx')])
    expect(refusal(join(root, 'onnx-fifo', 'model.onnx'))).toMatch(/model\.onnx' is a named pipe \(FIFO\), not a regular file/)
    mkdirSync(join(root, 'onnx-big'))
    writeFileSync(join(root, 'onnx-big', 'model.onnx'), '')
    truncateSync(join(root, 'onnx-big', 'model.onnx'), 5e9)
    expect(refusal(join(root, 'onnx-big', 'model.onnx'))).toMatch(/model\.onnx' is 5 GB; a \.onnx file may be at most 250 MB$/)
    writeFileSync(join(root, 'onnx-big', 'bad.onnx'), 'not protobuf at all')
    expect(refusal(join(root, 'onnx-big', 'bad.onnx'))).toMatch(/bad\.onnx' is not an ONNX model/)
  })
})
