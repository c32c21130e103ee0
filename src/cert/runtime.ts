/**
 * A validated network ready to run: the float64 concrete forward pass and the abstract
 * (zonotope) forward pass, layer by layer over the whole sequence.
 */
import type { AbstractContext } from './cells/context.ts'
import type { Cell } from './cells/cell.ts'
import { affineConcrete } from './cells/cell.ts'
import { gruCell } from './cells/gru.ts'
import { lstmCell } from './cells/lstm.ts'
import { simpleRnnCell } from './cells/simpleRnn.ts'
import type { DenseLayer, EmbeddingLayer, NetworkIR, RecurrentLayer } from './network.ts'
import { isRecurrent, transpose, validateNetwork } from './network.ts'
import { sigmoid } from './transformers/plane.ts'
import type { Zonotope } from './zonotope.ts'
import { zonotopeConstant } from './zonotope.ts'

interface DenseRuntime {
  layer: DenseLayer
  W: Float64Array
}

export interface CompiledNetwork {
  net: NetworkIR
  classes: number
  /** size of one input frame (after the embedding, for token models) */
  frameSize: number
  embedding: EmbeddingLayer | null
  cells: Array<{ layer: RecurrentLayer; cell: Cell }>
  dense: DenseRuntime[]
}

export function compileNetwork(net: NetworkIR): CompiledNetwork {
  const { classes } = validateNetwork(net)
  const embedding = net.layers[0].type === 'embedding' ? net.layers[0] : null
  const cells: CompiledNetwork['cells'] = []
  const dense: DenseRuntime[] = []
  for (const layer of net.layers) {
    if (isRecurrent(layer)) {
      const cell = layer.type === 'simpleRnn' ? simpleRnnCell(layer) : layer.type === 'lstm' ? lstmCell(layer) : gruCell(layer)
      cells.push({ layer, cell })
    } else if (layer.type === 'dense') dense.push({ layer, W: transpose(layer.kernel) })
  }
  const frameSize = embedding ? embedding.embeddings.cols : net.input.kind === 'frames' ? net.input.frameSize : 0
  return { net, classes, frameSize, embedding, cells, dense }
}

/** Token ids → embedding vectors (the frames the threat model perturbs). */
export function embedTokens(cn: CompiledNetwork, tokens: number[]): Float64Array[] {
  const emb = cn.embedding
  if (!emb) throw new Error('this model reads frames, not tokens')
  if (tokens.length === 0) throw new Error('the token sequence is empty')
  const { rows, cols, data } = emb.embeddings
  return tokens.map((t, k) => {
    if (!Number.isInteger(t) || t < 0 || t >= rows) {
      throw new Error(`token ${k} is ${t}, outside the vocabulary of ${rows} entries`)
    }
    return data.slice(t * cols, (t + 1) * cols)
  })
}

/** Validate frames against the model's frame size. */
export function checkFrames(cn: CompiledNetwork, frames: Float64Array[]): void {
  if (frames.length === 0) throw new Error('the input has no frames')
  frames.forEach((f, t) => {
    if (f.length !== cn.frameSize) throw new Error(`frame ${t} has ${f.length} values, the model expects ${cn.frameSize}`)
    for (let i = 0; i < f.length; i++) {
      if (!Number.isFinite(f[i])) throw new Error(`frame ${t} has a non-finite value at ${i}`)
    }
  })
}

/** Per layer, per step: the state after that step (state[layer][t] = [h, (c)]). */
export interface ConcreteRun {
  states: Float64Array[][][]
  logits: Float64Array
}

/** Where a concrete value was computed: the same coordinates as a TraceEntry. */
export interface ConcreteEntry {
  layer: number
  layerName: string
  step: number | null
  op: string
  values: Float64Array
}

/**
 * The float64 concrete forward pass; returns logits (before any output softmax). With a
 * `sink`, every operation's values are recorded under the names the abstract trace uses.
 */
export function forward(cn: CompiledNetwork, frames: Float64Array[], sink?: ConcreteEntry[]): ConcreteRun {
  let inputs = frames
  const states: Float64Array[][][] = []
  const offset = cn.embedding ? 1 : 0
  cn.cells.forEach(({ layer, cell }, li) => {
    let state: Float64Array[] = Array.from({ length: cell.stateParts }, () => new Float64Array(cell.units))
    const perStep: Float64Array[][] = []
    inputs.forEach((x, step) => {
      const record = sink ? (op: string, values: Float64Array) => sink.push({ layer: li + offset, layerName: layer.name, step, op, values }) : undefined
      state = cell.concreteStep(x, state, record)
      perStep.push(state)
    })
    states.push(perStep)
    inputs = perStep.map((s) => s[0])
  })
  let y = inputs[inputs.length - 1]
  const firstDense = offset + cn.cells.length
  cn.dense.forEach((d, k) => {
    const last = k === cn.dense.length - 1
    y = affineConcrete([[d.W, y]], d.layer.units, d.layer.bias)
    const push = (op: string, values: Float64Array) => sink?.push({ layer: firstDense + k, layerName: d.layer.name, step: null, op, values })
    push(last ? 'logits' : 'pre', y)
    // the output layer's softmax is monotone: the certifier works on logits
    if (!last && d.layer.activation === 'tanh') y = y.map(Math.tanh)
    if (!last && d.layer.activation === 'sigmoid') y = y.map(sigmoid)
    if (!last && (d.layer.activation === 'tanh' || d.layer.activation === 'sigmoid')) push('out', y)
  })
  return { states, logits: y }
}

/**
 * The abstract forward pass. `inputs[t]` is the zonotope of frame t; frames before `start`
 * must be unperturbed, and their states are taken from `concrete` (the float64 run of the
 * same input) instead of being recomputed.
 */
export function abstractForward(
  cn: CompiledNetwork,
  inputs: Zonotope[],
  start: number,
  concrete: ConcreteRun,
  ctx: AbstractContext,
): Zonotope {
  let seq = inputs.slice(start)
  cn.cells.forEach(({ layer, cell }, li) => {
    ctx.layer = li + (cn.embedding ? 1 : 0)
    ctx.layerName = layer.name
    let state =
      start > 0
        ? concrete.states[li][start - 1].map((s) => zonotopeConstant(s))
        : Array.from({ length: cell.stateParts }, () => zonotopeConstant(new Float64Array(cell.units)))
    const out: Zonotope[] = []
    seq.forEach((x, k) => {
      ctx.step = start + k
      state = cell.abstractStep(x, state, ctx)
      const reduce = ctx.reduce
      if (reduce) state = state.map((z) => reduce(z))
      out.push(state[0])
    })
    seq = out
  })
  ctx.step = null
  let y = seq[seq.length - 1]
  const firstDense = (cn.embedding ? 1 : 0) + cn.cells.length
  cn.dense.forEach((d, k) => {
    ctx.layer = firstDense + k
    ctx.layerName = d.layer.name
    const last = k === cn.dense.length - 1
    y = ctx.affine([[d.W, y]], d.layer.units, d.layer.bias, last ? 'logits' : 'pre')
    if (!last && (d.layer.activation === 'tanh' || d.layer.activation === 'sigmoid')) y = ctx.unary(d.layer.activation, y, 'out')
  })
  return y
}
