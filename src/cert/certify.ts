/**
 * The certifier's entry points: certify a sample at ε under a threat model, search its
 * robustness bound (per frame for the single-frame threat), verified accuracy.
 * Every result names the method, the margin check and the search that produced it.
 */
import { AbstractContext } from './domains/zonotope.ts'
import type { TraceOptions } from './domains/zonotope.ts'
import type { NetworkIR } from './network.ts'
import type { CompiledNetwork, ConcreteRun } from './runtime.ts'
import { abstractForward, checkFrames, embedTokens, forward } from './runtime.ts'
import type { SearchKind } from './search.ts'
import { drive, SEARCH_RESOLUTION, searchSteps } from './search.ts'
import type { Clip, Threat } from './threat.ts'
import { checkClip, checkEps, inputRegion, perturbedFrames, threatLabel } from './threat.ts'
import type { Method } from './transformers/index.ts'
import { transformerSet } from './transformers/index.ts'
import type { MarginCheck, Verdict } from './verify.ts'
import { verifyLabel } from './verify.ts'
import type { Zonotope } from './zonotope.ts'
import { SymbolSource, zonotopeReduce } from './zonotope.ts'

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
  /** order reduction: keep at most this many generators per hidden state (off by default) */
  reduceTo?: number
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
  if (cn.embedding) {
    if (!input.tokens) throw new Error('this model reads tokens: give "tokens" (an array of token ids)')
    frames = embedTokens(cn, input.tokens)
  } else {
    if (!input.x) throw new Error(`this model reads frames: give "x" (T frames of ${cn.frameSize} numbers)${reshapeNote(cn.net)}`)
    frames = inputFrames(cn.net, input.x).map((f) => Float64Array.from(f))
  }
  checkFrames(cn, frames)
  if (input.label !== undefined && !(Number.isInteger(input.label) && input.label >= 0 && input.label < cn.classes)) {
    throw new Error(`label ${input.label} is not a class index (0…${cn.classes - 1})`)
  }
  const concrete = forward(cn, frames)
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
  const symbols = new SymbolSource()
  const inputs = inputRegion(prep.frames, frames, eps, opts.clip, symbols)
  const ctx = new AbstractContext(transformerSet(opts.method ?? 'certrnn'), symbols, opts.trace)
  if (opts.reduceTo !== undefined) {
    const keep = opts.reduceTo
    ctx.reduce = (z) => zonotopeReduce(z, keep, symbols)
  }
  const start = Math.min(...frames)
  const logits = abstractForward(prep.cn, inputs, start, prep.concrete, ctx, Math.max(...frames))
  const verdict = verifyLabel(logits, prep.predicted, opts.margin ?? 'diff')
  return { ...verdict, logits, generators: logits.m }
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
  const regions = threatRegions(prep, threat)
  const bounds: number[] = []
  let evaluations = 0
  for (let k = 0; k < regions.length; k++) {
    const frames = regions[k]
    const frame = threat.kind === 'single' ? k : null
    const steps = searchSteps(search, { ...base, guess: bounds.length ? bounds[bounds.length - 1] || undefined : undefined })
    let r = steps.next(NaN)
    while (!r.done) {
      const m: number = yield { frames, eps: r.value, frame, done: k, total: regions.length }
      r = steps.next(m)
    }
    bounds.push(r.value.bound)
    evaluations += r.value.evaluations
    if (frame !== null) opts.onFrame?.(frame, r.value.bound, k + 1, regions.length)
  }
  return {
    ...provenance,
    predicted: prep.predicted,
    bound: Math.min(...bounds),
    perFrame: threat.kind === 'single' ? bounds : null,
    evaluations,
    resolution: SEARCH_RESOLUTION,
  }
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
