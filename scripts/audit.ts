/**
 * The soundness audit of the bundled model zoo: certify every listed model's first examples
 * (single-frame threat, fast search), then attack each frame at its CERTIFIED radius with PGD
 * and sample its certified ball with the float64 forward pass. Any input inside a certified
 * ball that changes the prediction is a soundness violation (exit code 1). Also reports the
 * attack radius (PGD bisection: an upper bound on the true radius) and the gap between the
 * certified bound and it.
 *
 *   npm run audit [-- --models rnn-2-32,rnn-4-32] [--n 3] [--samples 10000] [--methods certrnn,deepz] [--split K]
 *     [--steps 20] [--restarts 5] [--clip none|domain|lo,hi] [--backend wasm|cpu] [--budget 10] [--jobs 2] [--json]
 */
import type { Clip, NetworkIR, SampleInput } from '../src/cert/index.ts'
import { costShape, MAX_FRAMES, mean, METHODS, sequenceCostProblem, UnsupportedModelError, validateNetwork } from '../src/cert/index.ts'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { availableParallelism, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { AuditOptions, ModelAudit, Violation } from '../src/attack/audit.ts'
import { auditNetwork } from '../src/attack/audit.ts'
import type { ManifestModel } from '../src/model/manifest.ts'
import { validateManifest } from '../src/model/manifest.ts'
import { inJobOrder } from '../src/run/batch.ts'
import type { AuditSummary } from '../src/worker/protocol.ts'
import { JobRunner } from './lib/jobs.ts'
import { setBackend } from './lib/tfBackend.ts'
import { choice, clipRange, debugging, defineCli, flag, InputError, integer, list, option, positiveInt, positiveNumber, runCli, text, UsageError, wholeNumber } from './lib/args.ts'
import { readInputsFile } from './lib/inputs.ts'
import { loadModelDir } from './lib/loadModelDir.ts'
import { checkMaxEps, checkSplit, common, jobsOf } from './lib/options.ts'


export interface ZooAuditOptions extends AuditOptions {
  zoo: string
  models?: string[]
  n: number
  /** no clipping, the model's input domain (pixels in [0, 1]), or a range lo,hi */
  clipMode: 'none' | 'domain' | Clip
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
  if (!existsSync(path)) throw new UsageError(`--zoo ${zoo}: no manifest.json there (give the folder of a model zoo)`)
  let json: unknown
  try {
    json = JSON.parse(readFileSync(path, 'utf8'))
  } catch (e) {
    throw new InputError(`${path}: not valid JSON (${(e as Error).message})`)
  }
  return validateManifest(json).models
}

/** A zoo model's examples.json, checked against the model (the frame cap is checked by checkLengths, with the audit's flag). */
function readExamples(dir: string): SampleInput[] {
  const net = loadModelDir(dir)
  const file = join(dir, 'examples.json')
  return readInputsFile(file, { net, classes: validateNetwork(net).classes, tokenizer: null }, { maxFrames: Infinity }, file).inputs
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

/** A zoo model ready to audit, or the report that says why it is skipped. */
type Prepared = { skipped: ModelReport } | { net: NetworkIR; inputs: SampleInput[]; options: Omit<AuditOptions, 'onSample'> }

/** Load a zoo model and its examples for the audit (or say why it is skipped). */
function prepareZooModel(m: ManifestModel, opts: ZooAuditOptions): Prepared {
  const dir = join(opts.zoo, m.path)
  const missing = ['model.json', 'examples.json'].filter((f) => !existsSync(join(dir, f)))
  if (missing.length) return { skipped: { id: m.id, title: m.title, skipped: `not available yet (no ${missing.join(', ')})`, n: 0 } }
  let net: NetworkIR
  let inputs: SampleInput[]
  try {
    net = loadModelDir(dir)
    validateNetwork(net)
    inputs = readExamples(dir).slice(0, opts.n)
  } catch (e) {
    // a model still being written, or one the certifier refuses: nothing is certified
    return { skipped: { id: m.id, title: m.title, skipped: `${e instanceof UnsupportedModelError ? 'not certifiable' : 'could not load'}: ${(e as Error).message}`, n: 0 } }
  }
  const clip = opts.clipMode === 'domain' ? (m.input.kind === 'frames' ? ([m.input.domain.min, m.input.domain.max] as const) : undefined) : opts.clipMode === 'none' ? undefined : opts.clipMode
  const { zoo: _zoo, models: _models, n: _n, clipMode: _clipMode, onSample: _onSample, ...audit } = opts
  return { net, inputs, options: { ...audit, clip } }
}

/** The report of a model whose audit failed (one line; the stack trace with CERT_RNN_DEBUG=1). */
const failedReport = (m: ManifestModel, n: number, e: unknown): ModelReport => ({ id: m.id, title: m.title, error: (debugging() ? (e as Error).stack : (e as Error).message) ?? String(e), n })

/** Audit one zoo model in this process (or say why it was skipped). */
export function auditZooModel(m: ManifestModel, opts: ZooAuditOptions): ModelReport {
  const p = prepareZooModel(m, opts)
  if ('skipped' in p) return p.skipped
  try {
    return { id: m.id, title: m.title, audit: auditNetwork(p.net, p.inputs, p.options), n: p.inputs.length }
  } catch (e) {
    return failedReport(m, p.inputs.length, e)
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

export { setBackend }

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
  frameCap: number
  json: boolean
  jobs: number
  backend: 'wasm' | 'cpu'
  saveViolations: string
}

const cli = defineCli({
  name: 'audit',
  synopsis: 'npm run audit [-- options]',
  options: {
    models: option('a,b,...', 'zoo model ids (default: every model in public/models/manifest.json)', list(text, 'model ids')),
    n: { ...common.n, help: "first N examples of each model's examples.json (default 3)" },
    samples: option('S', 'random points per certified frame ball, half at vertices (default 10000)', positiveInt),
    methods: { ...common.methods, help: `${METHODS.join(' | ')}, comma-separated (default certrnn)` },
    steps: option('K', 'PGD steps at the certified radius (default 20)', positiveInt),
    restarts: option('R', 'PGD restarts (default 5; the first from the clean input)', positiveInt),
    'radius-steps': option('K', 'PGD steps inside the attack-radius bisection (default 20)', positiveInt),
    'radius-restarts': option('R', 'PGD restarts inside the bisection (default 3)', positiveInt),
    clip: option(
      'lo,hi|none|domain',
      "the ball as certified: unclipped (none, the default, as npm run certify and\nthe paper), intersected with [lo, hi] as in npm run certify --clip lo,hi, or\nwith each model's own input domain (domain: pixels in [0, 1])",
      (raw, f) => (raw === 'none' || raw === 'domain' ? raw : clipRange(raw, f)),
    ),
    'max-eps': { ...common.maxEps, help: 'upper end of the bound and radius searches (default 1)' },
    split: common.split,
    budget: option('G', 'sampling work per sample, in 10^9 multiply-adds (default 10): big\nmodels get fewer points per frame (at least 1,000), then fewer frames', positiveNumber('the budget')),
    'max-frames': option('F', 'inputs longer than F frames (default 16; 0 = no limit) are audited on', wholeNumber(0, ' (0 = every frame)')),
    'long-frames': option('K', 'K evenly spaced frames (default 8): certified bound, PGD, sampling and\nattack radius are then minima over those frames', positiveInt),
    'frame-cap': option('N', `refuse (before auditing) examples longer than N frames (tokens); default ${MAX_FRAMES}`, positiveInt),
    backend: option('B', 'wasm|cpu: TF.js backend for PGD (default wasm; cpu if wasm cannot start)', choice(['wasm', 'cpu'] as const)),
    jobs: { ...common.jobs, help: `models audited in parallel worker threads (default: this machine's cores, ${availableParallelism()})` },
    seed: option('S', '(default 1)', integer),
    zoo: option('DIR', 'the zoo folder (default public/models)', text),
    inflate: option('X', 'self-test of the audit: pretend the certifier claimed X × its bounds\n(X > 1 simulates an unsound certifier; the audit must then fail)', positiveNumber('the factor')),
    'save-violations': option('F', 'write violating inputs to F (default: <tmp>/cert-rnn-audit-violations.json)', text),
    json: flag('one JSON line per model, then a summary line'),
  },
  epilog: `exit code: 1 if any input inside a certified ball changes the prediction (a soundness
violation), the audit of a model failed, or an example is too long; 0 otherwise; 2 for a usage error.`,
})

type Args = NonNullable<ReturnType<typeof cli.parse>>

function cliOptions({ values }: Args): CliOptions {
  const maxEps = values['max-eps'] ?? 1
  checkMaxEps('fast', maxEps) // the audit's bound search is the fast one
  const maxFrames = values['max-frames'] ?? 16
  const methods = values.methods ?? ['certrnn']
  checkSplit(values.split, methods)
  return {
    zoo: resolve(values.zoo ?? join(import.meta.dirname, '..', 'public', 'models')),
    models: values.models,
    n: values.n ?? 3,
    samples: values.samples ?? 10000,
    methods,
    ...(values.split ? { splits: values.split } : {}),
    steps: values.steps ?? 20,
    restarts: values.restarts ?? 5,
    radiusSteps: values['radius-steps'] ?? 20,
    radiusRestarts: values['radius-restarts'] ?? 3,
    clipMode: values.clip ?? 'none',
    maxEps,
    budget: (values.budget ?? 10) * 1e9,
    maxFrames: maxFrames === 0 ? undefined : maxFrames,
    longFrames: values['long-frames'] ?? 8,
    frameCap: values['frame-cap'] ?? MAX_FRAMES,
    inflate: values.inflate ?? 1,
    seed: values.seed ?? 1,
    backend: values.backend ?? 'wasm',
    jobs: jobsOf(values.jobs),
    json: values.json,
    saveViolations: values['save-violations'] ?? join(tmpdir(), 'cert-rnn-audit-violations.json'),
  }
}

/** Refuse examples longer than the frame cap, before anything is audited. */
function checkLengths(models: ManifestModel[], opts: CliOptions): void {
  for (const m of models) {
    const dir = join(opts.zoo, m.path)
    let inputs: SampleInput[]
    let net: NetworkIR
    try {
      inputs = readExamples(dir).slice(0, opts.n)
      net = loadModelDir(dir)
    } catch {
      continue // not available or not loadable: the audit skips it and says why
    }
    const shape = costShape(net)
    inputs.forEach((e, k) => {
      const T = e.tokens?.length ?? e.x?.length ?? 0
      const evaluations = 8 * opts.methods.length
      const problem = sequenceCostProblem(T, shape, { maxFrames: opts.frameCap, index: k, raiseWith: '--frame-cap', evaluations, unit: m.input.kind === 'tokens' ? 'tokens' : 'frames' })
      if (problem) throw new InputError(`${m.id}: example ${problem.replace(/^input /, '')}`)
    })
  }
}

const jsonSafe = (_: string, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? (Number.isNaN(v) ? null : v > 0 ? 'Infinity' : '-Infinity') : v)

async function main(args: Args): Promise<number> {
  const opts = cliOptions(args)
  const t0 = performance.now()
  const models = selectModels(readManifest(opts.zoo), opts.models)
  checkLengths(models, opts)
  const backend = await setBackend(opts.backend)
  const jobs = Math.min(opts.jobs, models.length)
  if (!opts.json) {
    console.log(
      `audit of ${models.length} model${models.length === 1 ? '' : 's'}: first ${opts.n} examples each, methods ${opts.methods.join(', ')}${opts.splits ? ` (tight with --split ${opts.splits})` : ''}, threat single (every frame alone), fast search, ` +
        `${opts.clipMode === 'domain' ? 'balls clipped to the input domain' : opts.clipMode === 'none' ? 'unclipped balls' : `balls clipped to [${opts.clipMode.join(', ')}]`}; at each frame's certified radius PGD (${opts.steps} steps × ${opts.restarts} restarts) and ` +
        `${count(opts.samples)} random points (half at vertices) with the float64 forward pass; attack radius by PGD bisection (${opts.radiusSteps} × ${opts.radiusRestarts}); TF.js ${backend}, ${jobs} job${jobs === 1 ? '' : 's'}\n`,
    )
    if (opts.inflate !== 1) console.log(`SELF-TEST: the certified bounds are multiplied by ${opts.inflate} (--inflate): violations are expected when that overstates them\n`)
  }
  const print = (r: ModelReport) => {
    if (r.error) console.error(r.error)
    if (opts.json) console.log(JSON.stringify({ id: r.id, skipped: r.skipped ?? null, error: r.error ?? null, n: r.n, summary: r.audit?.summary ?? null, reduced: r.audit?.reduced ?? null, ms: r.audit?.ms ?? null }, jsonSafe))
    else console.log(formatReport(r))
  }
  // one job per model on --jobs workers (the page's worker code; TF.js on the chosen backend
  // in each), the longest first so that no long model starts last; each model's lines are
  // printed in manifest order
  const prepared = models.map((m) => prepareZooModel(m, opts))
  const todo = models.map((_m, k) => k).filter((k) => !('skipped' in prepared[k]))
  const runner = new JobRunner({ name: 'audit', jobs, setup: { backend } })
  const reports: ModelReport[] = []
  const printed = inJobOrder<ModelReport>((_k, r) => print(r))
  prepared.forEach((p, k) => 'skipped' in p && printed(k, 0, (reports[k] = p.skipped)))
  try {
    for (const k of todo) {
      const p = prepared[k] as Exclude<Prepared, { skipped: ModelReport }>
      runner.models.set(models[k].id, p.net)
    }
    const order = todo.map((k, j) => ({ j, cost: estimateCost(models[k], opts) })).sort((a, b) => b.cost - a.cost || a.j - b.j)
    const inputsOf = (k: number) => (prepared[k] as { inputs: SampleInput[] }).inputs
    await runner.run<AuditSummary | { kind: 'failed'; message: string }>(
      todo.map((k) => ({ model: models[k].id, job: { kind: 'audit', inputs: inputsOf(k), options: (prepared[k] as { options: Omit<AuditOptions, 'onSample'> }).options } })),
      {
        describe: (j) => models[todo[j]].id,
        order: order.map((o) => o.j),
        failed: (_j, message) => ({ kind: 'failed', message }),
        onResult: (j, r) => {
          const k = todo[j]
          const m = models[k]
          reports[k] = r.kind === 'audit' ? { id: m.id, title: m.title, audit: r.audit, n: inputsOf(k).length } : failedReport(m, inputsOf(k).length, new Error(r.message))
          printed(k, 0, reports[k])
        },
      },
    )
  } finally {
    runner.close()
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
          `reproduce: npm run certify -- --model ${join(opts.zoo, first.id)} --n ${first.v.sample + 1} --search fast${opts.clipMode === 'domain' ? ' --clip <domain>' : opts.clipMode === 'none' ? '' : ` --clip ${opts.clipMode.join(',')}`} ` +
            `(bound of example #${first.v.sample}), then run the certifier's float64 forward pass (src/cert/runtime.ts forward) on the saved input`,
        )
      }
    }
    if (failed.length) console.log(`AUDIT INCOMPLETE: the audit of ${failed.join(', ')} failed (see above)`)
  }
  return violationCount > 0 || failed.length > 0 ? 1 : 0
}

const invoked = process.argv[1] ? resolve(process.argv[1]) : ''
if (invoked === fileURLToPath(import.meta.url)) void runCli(cli, main)
