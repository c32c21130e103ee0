/**
 * The soundness audit of the bundled model zoo: certify every listed model's first examples
 * (single-frame threat, fast search), then attack each frame at its CERTIFIED radius with PGD
 * and sample its certified ball with the float64 forward pass. Any input inside a certified
 * ball that changes the prediction is a soundness violation (exit code 1). Also reports the
 * attack radius (PGD bisection: an upper bound on the true radius) and the gap between the
 * certified bound and it.
 *
 *   npm run audit [-- --models rnn-2-32,rnn-4-32] [--n 3] [--samples 10000] [--methods certrnn,deepz]
 *     [--steps 20] [--restarts 5] [--clip none|domain] [--backend wasm|cpu] [--budget 10] [--jobs 2] [--json]
 */
import { mean } from '../src/cert/evaluation.ts'
import * as tf from '@tensorflow/tfjs'
import '@tensorflow/tfjs-backend-wasm'
import { spawn } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { availableParallelism, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import type { AuditOptions, ModelAudit, Violation } from '../src/attack/audit.ts'
import { auditNetwork } from '../src/attack/audit.ts'
import type { SampleInput } from '../src/cert/certify.ts'
import type { NetworkIR } from '../src/cert/network.ts'
import { UnsupportedModelError, validateNetwork } from '../src/cert/network.ts'
import type { Method } from '../src/cert/transformers/index.ts'
import { METHODS } from '../src/cert/transformers/index.ts'
import type { ManifestModel } from '../src/model/manifest.ts'
import { validateManifest } from '../src/model/manifest.ts'
import { loadModelDir } from './lib/loadModelDir.ts'

const USAGE = `usage: npm run audit [-- options]
  --models a,b,...       zoo model ids (default: every model in public/models/manifest.json)
  --n N                  first N examples of each model's examples.json (default 3)
  --samples S            random points per certified frame ball, half at vertices (default 10000)
  --methods M,...        certrnn (default) | deepz | interval, comma-separated
  --steps K              PGD steps at the certified radius (default 20)
  --restarts R           PGD restarts (default 5; the first from the clean input)
  --radius-steps K       PGD steps inside the attack-radius bisection (default 20)
  --radius-restarts R    PGD restarts inside the bisection (default 3)
  --clip none|domain     the ball as certified: unclipped (default, as npm run certify and the
                         paper) or intersected with the model's input domain (pixels in [0, 1])
  --max-eps E            upper end of the bound and radius searches (default 1)
  --budget G             sampling work per sample, in 10^9 multiply-adds (default 10): big
                         models get fewer points per frame (at least 1,000), then fewer frames
  --max-frames F         inputs longer than F frames (default 16; 0 = no limit) are audited on
  --long-frames K        K evenly spaced frames (default 8): certified bound, PGD, sampling and
                         attack radius are then minima over those frames
  --backend wasm|cpu     TF.js backend for PGD (default wasm; cpu if wasm cannot start)
  --jobs J               models audited in parallel processes (default: min(2, cores))
  --seed S               (default 1)
  --zoo DIR              the zoo folder (default public/models)
  --inflate X            self-test of the audit: pretend the certifier claimed X × its bounds
                         (X > 1 simulates an unsound certifier; the audit must then fail)
  --save-violations F    write violating inputs to F (default: <tmp>/cert-rnn-audit-violations.json)
  --json                 one JSON line per model, then a summary line
exit code: 1 if any input inside a certified ball changes the prediction (a soundness
violation) or the audit of a model failed; 0 otherwise; 2 for a usage error.`

class UsageError extends Error {}

export interface ZooAuditOptions extends AuditOptions {
  zoo: string
  models?: string[]
  n: number
  clipMode: 'none' | 'domain'
}

export interface ModelReport {
  id: string
  title: string
  /** why the model was not audited (e.g. not trained yet, or a model the certifier refuses) */
  skipped?: string
  /** the audit itself failed (the audit is then incomplete) */
  error?: string
  audit?: ModelAudit
  /** examples audited */
  n: number
}

function readManifest(zoo: string): ManifestModel[] {
  const path = join(zoo, 'manifest.json')
  if (!existsSync(path)) throw new UsageError(`${path} does not exist`)
  return validateManifest(JSON.parse(readFileSync(path, 'utf8'))).models
}

function readExamples(dir: string): SampleInput[] {
  const data = JSON.parse(readFileSync(join(dir, 'examples.json'), 'utf8')) as unknown
  const list = Array.isArray(data) ? data : (data as { examples?: unknown }).examples
  if (!Array.isArray(list)) throw new Error(`${dir}/examples.json holds no examples list`)
  return list.map((e: { x?: number[][]; tokens?: number[]; label?: number }) => ({ x: e.x, tokens: e.tokens, label: e.label }))
}

/** The models to audit, in manifest order; unknown ids are an error. */
export function selectModels(all: ManifestModel[], ids?: string[]): ManifestModel[] {
  if (!ids) return all
  const unknown = ids.filter((id) => !all.some((m) => m.id === id))
  if (unknown.length) throw new UsageError(`--models: ${unknown.join(', ')} not in the manifest (known: ${all.map((m) => m.id).join(', ')})`)
  return ids.map((id) => all.find((m) => m.id === id)!)
}

/** A rough relative cost of auditing a model, to start the longest ones first. */
export function estimateCost(m: ManifestModel, opts: Pick<ZooAuditOptions, 'zoo' | 'n' | 'maxFrames' | 'longFrames'>): number {
  const k = m.cell === 'simpleRnn' ? 1 : m.cell === 'lstm' ? 4 : 3
  const h = m.hidden
  const input = m.input.kind === 'frames' ? m.input.frameSize : m.input.embeddingDim
  const perStep = (input + h) * k * h + (m.layers - 1) * 2 * h * k * h
  let T = m.input.kind === 'frames' ? m.input.frames : m.input.maxLength
  try {
    const ex = readExamples(join(opts.zoo, m.path)).slice(0, opts.n)
    if (ex.length) T = ex.reduce((a, e) => a + (e.tokens?.length ?? e.x?.length ?? 0), 0) / ex.length
  } catch {
    // not trained yet: keep the manifest's figure
  }
  const audited = opts.maxFrames !== undefined && T > opts.maxFrames ? (opts.longFrames ?? opts.maxFrames) : T
  return opts.n * audited * T * perStep * (k === 1 ? 1 : 3)
}

/** Audit one zoo model (or say why it was skipped). */
export function auditZooModel(m: ManifestModel, opts: ZooAuditOptions): ModelReport {
  const dir = join(opts.zoo, m.path)
  const missing = ['model.json', 'examples.json'].filter((f) => !existsSync(join(dir, f)))
  if (missing.length) return { id: m.id, title: m.title, skipped: `not available yet (no ${missing.join(', ')})`, n: 0 }
  let net: NetworkIR
  let inputs: SampleInput[]
  try {
    net = loadModelDir(dir)
    validateNetwork(net)
    inputs = readExamples(dir).slice(0, opts.n)
  } catch (e) {
    // a model still being written, or one the certifier refuses: nothing is certified
    return { id: m.id, title: m.title, skipped: `${e instanceof UnsupportedModelError ? 'not certifiable' : 'could not load'}: ${(e as Error).message}`, n: 0 }
  }
  const clip = opts.clipMode === 'domain' && m.input.kind === 'frames' ? ([m.input.domain.min, m.input.domain.max] as const) : undefined
  try {
    const audit = auditNetwork(net, inputs, { ...opts, clip })
    return { id: m.id, title: m.title, audit, n: inputs.length }
  } catch (e) {
    return { id: m.id, title: m.title, error: (e as Error).stack ?? String(e), n: inputs.length }
  }
}

/** Audit several zoo models in this process. */
export function auditZoo(opts: ZooAuditOptions, onModel?: (r: ModelReport) => void): ModelReport[] {
  return selectModels(readManifest(opts.zoo), opts.models).map((m) => {
    const r = auditZooModel(m, opts)
    onModel?.(r)
    return r
  })
}

export async function setBackend(name: 'wasm' | 'cpu'): Promise<string> {
  if (name === 'wasm') {
    try {
      if (await tf.setBackend('wasm')) {
        await tf.ready()
        return 'wasm'
      }
    } catch {
      // fall back to cpu
    }
  }
  await tf.setBackend('cpu')
  await tf.ready()
  return 'cpu'
}

const fmt = (v: number, d = 5) => (Number.isFinite(v) ? v.toFixed(d) : v === Infinity ? '∞' : '—')
const count = (v: number) => v.toLocaleString('en-US')

/** One human line per model (and per extra method). */
export function formatReport(r: ModelReport): string {
  if (r.error) return `${r.id.padEnd(12)} AUDIT FAILED: ${r.error.split('\n')[0]}`
  if (r.skipped || !r.audit) return `${r.id.padEnd(12)} skipped: ${r.skipped}`
  const a = r.audit
  const lines = a.summary.map((s, k) => {
    const head = k === 0 ? `${r.id.padEnd(12)} n=${r.n}` : `${''.padEnd(12)}    `
    const unbroken = s.unbroken ? ` (${s.unbroken} never broken up to max ε, left out)` : ''
    return (
      `${head}  ${s.method.padEnd(8)} certified ${fmt(s.meanBound)}  attack ${fmt(s.meanAttack)}${unbroken}  gap ${fmt(s.meanGap)} (certified/attack ${fmt(s.meanRatio, 2)})` +
      `  PGD ${s.attackedFrames} frame balls, sampled ${count(s.sampledPoints)} points  violations ${s.violations}` +
      (k === 0 ? `  ${(a.ms / 1000).toFixed(1)} s` : '')
    )
  })
  const cut = a.samples.filter((s) => s.auditedFrames.length < s.frames)
  if (cut.length) {
    const Ts = cut.map((s) => s.frames)
    const range = Math.min(...Ts) === Math.max(...Ts) ? `${Ts[0]}` : `${Math.min(...Ts)}–${Math.max(...Ts)}`
    lines.push(`${''.padEnd(12)}   (long inputs: ${cut.length} of ${a.samples.length} samples audited on ${cut[0].auditedFrames.length} evenly spaced frames of their ${range}; bounds and radii are minima over those frames)`)
  }
  if (a.reduced) {
    const m = a.samples.flatMap((s) => s.methods)
    const pts = Math.min(...m.map((x) => x.samplesPerFrame))
    const frames = m.map((x) => `${x.sampledFrames}/${x.attacked}`)
    const allFrames = m.every((x) => x.sampledFrames === x.attacked)
    lines.push(`${''.padEnd(12)}   (sampling reduced to fit the budget: ${count(pts)} points per frame ball${allFrames ? '' : `, frames sampled per sample ${frames.join(' ')} (smallest certified bounds first)`})`)
  }
  return lines.join('\n')
}

function describeViolation(id: string, v: Violation): string {
  return `VIOLATION ${id} example #${v.sample} frame ${v.frame} (${v.method}): certified at ε=${v.eps}, yet the ${v.kind} input inside that ball has float64 margin ${v.margin}`
}

interface CliOptions extends ZooAuditOptions {
  json: boolean
  jobs: number
  backend: 'wasm' | 'cpu'
  saveViolations: string
}

function positiveInt(flag: string, v: string | undefined, fallback: number): number {
  if (v === undefined) return fallback
  const n = Number(v)
  if (!(Number.isInteger(n) && n > 0)) throw new UsageError(`--${flag} ${v}: give a positive whole number`)
  return n
}

function positive(flag: string, v: string | undefined, fallback: number): number {
  if (v === undefined) return fallback
  const n = Number(v)
  if (v.trim() === '' || !(n > 0 && Number.isFinite(n))) throw new UsageError(`--${flag} ${v}: give a positive number`)
  return n
}

function maxFramesOf(v: string | undefined): number | undefined {
  if (v === undefined) return 16
  const n = Number(v)
  if (!(Number.isInteger(n) && n >= 0)) throw new UsageError(`--max-frames ${v}: give a whole number (0 = every frame)`)
  return n === 0 ? undefined : n
}

function parseCli(argv: string[]): CliOptions | null {
  const { values } = parseArgs({
    args: argv,
    options: {
      models: { type: 'string' },
      n: { type: 'string' },
      samples: { type: 'string' },
      methods: { type: 'string' },
      steps: { type: 'string' },
      restarts: { type: 'string' },
      'radius-steps': { type: 'string' },
      'radius-restarts': { type: 'string' },
      clip: { type: 'string' },
      'max-eps': { type: 'string' },
      budget: { type: 'string' },
      'max-frames': { type: 'string' },
      'long-frames': { type: 'string' },
      backend: { type: 'string' },
      jobs: { type: 'string' },
      seed: { type: 'string' },
      zoo: { type: 'string' },
      'save-violations': { type: 'string' },
      inflate: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  })
  if (values.help) return null
  const methods = (values.methods ?? 'certrnn').split(',').map((m) => m.trim()) as Method[]
  const bad = methods.filter((m) => !METHODS.includes(m))
  if (bad.length || methods.length === 0) throw new UsageError(`--methods ${values.methods}: use ${METHODS.join(', ')} (comma-separated)`)
  const clip = values.clip ?? 'none'
  if (clip !== 'none' && clip !== 'domain') throw new UsageError(`--clip ${clip}: use none or domain`)
  const backend = values.backend ?? 'wasm'
  if (backend !== 'wasm' && backend !== 'cpu') throw new UsageError(`--backend ${backend}: use wasm or cpu`)
  const models = values.models?.split(',').map((s) => s.trim()).filter(Boolean)
  if (models && models.length === 0) throw new UsageError('--models: give at least one model id')
  const seed = values.seed === undefined ? 1 : Number(values.seed)
  if (!Number.isInteger(seed)) throw new UsageError(`--seed ${values.seed}: give a whole number`)
  return {
    zoo: resolve(values.zoo ?? join(import.meta.dirname, '..', 'public', 'models')),
    models,
    n: positiveInt('n', values.n, 3),
    samples: positiveInt('samples', values.samples, 10000),
    methods,
    steps: positiveInt('steps', values.steps, 20),
    restarts: positiveInt('restarts', values.restarts, 5),
    radiusSteps: positiveInt('radius-steps', values['radius-steps'], 20),
    radiusRestarts: positiveInt('radius-restarts', values['radius-restarts'], 3),
    clipMode: clip,
    maxEps: positive('max-eps', values['max-eps'], 1),
    budget: positive('budget', values.budget, 10) * 1e9,
    maxFrames: maxFramesOf(values['max-frames']),
    longFrames: positiveInt('long-frames', values['long-frames'], 8),
    inflate: positive('inflate', values.inflate, 1),
    seed,
    backend,
    jobs: positiveInt('jobs', values.jobs, Math.max(1, Math.min(2, availableParallelism()))),
    json: values.json,
    saveViolations: values['save-violations'] ?? join(tmpdir(), 'cert-rnn-audit-violations.json'),
  }
}

/** Run one model in a child process (same script, --worker) and read its JSON report. */
function runChild(id: string, argv: string[]): Promise<ModelReport> {
  return new Promise((resolvePromise, reject) => {
    const args = [...process.execArgv, fileURLToPath(import.meta.url), ...argv, '--worker-model', id]
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.on('error', reject)
    child.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('{"report":'))
      if (!line) return resolvePromise({ id, title: id, error: `the audit process of ${id} failed (exit code ${code})`, n: 0 })
      resolvePromise((JSON.parse(line) as { report: ModelReport }).report)
    })
  })
}

const jsonSafe = (_: string, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? (Number.isNaN(v) ? null : v > 0 ? 'Infinity' : '-Infinity') : v)
const revive = (_: string, v: unknown) => (v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : v)

async function main(argv: string[]): Promise<number> {
  // a worker: one model, the report as one JSON line
  const wi = argv.indexOf('--worker-model')
  if (wi >= 0) {
    const id = argv[wi + 1]
    const opts = parseCli([...argv.slice(0, wi), ...argv.slice(wi + 2)])!
    await setBackend(opts.backend)
    const [report] = auditZoo({ ...opts, models: [id] })
    process.stdout.write(`${JSON.stringify({ report }, jsonSafe)}\n`)
    return 0
  }
  const opts = parseCli(argv)
  if (!opts) {
    console.log(USAGE)
    return 0
  }
  const t0 = performance.now()
  const models = selectModels(readManifest(opts.zoo), opts.models)
  const backend = await setBackend(opts.backend)
  const jobs = Math.min(opts.jobs, models.length)
  if (!opts.json) {
    console.log(
      `audit of ${models.length} model${models.length === 1 ? '' : 's'}: first ${opts.n} examples each, methods ${opts.methods.join(', ')}, threat single (every frame alone), fast search, ` +
        `${opts.clipMode === 'domain' ? 'balls clipped to the input domain' : 'unclipped balls'}; at each frame's certified radius PGD (${opts.steps} steps × ${opts.restarts} restarts) and ` +
        `${count(opts.samples)} random points (half at vertices) with the float64 forward pass; attack radius by PGD bisection (${opts.radiusSteps} × ${opts.radiusRestarts}); TF.js ${backend}, ${jobs} job${jobs === 1 ? '' : 's'}\n`,
    )
    if (opts.inflate !== 1) console.log(`SELF-TEST: the certified bounds are multiplied by ${opts.inflate} (--inflate): violations are expected when that overstates them\n`)
  }
  const print = (r: ModelReport) => {
    if (r.error) console.error(r.error)
    if (opts.json) console.log(JSON.stringify({ id: r.id, skipped: r.skipped ?? null, error: r.error ?? null, n: r.n, summary: r.audit?.summary ?? null, reduced: r.audit?.reduced ?? null, ms: r.audit?.ms ?? null }, jsonSafe))
    else console.log(formatReport(r))
  }
  let reports: ModelReport[]
  if (jobs <= 1) reports = auditZoo({ ...opts, models: models.map((m) => m.id) }, print)
  else {
    // models in parallel processes, the longest first (so that no long model starts last);
    // each line is printed when its model is done
    const childArgv = argv.filter((a, k) => !(a === '--jobs' || argv[k - 1] === '--jobs') && !a.startsWith('--jobs='))
    const results: Array<ModelReport | undefined> = new Array(models.length)
    const order = models.map((m, k) => ({ k, cost: estimateCost(m, opts) })).sort((a, b) => b.cost - a.cost || a.k - b.k)
    let next = 0
    const worker = async () => {
      while (next < order.length) {
        const k = order[next++].k
        const raw = await runChild(models[k].id, childArgv)
        results[k] = JSON.parse(JSON.stringify(raw), revive) as ModelReport
        print(results[k])
      }
    }
    await Promise.all(Array.from({ length: jobs }, worker))
    reports = results as ModelReport[]
  }
  const audited = reports.filter((r) => r.audit)
  const failed = reports.filter((r) => r.error).map((r) => r.id)
  const violations = audited.flatMap((r) => r.audit!.violations.map((v) => ({ id: r.id, v })))
  const violationCount = audited.reduce((n, r) => n + r.audit!.violationCount, 0)
  const samples = audited.reduce((n, r) => n + r.audit!.samples.length, 0)
  const all = audited.flatMap((r) => r.audit!.samples)
  const finite = all.filter((s) => Number.isFinite(s.attackRadius))
  const summary = {
    models: audited.length,
    skipped: reports.filter((r) => r.skipped).map((r) => r.id),
    samples,
    frameBallsAttacked: audited.reduce((n, r) => n + r.audit!.summary.reduce((k, s) => k + s.attackedFrames, 0), 0),
    pointsSampled: audited.reduce((n, r) => n + r.audit!.summary.reduce((k, s) => k + s.sampledPoints, 0), 0),
    meanCertified: mean(all.map((s) => s.methods[0].bound)),
    meanAttack: mean(finite.map((s) => s.attackRadius)),
    meanGap: mean(finite.map((s) => s.attackRadius - s.methods[0].bound)),
    violations: violationCount,
    failed,
    seconds: (performance.now() - t0) / 1000,
  }
  if (violations.length) {
    writeFileSync(opts.saveViolations, JSON.stringify(violations.map(({ id, v }) => ({ model: id, ...v })), jsonSafe))
  }
  if (opts.json) console.log(JSON.stringify({ summary }, jsonSafe))
  else {
    console.log(
      `\n${summary.models} model${summary.models === 1 ? '' : 's'} audited${summary.skipped.length ? ` (${summary.skipped.length} skipped: ${summary.skipped.join(', ')})` : ''}, ${samples} samples, ` +
        `${count(summary.frameBallsAttacked)} certified frame balls attacked with PGD, ${count(summary.pointsSampled)} points sampled; ` +
        `${opts.methods[0]} mean certified bound ${fmt(summary.meanCertified)}, mean attack radius ${fmt(summary.meanAttack)}, mean gap ${fmt(summary.meanGap)}; ${summary.seconds.toFixed(1)} s`,
    )
    if (violationCount === 0) console.log('no soundness violation: no attacked or sampled input inside a certified ball changed the prediction')
    else {
      console.log(`${violationCount} SOUNDNESS VIOLATION${violationCount === 1 ? '' : 'S'}: inputs inside certified balls change the prediction`)
      for (const { id, v } of violations.slice(0, 20)) console.log(describeViolation(id, v))
      console.log(`violating inputs written to ${opts.saveViolations} (model, example index, frame, ε, margin, input)`)
      const first = violations[0]
      if (first) {
        console.log(
          `reproduce: npm run certify -- --model ${join(opts.zoo, first.id)} --n ${first.v.sample + 1} --search fast${opts.clipMode === 'domain' ? ' --clip <domain>' : ''} ` +
            `(bound of example #${first.v.sample}), then run the certifier's float64 forward pass (src/cert/runtime.ts forward) on the saved input`,
        )
      }
    }
    if (failed.length) console.log(`AUDIT INCOMPLETE: the audit of ${failed.join(', ')} failed (see above)`)
  }
  return violationCount > 0 || failed.length > 0 ? 1 : 0
}

const invoked = process.argv[1] ? resolve(process.argv[1]) : ''
if (invoked === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code
    },
    (e: unknown) => {
      const err = e as Error & { code?: string }
      const usage = e instanceof UsageError || err.code?.startsWith('ERR_PARSE_ARGS')
      console.error(`audit: ${err.message}`)
      if (usage) console.error(`\n${USAGE}`)
      process.exitCode = usage ? 2 : 1
    },
  )
}
