/**
 * Table 7 for our zoo: certified robustness of the original and the defended variants of a
 * model (FGSM-AT, PGD-AT, IBP-VT, Cert-RNN-VT), on the same inputs (the original model's
 * bundled examples), single-frame threat: mean ± std of the Cert-RNN and interval bounds
 * over each model's correctly classified inputs, the PGD attack radius, and the clean test
 * accuracy from the manifest.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { mean, populationStd } from '../../src/cert/index.ts'
import { toCsv } from '../../src/model/csv.ts'
import { DEFENSE_SHORT, defenseOf } from '../../src/model/defense.ts'
import { defenseGroups } from '../../src/model/manifest.ts'
import type { Manifest } from '../../src/model/manifest.ts'
import { loadModelDir } from '../lib/loadModelDir.ts'
import type { JobRunner } from '../lib/jobs.ts'
import { boundsAndAttacks, f4, headerLine, MODELS_ROOT, readExamples } from './common.ts'


/** The paper's Table 7 (mean Cert-RNN bound; their models, not ours). */
export const PAPER_TABLE7: Record<string, { original: number; ibp: number; certrnn: number; name: string }> = {
  sentiment: { name: 'RT', original: 0.0207, ibp: 0.0219, certrnn: 0.0224 },
  toxic: { name: 'TC', original: 0.0332, ibp: 0.0428, certrnn: 0.0436 },
  url: { name: 'MalURL', original: 0.0361, ibp: 0.0702, certrnn: 0.073 },
}

export interface Table7Row {
  base: string
  task: string
  id: string
  defense: string
  trainEps: number | null
  testAccuracy: number
  n: number
  correct: number
  certrnn: number[]
  interval: number[]
  attack: number[]
  seconds: number
}

export async function table7(opts: { manifest: Manifest; n: number; textN: number; out: string; command: string; wanted: Set<string> | null; runner: JobRunner; log?: (s: string) => void }) {
  const log = opts.log ?? ((s: string) => console.error(s))
  const t0 = performance.now()
  const groups = defenseGroups(opts.manifest).filter((g) => !opts.wanted || opts.wanted.has(g.base.id))
  if (!groups.length) throw new Error('table7: the manifest has no defended models' + (opts.wanted ? ` for ${[...opts.wanted].join(', ')}` : ''))
  const rows: Table7Row[] = []
  for (const { base, variants } of groups) {
    const baseId = base.id
    const inputs = readExamples(base.path, base.task === 'mnist' ? opts.n : opts.textN, { task: base.task, log })
    for (const m of variants) {
      const ts = performance.now()
      const net = loadModelDir(join(MODELS_ROOT, m.path))
      const d = defenseOf(m)
      const measured = await boundsAndAttacks(opts.runner, m.id, net, inputs, ['certrnn', 'interval'])
      const row: Table7Row = { base: baseId, task: m.task, id: m.id, defense: d?.method ?? 'none', trainEps: d?.eps ?? null, testAccuracy: m.testAccuracy.value, n: inputs.length, correct: measured.samples.length, certrnn: measured.bounds.certrnn, interval: measured.bounds.interval, attack: measured.attack, seconds: 0 }
      row.seconds = (performance.now() - ts) / 1000
      rows.push(row)
      log(`${m.id}: ${row.correct}/${row.n} correct; Cert-RNN ${f4(mean(row.certrnn))}, interval ${f4(mean(row.interval))}, attack ${f4(mean(row.attack.filter(Number.isFinite)))} (${row.seconds.toFixed(0)} s)`)
    }
  }
  const minutes = (performance.now() - t0) / 60000
  mkdirSync(opts.out, { recursive: true })
  const pm = (v: number[]) => (v.length ? `${f4(mean(v))} ± ${f4(populationStd(v))}` : '–')
  const md = [
    '# Table 7: certified robustness of defended models',
    '',
    headerLine(opts.command, minutes),
    'Single-frame threat, fast search (resolution 2⁻¹³), diff margin check; the same inputs (the original model\'s bundled examples) for every variant; bounds over each model\'s correctly classified inputs (min over frames; inputs longer than 16 frames are searched on 8 evenly spaced frames); attack: PGD radius (20 steps, 5 restarts), an upper bound on the true radius. Clean test accuracy from the manifest (the training record).',
    '',
    '| task | model | defense | train ε | clean test acc. | correct | Cert-RNN bound | interval bound | attack radius | paper (Cert-RNN bound) |',
    '|---|---|---|--:|--:|--:|---|---|--:|--:|',
    ...rows.map((r) => {
      const paper = PAPER_TABLE7[r.task]
      const p = paper && (r.defense === 'none' ? paper.original : r.defense === 'ibp' ? paper.ibp : r.defense === 'certrnn' ? paper.certrnn : undefined)
      return `| ${r.task} | ${r.id} | ${DEFENSE_SHORT[r.defense as keyof typeof DEFENSE_SHORT] ?? r.defense} | ${r.trainEps ?? '–'} | ${(r.testAccuracy * 100).toFixed(1)} % | ${r.correct}/${r.n} | ${pm(r.certrnn)} | ${pm(r.interval)} | ${f4(mean(r.attack.filter(Number.isFinite)))} | ${p === undefined ? '–' : `${p} (${paper.name})`} |`
    }),
    '',
  ].join('\n')
  writeFileSync(join(opts.out, 'table7.md'), md)
  const csv = toCsv(
    rows.map((r) => ({
      base: r.base,
      task: r.task,
      model: r.id,
      defense: r.defense,
      train_eps: r.trainEps ?? '',
      test_accuracy: r.testAccuracy,
      n: r.n,
      correct: r.correct,
      certrnn_mean: mean(r.certrnn),
      certrnn_std: populationStd(r.certrnn),
      interval_mean: mean(r.interval),
      interval_std: populationStd(r.interval),
      attack_mean: mean(r.attack.filter(Number.isFinite)),
      seconds: r.seconds.toFixed(1),
    })),
  )
  writeFileSync(join(opts.out, 'table7.csv'), csv)
  log(`wrote ${opts.out}/table7.md and table7.csv in ${minutes.toFixed(1)} min`)
  return rows
}
