/**
 * Data-set evaluation: `npm run evaluate -- --model <dir> [--inputs file.json] [--n N]
 *   [--methods certrnn,deepz,interval] [--threat single|all|frames=…] [--search fast|paper]
 *   [--margin diff|paper] [--clip lo,hi] [--attack] [--eps-list 0.001,0.002,…] [--max-frames N]
 *   [--out dir]`
 *
 * For every sample and method: the robustness bound (and per-frame bounds), the time; with
 * --attack, the PGD attack radius (an upper bound on the true radius). Writes
 * <out>/samples.csv, <out>/summary.csv, <out>/verified-accuracy.csv and <out>/evaluation.json
 * and prints the summary table.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { attackRadius, createAttackModel } from '../src/attack/pgd.ts'
import type { EvalRow, Method } from '../src/cert/index.ts'
import { accuracyCurve, compileNetwork, curveRecords, findBound, mean, METHODS, r6, rowRecord, summarize, summaryRecord, threatLabel } from '../src/cert/index.ts'
import { toCsv } from '../src/model/csv.ts'
import { runInProcess } from '../src/run/batch.ts'
import { defineCli, flag, list, nonNegativeNumber, option, runCli, UsageError } from './lib/args.ts'
import { inputsModel, modelFolder, prepareInputs, readInputsFile } from './lib/inputs.ts'
import { loadModelDir } from './lib/loadModelDir.ts'
import { common } from './lib/options.ts'

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
    reduce: common.reduce,
    attack: flag('also the PGD attack radius of every input (an upper bound on the true radius)'),
    'eps-list': option('e1,e2,...', 'ε (≥ 0) of the verified-accuracy table (default 0.001,0.002,0.005,0.01,0.02,0.05,0.1)', list(nonNegativeNumber, 'numbers')),
    'max-frames': common.maxFrames,
    out: { ...common.out, help: 'output folder (default results/evaluate/<model>)' },
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
  const attackModel = values.attack ? createAttackModel(net) : null
  const name = resolve(modelFolder(values.model)).split('/').filter(Boolean).pop() ?? 'model'
  const out = values.out ?? join('results', 'evaluate', name)

  // per input: the attack (when asked for) first, then each method's bound search, in this process
  type Job = { index: number; method: Method | 'attack' }
  const jobs: Job[] = inputs.flatMap((_input, index) => [...(attackModel ? [{ index, method: 'attack' as const }] : []), ...methods.map((method) => ({ index, method }))])
  const radii: number[] = inputs.map(() => NaN)
  const rows: EvalRow[] = []
  await runInProcess(
    jobs,
    ({ index, method }) => {
      const prep = preps[index]
      if (method === 'attack') return attackRadius(attackModel!, prep.frames, prep.predicted, threat, { steps: 20, restarts: 5, seed: index + 1, clip, onlyMin: true }).radius
      const t0 = performance.now()
      const r = findBound(prep, threat, { method, margin, search, clip, reduceTo: values.reduce })
      const ms = performance.now() - t0
      const input = inputs[index]
      const row: EvalRow = { index, label: input.label ?? null, predicted: prep.predicted, correct: input.label === undefined ? true : input.label === prep.predicted, method, bound: r.bound, attack: radii[index], ms, perFrame: r.perFrame }
      return row
    },
    {
      onResult: (k, _slot, r) => {
        const { index, method } = jobs[k]
        if (typeof r === 'number') radii[index] = r
        else {
          rows.push(r)
          if (attackModel && r.bound > r.attack) console.error(`SOUNDNESS VIOLATION: sample ${index} ${method} certified ${r.bound} > attack radius ${r.attack}`)
        }
        if (jobs[k + 1]?.index !== index) console.error(`sample ${index + 1}/${inputs.length} done`)
      },
    },
  )
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
    JSON.stringify({ command: `npm run evaluate -- ${process.argv.slice(2).join(' ')}`, date: new Date().toISOString(), model: name, summary, verifiedAccuracy: accRows, meanAttackRadius: attackModel ? r6(mean(attacks)) : null, samples: rows.map(rowRecord) }, null, 1),
  )
  console.log(`model ${name}, ${inputs.length} samples, threat ${threatLabel(threat)}, search ${search}, margin ${margin}`)
  console.log('method     accuracy  mean bound  std       ms/sample')
  for (const s of sums) console.log(`${s.method.padEnd(10)} ${String(r6(s.accuracy)).padEnd(9)} ${String(r6(s.meanBound)).padEnd(11)} ${String(r6(s.stdBound)).padEnd(9)} ${r6(s.msPerSample)}`)
  if (attackModel) console.log(`mean attack radius (PGD, an upper bound on the true radius): ${r6(mean(attacks))}`)
  console.log(`wrote ${out}/{samples,summary,verified-accuracy}.csv and evaluation.json`)
}

void runCli(cli, main)
