/**
 * The app's side of the training worker: one run at a time, events to a listener, pause /
 * resume / finish / cancel; a cancelled run whose worker does not answer in time, or a
 * crashed worker, ends the run with a message and a fresh worker next time.
 */
import type { MnistSubsetMeta } from '../../train/mnistSubset.ts'
import type { FromTrainer, ToTrainer, TrainConfig, TrainedModel } from './protocol.ts'

export interface TrainWorkerLike {
  postMessage(msg: ToTrainer, transfer?: Transferable[]): void
  terminate(): void
  onmessage: ((e: MessageEvent<FromTrainer>) => void) | null
  onerror: ((e: ErrorEvent) => void) | null
}

export class TrainingCancelled extends Error {
  constructor() {
    super('training cancelled')
    this.name = 'TrainingCancelled'
  }
}

const CANCEL_MS = 2000

export class TrainClient {
  private worker: TrainWorkerLike | null = null
  private pending: { resolve: (m: TrainedModel) => void; reject: (e: Error) => void; timer?: ReturnType<typeof setTimeout> } | null = null
  private readonly factory: () => TrainWorkerLike

  constructor(factory: () => TrainWorkerLike) {
    this.factory = factory
  }

  get running(): boolean {
    return this.pending !== null
  }

  /** Train; events arrive at `onEvent`; resolves with the model (also after `finish`). */
  train(config: TrainConfig, meta: MnistSubsetMeta, data: ArrayBuffer, onEvent: (e: FromTrainer) => void): Promise<TrainedModel> {
    if (this.pending) return Promise.reject(new Error('a training run is already going on'))
    const w = this.worker ?? (this.worker = this.factory())
    return new Promise<TrainedModel>((resolve, reject) => {
      this.pending = { resolve, reject }
      const end = (f: () => void) => {
        clearTimeout(this.pending?.timer)
        this.pending = null
        f()
      }
      w.onmessage = (e) => {
        const m = e.data
        onEvent(m)
        if (m.type === 'done') end(() => resolve(m.model))
        else if (m.type === 'cancelled') end(() => reject(new TrainingCancelled()))
        else if (m.type === 'error') end(() => reject(new Error(m.message)))
      }
      w.onerror = (e) => {
        e.preventDefault?.()
        this.worker?.terminate()
        this.worker = null
        end(() => reject(new Error(`the training worker crashed (${e.message || 'an uncaught error'}); start again`)))
      }
      const copy = data.slice(0)
      w.postMessage({ type: 'start', config, meta, data: copy }, [copy])
    })
  }

  pause() {
    this.worker?.postMessage({ type: 'pause' })
  }
  resume() {
    this.worker?.postMessage({ type: 'resume' })
  }
  /** Stop after the current batch and keep the model. */
  finish() {
    this.worker?.postMessage({ type: 'finish' })
  }
  /** Stop and discard; a worker that does not stop in time is terminated. */
  cancel() {
    const p = this.pending
    if (!p || !this.worker) return
    this.worker.postMessage({ type: 'cancel' })
    p.timer = setTimeout(() => {
      if (this.pending !== p) return
      this.worker?.terminate()
      this.worker = null
      this.pending = null
      p.reject(new TrainingCancelled())
    }, CANCEL_MS)
  }

  dispose() {
    this.worker?.terminate()
    this.worker = null
    if (this.pending) this.pending.reject(new TrainingCancelled())
    this.pending = null
  }
}

export const createBrowserTrainWorker = (): TrainWorkerLike => new Worker(new URL('./train.worker.ts', import.meta.url), { type: 'module' }) as unknown as TrainWorkerLike
