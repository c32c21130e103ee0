/**
 * Data-set evaluation: `npm run evaluate -- --model <dir> [--inputs file.json] [--n N]
 *   [--methods certrnn,deepz,interval] [--threat single|all|frames=…] [--search fast|paper]
 *   [--margin diff|paper] [--clip lo,hi] [--attack] [--eps-list 0.001,0.002,…] [--max-frames N]
 *   [--out dir] [--jobs N]`
 *
 * For every sample and method: the robustness bound (and per-frame bounds), the time; with
 * --attack, the PGD attack radius (an upper bound on the true radius). Writes
 * <out>/samples.csv, <out>/summary.csv, <out>/verified-accuracy.csv and <out>/evaluation.json
 * and prints the summary table.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { EvalRow, Method } from '../src/cert/index.ts'
import { accuracyCurve, compileNetwork, curveRecords, mean, METHODS, r6, rowRecord, summarize, summaryRecord, threatLabel } from '../src/cert/index.ts'
import { toCsv } from '../src/model/csv.ts'
import { defineCli, flag, list, nonNegativeNumber, option, runCli, UsageError } from './lib/args.ts'
import { inputsModel, modelFolder, prepareInputs, readInputsFile } from './lib/inputs.ts'
import { loadModelDir } from './lib/loadModelDir.ts'
import type { ModelJob } from './lib/jobs.ts'
import { runJobs } from './lib/jobs.ts'
import { common, jobsOf } from './lib/options.ts'
import type { AttackSummary, BoundSummary } from '../src/worker/protocol.ts'

const cli = defineCli({
  name: 'evaluate',
  synopsis: 'npm run evaluate -- --model <dir> [options]',
  options: {
    model: common.model,
    inputs: common.inputs,
    n: common.n,
    methods: { ...common.methods, help: `comma-separated, from ${METHODS.join(', ')} (default: all three)` },
    threat: common.threat,
    search: { ...common.search, help: 'fast (default: adaptive) | paper (Algorithm 1)' },
    margin: { ...common.margin, help: 'diff (default: difference zonotope) | paper (interval comparison)' },
    clip: common.clip,
    attack: flag('also the PGD attack radius of every input (an upper bound on the true radius)'),
    'eps-list': option('e1,e2,...', 'ε (≥ 0) of the verified-accuracy table (default 0.001,0.002,0.005,0.01,0.02,0.05,0.1)', list(nonNegativeNumber, 'numbers')),
    'max-frames': common.maxFrames,
    out: { ...common.out, help: 'output folder (default results/evaluate/<model>)' },
    jobs: common.jobs,
  },
  epilog: 'Writes <out>/samples.csv, summary.csv, verified-accuracy.csv and evaluation.json.\nexit code: 0 done; 1 a bad model or input (nothing is evaluated); 2 a bad option.',
})

async function main({ values }: NonNullable<ReturnType<typeof cli.parse>>) {
  if (!values.model) throw new UsageError('--model <dir> is required')
  const methods = values.methods ?? [...METHODS]
  const search = values.search ?? 'fast'
  const margin = values.margin ?? 'diff'
  const threat = values.threat ?? { kind: 'single' as const }
  const clip = values.clip
  const epsList = values['eps-list'] ?? [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1]
  const n = values.n ?? Infinity

  const net = loadModelDir(values.model)
  const cn = compileNetwork(net)
  const inputsPath = values.inputs ?? join(modelFolder(values.model), 'examples.json')
  const evaluations = methods.length * (search === 'paper' ? 13 : 8)
  const costThreat = threat.kind === 'frames' ? { frames: threat.frames } : threat.kind
  const parsed = readInputsFile(inputsPath, inputsModel(values.model, cn), { maxFrames: values['max-frames'], threat: costThreat, evaluations }, values.inputs ? `--inputs ${inputsPath}` : inputsPath)
  for (const t of parsed.truncated) console.error(`note: input ${t.index} has ${t.tokens} tokens; the model reads the first ${t.kept}`)
  const inputs = parsed.inputs.slice(0, n)
  // every input checked (model fit, threat, clip, length cap) before anything is evaluated
  const preps = prepareInputs(cn, inputs, { maxFrames: values['max-frames'], threat, clip, evaluations })
  const attack = values.attack
  const name = resolve(modelFolder(values.model)).split('/').filter(Boolean).pop() ?? 'model'
  const out = values.out ?? join('results', 'evaluate', name)

  // per input: the attack (when asked for), then each method's bound search; plain-data jobs
  // on --jobs workers (the page's worker code), results in job order
  const jobs: ModelJob[] = inputs.flatMap((input, index) => [
    ...(attack ? [{ model: name, job: { kind: 'attack' as const, input, threat, clip, seed: index + 1 } }] : []),
    ...methods.map((method) => ({ model: name, job: { kind: 'bound' as const, input, threat, method, margin, search, clip } })),
  ])
  const sampleOf = (k: number) => Math.floor(k / (methods.length + (attack ? 1 : 0)))
  const results = await runJobs<BoundSummary | AttackSummary>(new Map([[name, net]]), jobs, {
    name: 'evaluate',
    jobs: jobsOf(values.jobs),
    describe: (k) => `sample ${sampleOf(k)}, ${jobs[k].job.kind === 'attack' ? 'attack' : (jobs[k].job as { method: Method }).method}`,
    onResult: (k) => {
      if (sampleOf(k + 1) !== sampleOf(k)) console.error(`sample ${sampleOf(k) + 1}/${inputs.length} done`)
    },
  })
  // the rows, from the results in job order (whatever order they finished in)
  const radii: number[] = inputs.map(() => NaN)
  results.forEach((r, k) => r.kind === 'attack' && (radii[sampleOf(k)] = r.radius))
  const rows: EvalRow[] = []
  results.forEach((r, k) => {
    if (r.kind !== 'bound') return
    const index = sampleOf(k)
    const input = inputs[index]
    const prep = preps[index]
    const method = (jobs[k].job as { method: Method }).method
    rows.push({ index, label: input.label ?? null, predicted: prep.predicted, correct: input.label === undefined ? true : input.label === prep.predicted, method, bound: r.result.bound, attack: radii[index], ms: r.ms, perFrame: r.result.perFrame })
    if (attack && r.result.bound > radii[index]) console.error(`SOUNDNESS VIOLATION: sample ${index} ${method} certified ${r.result.bound} > attack radius ${radii[index]}`)
  })
  const sums = summarize(rows, methods)
  const summary = sums.map((s) => summaryRecord(s, { threat: threatLabel(threat), search, margin }))
  const accRows = curveRecords(accuracyCurve(rows, methods, epsList), methods)
  mkdirSync(out, { recursive: true })
  writeFileSync(join(out, 'samples.csv'), toCsv(rows.map(rowRecord)))
  writeFileSync(join(out, 'summary.csv'), toCsv(summary))
  writeFileSync(join(out, 'verified-accuracy.csv'), toCsv(accRows))
  const attacks = rows.filter((r) => r.method === methods[0] && Number.isFinite(r.attack)).map((r) => r.attack)
  writeFileSync(
    join(out, 'evaluation.json'),
    JSON.stringify({ command: `npm run evaluate -- ${process.argv.slice(2).join(' ')}`, date: new Date().toISOString(), model: name, summary, verifiedAccuracy: accRows, meanAttackRadius: attack ? r6(mean(attacks)) : null, samples: rows.map(rowRecord) }, null, 1),
  )
  console.log(`model ${name}, ${inputs.length} samples, threat ${threatLabel(threat)}, search ${search}, margin ${margin}`)
  console.log('method     accuracy  mean bound  std       ms/sample')
  for (const s of sums) console.log(`${s.method.padEnd(10)} ${String(r6(s.accuracy)).padEnd(9)} ${String(r6(s.meanBound)).padEnd(11)} ${String(r6(s.stdBound)).padEnd(9)} ${r6(s.msPerSample)}`)
  if (attack) console.log(`mean attack radius (PGD, an upper bound on the true radius): ${r6(mean(attacks))}`)
  console.log(`wrote ${out}/{samples,summary,verified-accuracy}.csv and evaluation.json`)
}

void runCli(cli, main)
