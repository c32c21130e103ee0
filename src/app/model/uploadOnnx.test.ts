/** An .onnx file dropped in the page: parsed lazily, predictions from onnxruntime-web (here its Node build of the same wasm). */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { imageShape } from './loaded.ts'
import { onnxLogits } from './predictOnnx.ts'
import { UploadError } from './upload.ts'
import { isOnnxUpload, loadOnnxUpload } from './uploadOnnx.ts'

const DIR = join(import.meta.dirname, '..', '..', 'model', 'testing', 'fixtures', 'onnx')
const file = (name: string, as = 'model.onnx') => ({ name: as, bytes: new Uint8Array(readFileSync(join(DIR, name, 'model.onnx'))).buffer as ArrayBuffer })
const fixture = (name: string, f: string) => JSON.parse(readFileSync(join(DIR, name, f), 'utf8'))

/** onnxruntime-web as the page loads it, but its wasm read from node_modules */
async function nodeRuntime() {
  const ort = await import('onnxruntime-web/wasm')
  ort.env.wasm.wasmPaths = new URL('../../../node_modules/onnxruntime-web/dist/', import.meta.url).href
  ort.env.wasm.numThreads = 1
  return ort
}

describe('uploading an .onnx model', () => {
  it('is recognised by its extension', () => {
    expect(isOnnxUpload([{ name: 'Model.ONNX' }, { name: 'tokenizer.json' }])).toBe(true)
    expect(isOnnxUpload([{ name: 'model.json' }, { name: 'weights.bin' }])).toBe(false)
  })

  it('an MNIST-shaped model (7 frames of 112 pixels) gets the digit views and the [0, 1] pixel domain', async () => {
    const m = await loadOnnxUpload([file('mnist_gru_7x112', 'digits.onnx')], 'digits.onnx')
    expect(m.image).toEqual({ side: 28, frames: 7 })
    expect(imageShape(m.net, null)).toEqual({ side: 28, frames: 7 })
    expect(m.domain).toEqual({ min: 0, max: 1 })
    expect(m.onnx?.input).toEqual({ name: 'x', dtype: 'float32', timeAxis: 1 })
    const m28 = await loadOnnxUpload([file('mnist_lstm_28x28')], 'm')
    expect(m28.image).toEqual({ side: 28, frames: 28 })
    // x.view(-1, 28, 28) of 784 pixels: the graph reads one flat row
    const flat = await loadOnnxUpload([file('mnist_gru_flat784')], 'm')
    expect(flat.image).toEqual({ side: 28, frames: 28 })
    expect(flat.domain).toEqual({ min: 0, max: 1 })
    expect(flat.onnx?.input).toEqual({ name: 'x', dtype: 'float32', timeAxis: 1, flatSize: 784 })
  })

  it('refuses a second .onnx file, weight files, and names the node of an unsupported model', async () => {
    await expect(loadOnnxUpload([file('lstm', 'a.onnx'), file('gru', 'b.onnx')], 't')).rejects.toThrow('2 .onnx files (a.onnx, b.onnx): drop one model at a time')
    await expect(loadOnnxUpload([file('lstm'), { name: 'weights.bin', bytes: new ArrayBuffer(4) }], 't')).rejects.toThrow(UploadError)
    await expect(loadOnnxUpload([file('gru_sum')], 't')).rejects.toThrow("node '/ReduceSum' (op ReduceSum): this op is not supported")
    await expect(loadOnnxUpload([{ name: 'x.onnx', bytes: new TextEncoder().encode('hello').buffer as ArrayBuffer }], 't')).rejects.toThrow('x.onnx is not an ONNX model')
  })

  it.each([
    ['lstm', 0],
    ['gru', 1],
    ['text_lstm', 1],
    ['mnist_gru_flat784', 1],
    ['lstm_bidirectional_max', 0],
  ] as const)('%s: onnxruntime-web runs the graph (time axis %i) and agrees with PyTorch', async (name, timeAxis) => {
    const m = await loadOnnxUpload([file(name)], name)
    expect(m.onnx!.input.timeAxis).toBe(timeAxis)
    const inputs = fixture(name, 'inputs.json') as { x?: number[][][]; tokens?: number[][] }
    const ref = fixture(name, 'torch_ref.json').logits as number[][]
    for (let i = 0; i < 3; i++) {
      const input = inputs.x ? { x: inputs.x[i] } : { tokens: inputs.tokens![i] }
      const logits = await onnxLogits(m.onnx!, input, nodeRuntime)
      logits.forEach((v, k) => expect(Math.abs(v - ref[i][k])).toBeLessThan(1e-5))
    }
  })
})

describe('predictions of an .onnx model when ONNX Runtime cannot run it', () => {
  it('come from the float64 forward pass, saying so', async () => {
    const { predict } = await import('./predict.ts')
    const m = await loadOnnxUpload([file('lstm')], 'lstm')
    const broken = { ...m, onnx: { ...m.onnx!, bytes: new Uint8Array([1, 2, 3]) } }
    const x = (fixture('lstm', 'inputs.json') as { x: number[][][] }).x[0]
    const p = await predict(broken, { x })
    expect(p.source).toBe('float64')
    expect(p.note).toMatch(/^ONNX Runtime could not run this model \(.*\); the certifier's float64 forward pass is shown instead$/)
    const ref = fixture('lstm', 'torch_ref.json').logits[0] as number[]
    expect(p.predicted).toBe(ref.indexOf(Math.max(...ref)))
  })
})
