/**
 * The certifier's entry points: certify a sample at ε under a threat model, search its
 * robustness bound (per frame for the single-frame threat), verified accuracy.
 * Every result names the method, the margin check and the search that produced it.
 */
import { AbstractContext } from './domains/zonotope.ts'
import type { TraceOptions } from './domains/zonotope.ts'
import type { NetworkIR } from './network.ts'
import type { CompiledNetwork, ConcreteRun } from './runtime.ts'
import { abstractForward, checkFrames, embedTokens, forward, tokenMasks } from './runtime.ts'
import type { SearchKind } from './search.ts'
import { drive, SEARCH_RESOLUTION, searchSteps } from './search.ts'
import type { SplitLeaf, SplitOutcome } from './split.ts'
import { combineLeaves, splitRegion } from './split.ts'
import type { Clip, FrameBox, Threat } from './threat.ts'
import { boxInputs, checkClip, checkEps, inputRegion, perturbedFrames, regionBoxes, threatLabel } from './threat.ts'
import type { Method, TransformerSet } from './transformers/index.ts'
import { transformerSet } from './transformers/index.ts'
import type { MarginCheck, Verdict } from './verify.ts'
import { verifyLabel } from './verify.ts'
import type { Zonotope } from './zonotope.ts'
import { SymbolSource, zonotopeReduceState } from './zonotope.ts'
import { tailMargins } from './tail.ts'

export interface SampleInput {
  /** T × features frames (frame models) */
  x?: number[][]
  /** token ids (token models) */
  tokens?: number[]
  label?: number
}

export interface PreparedSample {
  cn: CompiledNetwork
  frames: Float64Array[]
  concrete: ConcreteRun
  predicted: number
  label: number | undefined
}

export interface CertifyOptions {
  method?: Method
  margin?: MarginCheck
  clip?: Clip
  trace?: TraceOptions
  /**
   * sound order reduction (off by default): after every step keep the `reduceTo` symbols of
   * the state (h and c together) whose boxing loses the most and fold the others into one
   * fresh symbol per variable; bounds may get looser (measured in docs/benchmark.md)
   */
  reduceTo?: number
  /**
   * refinement by input splitting (off: 0 or absent): a region the method does not certify
   * is bisected along its most influential input coordinate and each part certified by its
   * own run, spending up to `splits` runs beyond the first (./split.ts)
   */
  splits?: number
}

export interface Provenance {
  method: Method
  marginCheck: MarginCheck
  threat: string
}

export function argmax(v: ArrayLike<number>): number {
  let best = 0
  for (let k = 1; k < v.length; k++) if (v[k] > v[best]) best = k
  return best
}

/**
 * The frames of a frame input: as given, or, for a model whose file reads one flat vector
 * that a leading Reshape splits into frames (e.g. 784 → 28 × 28), that vector given as one
 * row (or as is) split into its frames. The threat model acts on these frames.
 */
export function inputFrames(net: NetworkIR, x: number[][]): number[][] {
  const input = net.input
  if (input.kind !== 'frames' || input.flatSize === undefined || input.seqLen === null) return x
  const flat = x.length === 1 && x[0].length === input.flatSize ? x[0] : null
  if (!flat) return x
  return Array.from({ length: input.seqLen }, (_v, t) => flat.slice(t * input.frameSize, (t + 1) * input.frameSize))
}

/** For a model with a leading Reshape: how its input may be given (for messages), else ''. */
export function reshapeNote(net: NetworkIR): string {
  const input = net.input
  if (input.kind !== 'frames' || input.flatSize === undefined) return ''
  return ` (or one row of ${input.flatSize} values, which the model's Reshape splits into ${input.seqLen} frames of ${input.frameSize}; the threat model perturbs those frames)`
}

/** Frames (or token embeddings) of a sample, its float64 forward pass and prediction. */
export function prepareSample(cn: CompiledNetwork, input: SampleInput): PreparedSample {
  let frames: Float64Array[]
  let masks: boolean[] | null = null
  if (cn.embedding) {
    if (!input.tokens) throw new Error('this model reads tokens: give "tokens" (an array of token ids)')
    frames = embedTokens(cn, input.tokens)
    masks = tokenMasks(cn, input.tokens)
  } else {
    if (!input.x) throw new Error(`this model reads frames: give "x" (T frames of ${cn.frameSize} numbers)${reshapeNote(cn.net)}`)
    frames = inputFrames(cn.net, input.x).map((f) => Float64Array.from(f))
  }
  checkFrames(cn, frames)
  if (input.label !== undefined && !(Number.isInteger(input.label) && input.label >= 0 && input.label < cn.classes)) {
    throw new Error(`label ${input.label} is not a class index (0…${cn.classes - 1})`)
  }
  const concrete = forward(cn, frames, undefined, masks)
  return { cn, frames, concrete, predicted: argmax(concrete.logits), label: input.label }
}

export interface RegionResult extends Verdict {
  logits: Zonotope
  generators: number
}

/** The output zonotope and verdict for the ball of radius ε around the given frames. */
export function certifyFrames(prep: PreparedSample, frames: number[], eps: number, opts: CertifyOptions = {}): RegionResult {
  checkEps(eps)
  checkClip(opts.clip, prep.frames)
  if (opts.splits) return splitResult(prep, certifySplit(prep, frames, eps, opts))
  return certifyMethod(prep, frames, eps, opts)
}

/** One certificate of the method over the given boxes of the perturbed frames (no split). */
export function certifyBoxes(prep: PreparedSample, boxes: FrameBox[], opts: CertifyOptions = {}): RegionResult {
  return certifyMethod(prep, boxes.map((b) => b.frame), NaN, { ...opts, splits: 0 }, boxes)
}

/** One certificate of the method (the region, or a part of it given as boxes). */
function certifyMethod(prep: PreparedSample, frames: number[], eps: number, opts: CertifyOptions, boxes?: FrameBox[]): RegionResult {
  if (opts.method === 'tight') return certifyTight(prep, frames, eps, opts, boxes)
  return certifyRegion(prep, frames, eps, opts, undefined, boxes).result
}

function checkSplits(splits: number): void {
  if (!(Number.isInteger(splits) && splits >= 0)) throw new Error(`splits must be a whole number ≥ 0 (runs beyond the first), got ${splits}`)
}

/** The branch and bound of ./split.ts over the region, each part certified by the method. */
function certifySplit(prep: PreparedSample, frames: number[], eps: number, opts: CertifyOptions, leafTrace?: Omit<TraceOptions, 'sink'>): SplitOutcome {
  checkSplits(opts.splits ?? 0)
  const region = regionBoxes(prep.frames, frames, eps, opts.clip)
  const single = { ...opts, splits: 0 }
  let first = true
  return splitRegion(
    region,
    (boxes, trace) => {
      // the region's own run keeps the caller's trace; a leaf's its own, when asked for
      const t = first && !leafTrace ? opts.trace : trace
      first = false
      return certifyMethod(prep, frames, eps, { ...single, trace: t }, boxes)
    },
    { budget: opts.splits ?? 0, label: prep.predicted, giveUpBelow: -HOPELESS * concreteMargin(prep), trace: leafTrace },
  )
}

/** The region's result from its parts: the root's output zonotope, the leaves' verdict. */
function splitResult(prep: PreparedSample, outcome: SplitOutcome): RegionResult {
  const root = outcome.root as RegionResult
  if (outcome.leaves.length === 1) return root
  return { ...root, ...combineLeaves(outcome.leaves, prep.predicted) }
}

/**
 * The parts of one certificate's input split (`splits` runs beyond the first; the method,
 * margin check and clip of `opts`): each leaf's box of the perturbed frames, the bisection
 * that made it, its margins and verdict, and (with `trace`) its own trace. The region is
 * certified iff every leaf is. With no split (certified at once, or `splits` 0) the one leaf
 * is the whole region.
 */
export function splitLeaves(prep: PreparedSample, frames: number[], eps: number, opts: CertifyOptions & { splits: number }, trace?: Omit<TraceOptions, 'sink'>): { leaves: SplitLeaf[]; runs: number; result: RegionResult } {
  checkEps(eps)
  checkClip(opts.clip, prep.frames)
  const outcome = certifySplit(prep, frames, eps, { ...opts, trace: undefined }, trace)
  return { leaves: outcome.leaves, runs: outcome.runs, result: splitResult(prep, outcome) }
}

/**
 * The symbol source and context of a run, when the caller makes them (./looseness.ts: ones
 * that record where every noise symbol comes from); by default plain ones.
 */
export interface RunParts {
  symbols: SymbolSource
  context: (set: TransformerSet, trace: TraceOptions | undefined) => AbstractContext
  /** told the input zonotopes (one per frame) once they are made */
  inputs?: (zs: Zonotope[]) => void
}

/** One abstract run of the method over the region (or the given boxes of its frames), and its verdict. */
export function certifyRegion(prep: PreparedSample, frames: number[], eps: number, opts: CertifyOptions, parts?: RunParts, boxes?: FrameBox[]): { result: RegionResult; ctx: AbstractContext } {
  const symbols = parts?.symbols ?? new SymbolSource()
  const inputs = boxes ? boxInputs(prep.frames, boxes, symbols) : inputRegion(prep.frames, frames, eps, opts.clip, symbols)
  parts?.inputs?.(inputs)
  const set = transformerSet(opts.method ?? 'certrnn')
  const ctx = parts ? parts.context(set, opts.trace) : new AbstractContext(set, symbols, opts.trace)
  if (opts.reduceTo !== undefined) {
    const keep = opts.reduceTo
    ctx.reduce = (state) => zonotopeReduceState(state, keep, symbols)
  }
  const start = Math.min(...frames)
  const logits = abstractForward(prep.cn, inputs, start, prep.concrete, ctx, Math.max(...frames))
  const verdict = verifyLabel(logits, prep.predicted, opts.margin ?? 'diff')
  return { result: { ...verdict, logits, generators: logits.m }, ctx }
}

/**
 * The tight method: Cert-RNN's run, and a run whose planes are computed over the reduced
 * product's boxes and whose last transformer's slopes are re-optimised for each class
 * (./tail.ts). Each class's margin is the best of the sound lower bounds these give, so it
 * is never below Cert-RNN's. The tight run's output zonotope (and trace) is returned.
 */
/** Cert-RNN margins below −HOPELESS × the concrete margin are not refined (a speed-up only). */
const HOPELESS = 0.25

function certifyTight(prep: PreparedSample, frames: number[], eps: number, opts: CertifyOptions, boxes?: FrameBox[]): RegionResult {
  const base = certifyRegion(prep, frames, eps, { ...opts, method: 'certrnn', trace: undefined }, undefined, boxes).result
  // certified by Cert-RNN already: its margin is a sound answer (a trace asks for the tight run).
  // Far from certified: the refinements recover a few per cent of the over-approximation,
  // never a deficit of a quarter of the concrete margin (docs/tight.md), so Cert-RNN's answer
  // stands there too; the bound search probes near its answer's root, where both runs are made.
  if (!opts.trace && (base.certified || base.margin < -HOPELESS * concreteMargin(prep))) return base
  const { result, ctx } = certifyRegion(prep, frames, eps, opts, undefined, boxes)
  const check = opts.margin ?? 'diff'
  const margins = result.margins.map((m, c) => Math.max(m, base.margins[c]))
  const tail = ctx.tail
  if (check === 'diff' && tail && tail.result === result.logits) {
    const better = tailMargins(tail, prep.predicted, margins)
    for (let c = 0; c < margins.length; c++) if (c !== prep.predicted) margins[c] = Math.max(margins[c], better[c])
  }
  let margin = Infinity
  for (let c = 0; c < margins.length; c++) if (c !== prep.predicted) margin = Math.min(margin, margins[c])
  const logitLo = result.logitLo.map((v, c) => Math.max(v, base.logitLo[c]))
  const logitHi = result.logitHi.map((v, c) => Math.min(v, base.logitHi[c]))
  return { ...result, certified: margin > 0, margin, margins, logitLo, logitHi }
}

export interface CertifyResult extends Provenance {
  predicted: number
  eps: number
  certified: boolean
  /** single-frame threat: the verdict for each frame alone; otherwise one verdict */
  perFrame: boolean[] | null
  /** the smallest certified margin (over frames for the single-frame threat) */
  margin: number
  verdicts: RegionResult[]
}

/** The regions a threat certifies separately: every frame alone (single) or one joint region. */
function threatRegions(prep: PreparedSample, threat: Threat): number[][] {
  return threat.kind === 'single' ? prep.frames.map((_, t) => [t]) : [perturbedFrames(threat, prep.frames.length)]
}

function combineVerdicts(prep: PreparedSample, threat: Threat, eps: number, opts: CertifyOptions, verdicts: RegionResult[]): CertifyResult {
  return {
    method: opts.method ?? 'certrnn',
    marginCheck: opts.margin ?? 'diff',
    threat: threatLabel(threat),
    predicted: prep.predicted,
    eps,
    certified: verdicts.every((v) => v.certified),
    perFrame: threat.kind === 'single' ? verdicts.map((v) => v.certified) : null,
    margin: Math.min(...verdicts.map((v) => v.margin)),
    verdicts,
  }
}

/** Certify a prepared sample at ε under a threat model. */
export function certifyThreat(prep: PreparedSample, threat: Threat, eps: number, opts: CertifyOptions = {}): CertifyResult {
  const verdicts = threatRegions(prep, threat).map((frames) => certifyFrames(prep, frames, eps, opts))
  return combineVerdicts(prep, threat, eps, opts, verdicts)
}

export interface BoundOptions extends CertifyOptions {
  search?: SearchKind
  maxEps?: number
  /**
   * single-frame threat: search only these frames (ascending, each warm-started from the
   * previous one's bound as always); `perFrame` is NaN for the others and `bound` the
   * minimum over these. A whole search split into parts of frames (one per worker).
   */
  frames?: readonly number[]
  /** called after each frame's search (single-frame threat) */
  onFrame?: (frame: number, bound: number, done: number, total: number) => void
}

export interface BoundResult extends Provenance {
  search: SearchKind
  predicted: number
  /** the sample's bound: min over frames (single) or the joint bound */
  bound: number
  /** per-frame bounds (single-frame threat), else null */
  perFrame: number[] | null
  /** certificate evaluations spent */
  evaluations: number
  resolution: number
}

/** One certificate the bound search asks for, with where the search stands. */
export interface BoundRequest {
  frames: number[]
  eps: number
  /** the frame being searched (single-frame threat), else null */
  frame: number | null
  /** searches finished so far, of `total` */
  done: number
  total: number
}

/** The concrete margin of the predicted label (m(0) of the search). */
function concreteMargin(prep: PreparedSample): number {
  const l = prep.concrete.logits
  let m = Infinity
  for (let c = 0; c < l.length; c++) if (c !== prep.predicted) m = Math.min(m, l[prep.predicted] - l[c])
  return m
}

/**
 * The bound search as a coroutine over certificate requests: it yields what to certify and
 * receives the certified margin. `findBound` answers synchronously, `findBoundAsync`
 * between event-loop turns with progress and cancellation.
 */
export function* boundSteps(prep: PreparedSample, threat: Threat, opts: BoundOptions = {}): Generator<BoundRequest, BoundResult, number> {
  const search = opts.search ?? 'paper'
  const base = { maxEps: opts.maxEps, margin0: concreteMargin(prep) }
  const provenance = { method: opts.method ?? 'certrnn', marginCheck: opts.margin ?? 'diff', threat: threatLabel(threat), search }
  const all = threatRegions(prep, threat)
  const chosen = threat.kind === 'single' && opts.frames ? searchedFrames(opts.frames, all.length) : all.map((_r, k) => k)
  const bounds: number[] = new Array(chosen.length)
  let evaluations = 0
  // each search starts from the previous one's bound and margin slope; the paper search
  // (whose result does not depend on them) goes from the last frame, the cheapest to
  // evaluate, to the first, so that its first, unprimed search is the cheap one
  const order = chosen.map((_t, k) => k)
  if (search === 'paper') order.reverse()
  let guess: number | undefined
  let slope: number | undefined
  for (let done = 0; done < order.length; done++) {
    const k = order[done]
    const frames = all[chosen[k]]
    const frame = threat.kind === 'single' ? chosen[k] : null
    const steps = searchSteps(search, { ...base, guess, slope })
    let r = steps.next(NaN)
    while (!r.done) {
      const m: number = yield { frames, eps: r.value, frame, done, total: chosen.length }
      r = steps.next(m)
    }
    bounds[k] = r.value.bound
    guess = r.value.bound || undefined
    slope = r.value.slope ?? slope
    evaluations += r.value.evaluations
    if (frame !== null) opts.onFrame?.(frame, r.value.bound, done + 1, chosen.length)
  }
  let perFrame: number[] | null = null
  if (threat.kind === 'single') {
    perFrame = all.map(() => NaN)
    chosen.forEach((t, k) => (perFrame![t] = bounds[k]))
  }
  return {
    ...provenance,
    predicted: prep.predicted,
    bound: Math.min(...bounds),
    perFrame,
    evaluations,
    resolution: SEARCH_RESOLUTION,
  }
}

/** The frames a partial single-frame search covers: ascending, each once, all of them in range. */
function searchedFrames(frames: readonly number[], length: number): number[] {
  const bad = frames.find((t) => !Number.isInteger(t) || t < 0 || t >= length)
  if (bad !== undefined) throw new Error(`frame ${bad} is not a frame of this ${length}-frame input`)
  if (!frames.length) throw new Error('no frame to search')
  return [...new Set(frames)].sort((a, b) => a - b)
}

/** Search the largest certified ε for the predicted label. */
export function findBound(prep: PreparedSample, threat: Threat, opts: BoundOptions = {}): BoundResult {
  return drive(boundSteps(prep, threat, opts), (q) => certifyFrames(prep, q.frames, q.eps, opts).margin)
}

export class CancelledError extends Error {
  constructor() {
    super('cancelled')
    this.name = 'CancelledError'
  }
}

export interface AsyncOptions {
  signal?: AbortSignal
  /** after every certificate: where the search stands */
  onProgress?: (q: BoundRequest, evaluations: number) => void
  /** longest stretch of work between event-loop turns, in ms (default 15) */
  sliceMs?: number
}

const nextTurn = () => new Promise<void>((resolve) => setTimeout(resolve, 0))

/** Hands the event loop back when a slice of work is used up, and honours cancellation. */
function slicer(opts: AsyncOptions) {
  const slice = opts.sliceMs ?? 15
  let last = performance.now()
  return async () => {
    if (performance.now() - last > slice) {
      await nextTurn()
      last = performance.now()
    }
    if (opts.signal?.aborted) throw new CancelledError()
  }
}

/** `findBound`, handing the event loop back every few ms so cancellation is prompt. */
export async function findBoundAsync(prep: PreparedSample, threat: Threat, opts: BoundOptions & AsyncOptions = {}): Promise<BoundResult> {
  const steps = boundSteps(prep, threat, opts)
  const pause = slicer(opts)
  let evaluations = 0
  let r = steps.next(NaN)
  while (!r.done) {
    await pause()
    const q = r.value
    const m = certifyFrames(prep, q.frames, q.eps, opts).margin
    evaluations++
    opts.onProgress?.(q, evaluations)
    r = steps.next(m)
  }
  return r.value
}

/** `certifyThreat`, region by region between event-loop turns. */
export async function certifyThreatAsync(prep: PreparedSample, threat: Threat, eps: number, opts: CertifyOptions & AsyncOptions = {}): Promise<CertifyResult> {
  const regions = threatRegions(prep, threat)
  const pause = slicer(opts)
  const verdicts: RegionResult[] = []
  for (let k = 0; k < regions.length; k++) {
    await pause()
    verdicts.push(certifyFrames(prep, regions[k], eps, opts))
    opts.onProgress?.({ frames: regions[k], eps, frame: threat.kind === 'single' ? k : null, done: k + 1, total: regions.length }, k + 1)
  }
  return combineVerdicts(prep, threat, eps, opts, verdicts)
}

/**
 * Verified accuracy at each ε: the fraction of samples that are correctly classified and
 * whose certified bound is at least ε (a certificate at ε covers every smaller ball).
 */
export function verifiedAccuracy(results: Array<{ bound: number; correct: boolean }>, epsList: number[]): number[] {
  if (results.length === 0) return epsList.map(() => NaN)
  return epsList.map((eps) => results.filter((r) => r.correct && r.bound >= eps).length / results.length)
}
