/** TF.js in a command-line process or worker thread: the wasm backend, or cpu when wasm cannot start. */
import * as tf from '@tensorflow/tfjs'
import '@tensorflow/tfjs-backend-wasm'

export type Backend = 'wasm' | 'cpu'

/** Select the backend (no "install the node backend" banner); returns the one in use. */
export async function setBackend(name: Backend): Promise<Backend> {
  tf.env().set('PROD', true)
  if (name === 'wasm') {
    try {
      if (await tf.setBackend('wasm')) {
        await tf.ready()
        return 'wasm'
      }
    } catch {
      // fall back to cpu
    }
  }
  await tf.setBackend('cpu')
  await tf.ready()
  return 'cpu'
}
