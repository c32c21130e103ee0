/**
 * A fast UnsortedSegmentSum (scatter-add) kernel for TF.js's cpu and wasm backends.
 *
 * The gradient of Embedding (a Gather) is an UnsortedSegmentSum. The stock cpu kernel
 * builds a one-hot comparison per segment and takes about 20 s per batch for a 6,000-word
 * vocabulary; the wasm backend has no such kernel at all. This one is a plain loop:
 * out[ids[i], :] += x[i, :] in float32, ids outside [0, numSegments) dropped (TensorFlow's
 * semantics). `src/train/scatterAdd.test.ts` compares it with the stock cpu kernel's gradient.
 */
import * as tf from '@tensorflow/tfjs'

const KERNEL = 'UnsortedSegmentSum'

interface BackendLike {
  readSync(dataId: unknown): unknown
}
interface CpuLike extends BackendLike {
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo
}
interface WasmLike extends BackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array
}

/** The pure scatter-add: x is [n, inner] row-major, ids has n entries. */
export function scatterAddValues(x: ArrayLike<number>, ids: ArrayLike<number>, numSegments: number): Float32Array {
  const n = ids.length
  const inner = n === 0 ? 0 : x.length / n
  const out = new Float32Array(numSegments * inner)
  for (let i = 0; i < n; i++) {
    const s = ids[i]
    if (s < 0 || s >= numSegments) continue
    const src = i * inner
    const dst = s * inner
    for (let j = 0; j < inner; j++) out[dst + j] += x[src + j]
  }
  return out
}

function kernelFunc(backendName: string): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo }
    const numSegments = (attrs as { numSegments: number }).numSegments
    if (x.dtype !== 'float32') throw new Error(`${KERNEL} (scatter-add): only float32 is supported, got ${x.dtype}`)
    const b = backend as BackendLike
    const xv = b.readSync(x.dataId) as Float32Array
    const ids = b.readSync(segmentIds.dataId) as Int32Array
    const idRank = segmentIds.shape.length
    const outShape = [numSegments, ...x.shape.slice(idRank)]
    const values = scatterAddValues(xv, ids, numSegments)
    if (backendName === 'wasm') {
      const wb = backend as unknown as WasmLike
      const out = wb.makeOutput(outShape, 'float32')
      wb.typedArrayFromHeap(out).set(values)
      return out
    }
    return (backend as unknown as CpuLike).makeTensorInfo(outShape, 'float32', values)
  }
}

/**
 * Replace the stock UnsortedSegmentSum kernel of `backendName` ('cpu' or 'wasm') by the
 * scatter-add. Returns a function restoring the previous kernel (if there was one).
 */
export function registerScatterAdd(backendName: 'cpu' | 'wasm'): () => void {
  const previous = tf.getKernel(KERNEL, backendName)
  if (previous) tf.unregisterKernel(KERNEL, backendName)
  tf.registerKernel({ kernelName: KERNEL, backendName, kernelFunc: kernelFunc(backendName) })
  return () => {
    tf.unregisterKernel(KERNEL, backendName)
    if (previous) tf.registerKernel(previous)
  }
}
