/** The scatter-add kernel lives with the training library (browser-safe): src/train/scatterAdd.ts. */
export { registerScatterAdd, scatterAddValues } from '../../src/train/scatterAdd.ts'
