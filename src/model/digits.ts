/**
 * MNIST digits as a frame model's inputs: one place for how a 28×28 image (784 pixels in
 * 0…255, row-major) becomes T consecutive frames of 784 / T pixels. Used by the zoo's
 * training script (the examples it ships), the app (digits for models from outside the zoo)
 * and `npm run reproduce` (more digits than a model ships, from public/models/mnist-examples.json).
 */

/** public/models/mnist-examples.json: the first 100 MNIST test digits. */
export interface SharedDigits {
  labels: number[]
  images: ArrayLike<number>[]
}

/** The pixel values of the zoo's shipped examples: v/255 rounded to 4 decimals. */
export const examplePixel = (v: number): number => Math.round((v / 255) * 1e4) / 1e4

/** Exact pixel / 255 (the app's digits for models from outside the zoo). */
export const exactPixel = (v: number): number => v / 255

/**
 * Digits `from` … `from + count − 1` of `d` as `frames` consecutive frames of 784 / frames
 * pixels each (rows in order), `pixel` mapping 0…255 to the model's input.
 */
export function digitsAsFrames(d: SharedDigits, frames: number, count = 20, pixel: (v: number) => number = exactPixel, from = 0): Array<{ x: number[][]; label: number }> {
  if (!Number.isInteger(frames) || frames < 1 || 784 % frames !== 0) throw new Error(`a 28×28 digit cannot be cut into ${frames} frames of equal size`)
  const size = 784 / frames
  const out: Array<{ x: number[][]; label: number }> = []
  for (let k = from; k < Math.min(d.images.length, from + count); k++) {
    const img = d.images[k]
    out.push({
      x: Array.from({ length: frames }, (_, t) => Array.from({ length: size }, (_v, i) => pixel(img[t * size + i]))),
      label: d.labels[k],
    })
  }
  return out
}
