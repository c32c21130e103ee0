/**
 * Conv2DBackpropFilter (the kernel gradient of Conv1D / Conv2D) for TF.js's wasm backend,
 * which has none ("Kernel 'Conv2DBackpropFilter' not registered for backend 'wasm'"): a
 * plain loop in float64, channels-last, any strides and padding (TF.js computes filter
 * gradients for dilation 1 only). `src/train/convFilterGrad.test.ts` compares it with the
 * stock cpu kernel. Registered by the zoo's training (scripts/train/tfSetup.ts).
 */
import * as tf from '@tensorflow/tfjs'

const KERNEL = 'Conv2DBackpropFilter'

interface WasmLike {
  readSync(dataId: unknown): unknown
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array
}

interface Attrs {
  strides: number | [number, number]
  pad: 'same' | 'valid' | number
  dataFormat: 'NHWC' | 'NCHW'
  dimRoundingMode?: 'floor' | 'round' | 'ceil'
  filterShape: [number, number, number, number]
}

/**
 * dW[r, c, i, o] = Σ_b Σ_(y, z) x[b, y·sh + r − top, z·sw + c − left, i] · dy[b, y, z, o]
 * (x is [b, h, w, in], dy is [b, outH, outW, out], both row-major; out-of-image taps skipped).
 */
export function convFilterGradValues(x: ArrayLike<number>, xShape: [number, number, number, number], dy: ArrayLike<number>, attrs: Attrs): Float32Array {
  const info = tf.backend_util.computeConv2DInfo(xShape, attrs.filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, false, 'channelsLast')
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, filterHeight, filterWidth, strideHeight, strideWidth } = info
  const { top, left } = info.padInfo
  const acc = new Float64Array(filterHeight * filterWidth * inChannels * outChannels)
  for (let b = 0; b < batchSize; b++) {
    for (let y = 0; y < outHeight; y++) {
      for (let z = 0; z < outWidth; z++) {
        const dyAt = ((b * outHeight + y) * outWidth + z) * outChannels
        for (let r = 0; r < filterHeight; r++) {
          const xr = y * strideHeight + r - top
          if (xr < 0 || xr >= inHeight) continue
          for (let c = 0; c < filterWidth; c++) {
            const xc = z * strideWidth + c - left
            if (xc < 0 || xc >= inWidth) continue
            const xAt = ((b * inHeight + xr) * inWidth + xc) * inChannels
            const wAt = (r * filterWidth + c) * inChannels * outChannels
            for (let i = 0; i < inChannels; i++) {
              const xv = x[xAt + i]
              if (xv === 0) continue
              const row = wAt + i * outChannels
              for (let o = 0; o < outChannels; o++) acc[row + o] += xv * dy[dyAt + o]
            }
          }
        }
      }
    }
  }
  return Float32Array.from(acc)
}

function kernelFunc({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo }
  const a = attrs as unknown as Attrs
  if (a.dataFormat !== 'NHWC') throw new Error(`${KERNEL} (wasm): only channels-last (NHWC) data is supported, got ${a.dataFormat}`)
  if (x.dtype !== 'float32' || dy.dtype !== 'float32') throw new Error(`${KERNEL} (wasm): only float32 is supported`)
  const b = backend as unknown as WasmLike
  const values = convFilterGradValues(b.readSync(x.dataId) as Float32Array, x.shape as [number, number, number, number], b.readSync(dy.dataId) as Float32Array, a)
  const out = b.makeOutput(a.filterShape, 'float32')
  b.typedArrayFromHeap(out).set(values)
  return out
}

/** Register the kernel for the wasm backend (if it still has none); returns a function removing it. */
export function registerConvFilterGrad(): () => void {
  if (tf.getKernel(KERNEL, 'wasm')) return () => {}
  tf.registerKernel({ kernelName: KERNEL, backendName: 'wasm', kernelFunc: kernelFunc as tf.KernelFunc })
  return () => tf.unregisterKernel(KERNEL, 'wasm')
}
