/**
 * TF.js for training in Node: the wasm backend (or cpu) with the scatter-add kernel registered
 * (and, on wasm, Conv1D's kernel gradient, which wasm lacks).
 */
import * as tf from '@tensorflow/tfjs'
import '@tensorflow/tfjs-backend-wasm'
import { registerConvFilterGrad } from '../../src/train/convFilterGrad.ts'
import { registerScatterAdd } from '../../src/train/scatterAdd.ts'

export type BackendName = 'wasm' | 'cpu'

let ready: BackendName | null = null

export async function setupTf(backend: BackendName = 'wasm'): Promise<typeof tf> {
  if (ready === backend) return tf
  const ok = await tf.setBackend(backend)
  if (!ok) throw new Error(`TF.js backend '${backend}' failed to initialise`)
  await tf.ready()
  registerScatterAdd(backend)
  if (backend === 'wasm') registerConvFilterGrad()
  ready = backend
  return tf
}

export { tf }
