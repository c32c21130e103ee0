/**
 * What the opt-in order reduction (`reduceTo`, `--reduce K`) costs in precision and saves in
 * time: per-frame bound searches (single-frame threat, Cert-RNN, paper search) of the exact
 * certifier and of the reduced one, on bench models and zoo models, in one process.
 *
 *   npx tsx scripts/bench/reduce.ts [--keep 32,64,128] [--models LIST] [--zoo LIST]
 *                                   [--samples N] [--last K]
 *
 * Per model and K: the ratio reduced/exact of the per-frame bounds (mean over frames and
 * samples, and the smallest), how many per-frame bounds changed, the CPU-time ratio.
 * --last K searches only the last K frames of each input (long zoo inputs).
 */
import path from 'node:path'
import type { BoundResult, PreparedSample, Threat } from '../../src/cert/index.ts'
import { compileNetwork, findBound, prepareSample, randomNetwork } from '../../src/cert/index.ts'
import { defineCli, list, option, positiveInt, runCli, text, UsageError } from '../lib/args.ts'
import { readInputsFile, inputsModel } from '../lib/inputs.ts'
import { loadModelDir } from '../lib/loadModelDir.ts'
import { fmtMs, fmtRatio, textTable } from './format.ts'
import { allModels, sampleInputs, selectModels } from './models.ts'

const cli = defineCli({
  name: 'bench/reduce',
  synopsis: 'npx tsx scripts/bench/reduce.ts [options]',
  options: {
    keep: option('K,...', 'symbols kept per state after each step (default 32,64,128)', list(positiveInt, 'keep')),
    models: option('LIST', 'bench models (default lstm-7-32,rnn-14-64,gru-7-32,text-lstm-25-32)', text),
    zoo: option('LIST', 'zoo models (folders of public/models), e.g. lstm-7-32,url-lstm', text),
    samples: option('N', 'inputs per model (default 2)', positiveInt),
    last: option('K', 'search only the last K frames of each input', positiveInt),
  },
})

function cpu<T>(f: () => T): [T, number] {
  const t0 = process.cpuUsage()
  const r = f()
  const d = process.cpuUsage(t0)
  return [r, (d.user + d.system) / 1000]
}

/** Per-frame bounds of the chosen frames (all, or the last K, each searched on its own). */
function perFrame(prep: PreparedSample, last: number | undefined, reduceTo: number | undefined): number[] {
  const opts = { method: 'certrnn' as const, search: 'paper' as const, reduceTo }
  const T = prep.frames.length
  if (last === undefined || last >= T) return (findBound(prep, { kind: 'single' }, opts) as BoundResult).perFrame!
  const out: number[] = []
  for (let t = T - last; t < T; t++) out.push(findBound(prep, { kind: 'frames', frames: [t] } as Threat, opts).bound)
  return out
}

await runCli(cli, ({ values }) => {
  const keeps = values.keep ?? [32, 64, 128]
  const samples = values.samples ?? 2
  const cases: Array<{ name: string; preps: PreparedSample[] }> = []
  const benchList = values.models ?? (values.zoo ? '' : 'lstm-7-32,rnn-14-64,gru-7-32,text-lstm-25-32')
  if (benchList) {
    for (const m of selectModels(allModels(), benchList)) {
      const cn = compileNetwork(randomNetwork(m.spec))
      cases.push({ name: m.name, preps: sampleInputs(m, samples).map((x) => prepareSample(cn, x)) })
    }
  }
  for (const id of values.zoo ? values.zoo.split(',') : []) {
    const dir = path.join('public/models', id)
    const cn = compileNetwork(loadModelDir(dir))
    const parsed = readInputsFile(path.join(dir, 'examples.json'), inputsModel(dir, cn))
    if (!parsed.inputs.length) throw new UsageError(`${dir}/examples.json has no inputs`)
    cases.push({ name: `zoo ${id}`, preps: parsed.inputs.slice(0, samples).map((x) => prepareSample(cn, x)) })
  }
  const rows: string[][] = []
  for (const { name, preps } of cases) {
    // warm-up (compilation) outside the timings
    perFrame(preps[0], values.last === undefined ? 1 : Math.min(values.last, 1), undefined)
    let exactMs = 0
    const exact = preps.map((p) => {
      const [b, ms] = cpu(() => perFrame(p, values.last, undefined))
      exactMs += ms
      return b
    })
    for (const keep of keeps) {
      let ms = 0
      const ratios: number[] = []
      let changed = 0
      preps.forEach((p, k) => {
        const [b, t] = cpu(() => perFrame(p, values.last, keep))
        ms += t
        b.forEach((v, f) => {
          const e = exact[k][f]
          if (v !== e) changed++
          if (e > 0) ratios.push(v / e)
        })
      })
      const mean = ratios.reduce((s, r) => s + r, 0) / ratios.length
      rows.push([name, String(keep), `${ratios.length}`, fmtRatio(mean), fmtRatio(Math.min(...ratios)), String(changed), fmtMs(exactMs / preps.length), fmtMs(ms / preps.length), fmtRatio(ms / exactMs)])
      console.error(rows[rows.length - 1].join('  '))
    }
  }
  console.log(textTable(['model', 'K', 'bounds', 'mean reduced/exact', 'min', 'changed', 'exact CPU/sample', 'reduced CPU/sample', 'time ratio'], rows))
})
