/// <reference lib="webworker" />
/** The certification worker: a module Web Worker wrapping createCertHandler. */
import type { ToWorker } from './protocol.ts'
import { createCertHandler } from './handler.ts'

const scope = self as unknown as DedicatedWorkerGlobalScope
const handle = createCertHandler((msg) => scope.postMessage(msg))
scope.onmessage = (e: MessageEvent<ToWorker>) => handle(e.data)
