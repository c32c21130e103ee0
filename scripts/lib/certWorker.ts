/**
 * The certification worker as a Node worker thread: the page's worker handler, over
 * parentPort. workerData.backend (wasm | cpu) selects TF.js's backend first (the audit's).
 */
import { parentPort, workerData } from 'node:worker_threads'
import { createCertHandler } from '../../src/worker/handler.ts'
import type { ToWorker } from '../../src/worker/protocol.ts'
import type { Backend } from './tfBackend.ts'

const { backend } = workerData as { backend?: Backend }
if (backend) await (await import('./tfBackend.ts')).setBackend(backend)
const port = parentPort!
const handle = createCertHandler((msg) => port.postMessage(msg))
port.on('message', (msg: ToWorker) => handle(msg))
