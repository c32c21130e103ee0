/**
 * Near ties: the certificate is about the certifier's float64 prediction, while TF.js
 * (which the model was trained and is deployed with) computes in float32. When the float64
 * top-two logits are close, the two can disagree; the CLI then says so.
 *
 * The float32 check is real: the network runs in TF.js (cpu backend, float32 tensors) via
 * src/attack/tfNetwork.ts, the forward pass the attacks use. TF.js is loaded only when some
 * input's float64 top-two gap is within NEAR_TIE_GAP (or when asked for every input), so
 * that the common case costs nothing.
 */
import type { NetworkIR, PreparedSample } from '../../src/cert/index.ts'
import { argmax } from '../../src/cert/index.ts'
/**
 * Relative gap between the two largest float64 logits below which the float32 prediction
 * is checked: far above float32 rounding (about 1e-7 relative per operation).
 */
export const NEAR_TIE_GAP = 1e-3

/** The float64 top-two gap relative to the logits' scale (at least 1). */
export function relativeGap(logits: ArrayLike<number>): number {
  let a = -Infinity
  let b = -Infinity
  let scale = 1
  for (let i = 0; i < logits.length; i++) {
    const v = logits[i]
    scale = Math.max(scale, Math.abs(v))
    if (v > a) {
      b = a
      a = v
    } else if (v > b) b = v
  }
  return logits.length < 2 ? Infinity : (a - b) / scale
}

export const isCloseCall = (prep: PreparedSample) => relativeGap(prep.concrete.logits) < NEAR_TIE_GAP

/**
 * TF.js float32 predictions of the given samples (their frames, or token embeddings),
 * indexed like `preps`; null where not computed (`only` false).
 */
export async function float32Predictions(net: NetworkIR, preps: PreparedSample[], only: (p: PreparedSample) => boolean = isCloseCall): Promise<Array<number | null>> {
  const wanted = preps.map(only)
  if (!wanted.some(Boolean)) return preps.map(() => null)
  const tf = await import('@tensorflow/tfjs')
  // no "install the node backend" banner (it would land in the JSON output)
  tf.env().set('PROD', true)
  await tf.setBackend('cpu')
  await tf.ready()
  const { buildTfForward } = await import('../../src/attack/tfNetwork.ts')
  const forward = buildTfForward(net)
  try {
    return preps.map((p, k) => {
      if (!wanted[k]) return null
      const T = p.frames.length
      const F = p.frames[0].length
      const data = new Float32Array(T * F)
      p.frames.forEach((f, t) => data.set(f, t * F))
      const logits = tf.tidy(() => forward(tf.tensor3d(data, [1, T, F]), p.concrete.masks ?? undefined).dataSync())
      return argmax(logits)
    })
  } finally {
    forward.dispose()
  }
}
