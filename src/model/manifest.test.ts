/** The zoo manifest's schema check. */
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { Manifest } from './manifest.ts'
import { ManifestError, validateManifest } from './manifest.ts'

function sample(): Manifest {
  const files = (extra: Array<[string, number]> = []) =>
    [['examples.json', 10], ['model.json', 20], ['training.json', 5], ['weights.bin', 100], ...extra].map(([name, bytes]) => ({ name: name as string, bytes: bytes as number }))
  return {
    format: 'cert-rnn-zoo',
    version: 1,
    generated: '2026-01-01T00:00:00.000Z',
    shared: [{ name: 'mnist-examples.json', bytes: 7 }],
    models: [
      {
        id: 'lstm-4-64',
        task: 'mnist',
        title: 'LSTM reading MNIST as 4 frames of 196 pixels, 64 hidden units',
        cell: 'lstm',
        layers: 1,
        hidden: 64,
        input: { kind: 'frames', frames: 4, frameSize: 196, domain: { min: 0, max: 1 } },
        classes: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
        testAccuracy: { value: 0.98, n: 10000, split: 'MNIST test set' },
        trainCommand: 'npm run train -- lstm-4-64',
        trainSeconds: 12.5,
        path: 'lstm-4-64',
        files: files(),
        examples: 20,
      },
      {
        id: 'rt-gru',
        task: 'sentiment',
        title: 'GRU on words',
        cell: 'gru',
        layers: 1,
        hidden: 32,
        input: { kind: 'tokens', level: 'word', maxLength: 64, vocabSize: 6000, embeddingDim: 32, tokenizer: 'tokenizer.json' },
        classes: ['negative', 'positive'],
        testAccuracy: { value: 0.75, n: 1066, split: 'held-out test split' },
        trainCommand: 'npm run train -- rt-gru',
        trainSeconds: 60,
        path: 'rt-gru',
        files: files([['tokenizer.json', 50]]),
        examples: 14,
      },
    ],
    totalBytes: 7 + 135 + 185,
  }
}

type Mutation = [string, (m: Record<string, any>) => void, RegExp]

const mutations: Mutation[] = [
  ['wrong format', (m) => (m.format = 'zoo'), /format/],
  ['no models', (m) => (m.models = []), /models: a non-empty list/],
  ['bad id', (m) => (m.models[0].id = 'LSTM 4'), /id: lower-case/],
  ['duplicate ids', (m) => (m.models[1].id = 'lstm-4-64'), /duplicate ids lstm-4-64/],
  ['unknown task', (m) => (m.models[0].task = 'cifar'), /task/],
  ['unknown cell', (m) => (m.models[0].cell = 'transformer'), /cell/],
  ['unknown gates', (m) => (m.models[0].recurrentActivation = 'relu'), /recurrentActivation: one of sigmoid, hard_sigmoid/],
  ['gates of a vanilla RNN', (m) => ((m.models[0].cell = 'simpleRnn'), (m.models[0].recurrentActivation = 'hard_sigmoid')), /a vanilla RNN has no gates/],
  ['empty architecture', (m) => (m.models[1].architecture = ''), /architecture: text expected/],
  ['frames × frameSize ≠ 784', (m) => (m.models[0].input.frameSize = 200), /784/],
  ['text model reading frames', (m) => (m.models[1].input = m.models[0].input), /text model reads tokens/],
  ['bad domain', (m) => (m.models[0].input.domain = { min: 1, max: 0 }), /domain/],
  ['accuracy above 1', (m) => (m.models[0].testAccuracy.value = 98), /testAccuracy/],
  ['one class', (m) => (m.models[1].classes = ['only']), /classes/],
  ['duplicate class names', (m) => (m.models[1].classes = ['a', 'a']), /distinct/],
  ['path escaping the folder', (m) => (m.models[0].path = '../etc'), /path/],
  ['model.json missing', (m) => (m.models[0].files = m.models[0].files.filter((f: { name: string }) => f.name !== 'model.json')), /'model\.json' missing/],
  ['tokenizer not listed', (m) => (m.models[1].input.tokenizer = 'vocab.json'), /tokenizer 'vocab\.json' is not listed/],
  ['file name with a folder', (m) => (m.models[0].files[0].name = 'a/b.json'), /plain file name/],
  ['negative size', (m) => (m.models[0].files[0].bytes = -1), /bytes/],
  ['wrong total', (m) => (m.totalBytes = 1), /totalBytes is 1 but the listed files add up to 327/],
  ['bad date', (m) => (m.generated = 'yesterday'), /generated/],
]

describe('validateManifest', () => {
  it('accepts a well-formed manifest', () => {
    expect(validateManifest(sample())).toEqual(sample())
  })

  it('accepts the optional gates and architecture', () => {
    const m = sample()
    m.models[0].recurrentActivation = 'hard_sigmoid'
    m.models[1].architecture = 'Embedding(6000, 32) → GRU(32) → Dense(2, softmax)'
    expect(validateManifest(structuredClone(m))).toEqual(m)
  })

  it.each(mutations)('rejects: %s', (_what, mutate, message) => {
    const m = sample() as unknown as Record<string, any>
    mutate(m)
    expect(() => validateManifest(m)).toThrow(ManifestError)
    expect(() => validateManifest(m)).toThrow(message)
  })

  it('reports every problem at once', () => {
    const m = sample() as unknown as Record<string, any>
    m.version = 2
    m.models[0].hidden = 0
    m.models[1].examples = 0
    try {
      validateManifest(m)
      expect.unreachable()
    } catch (e) {
      expect((e as ManifestError).problems.length).toBe(3)
    }
  })

  it('rejects non-objects', () => {
    expect(() => validateManifest([])).toThrow(ManifestError)
    expect(() => validateManifest(null)).toThrow(ManifestError)
  })

  it('the bundled public/models/manifest.json is valid', () => {
    const path = resolve(import.meta.dirname, '..', '..', 'public', 'models', 'manifest.json')
    expect(() => validateManifest(JSON.parse(readFileSync(path, 'utf8')))).not.toThrow()
  })
})

describe('validateManifest: defended variants', () => {
  /** the sample plus rt-gru-ibp, fine-tuned from rt-gru */
  function withDefended(): Record<string, any> {
    const m = sample() as unknown as Record<string, any>
    const base = m.models[1]
    const variant = { ...structuredClone(base), id: 'rt-gru-ibp', trainCommand: 'npm run train -- rt-gru-ibp', path: 'rt-gru-ibp', defense: { method: 'ibp', eps: 0.01, base: 'rt-gru' } }
    m.models.push(variant)
    m.totalBytes += variant.files.reduce((s: number, f: { bytes: number }) => s + f.bytes, 0)
    return m
  }

  it('accepts a defended variant of a listed model', () => {
    const m = withDefended()
    expect(validateManifest(m).models[2].defense).toEqual({ method: 'ibp', eps: 0.01, base: 'rt-gru' })
  })

  const bad: Mutation[] = [
    ['unknown defense', (m) => (m.models[2].defense.method = 'dropout'), /defense\.method: one of fgsm, pgd, ibp, certrnn/],
    ['ε ≤ 0', (m) => (m.models[2].defense.eps = 0), /defense\.eps: positive number/],
    ['no ε', (m) => delete m.models[2].defense.eps, /defense\.eps/],
    ['base not listed', (m) => (m.models[2].defense.base = 'rt-rnn'), /defense\.base 'rt-rnn' is not in the manifest/],
    ['its own base', (m) => (m.models[2].defense.base = 'rt-gru-ibp'), /cannot be its own base/],
    ['base is defended', (m) => (m.models[1].defense = { method: 'pgd', eps: 0.1, base: 'rt-gru-ibp' }), /is itself a defended variant/],
    ['other input than the base', (m) => (m.models[2].input = { ...m.models[2].input, maxLength: 32 }), /task, input and classes must be those of its base 'rt-gru'/],
    ['not an object', (m) => (m.models[2].defense = 'ibp'), /defense: \{method, eps, base\} expected/],
  ]

  it.each(bad)('rejects: %s', (_what, mutate, message) => {
    const m = withDefended()
    mutate(m)
    expect(() => validateManifest(m)).toThrow(message)
  })
})
