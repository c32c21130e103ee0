/**
 * The model card: every layer of the file in order, in the framework's words, the layers
 * dropped at inference among them, Bidirectional with its merge mode, pooling, Conv1D and
 * the head's roles (read from real files: the zoo and the Keras 3 fixtures).
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { randomNetwork } from '../../cert/index.ts'
import { parseLayersModel } from '../../model/layersJson.ts'
import { architectureLine, modelCard } from './card.ts'

const ROOT = join(import.meta.dirname, '..', '..', '..')
const bin = (path: string) => {
  const b = readFileSync(path)
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer
}
const zoo = (id: string) => {
  const dir = join(ROOT, 'public', 'models', id)
  return parseLayersModel(JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')), new Map([['weights.bin', bin(join(dir, 'weights.bin'))]]))
}
const keras = (id: string) => {
  const dir = join(ROOT, 'src', 'model', 'testing', 'fixtures', 'keras3', id)
  return parseLayersModel(JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')), new Map([['group1-shard1of1.bin', bin(join(dir, 'group1-shard1of1.bin'))]]))
}

describe('model card', () => {
  it('toxic-bilstm: every layer, the dropped one in its place, the merge mode, the pooling, the relu head', () => {
    const card = modelCard(zoo('toxic-bilstm'))
    expect(card.map((r) => r.kind)).toEqual(['Embedding', 'SpatialDropout1D', 'Bidirectional(LSTM)', 'GlobalMaxPooling1D', 'Dense', 'Dense'])
    expect(card.map((r) => r.name)).toEqual(['embedding', 'spatial_dropout1d', 'bidirectional', 'global_max_pooling1d', 'dense_hidden', 'dense'])
    expect(card[1]).toMatchObject({ ignored: true, detail: expect.stringMatching(/^ignored at inference/) })
    expect(card.filter((r) => r.ignored)).toHaveLength(1)
    expect(card[2].detail).toBe('forward and backward, 32 units, gates sigmoid, activation tanh, returns every step; merge mode concat (the two directions concatenated: 64 outputs)')
    expect(card[3].detail).toMatch(/largest value/)
    expect(card[4]).toMatchObject({ role: 'hidden', activation: 'relu', detail: 'hidden layer of the head: 32 units, activation relu' })
    expect(card[5]).toMatchObject({ role: 'output', detail: expect.stringMatching(/^output layer: 2 logits/) })
    expect(architectureLine(zoo('toxic-bilstm'))).toBe('Bidirectional(LSTM) → GlobalMaxPooling1D → Dense (relu) → Dense')
  })

  it('url-conv-gru: Conv1D before the GRU', () => {
    const card = modelCard(zoo('url-conv-gru'))
    expect(card.map((r) => r.kind)).toEqual(['Embedding', 'Conv1D', 'GRU', 'Dense'])
    expect(card[1].detail).toMatch(/^\d+ filters, kernel \d+, padding (valid|same|causal)/)
  })

  it('Keras 3 files: dropped layers and batch norm, TimeDistributed(Dense) on a sequence, a leading Reshape, hard_sigmoid gates', () => {
    const sd = modelCard(keras('spatialdropout-bn-lstm'))
    expect(sd.filter((r) => r.ignored).map((r) => r.kind)).toContain('SpatialDropout1D')
    expect(sd.map((r) => r.kind)).toContain('BatchNormalization')
    const td = modelCard(keras('timedistributed-dense-pool'))
    expect(td.map((r) => r.kind)).toContain('TimeDistributed(Dense)')
    expect(td.find((r) => r.kind === 'TimeDistributed(Dense)')!.detail).toMatch(/on every step/)
    const rs = modelCard(keras('reshape-784-lstm'))
    expect(rs[0]).toMatchObject({ kind: 'Reshape', detail: expect.stringMatching(/^784 values → \d+ frames of \d+$/) })
    expect(modelCard(keras('lstm-hardsigmoid')).find((r) => r.kind === 'LSTM')!.detail).toMatch(/gates hard_sigmoid \(slope 0\.\d+\)/)
  })

  it('a dropped layer at the end and every merge mode in words', () => {
    const net = randomNetwork({ cell: 'gru', hidden: [3], frameSize: 2, classes: 2, seed: 1, bidirectional: 'ave', after: [{ kind: 'identity', className: 'GaussianNoise' }] })
    const card = modelCard(net)
    expect(card.map((r) => r.kind)).toEqual(['Bidirectional(GRU)', 'GaussianNoise', 'Dense'])
    expect(card[0].detail).toMatch(/merge mode ave \(the two directions averaged: 3 outputs\)/)
  })
})
