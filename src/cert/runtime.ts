/**
 * A validated network ready to run: the float64 concrete forward pass and the abstract
 * (zonotope) forward pass, layer by layer over the whole sequence, both the layers of
 * ./layers evaluated in a domain (./domains).
 */
import type { AbstractContext } from './domains/zonotope.ts'
import type { ConcreteRecorder, Lin } from './domains/float64.ts'
import { Float64Domain, float64Weights, linOf } from './domains/float64.ts'
import type { Cell, DenseSpec, RecurrentSpec } from './layers/index.ts'
import { recurrentCell, runDense, runStack } from './layers/index.ts'
import type { DenseLayer, EmbeddingLayer, NetworkIR, RecurrentLayer } from './network.ts'
import { isRecurrent, validateNetwork } from './network.ts'
import type { Zonotope } from './zonotope.ts'
import { zonotopeConstant } from './zonotope.ts'

export interface CompiledNetwork {
  net: NetworkIR
  classes: number
  /** size of one input frame (after the embedding, for token models) */
  frameSize: number
  embedding: EmbeddingLayer | null
  cells: Array<{ layer: RecurrentLayer; cell: Cell<Lin, Float64Array> }>
  dense: Array<{ layer: DenseLayer; spec: DenseSpec<Lin, Float64Array> }>
}

export function compileNetwork(net: NetworkIR): CompiledNetwork {
  const { classes } = validateNetwork(net)
  const embedding = net.layers[0].type === 'embedding' ? net.layers[0] : null
  const cells: CompiledNetwork['cells'] = []
  const dense: CompiledNetwork['dense'] = []
  for (const layer of net.layers) {
    if (isRecurrent(layer)) {
      // validated: the activations are ones the cells know
      const spec = { ...layer, kernel: linOf(layer.kernel), recurrentKernel: linOf(layer.recurrentKernel) } as RecurrentSpec<Lin, Float64Array>
      cells.push({ layer, cell: recurrentCell(float64Weights, spec) })
    } else if (layer.type === 'dense') {
      dense.push({ layer, spec: { ...layer, kernel: linOf(layer.kernel) } as DenseSpec<Lin, Float64Array> })
    }
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

/** Where a layer stands in the network: the layer index (the embedding counts) and name. */
function layerAt(cn: CompiledNetwork) {
  const offset = cn.embedding ? 1 : 0
  return {
    recurrent: (li: number) => ({ layer: li + offset, name: cn.cells[li].layer.name }),
    dense: (k: number) => ({ layer: offset + cn.cells.length + k, name: cn.dense[k].layer.name }),
  }
}

const zeroState = (c: { units: number; stateParts: number }) => Array.from({ length: c.stateParts }, () => new Float64Array(c.units))

/**
 * The float64 concrete forward pass; returns logits (before any output softmax). With a
 * `sink`, every operation's values are recorded under the names the abstract trace uses.
 */
export function forward(cn: CompiledNetwork, frames: Float64Array[], sink?: ConcreteEntry[]): ConcreteRun {
  const at = layerAt(cn)
  let where = { layer: 0, name: '' }
  let step: number | null = null
  const record: ConcreteRecorder | undefined = sink ? (op, values) => sink.push({ layer: where.layer, layerName: where.name, step, op, values }) : undefined
  const d = new Float64Domain(record)
  const states: Float64Array[][][] = cn.cells.map(() => [])
  const h = runStack(d, cn.cells.map((c) => c.cell), frames, {
    initial: (_li, c) => zeroState(c),
    onLayer: (li) => (where = at.recurrent(li)),
    onStep: (_li, k) => (step = k),
    onState: (li, _k, state) => states[li].push(state),
  })
  step = null
  const logits = runDense(d, cn.dense.map((x) => x.spec), h[h.length - 1], (k) => (where = at.dense(k)))
  return { states, logits }
}

/**
 * The float64 logits from frame `start` on, starting from the clean run's states at step
 * start − 1 (frames before `start` must equal the clean input): `forward(cn, x).logits`
 * exactly, only faster.
 */
export function forwardFrom(cn: CompiledNetwork, clean: ConcreteRun, frames: Float64Array[], start: number): Float64Array {
  const d = new Float64Domain()
  const h = runStack(d, cn.cells.map((c) => c.cell), frames.slice(start), {
    initial: (li, c) => (start > 0 ? clean.states[li][start - 1] : zeroState(c)),
  })
  return runDense(d, cn.dense.map((x) => x.spec), h[h.length - 1])
}

/**
 * The abstract forward pass. `inputs[t]` is the zonotope of frame t; frames before `start`
 * must be unperturbed, and their states are taken from `concrete` (the float64 run of the
 * same input) instead of being recomputed.
 */
export function abstractForward(cn: CompiledNetwork, inputs: Zonotope[], start: number, concrete: ConcreteRun, ctx: AbstractContext): Zonotope {
  const at = layerAt(cn)
  const h = runStack(ctx, cn.cells.map((c) => c.cell), inputs.slice(start), {
    initial: (li, c) => (start > 0 ? concrete.states[li][start - 1] : zeroState(c)).map((s) => zonotopeConstant(s)),
    onLayer: (li) => {
      const w = at.recurrent(li)
      ctx.layer = w.layer
      ctx.layerName = w.name
    },
    onStep: (_li, k) => (ctx.step = start + k),
    afterStep: ctx.reduce,
  })
  ctx.step = null
  return runDense(ctx, cn.dense.map((x) => x.spec), h[h.length - 1], (k) => {
    const w = at.dense(k)
    ctx.layer = w.layer
    ctx.layerName = w.name
  })
}
