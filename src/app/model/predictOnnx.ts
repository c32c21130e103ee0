/**
 * Predictions of an uploaded .onnx model from onnxruntime-web (its wasm build), loaded lazily
 * and served from the app's own origin: the .wasm file is an asset of this build (Vite `?url`),
 * never fetched from a CDN; one thread, so no cross-origin isolation is needed.
 */
import type { SampleInput } from '../../cert/index.ts'
import type { OnnxModel } from './loaded.ts'

type Ort = typeof import('onnxruntime-web/wasm')
type Session = import('onnxruntime-web/wasm').InferenceSession

let runtime: Promise<Ort> | null = null

async function loadRuntime(): Promise<Ort> {
  runtime ??= (async () => {
    const [ort, wasm] = await Promise.all([import('onnxruntime-web/wasm'), import('onnxruntime-web/ort-wasm-simd-threaded.wasm?url')])
    ort.env.wasm.wasmPaths = { wasm: wasm.default }
    ort.env.wasm.numThreads = 1
    ort.env.wasm.proxy = false
    return ort
  })()
  return runtime
}

const sessions = new WeakMap<OnnxModel, Promise<Session>>()

/** The logits of one sequence, run by the ONNX graph itself (batch of one, in the graph's layout). */
export async function onnxLogits(m: OnnxModel, input: SampleInput, load: () => Promise<Ort> = loadRuntime): Promise<number[]> {
  const ort = await load()
  let session = sessions.get(m)
  if (!session) {
    session = ort.InferenceSession.create(m.bytes, { executionProviders: ['wasm'] })
    sessions.set(m, session)
  }
  const s = await session
  const { dtype, timeAxis, name, flatSize } = m.input
  let tensor: InstanceType<Ort['Tensor']>
  if (input.tokens) {
    const T = input.tokens.length
    const dims = timeAxis === 0 ? [T, 1] : [1, T]
    tensor = dtype === 'int32' ? new ort.Tensor('int32', Int32Array.from(input.tokens), dims) : new ort.Tensor('int64', BigInt64Array.from(input.tokens, (t) => BigInt(t)), dims)
  } else {
    const x = input.x!
    const flat = x.flat()
    // a graph that reshapes a flat row into frames itself (x.view(-1, T, F)) reads [1, T·F]
    const dims = flatSize !== undefined ? [1, flatSize] : timeAxis === 0 ? [x.length, 1, x[0].length] : [1, x.length, x[0].length]
    tensor = dtype === 'float64' ? new ort.Tensor('float64', Float64Array.from(flat), dims) : new ort.Tensor('float32', Float32Array.from(flat), dims)
  }
  const out = await s.run({ [name]: tensor })
  return Array.from(out[s.outputNames[0]].data as Float32Array, Number)
}
