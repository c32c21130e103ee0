/**
 * Data-set evaluation: `npm run evaluate -- --model <dir> [--inputs file.json] [--n N]
 *   [--methods certrnn,deepz,interval] [--threat single|all|frames=…] [--search fast|paper]
 *   [--margin diff|paper] [--clip lo,hi] [--attack] [--eps-list 0.001,0.002,…] [--out dir]`
 *
 * For every sample and method: the robustness bound (and per-frame bounds), the time; with
 * --attack, the PGD attack radius (an upper bound on the true radius). Writes
 * <out>/samples.csv, <out>/summary.csv, <out>/verified-accuracy.csv and <out>/evaluation.json
 * and prints the summary table.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { attackRadius, createAttackModel } from '../src/attack/pgd.ts'
import type { SampleInput } from '../src/cert/certify.ts'
import { findBound, prepareSample } from '../src/cert/certify.ts'
import type { EvalRow } from '../src/cert/evaluation.ts'
import { accuracyCurve, curveRecords, mean, r6, rowRecord, summarize, summaryRecord, toCsv } from '../src/cert/evaluation.ts'
import { compileNetwork } from '../src/cert/runtime.ts'
import type { SearchKind } from '../src/cert/search.ts'
import type { Clip } from '../src/cert/threat.ts'
import { parseThreat, threatLabel } from '../src/cert/threat.ts'
import type { Method } from '../src/cert/transformers/index.ts'
import { METHODS } from '../src/cert/transformers/index.ts'
import type { MarginCheck } from '../src/cert/verify.ts'
import { loadModelDir } from './lib/loadModelDir.ts'

const USAGE = `usage: npm run evaluate -- --model <dir> [--inputs file.json] [--n N] [--methods certrnn,deepz,interval]
  [--threat single|all|frames=…] [--search fast|paper] [--margin diff|paper] [--clip lo,hi] [--attack]
  [--eps-list e1,e2,…] [--out dir (default results/evaluate/<model>)]`

function fail(message: string): never {
  console.error(`evaluate: ${message}\n\n${USAGE}`)
  process.exit(2)
}

function readInputs(path: string): SampleInput[] {
  if (!existsSync(path)) fail(`${path}: no such file`)
  let data: unknown
  try {
    data = JSON.parse(readFileSync(path, 'utf8'))
  } catch (e) {
    fail(`${path}: not valid JSON (${(e as Error).message})`)
  }
  const list = Array.isArray(data) ? data : (data as { examples?: unknown })?.examples
  if (!Array.isArray(list)) fail(`${path}: expected a JSON array of {"x" | "tokens", "label"?} objects`)
  return list as SampleInput[]
}

function main() {
  const { values } = parseArgs({
    options: {
      model: { type: 'string' },
      inputs: { type: 'string' },
      n: { type: 'string' },
      methods: { type: 'string' },
      threat: { type: 'string' },
      search: { type: 'string' },
      margin: { type: 'string' },
      clip: { type: 'string' },
      attack: { type: 'boolean', default: false },
      'eps-list': { type: 'string' },
      out: { type: 'string' },
    },
  })
  if (!values.model) fail('--model <dir> is required')
  const methods = (values.methods ?? METHODS.join(',')).split(',').map((m) => m.trim()) as Method[]
  for (const m of methods) if (!METHODS.includes(m)) fail(`--methods: "${m}" is not one of ${METHODS.join(', ')}`)
  const search = (values.search ?? 'fast') as SearchKind
  if (search !== 'fast' && search !== 'paper') fail(`--search ${search}: use fast or paper`)
  const margin = (values.margin ?? 'diff') as MarginCheck
  if (margin !== 'diff' && margin !== 'paper') fail(`--margin ${margin}: use diff or paper`)
  let threat
  try {
    threat = parseThreat(values.threat ?? 'single')
  } catch (e) {
    fail(`--threat: ${(e as Error).message}`)
  }
  let clip: Clip | undefined
  if (values.clip) {
    const c = values.clip.split(',').map(Number)
    if (c.length !== 2 || !(c[0] < c[1])) fail(`--clip ${values.clip}: give lo,hi with lo < hi`)
    clip = [c[0], c[1]]
  }
  const epsList = (values['eps-list'] ?? '0.001,0.002,0.005,0.01,0.02,0.05,0.1').split(',').map(Number)
  if (epsList.some((e) => !(e >= 0))) fail('--eps-list: give non-negative numbers')
  const n = values.n === undefined ? Infinity : Number(values.n)
  if (!(n > 0)) fail('--n: give a positive number')

  const net = loadModelDir(values.model)
  const cn = compileNetwork(net)
  const inputs = readInputs(values.inputs ?? join(values.model, 'examples.json')).slice(0, n)
  const attackModel = values.attack ? createAttackModel(net) : null
  const name = resolve(values.model).split('/').filter(Boolean).pop() ?? 'model'
  const out = values.out ?? join('results', 'evaluate', name)

  const rows: EvalRow[] = []
  inputs.forEach((input, index) => {
    const prep = prepareSample(cn, input)
    const correct = input.label === undefined ? true : input.label === prep.predicted
    let attack = NaN
    if (attackModel) {
      const a = attackRadius(attackModel, prep.frames, prep.predicted, threat, { steps: 20, restarts: 5, seed: index + 1, clip, onlyMin: true })
      attack = a.radius
    }
    for (const method of methods) {
      const t0 = performance.now()
      const r = findBound(prep, threat, { method, margin, search, clip })
      const ms = performance.now() - t0
      rows.push({ index, label: input.label ?? null, predicted: prep.predicted, correct, method, bound: r.bound, attack, ms, perFrame: r.perFrame })
      if (attackModel && r.bound > attack) console.error(`SOUNDNESS VIOLATION: sample ${index} ${method} certified ${r.bound} > attack radius ${attack}`)
    }
    console.error(`sample ${index + 1}/${inputs.length} done`)
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
    JSON.stringify({ command: `npm run evaluate -- ${process.argv.slice(2).join(' ')}`, date: new Date().toISOString(), model: name, summary, verifiedAccuracy: accRows, meanAttackRadius: attackModel ? r6(mean(attacks)) : null, samples: rows.map(rowRecord) }, null, 1),
  )
  console.log(`model ${name}, ${inputs.length} samples, threat ${threatLabel(threat)}, search ${search}, margin ${margin}`)
  console.log('method     accuracy  mean bound  std       ms/sample')
  for (const s of sums) console.log(`${s.method.padEnd(10)} ${String(r6(s.accuracy)).padEnd(9)} ${String(r6(s.meanBound)).padEnd(11)} ${String(r6(s.stdBound)).padEnd(9)} ${r6(s.msPerSample)}`)
  if (attackModel) console.log(`mean attack radius (PGD, an upper bound on the true radius): ${r6(mean(attacks))}`)
  console.log(`wrote ${out}/{samples,summary,verified-accuracy}.csv and evaluation.json`)
}

main()
