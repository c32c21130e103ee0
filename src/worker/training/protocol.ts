/**
 * The typed messages between the app and the training worker (live defended training of a
 * small MNIST model in the page).
 */
import type { Defense } from '../../model/defense.ts'
import type { ModelCell } from '../../train/model.ts'
import type { MnistSubsetMeta } from '../../train/mnistSubset.ts'

export interface TrainConfig {
  cell: ModelCell
  hidden: number
  /** frames per image: the 28×28 digit read as T frames of 784/T pixels */
  T: number
  defense: Defense
  /** the training ε (pixels in [0, 1]); ignored for 'none' */
  eps: number
  epochs: number
  /** training digits used per epoch (≤ the subset's) */
  trainSize: number
  batchSize: number
  learningRate: number
  seed: number
}

export const TRAIN_LIMITS = {
  hidden: [2, 64],
  epochs: [1, 30],
  trainSize: [32, 2000],
  batchSize: [8, 256],
  eps: [0, 0.3],
  learningRate: [1e-4, 0.1],
} as const
export const TRAIN_FRAMES = [1, 2, 4, 7, 14, 28] as const

/** The digits whose certified bound is shown after every epoch (test digits 0…k−1). */
export const WATCHED_DIGITS = 3

export interface EpochReport {
  epoch: number
  eps: number
  kappa: number
  loss: number
  trainAccuracy: number
  /** ibp / certrnn: share of the epoch's samples verified by the training bounds */
  verified: number | null
  testAccuracy: number
  /** Cert-RNN bound (single frame, min over frames) of the watched test digits, from src/cert on the epoch's weights */
  bounds: number[]
  /** their predictions and labels (a misclassified digit's bound is 0) */
  predicted: number[]
  labels: number[]
  seconds: number
}

export interface TrainedModel {
  modelJson: Record<string, unknown>
  weights: ArrayBuffer
  config: TrainConfig
  history: EpochReport[]
  testAccuracy: number
  stoppedBecause: string
  seconds: number
}

export type ToTrainer =
  | { type: 'start'; config: TrainConfig; meta: MnistSubsetMeta; data: ArrayBuffer }
  | { type: 'pause' }
  | { type: 'resume' }
  /** stop after the current batch and keep the model */
  | { type: 'finish' }
  /** stop and discard */
  | { type: 'cancel' }

export type FromTrainer =
  | { type: 'started'; batchesPerEpoch: number; testDigits: number }
  | { type: 'batch'; epoch: number; batch: number; batches: number; loss: number; eps: number; kappa: number }
  | { type: 'epoch'; report: EpochReport }
  | { type: 'paused' }
  | { type: 'resumed' }
  | { type: 'done'; model: TrainedModel }
  | { type: 'cancelled' }
  | { type: 'error'; message: string }

/** Why a configuration cannot train, or null. */
export function configProblem(c: TrainConfig): string | null {
  const within = (name: keyof typeof TRAIN_LIMITS, v: number) => {
    const [lo, hi] = TRAIN_LIMITS[name]
    return Number.isFinite(v) && v >= lo && v <= hi ? null : `${name} must be between ${lo} and ${hi} (got ${v})`
  }
  if (!['simpleRnn', 'lstm', 'gru'].includes(c.cell)) return `unknown cell ${c.cell}`
  if (!(TRAIN_FRAMES as readonly number[]).includes(c.T)) return `frames must be one of ${TRAIN_FRAMES.join(', ')} (784 pixels split evenly)`
  if (!['none', 'fgsm', 'pgd', 'ibp', 'certrnn'].includes(c.defense)) return `unknown defense ${c.defense}`
  for (const k of ['hidden', 'epochs', 'trainSize', 'batchSize', 'learningRate'] as const) {
    const p = within(k, c[k])
    if (p) return p
  }
  if (c.defense !== 'none' && !(c.eps > 0 && c.eps <= TRAIN_LIMITS.eps[1])) return `ε must be in (0, ${TRAIN_LIMITS.eps[1]}] for ${c.defense} training (got ${c.eps})`
  if (!Number.isInteger(c.hidden) || !Number.isInteger(c.epochs) || !Number.isInteger(c.trainSize) || !Number.isInteger(c.batchSize)) return 'hidden units, epochs, digits and batch size must be whole numbers'
  return null
}
