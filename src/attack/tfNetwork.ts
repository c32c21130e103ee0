/**
 * The certifier's network IR as a differentiable TF.js function (float32), for gradient
 * attacks. Written with plain tf ops, not tf.layers: TF.js Layers cannot load GRUs with
 * reset_after = true, and the attack needs the model to start from the EMBEDDING VECTORS of
 * a token model (the threat model perturbs embeddings, not token ids).
 *
 * Semantics are exactly those of src/cert/cells (Keras layouts: kernel [in, k·units],
 * LSTM gates i, f, c, o; GRU gates z, r, h, with or without reset_after), and the output is
 * the logits before any output softmax, as src/cert/runtime.ts `forward` computes them.
 */
import * as tf from '@tensorflow/tfjs'
import type { DenseLayer, Matrix, NetworkIR, RecurrentLayer } from '../cert/network.ts'
import { isRecurrent, validateNetwork } from '../cert/network.ts'

/** frames [batch, T, frameSize] (embedding vectors for token models) → logits [batch, classes] */
export interface TfForward {
  (frames: tf.Tensor3D): tf.Tensor2D
  readonly classes: number
  /** values per frame (the embedding dimension for token models) */
  readonly frameSize: number
  /** free the weight tensors */
  dispose(): void
}

const mat = (m: Matrix, colFrom = 0, colTo = m.cols): tf.Tensor2D => {
  const cols = colTo - colFrom
  const data = new Float32Array(m.rows * cols)
  for (let i = 0; i < m.rows; i++) for (let j = 0; j < cols; j++) data[i * cols + j] = m.data[i * m.cols + colFrom + j]
  return tf.tensor2d(data, [m.rows, cols], 'float32')
}

const vec = (v: Float64Array, from = 0, to = v.length): tf.Tensor1D => tf.tensor1d(Float32Array.from(v.subarray(from, to)), 'float32')

type Act = (x: tf.Tensor2D) => tf.Tensor2D
const activation = (name: string): Act => {
  if (name === 'tanh') return (x) => tf.tanh(x)
  if (name === 'sigmoid') return (x) => tf.sigmoid(x)
  if (name === 'linear') return (x) => x
  throw new Error(`activation "${name}" is not supported by the TF.js attack forward`)
}

/**
 * One recurrent layer over a whole sequence: the input projections of all steps are one
 * product ([B·T, in] · kernel + bias), then the recurrence adds h·U step by step.
 * `project(W, b)` gives that projection of the layer's input as per-step [B, cols] tensors.
 */
type Project = (W: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D[]
type SeqFn = (project: Project, B: number) => tf.Tensor2D[]

function recurrent(layer: RecurrentLayer, tensors: tf.Tensor[]): SeqFn {
  const keep = <T extends tf.Tensor>(t: T): T => {
    tensors.push(t)
    return t
  }
  const u = layer.units
  if (layer.type === 'simpleRnn') {
    const W = keep(mat(layer.kernel))
    const U = keep(mat(layer.recurrentKernel))
    const b = keep(vec(layer.bias))
    const act = activation(layer.activation)
    return (project, B) => {
      let h: tf.Tensor2D = tf.zeros([B, u])
      return project(W, b).map((xw) => (h = act(tf.add(xw, tf.matMul(h, U)))))
    }
  }
  if (layer.type === 'lstm') {
    const W = keep(mat(layer.kernel))
    const U = keep(mat(layer.recurrentKernel))
    const b = keep(vec(layer.bias))
    return (project, B) => {
      let h: tf.Tensor2D = tf.zeros([B, u])
      let c: tf.Tensor2D = tf.zeros([B, u])
      return project(W, b).map((xw) => {
        const z = tf.add(xw, tf.matMul(h, U))
        const [zi, zf, zg, zo] = tf.split(z, 4, 1) as tf.Tensor2D[]
        c = tf.add(tf.mul(tf.sigmoid(zf), c), tf.mul(tf.sigmoid(zi), tf.tanh(zg)))
        h = tf.mul(tf.sigmoid(zo), tf.tanh(c))
        return h
      })
    }
  }
  // GRU, gate order z, r, h
  const Wzr = keep(mat(layer.kernel, 0, 2 * u))
  const Wh = keep(mat(layer.kernel, 2 * u, 3 * u))
  const Uzr = keep(mat(layer.recurrentKernel, 0, 2 * u))
  const Uh = keep(mat(layer.recurrentKernel, 2 * u, 3 * u))
  const bias = layer.bias
  const resetAfter = layer.resetAfter
  // z and r gates: input and recurrent biases add up
  const bzr = new Float64Array(2 * u)
  for (let k = 0; k < 2 * u; k++) bzr[k] = bias[k] + (resetAfter ? bias[3 * u + k] : 0)
  const bZR = keep(vec(bzr))
  const bxH = keep(vec(bias, 2 * u, 3 * u))
  const bhH = resetAfter ? keep(vec(bias, 5 * u, 6 * u)) : null
  return (project, B) => {
    let h: tf.Tensor2D = tf.zeros([B, u])
    const xzr = project(Wzr, bZR)
    const xh = project(Wh, bxH)
    return xzr.map((xz, t) => {
      const zr = tf.add(xz, tf.matMul(h, Uzr))
      const [zPre, rPre] = tf.split(zr, 2, 1) as tf.Tensor2D[]
      const r = tf.sigmoid(rPre)
      const pre = bhH
        ? tf.add(xh[t], tf.mul(r, tf.add(tf.matMul(h, Uh), bhH))) // h̃ = tanh(x·W_h + b_x + r⊙(h·U_h + b_h))
        : tf.add(xh[t], tf.matMul(tf.mul(r, h), Uh)) // h̃ = tanh(x·W_h + b_h + (r⊙h)·U_h)
      const hh = tf.tanh(pre)
      // h_t = z⊙h_{t−1} + (1 − z)⊙h̃ = h̃ + (h_{t−1} − h̃)⊙z
      h = tf.add(hh, tf.mul(tf.sub(h, hh), tf.sigmoid(zPre)))
      return h
    })
  }
}

function dense(layer: DenseLayer, last: boolean, tensors: tf.Tensor[]): (x: tf.Tensor2D) => tf.Tensor2D {
  const W = mat(layer.kernel)
  const b = vec(layer.bias)
  tensors.push(W, b)
  // the output softmax is monotone: the logits are what the certifier and the attack use
  const act = last ? activation('linear') : activation(layer.activation)
  return (x) => act(tf.add(tf.matMul(x, W), b))
}

/**
 * Build the differentiable forward pass of a network. The weights become float32 tensors
 * owned by the returned function (call `dispose()` when done; do not build inside tf.tidy).
 * The returned function is batch-friendly and may be called inside tf.tidy / tf.grad.
 */
export function buildTfForward(net: NetworkIR): TfForward {
  const { classes } = validateNetwork(net)
  const tensors: tf.Tensor[] = []
  const first = net.layers[0]
  const frameSize = first.type === 'embedding' ? first.embeddings.cols : net.input.kind === 'frames' ? net.input.frameSize : 0
  const rec: SeqFn[] = []
  const dn: Array<(x: tf.Tensor2D) => tf.Tensor2D> = []
  const denseLayers = net.layers.filter((l): l is DenseLayer => l.type === 'dense')
  for (const layer of net.layers) {
    if (isRecurrent(layer)) rec.push(recurrent(layer, tensors))
    else if (layer.type === 'dense') dn.push(dense(layer, layer === denseLayers[denseLayers.length - 1], tensors))
  }
  const fn = (frames: tf.Tensor3D): tf.Tensor2D => {
    if (frames.rank !== 3 || frames.shape[2] !== frameSize) {
      throw new Error(`frames must have shape [batch, T, ${frameSize}], got [${frames.shape.join(', ')}]`)
    }
    if (frames.shape[1] === 0) throw new Error('the input has no frames')
    const [B, T] = frames.shape
    // the layer input as one [B·T, width] matrix, in (batch, step) order
    let flat = tf.reshape(frames, [B * T, frameSize]) as tf.Tensor2D
    let seq: tf.Tensor2D[] = []
    for (const r of rec) {
      const input = flat
      const project: Project = (W, b) => {
        const p = tf.reshape(tf.add(tf.matMul(input, W), b), [B, T, W.shape[1]]) as tf.Tensor3D
        // (tf.unstack's gradient fails for a single step in TF.js 4.22: reshape that case)
        return T === 1 ? [tf.reshape(p, [B, W.shape[1]]) as tf.Tensor2D] : (tf.unstack(p, 1) as tf.Tensor2D[])
      }
      seq = r(project, B)
      if (r !== rec[rec.length - 1]) flat = tf.reshape(T === 1 ? seq[0] : tf.stack(seq, 1), [B * T, seq[0].shape[1]]) as tf.Tensor2D
    }
    let y = seq[seq.length - 1]
    for (const d of dn) y = d(y)
    return y
  }
  return Object.assign(fn, {
    classes,
    frameSize,
    dispose: () => tensors.forEach((t) => t.dispose()),
  })
}
