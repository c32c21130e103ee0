/** Live training's slice of the app's store: the configuration, the run's events and the trained model. */
import type { EpochReport, TrainConfig, TrainedModel } from '../../worker/training/protocol.ts'

export interface TrainingState {
  config: TrainConfig
  status: 'idle' | 'loading' | 'running' | 'paused' | 'done' | 'cancelled' | 'error'
  error: string | null
  batchesPerEpoch: number
  /** the latest batch report */
  batch: { epoch: number; batch: number; batches: number; loss: number; eps: number; kappa: number } | null
  history: EpochReport[]
  model: TrainedModel | null
  startedAt: number | null
}

export const DEFAULT_TRAIN_CONFIG: TrainConfig = { cell: 'simpleRnn', hidden: 16, T: 4, defense: 'ibp', eps: 0.01, epochs: 3, trainSize: 1000, batchSize: 32, learningRate: 0.005, seed: 1 }

export interface TrainingSlice {
  training: TrainingState
}

export const createTrainingSlice = (): TrainingSlice => ({
  training: { config: DEFAULT_TRAIN_CONFIG, status: 'idle', error: null, batchesPerEpoch: 0, batch: null, history: [], model: null, startedAt: null },
})
