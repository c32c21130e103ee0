/**
 * The certification worker's logic, independent of the Worker global so that it can be
 * tested in Node: `createCertHandler(post)` returns the function that handles each message.
 */
import type { BoundRequest, PreparedSample, RegionResult } from '../cert/certify.ts'
import { CancelledError, certifyThreatAsync, findBoundAsync, prepareSample } from '../cert/certify.ts'
import type { CompiledNetwork } from '../cert/runtime.ts'
import { compileNetwork } from '../cert/runtime.ts'
import type { CertifySummary, FromWorker, Job, JobResult, Progress, ToWorker } from './protocol.ts'

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

export function createCertHandler(post: (msg: FromWorker) => void): (msg: ToWorker) => void {
  let model: { key: string; cn: CompiledNetwork } | null = null
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
    const prep: PreparedSample = prepareSample(cn, job.input)
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
