/**
 * Limits on what one certification may cost, checked BEFORE any certification starts.
 *
 * The certifier's time grows faster than the square of the sequence length: a ball on frame
 * t makes the zonotope gain fresh noise symbols at every later step (one per neuron and
 * nonlinearity), so the work of one certificate grows with the square of the steps after
 * the perturbed frames, and the single-frame threat certifies every frame (the cube of
 * the length in all). A sentence of 1,000 tokens ran for minutes. Inputs longer than
 * MAX_FRAMES frames are therefore refused unless the caller raises the cap (the CLI's
 * `--max-frames N`).
 *
 * Pure: no Node, DOM or TF.js APIs (the app and its worker use it too).
 */
import type { LayerIR, NetworkIR } from './network.ts'

/** Default cap on the frames (tokens, for text models) of one input. */
export const MAX_FRAMES = 256

/** What the cost estimate needs to know about a network. */
export interface CostShape {
  /** values per frame (the embedding dimension for token models) */
  frameSize: number
  /** per recurrent layer: units, gates (1 simpleRnn, 4 LSTM, 3 GRU) and fresh symbols per neuron and step */
  layers: Array<{ units: number; gates: number; fresh: number }>
}

export function costShape(net: NetworkIR): CostShape {
  let frameSize = net.input.kind === 'frames' ? net.input.frameSize : 0
  const layers: CostShape['layers'] = []
  const cell = (l: LayerIR) => {
    if (l.type === 'simpleRnn') layers.push({ units: l.units, gates: 1, fresh: 1 })
    else if (l.type === 'lstm') layers.push({ units: l.units, gates: 4, fresh: 3 })
    else if (l.type === 'gru') layers.push({ units: l.units, gates: 3, fresh: 3 })
  }
  for (const l of net.layers) {
    if (l.type === 'embedding') frameSize = l.embeddings.cols
    // both directions of a Bidirectional layer run over the sequence
    else if (l.type === 'bidirectional') [l.forward, l.backward].forEach(cell)
    else cell(l)
  }
  return { frameSize, layers }
}

export type CostThreat = 'single' | 'all' | { frames: number[] }

export interface CostOptions {
  /** the threat: every frame alone (default), all frames jointly, or these frames jointly */
  threat?: CostThreat
  /** certificates per region: 13 for the paper's search (default), ~8 fast, 1 at a given ε */
  evaluations?: number
}

/** Calibrated on the project's machines (Node 20, one core): a rough figure, within a factor of about 3. */
const SECONDS_PER_UNIT = 1e-9
/** per neuron and symbol: the elementwise work beside the recurrent matrix products */
const ELEMENTWISE = 24

/** Work of one certificate whose perturbed frames start at `start` (and extend over `span` frames). */
function regionWork(shape: CostShape, T: number, start: number, span: number): number {
  const F = shape.frameSize
  let work = 0
  let fresh = 0
  for (const { units: h, gates: G, fresh: k } of shape.layers) {
    fresh += k * h
    for (let s = 1; s <= T - start; s++) {
      const symbols = F * Math.min(s, span) + fresh * (s - 1)
      work += G * h * (h + ELEMENTWISE) * symbols
    }
  }
  return work
}

/** Estimated seconds to certify (or search the bound of) one input of T frames. */
export function estimateSeconds(T: number, shape: CostShape, opts: CostOptions = {}): number {
  const threat = opts.threat ?? 'single'
  const evaluations = opts.evaluations ?? 13
  let work = 0
  if (threat === 'single') {
    // closed forms would do; a loop over ≤ a few thousand frames is cheap enough
    for (let t = 0; t < T; t++) work += regionWork(shape, T, t, 1)
  } else if (threat === 'all') work = regionWork(shape, T, 0, T)
  else {
    const frames = threat.frames.filter((f) => f < T)
    const start = frames.length ? Math.min(...frames) : 0
    work = regionWork(shape, T, start, frames.length ? Math.max(...frames) - start + 1 : 1)
  }
  return work * evaluations * SECONDS_PER_UNIT
}

/** "12 s", "4 min", "3.5 h": a rough duration. */
export function roughDuration(seconds: number): string {
  if (seconds < 1) return 'under a second'
  if (seconds < 90) return `${Math.round(seconds)} s`
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)} min`
  const h = seconds / 3600
  return h < 48 ? `${h < 10 ? h.toFixed(1) : Math.round(h)} h` : `${Math.round(h / 24)} days`
}

export interface SequenceCheck extends CostOptions {
  /** the cap (default MAX_FRAMES) */
  maxFrames?: number
  /** which input, for the message (e.g. 3 → "input 3") */
  index?: number
  /** how the caller raises the cap, for the message (e.g. "--max-frames"); omitted: no hint */
  raiseWith?: string
  /** "frames" (default) or "tokens" */
  unit?: string
}

export class SequenceTooLongError extends Error {
  readonly frames: number
  readonly maxFrames: number
  readonly estimatedSeconds: number
  constructor(message: string, frames: number, maxFrames: number, estimatedSeconds: number) {
    super(message)
    this.name = 'SequenceTooLongError'
    this.frames = frames
    this.maxFrames = maxFrames
    this.estimatedSeconds = estimatedSeconds
  }
}

/**
 * Why an input of T frames is refused (null when it is within the cap), e.g. "input 3 has
 * 1000 frames; the certifier's cap is 256 frames (its time grows faster than the square of
 * the length; estimated 5 h for this input); raise the cap with --max-frames 1000".
 */
export function sequenceCostProblem(T: number, shape: CostShape, opts: SequenceCheck = {}): string | null {
  const cap = opts.maxFrames ?? MAX_FRAMES
  if (T <= cap) return null
  const unit = opts.unit ?? 'frames'
  const who = opts.index === undefined ? 'the input' : `input ${opts.index}`
  const est = estimateSeconds(T, shape, opts)
  const raise = opts.raiseWith ? `; raise the cap with ${opts.raiseWith} ${T}` : ''
  const capUnit = cap === 1 ? unit.replace(/s$/, '') : unit
  return `${who} has ${T} ${unit}; the certifier's cap is ${cap} ${capUnit} (its time grows faster than the square of the length; estimated ${roughDuration(est)} for this input)${raise}`
}

/** Throws a SequenceTooLongError when T is above the cap. */
export function checkSequenceCost(T: number, shape: CostShape, opts: SequenceCheck = {}): void {
  const problem = sequenceCostProblem(T, shape, opts)
  if (problem) throw new SequenceTooLongError(problem, T, opts.maxFrames ?? MAX_FRAMES, estimateSeconds(T, shape, opts))
}
