/**
 * A certification worker thread that crashes (an uncaught error, as an out-of-memory
 * thread would die) on its first `run` message when workerData.crash is set; otherwise the
 * real worker. For the tests of the command line's executor.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { createCertHandler } from '../../../src/worker/handler.ts'
import type { ToWorker } from '../../../src/worker/protocol.ts'

const port = parentPort!
const handle = createCertHandler((msg) => port.postMessage(msg))
port.on('message', (msg: ToWorker) => {
  if (msg.type === 'run' && (workerData as { crash?: boolean }).crash) throw new RangeError('simulated: Array buffer allocation failed')
  handle(msg)
})
