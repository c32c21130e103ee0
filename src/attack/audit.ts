/**
 * The soundness audit of one network: for each sample, its certified bound and per-frame
 * bounds (single-frame threat, fast search), then at each frame's CERTIFIED radius a PGD
 * attack and random sampling of the ball with the float64 forward pass. A violation is any
 * input inside a certified ball (checked in float64) whose float64 margin is ≤ 0: the
 * certificate said the prediction cannot change there. The attack radius (PGD bisection,
 * an upper bound on the true radius) gives the gap between the certified bound and what an
 * attacker achieves.
 */
import type { Clip, CompiledNetwork, Method, NetworkIR, PreparedSample, SampleInput } from '../cert/index.ts'
import { findBound, isRecurrent, mean, prepareSample } from '../cert/index.ts'
import { ballOf, insideBall, margin64, sampleBall } from './ball.ts'
import type { AttackModel } from './pgd.ts'
import { attackRadius, createAttackModel, pgdAttackRegions } from './pgd.ts'

export interface AuditOptions {
  methods: Method[]
  /** random points per frame ball (before any budget reduction) */
  samples: number
  /** PGD at the certified radius */
  steps: number
  restarts: number
  /** PGD inside the attack-radius bisection */
  radiusSteps: number
  radiusRestarts: number
  clip?: Clip
  seed: number
  /** upper end of the certified-bound search and of the attack-radius search */
  maxEps: number
  /**
   * most multiply-adds of sampling per sample and method (default 1e10): beyond it the
   * samples per frame are reduced (to at least minSamples), then only the frames with the
   * smallest certified bounds are sampled. PGD always covers every frame.
   */
  budget?: number
  minSamples?: number
  /**
   * inputs with more frames than this are audited on `longFrames` evenly spaced frames only
   * (certified bound, PGD, sampling and attack radius all over those frames); default: every frame
   */
  maxFrames?: number
  /** frames audited on a long input (default maxFrames) */
  longFrames?: number
  /**
   * self-test of the audit only: pretend the certifier claimed `inflate` × its bounds (an
   * unsound certifier when the gap to the attack radius is smaller); default 1
   */
  inflate?: number
  /** refinement by input splitting of the tight method's certificates (runs beyond the first; off when absent) */
  splits?: number
  /** called when a sample is done */
  onSample?: (s: SampleAudit) => void
}

export interface Violation {
  kind: 'pgd' | 'sampling' | 'attack-radius'
  method: Method
  sample: number
  frame: number
  /** the certified radius of that frame */
  eps: number
  /** float64 margin of the predicted label at `input` (≤ 0) */
  margin: number
  /** the input: inside the certified ball, checked in float64 */
  input: number[][]
}

export interface MethodAudit {
  method: Method
  /** the sample's certified bound (min over the audited frames) */
  bound: number
  /** per frame (NaN for frames not audited) */
  perFrame: number[]
  /** frames with a positive certified bound: attacked with PGD at that bound */
  attacked: number
  /** smallest float64 margin PGD reached at the certified radii */
  pgdMinMargin: number
  /** frames sampled, and points per frame ball */
  sampledFrames: number
  samplesPerFrame: number
  /** smallest float64 margin among the sampled points */
  sampleMinMargin: number
  /** inputs inside a certified ball whose float64 margin is ≤ 0 */
  violationCount: number
  /** some of them (every PGD one, at most 10 sampled ones per frame) */
  violations: Violation[]
}

export interface SampleAudit {
  index: number
  label: number | null
  predicted: number
  correct: boolean | null
  frames: number
  /** the frames audited (all of them unless maxFrames cut a long input) */
  auditedFrames: number[]
  /** PGD bisection upper bound on the true radius (min over frames); Infinity if never broken up to maxEps */
  attackRadius: number
  attackFrame: number | null
  methods: MethodAudit[]
  /** the sampling budget forced fewer points or frames */
  reduced: boolean
  ms: number
  /** where the time went (ms): certification, PGD at the certified radii, sampling, attack radius */
  timing: { certify: number; pgd: number; sampling: number; radius: number }
}

/** Multiply-adds of the float64 forward pass from frame t to the end, for each t. */
export function forwardCost(cn: CompiledNetwork, T: number): number[] {
  let perStep = 0
  let width = cn.frameSize
  let once = 0
  let sequence = true
  for (const layer of cn.net.layers) {
    if (isRecurrent(layer)) {
      const k = layer.type === 'simpleRnn' ? 1 : layer.type === 'lstm' ? 4 : 3
      perStep += (width + layer.units) * k * layer.units
      width = layer.units
      sequence = layer.returnSequences
    } else if (layer.type === 'dense') {
      if (sequence) perStep += width * layer.units
      else once += width * layer.units
      width = layer.units
    } else if (layer.type === 'pool' || layer.type === 'flatten') {
      once += T * width
      if (layer.type === 'flatten') width *= T
      sequence = false
    }
  }
  return Array.from({ length: T }, (_, t) => (T - t) * perStep + once)
}

/** Samples per frame and frames to sample within the budget. */
export function samplingPlan(cost: number[], perFrame: number[], opts: Pick<AuditOptions, 'samples' | 'budget' | 'minSamples'>): { frames: number[]; samples: number; reduced: boolean } {
  const budget = opts.budget ?? 1e10
  const minSamples = Math.min(opts.samples, opts.minSamples ?? 1000)
  const candidates = perFrame.map((b, t) => ({ b, t })).filter((f) => f.b > 0)
  const total = candidates.reduce((s, f) => s + cost[f.t], 0)
  if (total * opts.samples <= budget) return { frames: candidates.map((f) => f.t), samples: opts.samples, reduced: false }
  const samples = Math.max(minSamples, Math.floor(budget / total))
  if (samples * total <= budget || samples > minSamples) return { frames: candidates.map((f) => f.t), samples, reduced: true }
  // still too much: the frames with the smallest certified bounds first
  const frames: number[] = []
  let used = 0
  for (const f of [...candidates].sort((a, b) => a.b - b.b || a.t - b.t)) {
    if (frames.length > 0 && used + cost[f.t] * samples > budget) break
    frames.push(f.t)
    used += cost[f.t] * samples
  }
  return { frames: frames.sort((a, b) => a - b), samples, reduced: true }
}

const toJson = (x: Float64Array[]) => x.map((f) => Array.from(f))

/** All T frames when T ≤ max, else `keep` (default max) evenly spaced ones (first and last included). */
export function auditedFrames(T: number, max?: number, keep = max): number[] {
  if (max === undefined || keep === undefined || T <= max) return Array.from({ length: T }, (_, t) => t)
  const k = Math.max(1, Math.min(keep, T))
  if (k === 1) return [T - 1]
  return [...new Set(Array.from({ length: k }, (_, j) => Math.round((j * (T - 1)) / (k - 1))))]
}

/** Audit one prepared sample (every method) against one attack model. */
export function auditSample(model: AttackModel, prep: PreparedSample, index: number, opts: AuditOptions): SampleAudit {
  const t0 = performance.now()
  const T = prep.frames.length
  const label = prep.predicted
  const cost = forwardCost(model.cn, T)
  const seed = opts.seed + 1009 * index
  let reduced = false
  const methods: MethodAudit[] = []
  const timing = { certify: 0, pgd: 0, sampling: 0, radius: 0 }
  let tick = performance.now()
  const lap = (k: keyof typeof timing) => {
    const now = performance.now()
    timing[k] += now - tick
    tick = now
  }
  const frames = auditedFrames(T, opts.maxFrames, opts.longFrames)
  const bounds = opts.methods.map((method) => {
    const bo = { method, search: 'fast' as const, clip: opts.clip, maxEps: opts.maxEps, ...(opts.splits && method === 'tight' ? { splits: opts.splits } : {}) }
    if (frames.length === T) {
      const b = findBound(prep, { kind: 'single' }, bo)
      return { bound: b.bound, perFrame: b.perFrame! }
    }
    // each audited frame alone (the single-frame threat's per-frame search, frame by frame)
    const perFrame = prep.frames.map(() => NaN)
    for (const t of frames) perFrame[t] = findBound(prep, { kind: 'frames', frames: [t] }, bo).bound
    return { bound: Math.min(...frames.map((t) => perFrame[t])), perFrame }
  })
  const inflate = opts.inflate ?? 1
  if (inflate !== 1) for (const b of bounds) {
    b.bound *= inflate
    b.perFrame = b.perFrame.map((v) => v * inflate)
  }
  lap('certify')
  for (let mi = 0; mi < opts.methods.length; mi++) {
    const method = opts.methods[mi]
    const perFrame = bounds[mi].perFrame
    const violations: Violation[] = []
    let violationCount = 0
    const violation = (kind: Violation['kind'], frame: number, eps: number, margin: number, input: Float64Array[]) => {
      violationCount++
      violations.push({ kind, method, sample: index, frame, eps, margin, input: toJson(input) })
    }
    // PGD at every frame's certified radius (one batch)
    const regions = perFrame.map((eps, t) => ({ frames: [t], eps })).filter((r) => r.eps > 0)
    let pgdMinMargin = Infinity
    if (regions.length) {
      const results = pgdAttackRegions(model, prep.frames, label, regions, { steps: opts.steps, restarts: opts.restarts, clip: opts.clip, seed, masks: prep.concrete.masks })
      for (const r of results) {
        pgdMinMargin = Math.min(pgdMinMargin, r.margin)
        // inside the certified ball (pgd guarantees it; checked again) and flipped in float64
        if (r.success && insideBall(prep.frames, r.adversarial, ballOf(prep.frames, r.frames, r.eps, opts.clip))) violation('pgd', r.frames[0], r.eps, r.margin, r.adversarial)
      }
    }
    lap('pgd')
    // random points of every frame's certified ball
    const plan = samplingPlan(cost, perFrame, opts)
    reduced ||= plan.reduced
    let sampleMinMargin = Infinity
    for (const t of plan.frames) {
      const ball = ballOf(prep.frames, [t], perFrame[t], opts.clip)
      const s = sampleBall(model.cn, prep.concrete, prep.frames, label, ball, { samples: plan.samples, seed: seed + 31 * t })
      sampleMinMargin = Math.min(sampleMinMargin, s.minMargin)
      for (const x of s.examples) violation('sampling', t, perFrame[t], margin64(model.cn, x, label, prep.concrete.masks), x)
      // the ones not kept as examples count too
      violationCount += s.violations - s.examples.length
    }
    lap('sampling')
    methods.push({
      method,
      bound: bounds[mi].bound,
      perFrame,
      attacked: regions.length,
      pgdMinMargin,
      sampledFrames: plan.frames.length,
      samplesPerFrame: plan.samples,
      sampleMinMargin,
      violationCount,
      violations,
    })
  }
  // the attack radius (an upper bound on the true radius), started from the largest certified bounds
  const guess = prep.frames.map((_, t) => Math.max(...bounds.map((b) => b.perFrame[t])))
  const radius = attackRadius(model, prep.frames, label, { kind: 'single' }, {
    masks: prep.concrete.masks,
    steps: opts.radiusSteps,
    restarts: opts.radiusRestarts,
    clip: opts.clip,
    seed: seed + 7,
    maxEps: opts.maxEps,
    guess,
    onlyMin: true,
    frames,
  })
  lap('radius')
  // an adversarial input found below a certified radius is a violation too
  if (radius.adversarial && radius.frame !== null) {
    const f = radius.frame
    methods.forEach((m, mi) => {
      const eps = m.perFrame[f]
      if (eps > 0 && insideBall(prep.frames, radius.adversarial!, ballOf(prep.frames, [f], eps, opts.clip)) && radius.margin <= 0) {
        methods[mi].violations.push({ kind: 'attack-radius', method: m.method, sample: index, frame: f, eps, margin: radius.margin, input: toJson(radius.adversarial!) })
        methods[mi].violationCount++
      }
    })
  }
  return {
    index,
    label: prep.label ?? null,
    predicted: prep.predicted,
    correct: prep.label === undefined ? null : prep.label === prep.predicted,
    frames: T,
    auditedFrames: frames,
    attackRadius: radius.radius,
    attackFrame: radius.frame,
    methods,
    reduced,
    ms: performance.now() - t0,
    timing,
  }
}

export interface ModelAudit {
  samples: SampleAudit[]
  /** per method: mean certified bound, mean attack radius (finite ones), mean gap, violations */
  summary: Array<{
    method: Method
    meanBound: number
    meanAttack: number
    /** samples whose attack never succeeded up to maxEps (left out of the means) */
    unbroken: number
    /** mean of (attack radius − certified bound) over the samples with a finite attack radius */
    meanGap: number
    /** mean of certified bound / attack radius */
    meanRatio: number
    violations: number
    attackedFrames: number
    sampledPoints: number
  }>
  /** every method's violations (count) and examples */
  violationCount: number
  violations: Violation[]
  reduced: boolean
  ms: number
}


/** Audit a network on some inputs (see AuditOptions). */
export function auditNetwork(net: NetworkIR | AttackModel, inputs: SampleInput[], opts: AuditOptions): ModelAudit {
  const t0 = performance.now()
  const own = !('cn' in net && 'tf' in net)
  const model = own ? createAttackModel(net as NetworkIR) : (net as AttackModel)
  try {
    const samples = inputs.map((input, k) => {
      const s = auditSample(model, prepareSample(model.cn, input), k, opts)
      opts.onSample?.(s)
      return s
    })
    const finite = samples.filter((s) => Number.isFinite(s.attackRadius))
    const summary = opts.methods.map((method, mi) => {
      const ms = samples.map((s) => s.methods[mi])
      return {
        method,
        meanBound: mean(ms.map((m) => m.bound)),
        meanAttack: mean(finite.map((s) => s.attackRadius)),
        unbroken: samples.length - finite.length,
        meanGap: mean(finite.map((s) => s.attackRadius - s.methods[mi].bound)),
        meanRatio: mean(finite.map((s) => s.methods[mi].bound / s.attackRadius)),
        violations: ms.reduce((n, m) => n + m.violationCount, 0),
        attackedFrames: ms.reduce((n, m) => n + m.attacked, 0),
        sampledPoints: ms.reduce((n, m) => n + m.sampledFrames * m.samplesPerFrame, 0),
      }
    })
    return {
      samples,
      summary,
      violationCount: samples.reduce((n, s) => n + s.methods.reduce((k, m) => k + m.violationCount, 0), 0),
      violations: samples.flatMap((s) => s.methods.flatMap((m) => m.violations)),
      reduced: samples.some((s) => s.reduced),
      ms: performance.now() - t0,
    }
  } finally {
    if (own) model.dispose()
  }
}
