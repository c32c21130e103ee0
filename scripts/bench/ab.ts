/**
 * Before/after timing of two checkouts of the certifier in ONE process, alternating, so a
 * machine shared with other jobs slows both sides alike: `npm run bench` runs one version at
 * a time, and on a loaded machine two runs minutes apart differ by ±50 %.
 *
 *   npm run bench:ab -- --base <other checkout> [--models LIST] [--rounds N]
 *                      [--methods certrnn,deepz,interval] [--search paper|fast|both]
 *
 * For every bench model × method × search: one per-frame bound search (single-frame threat)
 * of the bench's first sample, run by the base checkout's `src/cert` and by this one's, in
 * alternating order, N rounds. Reports the CPU time (user + system of this process) of each
 * side — the minimum over the rounds (the run least disturbed by other jobs) and the median —
 * their ratios this/base, and checks that both sides found identical per-frame bounds.
 * The networks are built once (by this checkout's randomNetwork) and handed to both.
 */
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import type * as Cert from '../../src/cert/index.ts'
import { defineCli, option, positiveInt, runCli, text, UsageError } from '../lib/args.ts'
import { allModels, sampleInputs, selectModels } from './models.ts'
import { geomean, median } from '../../src/cert/index.ts'
import { fmtMs, fmtRatio, textTable } from './format.ts'

const DEFAULT_MODELS = 'rnn-7-32,rnn-14-64,lstm-4-64,lstm-7-32,gru-7-32,gru-ra-7-32,lstm2l-7-32'

const cli = defineCli({
  name: 'bench/ab',
  synopsis: 'npm run bench:ab -- --base <checkout> [options]',
  options: {
    base: option('DIR', 'the other checkout (its src/cert/index.ts is imported)', text),
    models: option('LIST', `bench models (default ${DEFAULT_MODELS})`, text),
    rounds: option('N', 'alternating rounds per row (default 5)', positiveInt),
    methods: option('LIST', 'methods (default certrnn,deepz,interval)', text),
    search: option('KIND', 'paper, fast or both (default both: fast for certrnn only)', text),
  },
})

type CertModule = typeof Cert

function cpuMs(f: () => void): number {
  const t0 = process.cpuUsage()
  f()
  const d = process.cpuUsage(t0)
  return (d.user + d.system) / 1000
}

await runCli(cli, async ({ values }) => {
  if (!values.base) throw new UsageError('--base <checkout> is required')
  const baseIndex = path.resolve(values.base, 'src/cert/index.ts')
  const base = (await import(pathToFileURL(baseIndex).href)) as CertModule
  const head = await import('../../src/cert/index.ts')
  const rounds = values.rounds ?? 5
  const methods = (values.methods ?? 'certrnn,deepz,interval').split(',') as Cert.Method[]
  const searchArg = values.search ?? 'both'
  if (!['paper', 'fast', 'both'].includes(searchArg)) throw new UsageError(`--search: "${searchArg}" is not paper, fast or both`)
  const rows: Array<{ model: string; method: string; search: string; base: number[]; head: number[]; same: boolean }> = []
  for (const m of selectModels(allModels(), values.models ?? DEFAULT_MODELS)) {
    const net = head.randomNetwork(m.spec)
    const input = sampleInputs(m, 1)[0]
    const sides = { base, head }
    const preps = {
      base: base.prepareSample(base.compileNetwork(structuredClone(net)), input),
      head: head.prepareSample(head.compileNetwork(structuredClone(net)), input),
    }
    const cases: Array<[Cert.Method, Cert.SearchKind]> = []
    for (const method of methods) {
      if (searchArg !== 'fast') cases.push([method, 'paper'])
      if (searchArg === 'fast' || (searchArg === 'both' && method === 'certrnn')) cases.push([method, 'fast'])
    }
    for (const [method, search] of cases) {
      const times = { base: [] as number[], head: [] as number[] }
      const bounds = { base: '', head: '' }
      for (let r = 0; r < rounds; r++) {
        // alternate which side goes first, so neither always runs on a warmer cache
        const order: Array<'base' | 'head'> = r % 2 === 0 ? ['base', 'head'] : ['head', 'base']
        for (const side of order) {
          let res: Cert.BoundResult | undefined
          const f = sides[side].findBound as typeof head.findBound
          times[side].push(cpuMs(() => (res = f(preps[side] as Cert.PreparedSample, { kind: 'single' }, { method, search }))))
          bounds[side] = JSON.stringify(res!.perFrame)
        }
      }
      const row = { model: m.name, method, search, ...times, same: bounds.base === bounds.head }
      rows.push(row)
      console.error(`${m.name} ${method} ${search}: base ${fmtMs(Math.min(...times.base))}, this ${fmtMs(Math.min(...times.head))} (min CPU of ${rounds})${row.same ? '' : ' BOUNDS DIFFER'}`)
    }
  }
  const ratios = rows.map((r) => Math.min(...r.head) / Math.min(...r.base))
  console.log(
    textTable(
      ['model', 'method', 'search', 'base min', 'this min', 'ratio (min)', 'ratio (median)', 'bounds'],
      rows.map((r, k) => [r.model, r.method, r.search, fmtMs(Math.min(...r.base)), fmtMs(Math.min(...r.head)), fmtRatio(ratios[k]), fmtRatio(median(r.head) / median(r.base)), r.same ? 'identical' : 'DIFFER']),
    ),
  )
  const geo = geomean(ratios)
  console.log(`geometric mean of the min-CPU ratios (this/base): ${fmtRatio(geo)}; rows above 1.10: ${rows.filter((_r, k) => ratios[k] > 1.1).length} of ${rows.length}`)
  return rows.some((r) => !r.same) ? 1 : 0
})
