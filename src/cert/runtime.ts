/**
 * A validated network ready to run: the float64 concrete forward pass and the abstract
 * (zonotope) forward pass, stage by stage (./layers/pipeline.ts), both the layers of
 * ./layers evaluated in a domain (./domains).
 */
import type { AbstractContext } from './domains/zonotope.ts'
import type { ConcreteRecorder, Lin } from './domains/float64.ts'
import { Float64Domain, float64Weights, linOf } from './domains/float64.ts'
import type { Direction, PipelineHooks, Stage } from './layers/index.ts'
import { prepareStages, runPipeline } from './layers/index.ts'
import type { EmbeddingLayer, NetworkIR } from './network.ts'
import { validateNetwork } from './network.ts'
import { stageSpecs } from './stages.ts'
import type { Zonotope } from './zonotope.ts'
import { zonotopeConstant } from './zonotope.ts'

/** The float64 weight family: kernels as maps W·x, vectors as they are. */
export const float64Family = { mat: linOf, vec: (v: Float64Array) => v, ops: float64Weights }

export interface CompiledNetwork {
  net: NetworkIR
  classes: number
  /** size of one input frame (after the embedding, for token models) */
  frameSize: number
  embedding: EmbeddingLayer | null
  /** the chain of stages, float64 weights */
  stages: Array<Stage<Lin, Float64Array>>
}

export function compileNetwork(net: NetworkIR): CompiledNetwork {
  const { classes } = validateNetwork(net)
  const embedding = net.layers[0].type === 'embedding' ? net.layers[0] : null
  const stages = prepareStages(float64Weights, stageSpecs(net, float64Family))
  const frameSize = embedding ? embedding.embeddings.cols : net.input.kind === 'frames' ? net.input.frameSize : 0
  return { net, classes, frameSize, embedding, stages }
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
  const seqLen = cn.net.input.seqLen
  if (seqLen !== null && cn.stages.some((s) => s.type === 'flatten') && frames.length !== seqLen) {
    throw new Error(`the input has ${frames.length} frames; this model (Flatten) reads exactly ${seqLen}`)
  }
  frames.forEach((f, t) => {
    if (f.length !== cn.frameSize) {
      const input = cn.net.input
      const note = input.kind === 'frames' && input.flatSize !== undefined ? ` (or one row of ${input.flatSize} values, split by the model's Reshape)` : ''
      throw new Error(`frame ${t} has ${f.length} values, the model expects ${cn.frameSize}${note}`)
    }
    for (let i = 0; i < f.length; i++) {
      if (!Number.isFinite(f[i])) throw new Error(`frame ${t} has a non-finite value at ${i}`)
    }
  })
}

/**
 * The concrete run: per stage (index into `stages`), the states of a recurrent stage after
 * every step (states[k][t] = [h, (c)]; a Bidirectional stage's backward direction in
 * backStates[k][t], after it read steps T−1 … t) and the output sequence of every
 * sequence stage.
 */
export interface ConcreteRun {
  /** each input step's mask when the token ids fix it (Embedding mask_zero: token 0), else null */
  masks: readonly boolean[] | null
  states: Float64Array[][][]
  backStates: Float64Array[][][]
  sequences: Float64Array[][]
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

const zeroState = (c: { units: number; stateParts: number }) => Array.from({ length: c.stateParts }, () => new Float64Array(c.units))

/**
 * The clean run's values outside the computed positions: the states before a direction's
 * first computed step (`state` lifts a state to the domain), sequences and h values.
 */
export function cleanHooks<V>(
  clean: ConcreteRun,
  frame: (t: number) => Float64Array,
  lift: (v: Float64Array) => V,
  zeros: (c: { units: number; stateParts: number }) => V[],
  state: (v: Float64Array) => V = lift,
) {
  return {
    initial: (k: number, c: { units: number; stateParts: number }, from: number, dir: Direction, steps: number) => {
      if (dir === 1) return from > 0 ? clean.states[k][from - 1].map(state) : zeros(c)
      return from < steps - 1 ? clean.backStates[k][from + 1].map(state) : zeros(c)
    },
    known: (k: number, t: number) => lift(k < 0 ? frame(t) : clean.sequences[k][t]),
    knownH: (k: number, t: number, dir: Direction) => lift((dir === 1 ? clean.states : clean.backStates)[k][t][0]),
    ...(clean.masks ? { inputMask: (t: number) => clean.masks![t] } : {}),
  } satisfies Pick<PipelineHooks<V>, 'initial' | 'known' | 'knownH' | 'inputMask'>
}

/** The steps' masks of a token sequence: token 0 for a model with mask_zero, else null. */
export function tokenMasks(cn: CompiledNetwork, tokens: readonly number[]): boolean[] | null {
  return cn.embedding?.maskZero ? tokens.map((t) => t === 0) : null
}

/**
 * The float64 concrete forward pass; returns logits (before any output softmax). With a
 * `sink`, every operation's values are recorded under the names the abstract trace uses.
 * `masks`: the steps' masks of a mask_zero token model (`tokenMasks`; the run keeps them,
 * and every pass from its clean values uses them).
 */
export function forward(cn: CompiledNetwork, frames: Float64Array[], sink?: ConcreteEntry[], masks: readonly boolean[] | null = null): ConcreteRun {
  if (cn.embedding?.maskZero && !masks) throw new Error('this model masks token 0 (mask_zero=True): the forward pass needs the token ids\' masks')
  if (masks && masks.length !== frames.length) throw new Error(`${masks.length} step masks for ${frames.length} frames`)
  let where = { layer: 0, name: '' }
  let step: number | null = null
  const record: ConcreteRecorder | undefined = sink ? (op, values) => sink.push({ layer: where.layer, layerName: where.name, step, op, values }) : undefined
  const d = new Float64Domain(record)
  const states: Float64Array[][][] = cn.stages.map(() => [])
  const backStates: Float64Array[][][] = cn.stages.map(() => [])
  const sequences: Float64Array[][] = cn.stages.map(() => [])
  const logits = runPipeline(d, cn.stages, frames, 0, frames.length - 1, {
    initial: (_k, c) => zeroState(c),
    onStage: (k) => (where = { layer: cn.stages[k].layer, name: cn.stages[k].name }),
    onStep: (_k, t) => (step = t),
    onState: (k, t, state, dir) => ((dir === 1 ? states : backStates)[k][t] = state),
    onSequence: (k, seq) => (sequences[k] = seq),
    ...(masks ? { inputMask: (t: number) => masks[t] } : {}),
  })
  return { masks, states, backStates, sequences, logits }
}

/**
 * The float64 logits from frame `start` on, starting from the clean run's values before
 * it (frames before `start` must equal the clean input): `forward(cn, x).logits` exactly,
 * only faster.
 */
export function forwardFrom(cn: CompiledNetwork, clean: ConcreteRun, frames: Float64Array[], start: number): Float64Array {
  const d = new Float64Domain()
  return runPipeline(d, cn.stages, frames.slice(start), start, frames.length - 1, cleanHooks(clean, (t) => frames[t], (v) => v, zeroState))
}

/**
 * The abstract forward pass. `inputs[t]` is the zonotope of frame t; frames before `start`
 * and after `end` (default: the last) must be unperturbed, and the values they alone
 * determine are taken from `concrete` (the float64 run of the same input) instead of
 * being recomputed.
 */
export function abstractForward(cn: CompiledNetwork, inputs: Zonotope[], start: number, concrete: ConcreteRun, ctx: AbstractContext, end = inputs.length - 1): Zonotope {
  const clean = cleanHooks(concrete, (t) => inputs[t].c, zonotopeConstant, (c) => zeroState(c).map((s) => zonotopeConstant(s)))
  const z = runPipeline(ctx, cn.stages, inputs.slice(start), start, end, {
    ...clean,
    onStage: (k) => {
      ctx.layer = cn.stages[k].layer
      ctx.layerName = cn.stages[k].name
    },
    onStep: (_k, t) => (ctx.step = t),
    afterStep: ctx.reduce,
  })
  ctx.step = null
  return z
}
