/** The certification worker as a Node worker thread: the page's worker handler, over parentPort. */
import { parentPort } from 'node:worker_threads'
import { createCertHandler } from '../../src/worker/handler.ts'
import type { ToWorker } from '../../src/worker/protocol.ts'

const port = parentPort!
const handle = createCertHandler((msg) => port.postMessage(msg))
port.on('message', (msg: ToWorker) => handle(msg))
