/**
 * The app's side of the training worker: one run at a time, events to a listener, pause /
 * resume / finish / cancel; a cancelled run whose worker does not answer in time, or a
 * crashed worker, ends the run with a message and a fresh worker next time.
 */
import type { MnistSubsetMeta } from '../../train/mnistSubset.ts'
import type { WorkerPort } from '../supervised.ts'
import { SupervisedWorker } from '../supervised.ts'
import type { FromTrainer, ToTrainer, TrainConfig, TrainedModel } from './protocol.ts'

export type TrainWorkerLike = WorkerPort<ToTrainer, FromTrainer>

export class TrainingCancelled extends Error {
  constructor() {
    super('training cancelled')
    this.name = 'TrainingCancelled'
  }
}

const CANCEL_MS = 2000

interface Run {
  resolve: (m: TrainedModel) => void
  reject: (e: Error) => void
  onEvent: (e: FromTrainer) => void
  timer?: ReturnType<typeof setTimeout>
}

export class TrainClient {
  private readonly worker: SupervisedWorker<ToTrainer, FromTrainer>
  private pending: Run | null = null

  constructor(factory: () => TrainWorkerLike) {
    this.worker = new SupervisedWorker(factory, {
      message: (m) => {
        this.pending?.onEvent(m)
        if (m.type === 'done') this.end((p) => p.resolve(m.model))
        else if (m.type === 'cancelled') this.end((p) => p.reject(new TrainingCancelled()))
        else if (m.type === 'error') this.end((p) => p.reject(new Error(m.message)))
      },
      crash: (detail) => this.end((p) => p.reject(new Error(`the training worker crashed (${detail}); start again`))),
    })
  }

  get running(): boolean {
    return this.pending !== null
  }

  private end(f: (p: Run) => void) {
    const p = this.pending
    if (!p) return
    clearTimeout(p.timer)
    this.pending = null
    f(p)
  }

  /** Train; events arrive at `onEvent`; resolves with the model (also after `finish`). */
  train(config: TrainConfig, meta: MnistSubsetMeta, data: ArrayBuffer, onEvent: (e: FromTrainer) => void): Promise<TrainedModel> {
    if (this.pending) return Promise.reject(new Error('a training run is already going on'))
    return new Promise<TrainedModel>((resolve, reject) => {
      this.pending = { resolve, reject, onEvent }
      const copy = data.slice(0)
      this.worker.post({ type: 'start', config, meta, data: copy }, [copy])
    })
  }

  pause() {
    this.worker.tell({ type: 'pause' })
  }
  resume() {
    this.worker.tell({ type: 'resume' })
  }
  /** Stop after the current batch and keep the model. */
  finish() {
    this.worker.tell({ type: 'finish' })
  }
  /** Stop and discard; a worker that does not stop in time is terminated. */
  cancel() {
    const p = this.pending
    if (!p) return
    p.timer = this.worker.cancel(
      { type: 'cancel' },
      CANCEL_MS,
      () => this.pending !== p,
      () => this.end((q) => q.reject(new TrainingCancelled())),
    )
  }

  dispose() {
    this.worker.terminate()
    this.end((p) => p.reject(new TrainingCancelled()))
  }
}

export const createBrowserTrainWorker = (): TrainWorkerLike => new Worker(new URL('./train.worker.ts', import.meta.url), { type: 'module' }) as unknown as TrainWorkerLike
