import { describe, expect, it } from 'vitest'
import { randomNetwork } from '../../cert/index.ts'
import { toLayersJson } from '../../model/testing/toLayersJson.ts'
import { withInputs } from './examples.ts'
import { loadedFromUpload, readUpload } from './upload.ts'

const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v)).buffer as ArrayBuffer

function upload(frameSize: number, extra: Array<{ name: string; bytes: ArrayBuffer }> = []) {
  const f = toLayersJson(randomNetwork({ cell: 'lstm', hidden: [3], frameSize, classes: 10, seed: 1 }))
  return readUpload([{ name: 'model.json', bytes: enc(f.modelJson) }, { name: 'weights.bin', bytes: f.weights }, ...extra])
}

describe('inputs for models from outside the zoo', () => {
  it('an examples.json dropped with the model becomes its examples, checked like an inputs file', async () => {
    const examples = { format: 'cert-rnn-examples', examples: [{ x: [[0, 0.5, 1]], label: 2 }, { x: [[1, 1, 1], [0, 0, 0]] }] }
    const up = upload(3, [{ name: 'examples.json', bytes: enc(examples) }])
    expect(up.examples?.name).toBe('examples.json')
    const { model, note } = await withInputs(loadedFromUpload(up, 'm'), up.examples)
    expect(model.examples).toHaveLength(2)
    expect(model.examples[0].label).toBe(2)
    expect(note).toBe('2 examples from examples.json')
    // frames of the wrong size are refused with the item's number
    const bad = upload(3, [{ name: 'examples.json', bytes: enc({ examples: [{ x: [[0, 1]] }] }) }])
    await expect(withInputs(loadedFromUpload(bad, 'm'), bad.examples)).rejects.toThrow(/input 0/)
  })

  it('a model that is neither an image model nor came with examples keeps none (the input panel then explains)', async () => {
    const up = upload(3)
    const { model, note } = await withInputs(loadedFromUpload(up, 'm'), null)
    expect(model.examples).toEqual([])
    expect(note).toBeNull()
  })
})
