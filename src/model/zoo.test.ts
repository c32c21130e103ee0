/**
 * The bundled model zoo (public/models): every model in manifest.json loads with TF.js and
 * through the certifier's IR, and the two agree on every bundled example (logits and
 * probabilities within 1e-4). Text examples are tokenised exactly by tokenizer.json.
 * Needs only the files in public/models (no training data).
 */
import * as tf from '@tensorflow/tfjs'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { compileNetwork, embedTokens, forward } from '../cert/index.ts'
import { parseLayersModel } from './layersJson.ts'
import type { ManifestModel } from './manifest.ts'
import { validateManifest } from './manifest.ts'
import { encode, loadTokenizer } from './tokenizer.ts'

const ZOO = resolve(import.meta.dirname, '..', '..', 'public', 'models')
const TOL = 1e-4
/** the zoo's size budget (the brief: public/models < 15 MB) */
const BUDGET = 15_000_000

/**
 * Bundled models whose layers the certifier does not read yet: they come with branch
 * issue13-layers (Bidirectional, GlobalMaxPooling1D, SpatialDropout1D, Conv1D). Until then
 * the IR agreement test is replaced by one that checks the refusal, so that this list
 * cannot outlive its reason: once the layers load, that test fails; empty the list then.
 */
const PENDING: Record<string, string> = {}

interface Example {
  x?: number[][]
  tokens?: number[]
  text?: string
  label: number
}

const manifest = validateManifest(JSON.parse(readFileSync(join(ZOO, 'manifest.json'), 'utf8')))

function readJson<T>(...parts: string[]): T {
  return JSON.parse(readFileSync(join(ZOO, ...parts), 'utf8')) as T
}

function weightsOf(dir: string): Map<string, ArrayBuffer> {
  const buf = readFileSync(join(dir, 'weights.bin'))
  return new Map([['weights.bin', buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer]])
}

/** TF.js from disk; with `logits`, the output Dense's softmax replaced by linear. */
function tfModel(dir: string, logits: boolean): Promise<tf.LayersModel> {
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as {
    modelTopology: { config: { layers: Array<{ class_name: string; config: Record<string, unknown> }> } }
    weightsManifest: Array<{ weights: tf.io.WeightsManifestEntry[] }>
  }
  if (logits) {
    const layers = json.modelTopology.config.layers
    const last = layers[layers.length - 1]
    expect(last.class_name).toBe('Dense')
    last.config.activation = 'linear'
  }
  const buf = readFileSync(join(dir, 'weights.bin'))
  return tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
      weightData: buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer,
    }),
  )
}

async function predictAll(model: tf.LayersModel, examples: Example[]): Promise<number[][]> {
  const out: number[][] = []
  for (const e of examples) {
    const x = e.tokens ? tf.tensor2d([e.tokens], [1, e.tokens.length], 'int32') : tf.tensor3d([e.x!])
    const y = model.predict(x) as tf.Tensor
    out.push(Array.from(await y.data()))
    x.dispose()
    y.dispose()
  }
  return out
}

const softmax = (v: Float64Array) => {
  const m = Math.max(...v)
  const e = Array.from(v, (x) => Math.exp(x - m))
  const s = e.reduce((a, b) => a + b, 0)
  return e.map((x) => x / s)
}

beforeAll(async () => {
  await tf.setBackend('cpu')
})

describe('model zoo manifest', () => {
  it('lists models whose files exist with the recorded sizes', () => {
    expect(manifest.models.length).toBeGreaterThan(0)
    for (const f of manifest.shared) expect(statSync(join(ZOO, f.name)).size, f.name).toBe(f.bytes)
    for (const m of manifest.models) {
      for (const f of m.files) expect(statSync(join(ZOO, m.path, f.name)).size, `${m.id}/${f.name}`).toBe(f.bytes)
      expect(existsSync(join(ZOO, m.path, 'weights.bin')), m.id).toBe(true)
    }
  })

  it(`the zoo folder stays within its budget: every file (manifest.json included) adds up to less than ${BUDGET / 1e6} MB`, () => {
    const sizeOf = (dir: string): number =>
      readdirSync(dir, { withFileTypes: true }).reduce((n, e) => n + (e.isDirectory() ? sizeOf(join(dir, e.name)) : statSync(join(dir, e.name)).size), 0)
    const total = sizeOf(ZOO)
    expect(total).toBe(manifest.totalBytes + statSync(join(ZOO, 'manifest.json')).size)
    expect(total).toBeLessThan(BUDGET)
  })

  it('the shared MNIST examples hold 28×28 uint8 digits matching the per-model examples', () => {
    const shared = readJson<{ shape: number[]; labels: number[]; images: number[][] }>('mnist-examples.json')
    expect(shared.shape).toEqual([28, 28])
    expect(shared.images.length).toBe(shared.labels.length)
    for (const img of shared.images) {
      expect(img.length).toBe(784)
      expect(img.every((v) => Number.isInteger(v) && v >= 0 && v <= 255)).toBe(true)
    }
    for (const m of manifest.models.filter((x) => x.task === 'mnist')) {
      const { examples } = readJson<{ examples: Example[] }>(m.path, 'examples.json')
      examples.forEach((e, k) => {
        expect(e.label).toBe(shared.labels[k])
        expect(e.x!.flat()).toEqual(shared.images[k].map((v) => Math.round((v / 255) * 1e4) / 1e4))
      })
    }
  })
})

describe.each(manifest.models.map((m) => [m.id, m] as [string, ManifestModel]))('bundled model %s', (_id, m) => {
  const dir = join(ZOO, m.path)
  const { examples } = readJson<{ examples: Example[] }>(m.path, 'examples.json')

  it('examples are well formed (and text examples are tokenised by tokenizer.json)', () => {
    expect(examples.length).toBe(m.examples)
    for (const e of examples) {
      expect(Number.isInteger(e.label) && e.label >= 0 && e.label < m.classes.length).toBe(true)
      const input = m.input
      if (input.kind === 'frames') {
        expect(e.x!.length).toBe(input.frames)
        for (const f of e.x!) {
          expect(f.length).toBe(input.frameSize)
          expect(f.every((v) => v >= input.domain.min && v <= input.domain.max)).toBe(true)
        }
      } else {
        const tok = loadTokenizer(readJson(m.path, input.tokenizer))
        expect(tok.spec.vocab.length).toBe(input.vocabSize)
        expect(tok.spec.maxLength).toBe(input.maxLength)
        expect(typeof e.text).toBe('string')
        expect(e.tokens).toEqual(encode(tok, e.text!))
        expect(e.tokens!.length).toBeGreaterThan(0)
      }
    }
    if (m.input.kind === 'tokens') expect(new Set(examples.map((e) => e.label)).size).toBe(m.classes.length)
  })

  const pending = PENDING[m.id]
  if (pending) {
    it(`is refused by the certifier until its layers land: ${pending}`, async () => {
      expect(() => parseLayersModel(JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')), weightsOf(dir))).toThrow(/not supported|unsupported|Bidirectional|Conv1D|SpatialDropout1D/i)
      // TF.js runs it, and classifies most of its examples as labelled
      const probs = await predictAll(await tfModel(dir, false), examples)
      const correct = probs.filter((p, k) => p.indexOf(Math.max(...p)) === examples[k].label).length
      expect(correct).toBeGreaterThan(examples.length / 2)
    })
    return
  }

  it('TF.js and the certifier IR agree on every example (logits and probabilities within 1e-4)', async () => {
    const net = parseLayersModel(JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')), weightsOf(dir))
    const cn = compileNetwork(net)
    // the IR matches what the manifest says (a Bidirectional layer is one layer, its two
    // directions each a cell of the manifest's kind)
    expect(net.layers.filter((l) => ['simpleRnn', 'lstm', 'gru', 'bidirectional'].includes(l.type)).length).toBe(m.layers)
    const recurrent = net.layers.flatMap((l) => (l.type === 'bidirectional' ? [l.forward, l.backward] : l.type === 'simpleRnn' || l.type === 'lstm' || l.type === 'gru' ? [l] : []))
    for (const l of recurrent) {
      expect(l.type).toBe(m.cell)
      expect(l.units).toBe(m.hidden)
      if (l.type !== 'simpleRnn') {
        expect(l.recurrentActivation).toBe(m.recurrentActivation ?? 'sigmoid')
        // TF.js's hard_sigmoid: clip(0.2x + 0.5, 0, 1)
        if (l.recurrentActivation === 'hard_sigmoid') expect(l.hardSigmoidSlope).toBe(0.2)
      }
    }
    expect(cn.classes).toBe(m.classes.length)
    if (m.input.kind === 'frames') expect(net.input).toEqual({ kind: 'frames', frameSize: m.input.frameSize, seqLen: m.input.frames })
    else {
      expect(net.input).toEqual({ kind: 'tokens', seqLen: null })
      expect(cn.embedding!.embeddings.rows).toBe(m.input.vocabSize)
      expect(cn.frameSize).toBe(m.input.embeddingDim)
    }

    const ours = examples.map((e) => forward(cn, e.tokens ? embedTokens(cn, e.tokens) : e.x!.map((f) => Float64Array.from(f))).logits)
    const probs = await predictAll(await tfModel(dir, false), examples)
    const logits = await predictAll(await tfModel(dir, true), examples)
    let worst = 0
    ours.forEach((z, k) => {
      const p = softmax(z)
      for (let c = 0; c < z.length; c++) {
        worst = Math.max(worst, Math.abs(z[c] - logits[k][c]), Math.abs(p[c] - probs[k][c]))
      }
    })
    expect(worst).toBeLessThanOrEqual(TOL)
  })
})
