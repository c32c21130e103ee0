/**
 * Defended and certified training of RNN / LSTM / GRU models with TF.js (browser-safe:
 * no node: imports; runs in a Web Worker and in Node).
 *
 * - params: the weights as tensors, from a live tf.LayersModel (its variables) or a NetworkIR
 * - forward: the differentiable forward pass (frames or token ids → logits)
 * - inputBox / intervalBounds / zonotopeBounds: IBP and Cert-RNN bounds of the logits over an
 *   ℓ∞ box, with the worst-case logits for cross-entropy
 * - defenses: one loss per defense (none, fgsm, pgd, ibp, certrnn) and the ε / κ schedule
 * - trainLoop / trainStep: epochs of batches with callbacks, pause and cancel
 */
export type { TfActivation, TfDense, TfGru, TfLstm, TfParams, TfRecurrent, TfSimpleRnn } from './params.ts'
export { paramsFromModel, paramsFromNetwork, withoutEmbedding } from './params.ts'
export { embedTokens, logits, tokenLogits } from './forward.ts'
export type { BoxOptions, InputBox, LogitBounds } from './box.ts'
export { inputBox } from './box.ts'
export { intervalBounds } from './intervalBounds.ts'
export type { ZonotopeOptions } from './zonotopeBounds.ts'
export { logitZonotope, zonotopeBounds } from './zonotopeBounds.ts'
export { PADDING } from './planes.ts'
export type { Defense, DefenseConfig, LossParts, Prepared, Schedule, ScheduleValue, TrainBatch } from './defenses.ts'
export { batchFrames, certifiedBounds, crossEntropy, DEFENSE_LABELS, DEFENSES, defaultKappa, defenseLoss, frameMask, prepareDefense, randomFrames, scheduleAt } from './defenses.ts'
export type { BatchInfo, EpochInfo, LoopOptions, LoopResult, StepResult, StopReason, TrainControl } from './loop.ts'
export { trainLoop, trainStep } from './loop.ts'
export { registerScatterAdd } from './scatterAdd.ts'
