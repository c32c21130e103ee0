/**
 * `npm run reproduce [-- --n N --text-n N --models a,b --out dir]`: the paper's tables for our
 * zoo, written to results/reproduce/ as markdown + CSV with the command that made them.
 *
 * - table2: per zoo model, single-frame threat: mean ± std of the certified bound and time
 *   per sample for Cert-RNN, DeepZ, interval and tight (fast search), the PGD attack radius,
 *   and tight's ratios to Cert-RNN and to the attack.
 * - table6: the MNIST vanilla RNNs with all frames perturbed.
 * - figure7: verified accuracy against ε per method (MNIST models), as a table/CSV.
 * - sensitive-words: per-token Cert-RNN and tight bounds and PGD attack radii of our toxic examples
 *   (toxic-lstm, unless --models leaves it out; `npm run reproduce -- sensitive-words` writes only it),
 *   the rankings' agreement and the position bias (./reproduce/sensitiveWords.ts).
 * Inputs longer than 16 frames (URLs) are searched on 8 evenly spaced frames (said in the
 * table), to keep the run in minutes.
 */
import type { Method } from '../src/cert/index.ts'
import { toCsv } from '../src/model/csv.ts'
import { compileNetwork, mean, METHODS, populationStd, prepareSample, verifiedAccuracy } from '../src/cert/index.ts'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Manifest } from '../src/model/manifest.ts'
import { validateManifest } from '../src/model/manifest.ts'
import { defineCli, list, option, positiveInt, runCli, text, UsageError } from './lib/args.ts'
import { loadModelDir } from './lib/loadModelDir.ts'
import { boundsAndAttacks, defenseOf, f4, headerLine, KEEP_FRAMES, MODELS_ROOT, readExamples } from './reproduce/common.ts'
import { sensitiveWords, WORDS_MODEL } from './reproduce/sensitiveWords.ts'
import { table7 } from './reproduce/table7.ts'
import { JobRunner } from './lib/jobs.ts'
import { common, jobsOf } from './lib/options.ts'
import type { BoundSummary } from '../src/worker/protocol.ts'

/** the tables' column names (as the paper's tables and our committed runs name them) */
const COLUMN: Record<Method, string> = { certrnn: 'Cert-RNN', deepz: 'DeepZ', interval: 'interval', tight: 'tight' }

const EPS_GRID = [0.001, 0.002, 0.005, 0.01, 0.02, 0.03, 0.05, 0.1]

const TABLES = ['table7', 'sensitive-words'] as const

const cli = defineCli({
  name: 'reproduce',
  synopsis: 'npm run reproduce [-- [table7 | sensitive-words] [options]]',
  description: 'The paper\'s tables for our zoo, written as markdown + CSV. Without an argument: Table 2,\nTable 6, Figure 7 and the sensitive words; with table7: Table 7 (defended variants); with\nsensitive-words: only the sensitive words.',
  positionals: { name: '<table>', help: `${TABLES.join(', ')} (optional)`, choices: TABLES, max: 1 },
  options: {
    n: option('N', 'first N MNIST test digits per model (default 10; up to 100 are bundled)', positiveInt),
    'text-n': option('N', 'first N bundled text examples per model (default 5; table7: all)', positiveInt),
    'words-n': option('N', `the sensitive words: first N bundled examples of ${WORDS_MODEL} (default all)`, positiveInt),
    models: option('a,b,...', 'only these zoo model ids', list(text, 'model ids')),
    out: option('DIR', 'output folder (default results/reproduce)', text),
    methods: { ...common.methods, help: `Table 2, Table 6 and Figure 7: these methods only (default all: ${METHODS.join(', ')})` },
    jobs: common.jobs,
  },
})

async function main({ values, positionals }: NonNullable<ReturnType<typeof cli.parse>>): Promise<number> {
  const N = values.n ?? 10
  const TEXT_N = values['text-n'] ?? 5
  const WORDS_N = values['words-n'] ?? Infinity
  const OUT = values.out ?? join('results', 'reproduce')
  const command = `npm run reproduce${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`
  const root = MODELS_ROOT
  const manifest: Manifest = validateManifest(JSON.parse(readFileSync(join(root, 'manifest.json'), 'utf8')))
  const unknown = (values.models ?? []).filter((id) => !manifest.models.some((m) => m.id === id))
  if (unknown.length) throw new UsageError(`--models: ${unknown.join(', ')} not in the zoo (known: ${manifest.models.map((m) => m.id).join(', ')})`)
  const wanted = values.models ? new Set(values.models) : null
  // the paper's tables are over the zoo's original models; defended variants are Table 7's
  const models = manifest.models.filter((m) => !defenseOf(m) && (!wanted || wanted.has(m.id)))

  const runner = new JobRunner({ name: 'reproduce', jobs: jobsOf(values.jobs) })
  try {
    if (positionals[0] === 'table7') await table7({ manifest, n: N, textN: values['text-n'] === undefined ? Infinity : TEXT_N, out: OUT, command, wanted, runner })
    else if (positionals[0] === 'sensitive-words') {
      await sensitiveWords({ manifest, n: WORDS_N, out: OUT, command, runner })
      console.error(`wrote ${OUT}/sensitive-words.{md,csv}`)
    } else await tables({ manifest, models, N, TEXT_N, WORDS_N, OUT, command, runner, methods: values.methods ?? METHODS })
  } finally {
    runner.close()
  }
  return 0
}

/** Table 2, Table 6, Figure 7 and the sensitive words. */
async function tables({ manifest, models, N, TEXT_N, WORDS_N, OUT, command, runner, methods }: { manifest: Manifest; models: Manifest['models']; N: number; TEXT_N: number; WORDS_N: number; OUT: string; command: string; runner: JobRunner; methods: readonly Method[] }) {
  const root = MODELS_ROOT

  interface Row {
    id: string
    task: string
    n: number
    correct: number
    frames: string
    bounds: Record<Method, number[]>
    ms: Record<Method, number[]>
    attack: number[]
  }

  const rows: Row[] = []
  const t0 = performance.now()
  for (const m of models) {
    const net = loadModelDir(join(root, m.path))
    const examples = readExamples(m.path, m.task === 'mnist' ? N : TEXT_N, { task: m.task })
    const measured = await boundsAndAttacks(runner, m.id, net, examples, methods)
    const row: Row = { id: m.id, task: m.task, n: examples.length, correct: measured.samples.length, frames: 'all', bounds: measured.bounds, ms: measured.ms, attack: measured.attack }
    for (const s of measured.samples) if (s.searched < s.frames) row.frames = `${KEEP_FRAMES} of ≤ ${Math.max(s.frames, Number(row.frames.split(' ').pop()) || 0)}`
    rows.push(row)
    console.error(`${m.id}: ${row.correct}/${row.n} correct; ${methods.map((x) => `${COLUMN[x]} ${f4(mean(row.bounds[x]))}`).join(', ')}, attack ${f4(mean(row.attack.filter(Number.isFinite)))} (${((performance.now() - t0) / 1000).toFixed(0)} s)`)
  }

  mkdirSync(OUT, { recursive: true })
  const header = headerLine(command, (performance.now() - t0) / 60000)

  // Table 2: a column per method, the ratios whose two sides were run, the attack, the times
  const has = (m: Method) => methods.includes(m)
  const attackOf = (r: Row) => mean(r.attack.filter(Number.isFinite))
  const ratio = (x: number, y: number) => (x / y).toFixed(2)
  const t2cols: Array<{ head: string; align: string; cell: (r: Row) => string }> = [
    ...methods.map((m) => ({ head: COLUMN[m], align: '---', cell: (r: Row) => `${f4(mean(r.bounds[m]))} ± ${f4(populationStd(r.bounds[m]))}` })),
    ...(has('certrnn') && has('deepz') ? [{ head: 'Cert-RNN / DeepZ', align: '--:', cell: (r: Row) => ratio(mean(r.bounds.certrnn), mean(r.bounds.deepz)) }] : []),
    ...(has('tight') && has('certrnn') ? [{ head: 'tight / Cert-RNN', align: '--:', cell: (r: Row) => ratio(mean(r.bounds.tight), mean(r.bounds.certrnn)) }] : []),
    { head: 'attack radius', align: '--:', cell: (r: Row) => f4(attackOf(r)) },
    ...(['certrnn', 'tight'] as const).filter(has).map((m) => ({ head: `${COLUMN[m]} / attack`, align: '--:', cell: (r: Row) => ratio(mean(r.bounds[m]), attackOf(r)) })),
    { head: `ms/sample (${methods.map((m) => COLUMN[m]).join(' / ')})`, align: '---', cell: (r: Row) => methods.map((m) => mean(r.ms[m]).toFixed(0)).join(' / ') },
  ]
  const t2 = [
    '# Table 2: certified robustness bounds, single-frame threat',
    '',
    header,
    `Bounds are over the correctly classified samples among the first ${N} MNIST test digits (up to 100 are bundled) / ${TEXT_N} bundled text examples; the sample's bound is the minimum over frames; fast search (resolution 2⁻¹³), diff margin check. Attack: PGD radius (20 steps, 5 restarts), an upper bound on the true radius.`,
    '',
    `| model | task | n | frames | ${t2cols.map((c) => c.head).join(' | ')} |`,
    `|---|---|--:|---|${t2cols.map((c) => c.align).join('|')}|`,
    ...rows.map((r) => `| ${r.id} | ${r.task} | ${r.correct} | ${r.frames} | ${t2cols.map((c) => c.cell(r)).join(' | ')} |`),
  ].join('\n')
  writeFileSync(join(OUT, 'table2.md'), t2 + '\n')
  writeFileSync(
    join(OUT, 'table2.csv'),
    toCsv(
      rows.map((r) => ({
        model: r.id,
        task: r.task,
        n: r.correct,
        frames: r.frames,
        ...Object.fromEntries(methods.flatMap((m) => [[`${m}_mean`, mean(r.bounds[m])], [`${m}_std`, populationStd(r.bounds[m])], [`${m}_ms`, mean(r.ms[m])]])),
        attack_mean: mean(r.attack.filter(Number.isFinite)),
      })),
    ),
  )

  // Table 6: MNIST vanilla RNNs, all frames perturbed
  const t6rows: string[] = []
  for (const m of models.filter((x) => x.task === 'mnist' && x.cell === 'simpleRnn')) {
    const net = loadModelDir(join(root, m.path))
    const cn = compileNetwork(net)
    const per: Record<Method, number[]> = { certrnn: [], deepz: [], interval: [], tight: [] }
    const correct = readExamples(m.path, N, { task: m.task, log: () => {} }).filter((ex) => ex.label === prepareSample(cn, ex).predicted)
    const searches = correct.flatMap((input) => methods.map((method) => ({ kind: 'bound' as const, input, method, threat: { kind: 'all' as const }, margin: 'diff' as const, search: 'fast' as const })))
    runner.models.set(m.id, net)
    const results = await runner.run<BoundSummary>(searches.map((job) => ({ model: m.id, job })), { describe: (j) => `${m.id} (all frames) ${searches[j].method}` })
    results.forEach((r, j) => per[searches[j].method].push(r.result.bound))
    t6rows.push(`| ${m.id} | ${correct.length} | ${methods.map((x) => `${f4(mean(per[x]))} ± ${f4(populationStd(per[x]))}`).join(' | ')} |`)
  }
  writeFileSync(
    join(OUT, 'table6.md'),
    ['# Table 6: all frames perturbed (MNIST vanilla RNNs)', '', header, '', `| model | n | ${methods.map((m) => COLUMN[m]).join(' | ')} |`, `|---|--:|${methods.map(() => '---').join('|')}|`, ...t6rows].join('\n') + '\n',
  )

  // Figure 7: verified accuracy against ε (MNIST models)
  const f7: Array<Record<string, unknown>> = []
  const f7md = ['# Figure 7: verified accuracy against ε (single-frame threat)', '', header, '', `| model | method | ${EPS_GRID.join(' | ')} |`, `|---|---|${EPS_GRID.map(() => '--:').join('|')}|`]
  for (const r of rows.filter((x) => x.task === 'mnist')) {
    for (const m of methods) {
      // misclassified samples count as not verified
      const graded = [...r.bounds[m].map((bound) => ({ bound, correct: true })), ...Array.from({ length: r.n - r.correct }, () => ({ bound: 0, correct: false }))]
      const acc = verifiedAccuracy(graded, EPS_GRID)
      f7.push({ model: r.id, method: m, ...Object.fromEntries(EPS_GRID.map((e, k) => [String(e), acc[k]])) })
      f7md.push(`| ${r.id} | ${m} | ${acc.map((a) => a.toFixed(2)).join(' | ')} |`)
    }
  }
  writeFileSync(join(OUT, 'figure7.csv'), toCsv(f7))
  writeFileSync(join(OUT, 'figure7.md'), f7md.join('\n') + '\n')

  // Sensitive words: per-token bounds and attack radii on our toxic examples (when toxic-lstm is among the models)
  const toxic = models.some((m) => m.id === WORDS_MODEL)
  if (toxic) await sensitiveWords({ manifest, n: WORDS_N, out: OUT, command, runner })
  console.error(`wrote ${OUT}/{table2,table6,figure7${toxic ? ',sensitive-words' : ''}}.md and CSVs in ${((performance.now() - t0) / 60000).toFixed(1)} min`)
}

void runCli(cli, main)
