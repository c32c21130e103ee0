/**
 * The certifier's network IR as a differentiable TF.js function (float32), for gradient
 * attacks. Written with plain tf ops, not tf.layers: TF.js Layers cannot load GRUs with
 * reset_after = true, and the attack needs the model to start from the EMBEDDING VECTORS of
 * a token model (the threat model perturbs embeddings, not token ids).
 *
 * The forward pass itself is src/tf/forward.ts (the certifier's layers in the TF.js tensor
 * domain) over the IR's weights as constant tensors (src/tf/params.ts), the same code
 * certified training differentiates: Keras
 * layouts (kernel [in, k·units], LSTM gates i, f, c, o; GRU gates z, r, h, with or without
 * reset_after), and the output is the logits before any output softmax, as
 * src/cert/runtime.ts `forward` computes them.
 */
import type * as tf from '@tensorflow/tfjs'
import type { NetworkIR, StepMask } from '../cert/index.ts'
import { logits } from '../tf/forward.ts'
import { paramsFromNetwork } from '../tf/params.ts'

/** frames [batch, T, frameSize] (embedding vectors for token models; `masks`: a mask_zero model's step masks) → logits [batch, classes] */
export interface TfForward {
  (frames: tf.Tensor3D, masks?: readonly StepMask[]): tf.Tensor2D
  readonly classes: number
  /** values per frame (the embedding dimension for token models) */
  readonly frameSize: number
  /** free the weight tensors */
  dispose(): void
}

/**
 * Build the differentiable forward pass of a network. The weights become float32 tensors
 * owned by the returned function (call `dispose()` when done; do not build inside tf.tidy).
 * The returned function is batch-friendly and may be called inside tf.tidy / tf.grad.
 */
export function buildTfForward(net: NetworkIR): TfForward {
  const params = paramsFromNetwork(net)
  // the frames are embedding vectors already: no lookup in the forward pass
  const frameParams = { ...params, embedding: null }
  const fn = (frames: tf.Tensor3D, masks?: readonly StepMask[]): tf.Tensor2D => {
    if (params.maskZero && !masks) throw new Error('this model masks token 0 (mask_zero=True): the forward pass needs the token ids\' masks')
    return logits(frameParams, frames, masks)
  }
  return Object.assign(fn, {
    classes: params.classes,
    frameSize: params.frameSize,
    dispose: () => params.dispose(),
  })
}
