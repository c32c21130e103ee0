// A worker thread's entry when the script runs under tsx: register tsx in this thread
// (the main thread's loader hooks do not reach worker threads in Node 20), then load the
// TypeScript entry named in workerData.entry.
import { workerData } from 'node:worker_threads'
import { register } from 'tsx/esm/api'

register()
await import(workerData.entry)
