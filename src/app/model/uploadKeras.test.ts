/**
 * The page's upload of Keras files, at library level: a .keras or .h5 file dropped alone (or
 * with a tokenizer) is read without a converter and gives the same network as the converted
 * TF.js folder; the prediction beside a certificate says that TF.js cannot run Keras 3 files
 * and that the float64 forward pass is shown.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { compileNetwork, prepareSample } from '../../cert/index.ts'
import { makeTokenizerSpec } from '../../model/tokenizer.ts'
import { predict, softmax, tfjsObstacle } from './predict.ts'
import type { UploadedFile } from './upload.ts'
import { isKerasUpload, loadedFromUpload, readUpload, readUploadAsync } from './upload.ts'

const FIX = join(import.meta.dirname, '..', '..', 'model', 'testing', 'fixtures', 'keras3')
const file = (dir: string, name: string, as = name): UploadedFile => {
  const b = readFileSync(join(FIX, dir, name))
  return { name: as, bytes: b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer }
}
/** The file with its first '"go_backwards": false' made '"go_backwards": true ' (a setting the certifier refuses). */
const goBackwards = (f: UploadedFile): UploadedFile => {
  const b = Buffer.from(f.bytes)
  const at = b.indexOf('"go_backwards": false')
  if (at < 0) throw new Error('no go_backwards in the file')
  b.write('"go_backwards": true ', at, 'latin1')
  return { name: f.name, bytes: b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer }
}
const folder = (dir: string) => [file(dir, 'model.json'), file(dir, 'group1-shard1of1.bin')]
const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v)).buffer as ArrayBuffer

describe('a Keras file dropped into the page', () => {
  it.each([
    ['dotkeras-lstm', 'dotkeras-lstm.keras'],
    ['dotkeras-gru-resetafter', 'dotkeras-gru-resetafter.keras'],
    ['dotkeras-gru-resetafter', 'dotkeras-gru-resetafter.h5'],
    ['stacked-gru-lstm', 'stacked-gru-lstm.h5'],
  ])('%s: %s gives the network of the converted folder', async (dir, name) => {
    const up = await readUploadAsync([file(dir, name)])
    expect(up.name).toBe(name)
    const converted = readUpload(folder(dir))
    expect(up.net.layers).toEqual(converted.net.layers)
    expect(up.net.input).toEqual(converted.net.input)
  })

  it('recognised by its first bytes whatever its name', async () => {
    const renamed = file('dotkeras-lstm', 'dotkeras-lstm.keras', 'model.bin')
    expect(isKerasUpload(renamed)).toBe(true)
    expect(isKerasUpload(folder('dotkeras-lstm')[1])).toBe(false)
    expect((await readUploadAsync([renamed])).net.layers.map((l) => l.type)).toEqual(['lstm', 'dense'])
  })

  it('a text model with its tokenizer', async () => {
    const vocab = ['[PAD]', '[UNK]', ...Array.from({ length: 18 }, (_v, k) => `w${k}`)]
    const tokenizer = makeTokenizerSpec('word', 'text-v1', 10, vocab)
    const up = await readUploadAsync([file('dotkeras-text-lstm', 'dotkeras-text-lstm.keras'), { name: 'tokenizer.json', bytes: enc(tokenizer) }])
    expect(up.tokenizer?.spec.vocab).toHaveLength(20)
    expect(up.net.input.kind).toBe('tokens')
  })

  it.each<[string, () => UploadedFile[], RegExp]>([
    ['two Keras files', () => [file('dotkeras-lstm', 'dotkeras-lstm.keras'), file('dotkeras-lstm', 'dotkeras-lstm.h5')], /^two Keras model files: dotkeras-lstm\.keras and dotkeras-lstm\.h5; drop one model at a time$/],
    ['a Keras file with a model.json', () => [file('dotkeras-lstm', 'dotkeras-lstm.keras'), ...folder('dotkeras-lstm')], /group1-shard1of1\.bin is not needed/],
    ['a Keras file and a model.json', () => [file('dotkeras-lstm', 'dotkeras-lstm.keras'), file('dotkeras-lstm', 'model.json')], /^two model files: dotkeras-lstm\.keras and model\.json/],
    ['a .keras that is not a zip', () => [{ name: 'x.keras', bytes: enc({ a: 1 }) }], /^x\.keras is neither a Keras \.keras file \(a zip\) nor an HDF5 \.h5 file$/],
    // the mask_zero fixture with its GRU's go_backwards=False edited to True in memory (same length: JSON whitespace)
    ['a refused layer setting, in Keras words', () => [goBackwards(file('text-maskzero-gru', 'text-maskzero-gru.h5'))], /\(GRU\): go_backwards=True is not supported .*retrain with go_backwards=False/],
  ])('refuses %s', async (_what, make, message) => {
    await expect(readUploadAsync(make())).rejects.toThrow(message)
  })

  it('a TF.js folder still goes through readUpload', async () => {
    const up = await readUploadAsync(folder('stacked-gru-lstm'))
    expect(up.name).toBe('model.json')
  })
})

describe('which prediction the page shows for Keras 3 files', () => {
  it.each([
    ['a .keras file', () => [file('dotkeras-lstm', 'dotkeras-lstm.keras')], /weight names of a Keras 3 \.keras file \(layers\/…\/vars\/N\)/],
    ['a Keras 3 .h5 file', () => [file('stacked-gru-lstm', 'stacked-gru-lstm.h5')], /Keras 3 InputLayer \(batch_shape\)/],
    ['a .keras conversion', () => folder('dotkeras-lstm'), /weight names of a Keras 3 \.keras file \(layers\/…\/vars\/N\)/],
    ['a Keras 3 .h5 conversion', () => folder('stacked-gru-lstm'), /Keras 3 InputLayer \(batch_shape\)/],
  ])('%s: the float64 forward pass, and the note says why', async (_what, make, why) => {
    const up = await readUploadAsync(make())
    expect(tfjsObstacle(up.modelJson)).toMatch(why)
    const m = loadedFromUpload(up, 'test')
    const input = JSON.parse(readFileSync(join(FIX, up.net.layers[0].name.startsWith('gru') ? 'stacked-gru-lstm' : 'dotkeras-lstm', 'inputs.json'), 'utf8'))[0]
    const p = await predict(m, input)
    expect(p.source).toBe('float64')
    expect(p.note).toMatch(why)
    expect(p.note).toMatch(/the certifier's float64 forward pass is shown instead$/)
    expect(p.probabilities).toEqual(softmax(prepareSample(compileNetwork(up.net), input).concrete.logits))
  })
})
