/**
 * npm run bench [-- --samples N] [--models <names or regexes>] [--quick] [--out <dir>]
 *                  [--budget <s>] [--no-limits] [--plan]
 *
 * Times the certifier on fixed-seed random-weight models with the paper's shapes
 * (RNN-T-h, LSTM-T-h, GRU, a two-layer LSTM and a text-like LSTM): the per-sample
 * single-frame bound search of every method (Cert-RNN, DeepZ, interval, tight) with the paper's
 * search, the fast search for Cert-RNN, and three speed targets. Single-threaded, timed
 * with performance.now(). Writes <out>/results.json and <out>/results.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { BoundResult, Method, PreparedSample, SearchKind } from '../src/cert/index.ts'
import { certifyFrames, certifyThreat, compileNetwork, findBound, prepareSample, randomNetwork, SEARCH_RESOLUTION } from '../src/cert/index.ts'
import type { BenchModel, Plan } from './bench/models.ts'
import { allModels, planModel, QUICK_MODELS, sampleInputs, selectModels, WEIGHT_SCALE } from './bench/models.ts'
import { defineCli, flag, option, positiveInt, positiveNumber, runCli, text, UsageError } from './lib/args.ts'
import { fmtBound, fmtDur, fmtMs, fmtRatio, mdTable, textTable } from './bench/format.ts'
import { geomean, mean, median, ratio, sampleStd } from '../src/cert/index.ts'

const METHODS: Method[] = ['certrnn', 'deepz', 'interval', 'tight']
const METHOD_NAMES: Record<Method, string> = { certrnn: 'Cert-RNN', deepz: 'DeepZ', interval: 'interval', tight: 'tight' }
/** The paper's search tops out at 1 − 2⁻¹³: a bound there (or 0) says nothing about the method. */
const CAP = 1 - SEARCH_RESOLUTION
const TARGET_EPS = 0.01

// ---------------------------------------------------------------------------------------
// command line

interface Options {
  samples: number
  samplesGiven: boolean
  models: string | null
  quick: boolean
  out: string
  budget: number
  limits: boolean
  planOnly: boolean
}

const cli = defineCli({
  name: 'bench',
  synopsis: 'npm run bench -- [options]',
  options: {
    samples: option('N', 'samples per model (default 3; 1 with --quick); the largest models get fewer', positiveInt),
    models: option('LIST', "comma list of model names or regular expressions (whole-name match),\ne.g. rnn-7-32,lstm-7-32 or 'lstm-.*-32'", text),
    quick: flag(`a subset that finishes in under a minute (${QUICK_MODELS.join(', ')} + targets)`),
    out: option('DIR', 'output directory (default results/bench)', text),
    budget: option('S', 'seconds a model may take before samples/frames are cut (default 15)', positiveNumber('the budget')),
    'no-limits': flag('every model gets all samples and all frames (hours for LSTM-28-128)'),
    plan: flag('print the per-model plan and time estimate, run nothing'),
  },
})

function options({ values }: NonNullable<ReturnType<typeof cli.parse>>): Options {
  return {
    samples: values.samples ?? (values.quick ? 1 : 3),
    samplesGiven: values.samples !== undefined,
    models: values.models ?? null,
    quick: values.quick,
    out: values.out ?? 'results/bench',
    budget: values.budget ?? 15,
    limits: !values['no-limits'],
    planOnly: values.plan,
  }
}

function commandLine(argv: string[]): string {
  const quote = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`)
  const args = argv.map(quote).join(' ')
  if (process.env.npm_lifecycle_event === 'bench') return `npm run bench${args ? ` -- ${args}` : ''}`
  return `tsx scripts/bench.ts${args ? ` ${args}` : ''}`
}

const log = (msg: string) => process.stderr.write(`${msg}\n`)

// ---------------------------------------------------------------------------------------
// measurements

interface SearchRun {
  bound: number
  /** per searched frame */
  perFrame: number[]
  evaluations: number
  ms: number
}

interface SampleRecord {
  sample: number
  predicted: number
  paper: SearchRun
  /** Cert-RNN only */
  fast?: SearchRun & { agrees: boolean; framesDisagreeing: number }
}

interface RowResult {
  model: string
  method: Method
  samples: number
  frames: number[]
  allFrames: boolean
  meanBound: number
  stdBound: number
  minBound: number
  maxBound: number
  /** bounds at 0 or at the search cap */
  trivial: number
  msPerSample: number
  stdMsPerSample: number
  evaluations: number
  msPerEvaluation: number
  /** frame of the smallest per-frame bound, per sample (searched frames only) */
  argminFrames: number[]
  fast?: {
    meanBound: number
    msPerSample: number
    evaluations: number
    /** samples whose fast bound is within 2^-13 of the paper bound */
    agree: number
    /** frames (over all samples) where the two searches differ by more than 2^-13 */
    framesDisagreeing: number
    maxDiff: number
  }
  perSample: SampleRecord[]
}

function timeSearch(prep: PreparedSample, method: Method, search: SearchKind, plan: Plan): SearchRun {
  if (plan.allFrames) {
    const t0 = performance.now()
    const r: BoundResult = findBound(prep, { kind: 'single' }, { method, search })
    const ms = performance.now() - t0
    return { bound: r.bound, perFrame: r.perFrame!, evaluations: r.evaluations, ms }
  }
  // a subset of frames: each frame's single-frame ball is the threat frames=[t]
  const perFrame: number[] = []
  let evaluations = 0
  const t0 = performance.now()
  for (const t of plan.frames) {
    const r = findBound(prep, { kind: 'frames', frames: [t] }, { method, search })
    perFrame.push(r.bound)
    evaluations += r.evaluations
  }
  const ms = performance.now() - t0
  return { bound: Math.min(...perFrame), perFrame, evaluations, ms }
}

function argminFrame(run: SearchRun, frames: number[]): number {
  let k = 0
  for (let j = 1; j < run.perFrame.length; j++) if (run.perFrame[j] < run.perFrame[k]) k = j
  return frames[k]
}

function measureModel(m: BenchModel, plan: Plan): { rows: RowResult[]; prepMs: number } {
  const t0 = performance.now()
  const cn = compileNetwork(randomNetwork(m.spec))
  const preps = sampleInputs(m, plan.samples).map((input) => prepareSample(cn, input))
  const prepMs = performance.now() - t0
  const rows: RowResult[] = []
  for (const method of METHODS) {
    const perSample: SampleRecord[] = []
    preps.forEach((prep, s) => {
      const paper = timeSearch(prep, method, 'paper', plan)
      const rec: SampleRecord = { sample: s, predicted: prep.predicted, paper }
      let fastMsg = ''
      if (method === 'certrnn') {
        const fast = timeSearch(prep, method, 'fast', plan)
        let framesDisagreeing = 0
        fast.perFrame.forEach((b, k) => {
          if (Math.abs(b - paper.perFrame[k]) > SEARCH_RESOLUTION) framesDisagreeing++
        })
        const agrees = Math.abs(fast.bound - paper.bound) <= SEARCH_RESOLUTION
        rec.fast = { ...fast, agrees, framesDisagreeing }
        fastMsg = `; fast ${fmtBound(fast.bound)} in ${fmtMs(fast.ms)} ms, ${fast.evaluations} evals${agrees ? '' : ' (DISAGREES)'}`
      }
      perSample.push(rec)
      log(`  ${m.name} ${method} sample ${s}: bound ${fmtBound(paper.bound)} in ${fmtMs(paper.ms)} ms, ${paper.evaluations} evals${fastMsg}`)
    })
    const bounds = perSample.map((r) => r.paper.bound)
    const ms = perSample.map((r) => r.paper.ms)
    const evals = mean(perSample.map((r) => r.paper.evaluations))
    const row: RowResult = {
      model: m.name,
      method,
      samples: plan.samples,
      frames: plan.frames,
      allFrames: plan.allFrames,
      meanBound: mean(bounds),
      stdBound: sampleStd(bounds),
      minBound: Math.min(...bounds),
      maxBound: Math.max(...bounds),
      trivial: bounds.filter((b) => b === 0 || b >= CAP).length,
      msPerSample: mean(ms),
      stdMsPerSample: sampleStd(ms),
      evaluations: evals,
      msPerEvaluation: mean(ms) / evals,
      argminFrames: perSample.map((r) => argminFrame(r.paper, plan.frames)),
      perSample,
    }
    if (method === 'certrnn') {
      const f = perSample.map((r) => r.fast!)
      row.fast = {
        meanBound: mean(f.map((r) => r.bound)),
        msPerSample: mean(f.map((r) => r.ms)),
        evaluations: mean(f.map((r) => r.evaluations)),
        agree: f.filter((r) => r.agrees).length,
        framesDisagreeing: f.reduce((s, r) => s + r.framesDisagreeing, 0),
        maxDiff: Math.max(...perSample.map((r) => Math.abs(r.fast!.bound - r.paper.bound))),
      }
    }
    rows.push(row)
  }
  return { rows, prepMs }
}

/** Run every code path once on a small model so that the timings below are of JIT-compiled code. */
function warmUp(): number {
  const t0 = performance.now()
  for (const name of ['rnn-4-32', 'lstm-4-32', 'gru-7-32']) {
    const m = allModels().find((x) => x.name === name)!
    const cn = compileNetwork(randomNetwork(m.spec))
    const prep = prepareSample(cn, sampleInputs(m, 1)[0])
    for (const method of METHODS) for (const search of ['paper', 'fast'] as const) findBound(prep, { kind: 'single' }, { method, search })
  }
  return performance.now() - t0
}

// ---------------------------------------------------------------------------------------
// targets

interface TargetResult {
  name: string
  what: string
  /** mean over samples (or calls) */
  measuredMs: number
  maxMs: number
  targetMs: number
  pass: boolean
  samples: number
  detail: string
  /** informational lines carry no verdict */
  informational?: boolean
}

function modelByName(name: string): BenchModel {
  return allModels().find((m) => m.name === name)!
}

function targetCertifyEps(samples: number): TargetResult[] {
  const m = modelByName('rnn-7-32')
  const cn = compileNetwork(randomNetwork(m.spec))
  const preps = sampleInputs(m, samples).map((x) => prepareSample(cn, x))
  const mid = Math.floor(m.T / 2)
  const reps = 30
  const calls: number[] = []
  const threatMs: number[] = []
  let certified = 0
  const margins: number[] = []
  for (const prep of preps) {
    for (let k = 0; k < 5; k++) certifyFrames(prep, [mid], TARGET_EPS)
    for (let k = 0; k < reps; k++) {
      const t0 = performance.now()
      const r = certifyFrames(prep, [mid], TARGET_EPS)
      calls.push(performance.now() - t0)
      if (k === 0) {
        if (r.certified) certified++
        margins.push(r.margin)
      }
    }
    for (let k = 0; k < 5; k++) {
      const t0 = performance.now()
      certifyThreat(prep, { kind: 'single' }, TARGET_EPS)
      threatMs.push(performance.now() - t0)
    }
  }
  const meanMs = mean(calls)
  return [
    {
      name: 'rnn-7-32: certify one ε',
      what: `certifyFrames, frame ${mid} (middle) of 7, ε = ${TARGET_EPS}, Cert-RNN; ${reps} calls × ${samples} samples after 5 warm-up calls each`,
      measuredMs: meanMs,
      maxMs: Math.max(...calls),
      targetMs: 20,
      pass: meanMs < 20,
      samples,
      detail: `median ${fmtMs(median(calls))} ms; certified ${certified}/${samples} (margins ${margins.map((x) => x.toFixed(3)).join(', ')})`,
    },
    {
      name: 'rnn-7-32: certifyThreat, all 7 frames',
      what: `certifyThreat single-frame threat (7 certifyFrames), ε = ${TARGET_EPS}`,
      measuredMs: mean(threatMs),
      maxMs: Math.max(...threatMs),
      targetMs: NaN,
      pass: true,
      samples,
      detail: 'for information',
      informational: true,
    },
  ]
}

/** Bound-search target: reuse the main table's measurement when it covers the model, else measure. */
function searchTarget(
  name: string,
  modelName: string,
  targetMs: number,
  samples: number,
  rows: RowResult[],
  withFast: boolean,
): TargetResult[] {
  let row = rows.find((r) => r.model === modelName && r.method === 'certrnn' && r.allFrames)
  let source = 'from the main table'
  if (!row) {
    const m = modelByName(modelName)
    const plan: Plan = { samples, frames: Array.from({ length: m.T }, (_, t) => t), allFrames: true, estSeconds: 0, note: '' }
    const cn = compileNetwork(randomNetwork(m.spec))
    const preps = sampleInputs(m, samples).map((x) => prepareSample(cn, x))
    const perSample: SampleRecord[] = preps.map((prep, s) => {
      const paper = timeSearch(prep, 'certrnn', 'paper', plan)
      log(`  target ${modelName} sample ${s}: paper ${fmtBound(paper.bound)} in ${fmtDur(paper.ms)}`)
      const rec: SampleRecord = { sample: s, predicted: prep.predicted, paper }
      if (withFast) {
        const fast = timeSearch(prep, 'certrnn', 'fast', plan)
        log(`  target ${modelName} sample ${s}: fast ${fmtBound(fast.bound)} in ${fmtDur(fast.ms)}`)
        rec.fast = { ...fast, agrees: Math.abs(fast.bound - paper.bound) <= SEARCH_RESOLUTION, framesDisagreeing: 0 }
      }
      return rec
    })
    row = {
      perSample,
      samples,
      msPerSample: mean(perSample.map((r) => r.paper.ms)),
      evaluations: mean(perSample.map((r) => r.paper.evaluations)),
      meanBound: mean(perSample.map((r) => r.paper.bound)),
    } as RowResult
    source = 'measured for the target'
  }
  const paperMs = row.perSample.map((r) => r.paper.ms)
  const out: TargetResult[] = [
    {
      name: `${name} (paper search)`,
      what: `findBound single-frame, Cert-RNN, paper search, all ${modelByName(modelName).T} frames; ${source}`,
      measuredMs: mean(paperMs),
      maxMs: Math.max(...paperMs),
      targetMs,
      pass: mean(paperMs) < targetMs,
      samples: row.perSample.length,
      detail: `${mean(row.perSample.map((r) => r.paper.evaluations)).toFixed(0)} evaluations/sample, mean bound ${fmtBound(mean(row.perSample.map((r) => r.paper.bound)))}`,
    },
  ]
  const fast = row.perSample.filter((r) => r.fast).map((r) => r.fast!)
  if (fast.length) {
    const fastMs = fast.map((r) => r.ms)
    out.push({
      name: `${name} (fast search)`,
      what: 'the same with search "fast"',
      measuredMs: mean(fastMs),
      maxMs: Math.max(...fastMs),
      targetMs,
      pass: mean(fastMs) < targetMs,
      samples: fast.length,
      detail: `${mean(fast.map((r) => r.evaluations)).toFixed(0)} evaluations/sample; bounds within 2⁻¹³ of paper: ${fast.filter((r) => r.agrees).length}/${fast.length}`,
      informational: true,
    })
  }
  return out
}

// ---------------------------------------------------------------------------------------
// report

function mainTable(rows: RowResult[]): { head: string[]; body: string[][] } {
  const head = ['model', 'method', 'n', 'frames', 'mean bound', 'std', 'min', 'max', 'trivial', 'ms/sample', 'evals', 'ms/eval']
  const body = rows.map((r) => [
    r.model,
    METHOD_NAMES[r.method],
    String(r.samples),
    r.allFrames ? `all ${r.frames.length}` : `${r.frames[0]}–${r.frames[r.frames.length - 1]}`,
    fmtBound(r.meanBound),
    fmtBound(r.stdBound),
    fmtBound(r.minBound),
    fmtBound(r.maxBound),
    String(r.trivial),
    fmtMs(r.msPerSample),
    r.evaluations.toFixed(0),
    fmtMs(r.msPerEvaluation),
  ])
  return { head, body }
}

interface Comparison {
  model: string
  crOverDz: number
  crOverIbp: number
  /** the same ratios for the last frame's bound alone (mean over samples) */
  crOverDzLast: number
  crOverIbpLast: number
  crMs: number
  dzMs: number
  ibpMs: number
  fastMs: number
  fastEvals: number
  paperEvals: number
  fastSpeedup: number
  fastAgree: string
  argmin: string
}

function comparisons(rows: RowResult[], models: BenchModel[]): Comparison[] {
  const out: Comparison[] = []
  for (const m of models) {
    const get = (method: Method) => rows.find((r) => r.model === m.name && r.method === method)
    const cr = get('certrnn')
    const dz = get('deepz')
    const ibp = get('interval')
    if (!cr || !dz || !ibp) continue
    const last = m.T - 1
    const lastBound = (r: RowResult) => mean(r.perSample.map((s) => s.paper.perFrame[s.paper.perFrame.length - 1]))
    out.push({
      model: m.name,
      crOverDz: ratio(cr.meanBound, dz.meanBound),
      crOverIbp: ratio(cr.meanBound, ibp.meanBound),
      crOverDzLast: ratio(lastBound(cr), lastBound(dz)),
      crOverIbpLast: ratio(lastBound(cr), lastBound(ibp)),
      crMs: cr.msPerSample,
      dzMs: dz.msPerSample,
      ibpMs: ibp.msPerSample,
      fastMs: cr.fast!.msPerSample,
      fastEvals: cr.fast!.evaluations,
      paperEvals: cr.evaluations,
      fastSpeedup: ratio(cr.msPerSample, cr.fast!.msPerSample),
      fastAgree: `${cr.fast!.agree}/${cr.samples}${cr.fast!.framesDisagreeing ? ` (${cr.fast!.framesDisagreeing} frames differ)` : ''}`,
      argmin: `${cr.argminFrames.filter((f) => f === last).length}/${cr.samples}`,
    })
  }
  return out
}

function comparisonTable(cs: Comparison[]): { head: string[]; body: string[][] } {
  const head = ['model', 'CR/DZ bound', 'CR/IBP bound', 'CR/DZ last', 'CR/IBP last', 'CR ms', 'DZ ms', 'IBP ms', 'CR fast ms', 'fast evals', 'paper evals', 'fast speedup', 'fast≈paper', 'min at last frame']
  const body = cs.map((c) => [
    c.model,
    fmtRatio(c.crOverDz),
    fmtRatio(c.crOverIbp),
    fmtRatio(c.crOverDzLast),
    fmtRatio(c.crOverIbpLast),
    fmtMs(c.crMs),
    fmtMs(c.dzMs),
    fmtMs(c.ibpMs),
    fmtMs(c.fastMs),
    c.fastEvals.toFixed(0),
    c.paperEvals.toFixed(0),
    fmtRatio(c.fastSpeedup),
    c.fastAgree,
    c.argmin,
  ])
  return { head, body }
}

function targetTable(ts: TargetResult[]): { head: string[]; body: string[][] } {
  const head = ['target', 'n', 'measured mean', 'max', 'target', 'verdict', 'detail']
  const body = ts.map((t) => [
    t.name,
    String(t.samples),
    fmtDur(t.measuredMs),
    fmtDur(t.maxMs),
    Number.isFinite(t.targetMs) ? `< ${fmtDur(t.targetMs)}` : '–',
    t.informational ? (Number.isFinite(t.targetMs) ? `(info: ${t.pass ? 'under' : 'over'})` : 'info') : t.pass ? 'PASS' : 'FAIL',
    t.detail,
  ])
  return { head, body }
}

function summaryLines(cs: Comparison[], rows: RowResult[]): string[] {
  const lines: string[] = []
  if (cs.length) {
    const finite = (xs: number[]) => xs.filter(Number.isFinite).length
    lines.push(
      `bound ratios, geometric mean over the models where both are > 0: Cert-RNN/DeepZ ${fmtRatio(geomean(cs.map((c) => c.crOverDz)))} (${finite(cs.map((c) => c.crOverDz))} models), ` +
        `Cert-RNN/interval ${fmtRatio(geomean(cs.map((c) => c.crOverIbp)))} (${finite(cs.map((c) => c.crOverIbp))} models; interval sample bound 0 in ${cs.filter((c) => c.crOverIbp === Infinity).length}); ` +
        `last frame only: Cert-RNN/DeepZ ${fmtRatio(geomean(cs.map((c) => c.crOverDzLast)))}, Cert-RNN/interval ${fmtRatio(geomean(cs.map((c) => c.crOverIbpLast)))} (${finite(cs.map((c) => c.crOverIbpLast))} models)`,
    )
    lines.push(`time ratios (geometric mean): DeepZ/Cert-RNN ${fmtRatio(geomean(cs.map((c) => c.dzMs / c.crMs)))}, interval/Cert-RNN ${fmtRatio(geomean(cs.map((c) => c.ibpMs / c.crMs)))}, fast/paper search ${fmtRatio(geomean(cs.map((c) => c.fastMs / c.crMs)))}`)
    const fastRows = rows.filter((r) => r.fast)
    const agree = fastRows.reduce((s, r) => s + r.fast!.agree, 0)
    const total = fastRows.reduce((s, r) => s + r.samples, 0)
    const framesOff = fastRows.reduce((s, r) => s + r.fast!.framesDisagreeing, 0)
    lines.push(`fast vs paper search (Cert-RNN): sample bounds within 2⁻¹³ in ${agree}/${total} samples; per-frame bounds differing by more than 2⁻¹³: ${framesOff}`)
  }
  const trivial = rows.reduce((s, r) => s + r.trivial, 0)
  const all = rows.reduce((s, r) => s + r.samples, 0)
  const trivialRows = rows.filter((r) => r.trivial > 0).map((r) => `${r.model}/${METHOD_NAMES[r.method]} ${r.trivial}/${r.samples}`)
  lines.push(`trivial bounds (0 or the cap 1 − 2⁻¹³): ${trivial} of ${all} sample bounds${trivialRows.length ? ` — ${trivialRows.join(', ')}` : ''}`)
  const slow = [...rows].sort((a, b) => b.msPerSample * b.samples - a.msPerSample * a.samples).slice(0, 5)
  lines.push(`slowest (total time of the row): ${slow.map((r) => `${r.model}/${METHOD_NAMES[r.method]} ${fmtDur(r.msPerSample * r.samples)}`).join(', ')}`)
  return lines
}

// ---------------------------------------------------------------------------------------

function main(args: NonNullable<ReturnType<typeof cli.parse>>) {
  const argv = process.argv.slice(2)
  const opts = options(args)
  const command = commandLine(argv)
  let models = allModels()
  try {
    if (opts.models) models = selectModels(models, opts.models)
    else if (opts.quick) models = selectModels(models, QUICK_MODELS.join(','))
  } catch (e) {
    throw new UsageError((e as Error).message)
  }
  const plans = new Map(models.map((m) => [m.name, planModel(m, opts.samples, opts.budget, opts.limits)]))
  const estTotal = [...plans.values()].reduce((s, p) => s + p.estSeconds, 0)

  const planLines = models.map((m) => {
    const p = plans.get(m.name)!
    return `${m.name.padEnd(16)} samples ${p.samples}, frames ${p.allFrames ? `all ${m.T}` : `${p.frames[0]}…${m.T - 1} of ${m.T}`}, est. ${p.estSeconds.toFixed(1)} s${p.note ? `  (${p.note})` : ''}`
  })
  log(`${command}\nplan (estimated ${estTotal.toFixed(0)} s for the models, plus warm-up and targets):\n  ${planLines.join('\n  ')}`)
  if (opts.planOnly) return

  const started = new Date()
  const load0 = os.loadavg()
  const wall0 = performance.now()
  const warmMs = warmUp()
  log(`warm-up ${fmtMs(warmMs)} ms`)

  const rows: RowResult[] = []
  const modelMeta: Array<{ name: string; spec: unknown; plan: Plan; prepMs: number; seconds: number }> = []
  for (const m of models) {
    const plan = plans.get(m.name)!
    const t0 = performance.now()
    log(`${m.name}: ${plan.samples} sample(s), ${plan.allFrames ? 'all frames' : `frames ${plan.frames.join(',')}`}`)
    const r = measureModel(m, plan)
    rows.push(...r.rows)
    const seconds = (performance.now() - t0) / 1000
    modelMeta.push({ name: m.name, spec: { ...m.spec }, plan, prepMs: r.prepMs, seconds })
    log(`${m.name}: done in ${seconds.toFixed(1)} s (estimated ${plan.estSeconds.toFixed(1)} s)`)
  }

  log('targets')
  const targetSamples = opts.quick ? 1 : Math.max(opts.samples, 3)
  const targets: TargetResult[] = [
    ...targetCertifyEps(targetSamples),
    ...searchTarget('lstm-7-32: per-sample bound search', 'lstm-7-32', 1000, opts.quick ? 1 : opts.samples, rows, true),
    // quick: the text target's paper search alone already takes ~20 s
    ...searchTarget('text-lstm-25-32: per-token bounds, 25 tokens', 'text-lstm-25-32', 10000, 1, rows, !opts.quick),
  ]
  const wallSeconds = (performance.now() - wall0) / 1000
  const load1 = os.loadavg()

  // ---- print
  const cs = comparisons(rows, models)
  const t1 = mainTable(rows)
  const t2 = comparisonTable(cs)
  const t3 = targetTable(targets)
  const summary = summaryLines(cs, rows)
  const limited = modelMeta.filter((x) => x.plan.note)
  console.log(`\n${command}\n`)
  console.log('Bound search per sample (single-frame threat, paper search; bound = min over the searched frames)\n')
  console.log(textTable(t1.head, t1.body, 2))
  console.log('\nCert-RNN vs DeepZ vs interval (ratios of mean bounds; ms per sample) and the fast search\n')
  console.log(textTable(t2.head, t2.body, 1))
  console.log(`\n${summary.join('\n')}`)
  if (limited.length) console.log(`\nreduced plans: ${limited.map((x) => `${x.name}: ${x.plan.note}`).join('; ')}`)
  console.log('\nTargets\n')
  console.log(textTable(t3.head, t3.body, 1))
  console.log(`\ntotal ${wallSeconds.toFixed(0)} s wall (warm-up ${fmtMs(warmMs)} ms); load average ${load0.map((x) => x.toFixed(2)).join(' ')} at start, ${load1.map((x) => x.toFixed(2)).join(' ')} at end`)

  // ---- files
  const cpus = os.cpus()
  const env = {
    command,
    date: started.toISOString(),
    node: process.version,
    v8: process.versions.v8,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    cpu: cpus[0]?.model ?? 'unknown',
    cpus: cpus.length,
    memoryGB: +(os.totalmem() / 2 ** 30).toFixed(1),
    loadavgStart: load0,
    loadavgEnd: load1,
    singleThreaded: true,
    timer: 'performance.now()',
    wallSeconds,
    warmUpMs: warmMs,
  }
  const settings = {
    samples: opts.samples,
    quick: opts.quick,
    models: opts.models,
    budgetSeconds: opts.budget,
    limits: opts.limits,
    weightScale: WEIGHT_SCALE,
    seeds: 'network seed = FNV-1a of the model name; inputs seeded with FNV-1a of "<name>/inputs"',
    inputs: 'MNIST-like: uniform [0,1) pixels, 784/T per frame, 10 classes; text: uniform token ids < 1000, 32-dim embeddings, 2 classes',
    threat: 'single-frame ℓ∞ ball (findBound, threat single), no clipping, margin check diff',
    searchResolution: SEARCH_RESOLUTION,
    searchCap: CAP,
    targetEps: TARGET_EPS,
  }
  mkdirSync(opts.out, { recursive: true })
  const json = { env, settings, models: modelMeta, rows, comparisons: cs, targets, summary }
  writeFileSync(path.join(opts.out, 'results.json'), `${JSON.stringify(json, (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v instanceof Float64Array ? Array.from(v) : v), 1)}\n`)

  const md = [
    '# Cert-RNN Studio benchmark',
    '',
    `- command: \`${command}\``,
    `- date: ${env.date}`,
    `- node ${env.node} (V8 ${env.v8}), ${env.platform}`,
    `- CPU: ${env.cpu} × ${env.cpus} (run single-threaded), ${env.memoryGB} GB`,
    `- load average (1, 5, 15 min): ${load0.map((x) => x.toFixed(2)).join(' ')} at start, ${load1.map((x) => x.toFixed(2)).join(' ')} at end`,
    `- wall time: ${wallSeconds.toFixed(0)} s (warm-up ${fmtMs(warmMs)} ms on rnn-4-32, lstm-4-32, gru-7-32)`,
    ...(Math.max(load0[0], load1[0]) > env.cpus - 0.5
      ? [`- **note**: the 1-minute load average reached ${Math.max(load0[0], load1[0]).toFixed(2)} on ${env.cpus} CPUs: other processes competed for the CPU during this run, so times may be inflated.`]
      : []),
    '',
    '## Setup',
    '',
    `- Random-weight networks from \`randomNetwork\` with weight \`scale\` = ${WEIGHT_SCALE} (Glorot-like std × ${WEIGHT_SCALE}; bias std 0.1). Chosen so that Cert-RNN and DeepZ bounds (per frame and per sample) lie in about (5e-4, 0.3), as for the paper's trained models: scales 0.25–0.5 make the nets nearly linear and push early-frame bounds to the cap, 2–4 push bounds towards the 2⁻¹³ resolution. Interval bounds are 0 (below 2⁻¹³) for most multi-frame RNN/GRU models at any scale ≥ 0.5.`,
    `- ${settings.seeds}.`,
    `- ${settings.inputs}.`,
    `- Threat: ${settings.threat}. Bound of a sample = min over frames of the per-frame bound; "paper" search = Algorithm 1's grid point (located from the margins, implied probes not evaluated: about 3–5 evaluations per frame in the per-frame searches instead of 13; resolution 2⁻¹³, cap 1 − 2⁻¹³).`,
    '- Times are per sample (all searched frames), mean over samples, `performance.now()`, after a warm-up; one process, one thread.',
    '- "trivial" counts sample bounds equal to 0 or to the cap. "min at last frame": samples whose smallest per-frame bound is the last frame\'s (why the big models search the last frames only).',
    limited.length ? `- Reduced plans (per-model budget ${opts.budget} s, estimated by a multiply-add cost model; \`--no-limits\` lifts them):\n${limited.map((x) => `  - ${x.name}: ${x.plan.note}`).join('\n')}` : '- Every model: all samples, all frames.',
    '- For models whose frames were cut, the "bound" is the min over the searched (last) frames only: an upper bound of the sample bound, and the times are of those frames only.',
    '',
    '## Bound search per sample',
    '',
    mdTable(t1.head, t1.body, 2),
    '',
    '## Cert-RNN vs DeepZ vs interval, paper vs fast search',
    '',
    'CR = Cert-RNN, DZ = DeepZ, IBP = interval. Bound ratios are ratios of the mean sample bounds ("last": of the mean last-frame bounds; ∞ = the interval bound is 0, i.e. below the 2⁻¹³ resolution); times are ms per sample. "fast≈paper": samples whose fast-search bound is within 2⁻¹³ of the paper-search bound (and how many per-frame bounds differ by more). Interval boxes blow up over the steps after an early frame, so its sample bound sits at frame 0 while Cert-RNN\'s sits at the last frame: the last-frame ratios compare the methods where all three are non-zero.',
    '',
    mdTable(t2.head, t2.body, 1),
    '',
    ...summary.map((l) => `- ${l}`),
    '',
    '## Targets',
    '',
    mdTable(t3.head, t3.body, 1),
    '',
    ...targets.map((t) => `- ${t.name}: ${t.what}.`),
    '',
    '## Per-model time',
    '',
    mdTable(
      ['model', 'samples', 'frames', 'seconds (all methods)', 'estimated'],
      modelMeta.map((x) => [x.name, String(x.plan.samples), x.plan.allFrames ? 'all' : `${x.plan.frames[0]}…`, x.seconds.toFixed(1), x.plan.estSeconds.toFixed(1)]),
      1,
    ),
    '',
  ].join('\n')
  writeFileSync(path.join(opts.out, 'results.md'), md)
  log(`wrote ${path.join(opts.out, 'results.json')} and ${path.join(opts.out, 'results.md')}`)
}

void runCli(cli, main)
