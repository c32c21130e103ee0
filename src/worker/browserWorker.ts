/** The real module worker, for the browser (Vite bundles it from this URL). */
import type { WorkerLike } from './client.ts'

export const createBrowserWorker = (): WorkerLike =>
  new Worker(new URL('./cert.worker.ts', import.meta.url), { type: 'module' }) as unknown as WorkerLike
