/**
 * The certification worker's logic, independent of the Worker global so that it can be
 * tested in Node: `createCertHandler(post)` returns the function that handles each message,
 * a small dispatcher over the message types (load, run, cancel) and, for `run`, over the job
 * kinds (one handler each in `jobHandlers`).
 */
import type { BoundRequest, CompiledNetwork, ConcreteEntry, Method, PreparedSample, RegionResult, SampleInput, TraceEntry, Zonotope } from '../cert/index.ts'
import { CancelledError, certifyFrames, certifyThreatAsync, compileNetwork, costShape, findBoundAsync, forward, looseness, prepareSample, projectVariables, regionBoxes, Rng, sequenceCostProblem, splitLeaves } from '../cert/index.ts'
import { splitParts } from './parts.ts'
import { MAX_SPLIT_BUDGET } from './protocol.ts'
import type { CertifySummary, CompareSummary, FromWorker, Job, JobResult, Progress, ToWorker, TraceSummary } from './protocol.ts'

/** Progress messages are throttled to this interval (the last one always goes out). */
export const PROGRESS_INTERVAL_MS = 50

function summarizeRegions(verdicts: RegionResult[]): CertifySummary['result']['verdicts'] {
  return verdicts.map((v) => ({
    certified: v.certified,
    margin: v.margin,
    margins: Array.from(v.margins),
    logitLo: Array.from(v.logitLo),
    logitHi: Array.from(v.logitHi),
    generators: v.generators,
  }))
}

/**
 * Progress through a bound search: searches done, plus the current one's evaluations
 * against the paper search's 13 (capped below one search).
 */
function searchFraction(): (q: BoundRequest) => number {
  let search = -1
  let evaluations = 0
  return (q) => {
    if (q.done !== search) {
      search = q.done
      evaluations = 0
    }
    evaluations++
    return (q.done + Math.min(0.95, evaluations / 13)) / q.total
  }
}

const entryKey = (e: { layer: number; step: number | null; op: string }) => `${e.layer}|${e.step}|${e.op}`

/** Trace a certification per method, with zonotopes, and sample the ball for the cloud. */
function traceJob(
  id: number,
  job: Extract<Job, { kind: 'trace' }>,
  prep: PreparedSample,
  cn: CompiledNetwork,
  progress: (fraction: number) => void,
): { summary: Omit<TraceSummary, 'ms'>; zonotopes: Map<Method, Zonotope[]> } {
  const zonotopes = new Map<Method, Zonotope[]>()
  const methods: TraceSummary['methods'] = []
  let entries: TraceSummary['entries'] = []
  // progress within a method: the latest step traced, of the steps from the first perturbed frame on
  const T = prep.frames.length
  const first = Math.min(...job.frames)
  job.methods.forEach((method, k) => {
    const sink: TraceEntry[] = []
    let within = 0
    const push = sink.push.bind(sink)
    sink.push = (...items: TraceEntry[]) => {
      for (const e of items) if (e.step !== null) within = Math.max(within, T > first ? (e.step - first + 1) / (T - first) : 1)
      progress((k + 0.95 * within) / (job.methods.length + 1))
      return push(...items)
    }
    const v = certifyFrames(prep, job.frames, job.eps, { method, margin: job.margin, clip: job.clip, trace: { sink, zonotopes: true } })
    if (k === 0) entries = sink.map((e) => ({ layer: e.layer, layerName: e.layerName, step: e.step, op: e.op, n: e.bounds.lo.length }))
    zonotopes.set(method, sink.map((e) => e.zonotope!))
    methods.push({
      method,
      certified: v.certified,
      margin: v.margin,
      margins: Array.from(v.margins),
      lo: sink.map((e) => e.bounds.lo),
      hi: sink.map((e) => e.bounds.hi),
      planes: sink.map((e) => e.planes ?? null),
      max: sink.map((e) => e.max ?? null),
    })
    progress((k + 1) / (job.methods.length + 1))
  })
  // the cloud: sample 0 is the unperturbed input, then points of the ball (half vertices)
  const rng = new Rng(job.seed ?? 1)
  const samples = Math.max(1, Math.min(2000, Math.round(job.samples)))
  const cloud = entries.map((e) => new Float64Array(samples * e.n))
  for (let s = 0; s < samples; s++) {
    const vertex = rng.next() < 0.5
    const x = prep.frames.map((f, t) => {
      if (s === 0 || !job.frames.includes(t)) return f
      return f.map((v) => {
        const lo = job.clip ? Math.max(job.clip[0], v - job.eps) : v - job.eps
        const hi = job.clip ? Math.min(job.clip[1], v + job.eps) : v + job.eps
        return vertex ? (rng.next() < 0.5 ? lo : hi) : rng.uniform(lo, hi)
      })
    })
    const sink: ConcreteEntry[] = []
    forward(cn, x, sink, prep.concrete.masks)
    // the trace computes only what the perturbed frames reach (a backward direction runs from
    // the last perturbed step down, a convolution's taps reach steps before the first): match
    // each traced operation to the concrete run's by layer, step and name, in order
    const byKey = new Map<string, ConcreteEntry[]>()
    for (const e of sink) {
      const key = entryKey(e)
      const list = byKey.get(key)
      if (list) list.push(e)
      else byKey.set(key, [e])
    }
    const used = new Map<string, number>()
    entries.forEach((e, k) => {
      const key = entryKey(e)
      const nth = used.get(key) ?? 0
      used.set(key, nth + 1)
      const c = byKey.get(key)?.[nth]
      if (!c || c.values.length !== e.n) throw new Error(`trace: the concrete run has no value for ${e.layerName} ${e.op} at step ${e.step}`)
      cloud[k].set(c.values, s * e.n)
    })
  }
  progress(1)
  return {
    summary: { kind: 'trace', traceId: id, predicted: prep.predicted, logits: Array.from(prep.concrete.logits), frames: job.frames, eps: job.eps, entries, methods, cloud, samples },
    zonotopes,
  }
}

/** What a job handler gets: the model, its cancel signal, throttled progress, the worker's state. */
interface JobContext {
  id: number
  cn: CompiledNetwork
  modelKey: string
  signal: AbortSignal
  /** when the job started (for its `ms`) */
  t0: number
  report: (progress: Progress, force?: boolean) => void
  /** the job's input, checked against the frame cap (refused with an estimate, never run for minutes) and prepared */
  prepare: (input: SampleInput) => PreparedSample
  state: WorkerState
}

interface LoadedModel {
  key: string
  cn: CompiledNetwork
  maxFrames?: number
}

interface WorkerState {
  model: LoadedModel | null
  /** the zonotopes of the latest trace, per method, for projections */
  lastTrace: { id: number; key: string; zonotopes: Map<Method, Zonotope[]> } | null
  running: Map<number, AbortController>
}

type JobHandlers = { [K in Job['kind']]: (job: Extract<Job, { kind: K }>, ctx: JobContext) => Promise<JobResult> | JobResult }

/** Reports the end of a job's progress (also when it fails or is cancelled). */
async function reportingEnd<R>(kind: Job['kind'], ctx: JobContext, work: () => Promise<R> | R): Promise<R> {
  try {
    return await work()
  } finally {
    ctx.report({ stage: kind, frame: null, fraction: 1 }, true)
  }
}

/** One handler per job kind. */
const jobHandlers: JobHandlers = {
  project(job, { state, t0 }) {
    const trace = state.lastTrace
    if (!trace || trace.id !== job.traceId || trace.key !== state.model?.key) throw new Error('that trace is gone: run the visualisation again')
    const z = trace.zonotopes.get(job.method)?.[job.entry]
    if (!z) throw new Error(`no operation ${job.entry} traced for ${job.method}`)
    return { kind: 'project', traceId: job.traceId, method: job.method, entry: job.entry, ...projectVariables(z, job.vars[0], job.vars[1]), ms: performance.now() - t0 }
  },

  looseness(job, ctx) {
    const prep = ctx.prepare(job.input)
    return reportingEnd(job.kind, ctx, () => {
      const splits = job.methods.map((method, k) => {
        ctx.report({ stage: 'looseness', frame: null, fraction: k / job.methods.length })
        return { method, split: looseness(prep, job.frames, job.eps, { method, margin: job.margin, clip: job.clip }) }
      })
      return { kind: 'looseness', predicted: prep.predicted, splits, ms: performance.now() - ctx.t0 }
    })
  },

  split(job, ctx) {
    if (!(Number.isInteger(job.budget) && job.budget >= 1 && job.budget <= MAX_SPLIT_BUDGET)) throw new Error(`the number of extra runs must be a whole number from 1 to ${MAX_SPLIT_BUDGET}, got ${job.budget}`)
    const prep = ctx.prepare(job.input)
    const method = job.method ?? 'tight'
    return reportingEnd(job.kind, ctx, () => {
      ctx.report({ stage: 'split', frame: null, fraction: 0 }, true)
      const { leaves, runs, result } = splitLeaves(prep, job.frames, job.eps, { method, margin: job.margin, clip: job.clip, splits: job.budget })
      const region = regionBoxes(prep.frames, job.frames, job.eps, job.clip)
      return { kind: 'split', method, predicted: prep.predicted, certified: result.certified, margin: result.margin, runs, parts: splitParts(leaves, region, prep.predicted), ms: performance.now() - ctx.t0 }
    })
  },

  async attack(job, ctx) {
    const prep = ctx.prepare(job.input)
    // TF.js and the attack load only when an attack is asked for
    const [tf, { attackRadius, attackModelOf }] = await Promise.all([import('@tensorflow/tfjs'), import('../attack/pgd.ts')])
    if (tf.getBackend() !== 'cpu') await tf.setBackend('cpu')
    ctx.report({ stage: 'attack', frame: null, fraction: 0.05 }, true)
    const r = attackRadius(attackModelOf(ctx.cn.net), prep.frames, prep.predicted, job.threat, {
      masks: prep.concrete.masks,
      steps: job.steps ?? 20,
      restarts: job.restarts ?? 5,
      seed: job.seed ?? 1,
      clip: job.clip,
      maxEps: job.maxEps,
      guess: job.guess,
      frames: job.frames,
      onlyMin: !job.everyFrame,
      resolution: job.resolution,
      onRound: (f) => ctx.report({ stage: 'attack', frame: null, fraction: 0.05 + 0.9 * f }),
    })
    return {
      kind: 'attack',
      predicted: prep.predicted,
      radius: r.radius,
      perFrame: r.perFrame,
      adversarial: r.adversarial ? r.adversarial.map((f) => Array.from(f)) : null,
      frame: r.frame,
      adversarialLogits: r.adversarial ? Array.from(forward(ctx.cn, r.adversarial, undefined, prep.concrete.masks).logits) : null,
      ms: performance.now() - ctx.t0,
    }
  },

  async audit(job, ctx) {
    const { auditNetwork } = await import('../attack/audit.ts')
    return reportingEnd(job.kind, ctx, () => {
      let done = 0
      const audit = auditNetwork(ctx.cn.net, job.inputs, { ...job.options, onSample: () => ctx.report({ stage: 'audit', frame: null, fraction: ++done / job.inputs.length }) })
      return { kind: 'audit', audit, ms: performance.now() - ctx.t0 }
    })
  },

  certify(job, ctx) {
    const prep = ctx.prepare(job.input)
    return reportingEnd(job.kind, ctx, async () => {
      const r = await certifyThreatAsync(prep, job.threat, job.eps, {
        signal: ctx.signal,
        method: job.method,
        margin: job.margin,
        clip: job.clip,
        reduceTo: job.reduceTo,
        splits: job.splits,
        onProgress: (q) => ctx.report({ stage: 'certify', frame: q.frame, fraction: q.done / q.total }),
      })
      return { kind: 'certify', predicted: prep.predicted, logits: Array.from(prep.concrete.logits), result: { ...r, verdicts: summarizeRegions(r.verdicts) }, ms: performance.now() - ctx.t0 }
    })
  },

  bound(job, ctx) {
    const prep = ctx.prepare(job.input)
    return reportingEnd(job.kind, ctx, async () => {
      const fraction = searchFraction()
      const r = await findBoundAsync(prep, job.threat, {
        signal: ctx.signal,
        method: job.method,
        margin: job.margin,
        clip: job.clip,
        reduceTo: job.reduceTo,
        splits: job.splits,
        search: job.search,
        maxEps: job.maxEps,
        frames: job.frames,
        onProgress: (q) => ctx.report({ stage: 'bound', frame: q.frame, fraction: fraction(q) }),
      })
      return { kind: 'bound', predicted: prep.predicted, logits: Array.from(prep.concrete.logits), result: r, ms: performance.now() - ctx.t0 }
    })
  },

  trace(job, ctx) {
    const prep = ctx.prepare(job.input)
    return reportingEnd(job.kind, ctx, () => {
      const result = traceJob(ctx.id, job, prep, ctx.cn, (f) => ctx.report({ stage: 'trace', frame: null, fraction: f }))
      ctx.state.lastTrace = { id: ctx.id, key: ctx.modelKey, zonotopes: result.zonotopes }
      return { ...result.summary, ms: performance.now() - ctx.t0 }
    })
  },

  compare(job, ctx) {
    const prep = ctx.prepare(job.input)
    return reportingEnd(job.kind, ctx, async () => {
      const rows: CompareSummary['rows'] = []
      for (const [k, method] of job.methods.entries()) {
        const m0 = performance.now()
        const settings = { signal: ctx.signal, method, margin: job.margin, clip: job.clip }
        const share = (f: number) => (k + f) / job.methods.length
        const certify = await certifyThreatAsync(prep, job.threat, job.eps, {
          ...settings,
          onProgress: (q) => ctx.report({ stage: `compare: ${method}`, frame: q.frame, fraction: share(0.1 * (q.done / q.total)) }),
        })
        const fraction = searchFraction()
        const bound = await findBoundAsync(prep, job.threat, {
          ...settings,
          search: job.search,
          onProgress: (q) => ctx.report({ stage: `compare: ${method}`, frame: q.frame, fraction: share(0.1 + 0.9 * fraction(q)) }),
        })
        rows.push({ method, certify: { ...certify, verdicts: summarizeRegions(certify.verdicts) }, bound, ms: performance.now() - m0 })
      }
      return { kind: 'compare', predicted: prep.predicted, logits: Array.from(prep.concrete.logits), rows, ms: performance.now() - ctx.t0 }
    })
  },
}

/** Run one job on the loaded model: its context, then its kind's handler. */
async function runJob(id: number, job: Job, model: LoadedModel, state: WorkerState, post: (msg: FromWorker) => void): Promise<JobResult> {
  const controller = new AbortController()
  state.running.set(id, controller)
  let lastProgress = 0
  const { cn } = model
  const ctx: JobContext = {
    id,
    cn,
    modelKey: model.key,
    signal: controller.signal,
    t0: performance.now(),
    state,
    report: (progress, force = false) => {
      const now = performance.now()
      if (!force && now - lastProgress < PROGRESS_INTERVAL_MS) return
      lastProgress = now
      post({ type: 'progress', id, progress })
    },
    prepare: (input) => {
      const length = input.tokens?.length ?? input.x?.length ?? 0
      const tooLong = sequenceCostProblem(length, costShape(cn.net), { maxFrames: model.maxFrames, unit: cn.embedding ? 'tokens' : 'frames', raiseWith: 'the command line (npm run certify -- --max-frames)' })
      if (tooLong) throw new Error(tooLong)
      return prepareSample(cn, input)
    },
  }
  try {
    return await (jobHandlers[job.kind] as (job: Job, ctx: JobContext) => Promise<JobResult> | JobResult)(job, ctx)
  } finally {
    state.running.delete(id)
  }
}

/** The worker's messages: load a model, run a job on it, cancel a job. */
export function createCertHandler(post: (msg: FromWorker) => void): (msg: ToWorker) => void {
  const state: WorkerState = { model: null, lastTrace: null, running: new Map() }
  const messages: { [T in ToWorker['type']]: (msg: Extract<ToWorker, { type: T }>) => void } = {
    load(msg) {
      try {
        const cn = compileNetwork(msg.net)
        state.model = { key: msg.modelKey, cn, maxFrames: msg.maxFrames }
        post({ type: 'loaded', modelKey: msg.modelKey, classes: cn.classes, frameSize: cn.frameSize })
      } catch (e) {
        state.model = null
        post({ type: 'loadError', modelKey: msg.modelKey, message: (e as Error).message })
      }
    },
    cancel(msg) {
      state.running.get(msg.id)?.abort()
    },
    run(msg) {
      const model = state.model
      if (!model || model.key !== msg.modelKey) {
        post({ type: 'error', id: msg.id, message: `the worker has no model "${msg.modelKey}" loaded${model ? ` (it has "${model.key}")` : ''}` })
        return
      }
      runJob(msg.id, msg.job, model, state, post).then(
        (result) => post({ type: 'result', id: msg.id, result }),
        (e) => post(e instanceof CancelledError ? { type: 'cancelled', id: msg.id } : { type: 'error', id: msg.id, message: (e as Error).message }),
      )
    },
  }
  return (msg) => (messages[msg.type] as (m: ToWorker) => void)(msg)
}
