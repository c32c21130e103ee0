/// <reference lib="webworker" />
/** The training worker: the handler behind the Worker global. */
import type { FromTrainer, ToTrainer } from './protocol.ts'
import { createTrainHandler } from './handler.ts'

const scope = self as unknown as DedicatedWorkerGlobalScope
const handle = createTrainHandler((msg: FromTrainer, transfer?: Transferable[]) => scope.postMessage(msg, transfer ?? []))
scope.onmessage = (e: MessageEvent<ToTrainer>) => void handle(e.data)
