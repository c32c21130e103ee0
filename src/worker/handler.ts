/**
 * The certification worker's logic, independent of the Worker global so that it can be
 * tested in Node: `createCertHandler(post)` returns the function that handles each message.
 */
import type { BoundRequest, CompiledNetwork, ConcreteEntry, Method, PreparedSample, RegionResult, TraceEntry, Zonotope } from '../cert/index.ts'
import { CancelledError, certifyFrames, certifyThreatAsync, compileNetwork, costShape, findBoundAsync, forward, prepareSample, projectVariables, Rng, sequenceCostProblem } from '../cert/index.ts'
import type { CertifySummary, FromWorker, Job, JobResult, Progress, ToWorker, TraceSummary } from './protocol.ts'

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
  job.methods.forEach((method, k) => {
    const sink: TraceEntry[] = []
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
    })
    progress((k + 1) / (job.methods.length + 1))
  })
  // the cloud: sample 0 is the unperturbed input, then points of the ball (half vertices)
  const rng = new Rng(job.seed ?? 1)
  const start = Math.min(...job.frames)
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
    forward(cn, x, sink)
    // the trace starts at the first perturbed frame: skip the concrete steps before it
    const traced = sink.filter((e) => e.step === null || e.step >= start)
    traced.forEach((e, k) => cloud[k].set(e.values, s * e.values.length))
  }
  progress(1)
  return {
    summary: { kind: 'trace', traceId: id, predicted: prep.predicted, logits: Array.from(prep.concrete.logits), frames: job.frames, eps: job.eps, entries, methods, cloud, samples },
    zonotopes,
  }
}

export function createCertHandler(post: (msg: FromWorker) => void): (msg: ToWorker) => void {
  let model: { key: string; cn: CompiledNetwork } | null = null
  /** the zonotopes of the latest trace, per method, for projections */
  let lastTrace: { id: number; key: string; zonotopes: Map<Method, Zonotope[]> } | null = null
  const running = new Map<number, AbortController>()

  async function run(id: number, job: Job, cn: CompiledNetwork): Promise<JobResult> {
    const controller = new AbortController()
    running.set(id, controller)
    let lastProgress = 0
    const report = (progress: Progress, force = false) => {
      const now = performance.now()
      if (!force && now - lastProgress < PROGRESS_INTERVAL_MS) return
      lastProgress = now
      post({ type: 'progress', id, progress })
    }
    const t0 = performance.now()
    if (job.kind === 'project') {
      try {
        if (!lastTrace || lastTrace.id !== job.traceId || lastTrace.key !== model?.key) throw new Error('that trace is gone: run the visualisation again')
        const zs = lastTrace.zonotopes.get(job.method)
        const z = zs?.[job.entry]
        if (!z) throw new Error(`no operation ${job.entry} traced for ${job.method}`)
        return { kind: 'project', traceId: job.traceId, method: job.method, entry: job.entry, ...projectVariables(z, job.vars[0], job.vars[1]), ms: performance.now() - t0 }
      } finally {
        running.delete(id)
      }
    }
    // the frame cap, before any work: a long input is refused with an estimate, never run for minutes
    const length = job.input.tokens?.length ?? job.input.x?.length ?? 0
    const tooLong = sequenceCostProblem(length, costShape(cn.net), { unit: cn.embedding ? 'tokens' : 'frames', raiseWith: 'the command line (npm run certify -- --max-frames)' })
    if (tooLong) {
      running.delete(id)
      throw new Error(tooLong)
    }
    const prep: PreparedSample = prepareSample(cn, job.input)
    if (job.kind === 'attack') {
      try {
        // TF.js and the attack load only when an attack is asked for
        const [tf, { attackRadius, attackModelOf }] = await Promise.all([import('@tensorflow/tfjs'), import('../attack/pgd.ts')])
        if (tf.getBackend() !== 'cpu') await tf.setBackend('cpu')
        report({ stage: 'attack', frame: null, fraction: 0.05 }, true)
        const r = attackRadius(attackModelOf(cn.net), prep.frames, prep.predicted, job.threat, { steps: 20, restarts: 5, seed: 1, clip: job.clip, maxEps: job.maxEps, guess: job.guess, onlyMin: true })
        const adversarial = r.adversarial ? r.adversarial.map((f) => Array.from(f)) : null
        return {
          kind: 'attack',
          predicted: prep.predicted,
          radius: r.radius,
          perFrame: r.perFrame,
          adversarial,
          frame: r.frame,
          adversarialLogits: r.adversarial ? Array.from(forward(cn, r.adversarial).logits) : null,
          ms: performance.now() - t0,
        }
      } finally {
        running.delete(id)
      }
    }
    const logits = Array.from(prep.concrete.logits)
    const base = { signal: controller.signal }
    try {
      if (job.kind === 'certify') {
        const r = await certifyThreatAsync(prep, job.threat, job.eps, {
          ...base,
          method: job.method,
          margin: job.margin,
          clip: job.clip,
          onProgress: (q) => report({ stage: 'certify', frame: q.frame, fraction: q.done / q.total }),
        })
        return { kind: 'certify', predicted: prep.predicted, logits, result: { ...r, verdicts: summarizeRegions(r.verdicts) }, ms: performance.now() - t0 }
      }
      if (job.kind === 'bound') {
        const fraction = searchFraction()
        const r = await findBoundAsync(prep, job.threat, {
          ...base,
          method: job.method,
          margin: job.margin,
          clip: job.clip,
          search: job.search,
          maxEps: job.maxEps,
          onProgress: (q) => report({ stage: 'bound', frame: q.frame, fraction: fraction(q) }),
        })
        return { kind: 'bound', predicted: prep.predicted, logits, result: r, ms: performance.now() - t0 }
      }
      if (job.kind === 'trace') {
        const result = traceJob(id, job, prep, cn, (f) => report({ stage: 'trace', frame: null, fraction: f }))
        lastTrace = { id, key: model!.key, zonotopes: result.zonotopes }
        return { ...result.summary, ms: performance.now() - t0 }
      }
      const rows: Extract<JobResult, { kind: 'compare' }>['rows'] = []
      for (const [k, method] of job.methods.entries()) {
        const m0 = performance.now()
        const settings = { ...base, method, margin: job.margin, clip: job.clip }
        const share = (f: number) => (k + f) / job.methods.length
        const certify = await certifyThreatAsync(prep, job.threat, job.eps, {
          ...settings,
          onProgress: (q) => report({ stage: `compare: ${method}`, frame: q.frame, fraction: share(0.1 * (q.done / q.total)) }),
        })
        const fraction = searchFraction()
        const bound = await findBoundAsync(prep, job.threat, {
          ...settings,
          search: job.search,
          onProgress: (q) => report({ stage: `compare: ${method}`, frame: q.frame, fraction: share(0.1 + 0.9 * fraction(q)) }),
        })
        rows.push({ method, certify: { ...certify, verdicts: summarizeRegions(certify.verdicts) }, bound, ms: performance.now() - m0 })
      }
      return { kind: 'compare', predicted: prep.predicted, logits, rows, ms: performance.now() - t0 }
    } finally {
      report({ stage: job.kind, frame: null, fraction: 1 }, true)
      running.delete(id)
    }
  }

  return (msg: ToWorker) => {
    if (msg.type === 'load') {
      try {
        const cn = compileNetwork(msg.net)
        model = { key: msg.modelKey, cn }
        post({ type: 'loaded', modelKey: msg.modelKey, classes: cn.classes, frameSize: cn.frameSize })
      } catch (e) {
        model = null
        post({ type: 'loadError', modelKey: msg.modelKey, message: (e as Error).message })
      }
      return
    }
    if (msg.type === 'cancel') {
      running.get(msg.id)?.abort()
      return
    }
    if (!model || model.key !== msg.modelKey) {
      post({ type: 'error', id: msg.id, message: `the worker has no model "${msg.modelKey}" loaded${model ? ` (it has "${model.key}")` : ''}` })
      return
    }
    run(msg.id, msg.job, model.cn).then(
      (result) => post({ type: 'result', id: msg.id, result }),
      (e) => post(e instanceof CancelledError ? { type: 'cancelled', id: msg.id } : { type: 'error', id: msg.id, message: (e as Error).message }),
    )
  }
}
