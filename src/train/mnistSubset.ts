/**
 * The MNIST digits of public/data/mnist-subset.{json,bin} (written by
 * scripts/make-mnist-subset.ts): labels, then 784 pixel bytes per digit, training digits
 * first. Read here as frames for training in the page.
 */
export interface MnistSubsetMeta {
  format: 'cert-rnn-mnist-subset'
  train: number
  test: number
  side: number
}

export interface MnistSubset {
  train: { n: number; labels: Uint8Array; images: Uint8Array }
  test: { n: number; labels: Uint8Array; images: Uint8Array }
}

export function readMnistSubset(meta: MnistSubsetMeta, bytes: ArrayBuffer): MnistSubset {
  if (meta.format !== 'cert-rnn-mnist-subset') throw new Error(`not an MNIST subset description (format ${JSON.stringify(meta.format)})`)
  const n = meta.train + meta.test
  const px = meta.side * meta.side
  if (bytes.byteLength !== n * (1 + px)) throw new Error(`the MNIST subset has ${bytes.byteLength} bytes; ${n} digits of ${px} pixels need ${n * (1 + px)}`)
  const all = new Uint8Array(bytes)
  const labels = all.subarray(0, n)
  const images = all.subarray(n)
  return {
    train: { n: meta.train, labels: labels.subarray(0, meta.train), images: images.subarray(0, meta.train * px) },
    test: { n: meta.test, labels: labels.subarray(meta.train), images: images.subarray(meta.train * px) },
  }
}

/** Digits' pixels in [0, 1], row-major per digit: reshaped to [k, T, 784/T] they are T frames (rows in order). */
export function digitPixels(part: MnistSubset['train'], idx: ArrayLike<number>): Float32Array {
  const x = new Float32Array(idx.length * 784)
  for (let k = 0; k < idx.length; k++) {
    const off = idx[k] * 784
    for (let p = 0; p < 784; p++) x[k * 784 + p] = part.images[off + p] / 255
  }
  return x
}

/** One digit as the certifier's input: T frames of 784/T pixels (v / 255, 4 decimals, as the zoo's examples). */
export function digitInput(part: MnistSubset['train'], i: number, T: number): { x: number[][]; label: number } {
  const F = 784 / T
  return {
    x: Array.from({ length: T }, (_, t) => Array.from(part.images.subarray(i * 784 + t * F, i * 784 + (t + 1) * F), (v) => Math.round((v / 255) * 1e4) / 1e4)),
    label: part.labels[i],
  }
}
