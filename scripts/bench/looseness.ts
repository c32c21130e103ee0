/**
 * Where the looseness comes from, on zoo models: for each correctly classified input,
 * Cert-RNN's bound (single-frame threat, fast search; the sample's bound is its smallest
 * frame's), then at that ε on that frame each method's split of the margin's gap
 * (`looseness`, src/cert/looseness.ts): the input's own part, the lines' parts by operation,
 * and the perturbed frame's own step against the steps after it (between, and the last).
 *
 *   npx tsx scripts/bench/looseness.ts [--zoo lstm-7-32,toxic-lstm] [--samples N]
 *                                      [--methods certrnn,tight,deepz] [--md]
 *
 * Shares are of the gap (the input's margin − the certified margin), averaged over the
 * samples; a part is its origin's widening of the range plus its move of the range's middle.
 * For tight the split is of its tight run; the last column is the share of that gap its
 * per-class slope re-optimisation (and Cert-RNN's run) then wins back.
 */
import path from 'node:path'
import type { Looseness, Method, PreparedSample } from '../../src/cert/index.ts'
import { compileNetwork, findBound, looseness, originName, prepareSample } from '../../src/cert/index.ts'
import { common } from '../lib/options.ts'
import { defineCli, flag, option, positiveInt, runCli, text, UsageError } from '../lib/args.ts'
import { inputsModel, readInputsFile } from '../lib/inputs.ts'
import { loadModelDir } from '../lib/loadModelDir.ts'
import { mdTable, textTable } from './format.ts'

const cli = defineCli({
  name: 'bench/looseness',
  synopsis: 'npx tsx scripts/bench/looseness.ts [options]',
  options: {
    zoo: option('LIST', 'zoo models (folders of public/models; default lstm-7-32,toxic-lstm)', text),
    samples: option('N', 'first N bundled examples per model (default 10; the misclassified are skipped)', positiveInt),
    methods: { ...common.methods, help: 'methods to split (default certrnn,tight,deepz)' },
    md: flag('a markdown table'),
  },
})

const pct = (x: number) => `${(100 * x).toFixed(0)}%`

/** The shares of one split: the input's, each operation's (over all steps), the perturbed step's, the steps between, the last step's, after the recurrence. */
function shares(l: Looseness, frame: number, last: number) {
  const byOp = new Map<string, number>()
  let input = 0
  let own = 0
  let later = 0
  let final = 0
  let after = 0
  for (const p of l.parts) {
    const s = p.loss / l.total
    if (p.origin.kind === 'input') {
      input += s
      continue
    }
    const key = p.origin.kind === 'planes' ? p.origin.op : `${p.origin.kind} ${p.origin.op}`
    byOp.set(key, (byOp.get(key) ?? 0) + s)
    if (p.origin.step === null) after += s
    else if (p.origin.step === frame) own += s
    else if (p.origin.step === last) final += s
    else later += s
  }
  return { input, byOp, own, later, final, after }
}

await runCli(cli, ({ values }) => {
  const ids = (values.zoo ?? 'lstm-7-32,toxic-lstm').split(',')
  const samples = values.samples ?? 10
  const methods: Method[] = values.methods ?? ['certrnn', 'tight', 'deepz']
  const rows: string[][] = []
  for (const id of ids) {
    const dir = path.join('public/models', id)
    const cn = compileNetwork(loadModelDir(dir))
    const parsed = readInputsFile(path.join(dir, 'examples.json'), inputsModel(dir, cn))
    if (!parsed.inputs.length) throw new UsageError(`${dir}/examples.json has no inputs`)
    const preps: PreparedSample[] = parsed.inputs.slice(0, samples).map((x) => prepareSample(cn, x)).filter((p) => p.label === undefined || p.predicted === p.label)
    const acc = new Map<Method, { n: number; gap: number; recovered: number; input: number; own: number; later: number; final: number; after: number; byOp: Map<string, number>; top: Map<string, number> }>()
    for (const prep of preps) {
      const b = findBound(prep, { kind: 'single' }, { method: 'certrnn', search: 'fast' })
      if (!(b.bound > 0)) continue
      const frame = b.perFrame!.indexOf(b.bound)
      for (const method of methods) {
        const l = looseness(prep, [frame], b.bound, { method })
        const last = prep.frames.length - 1
        const s = shares(l, frame, last)
        const a = acc.get(method) ?? { n: 0, gap: 0, recovered: 0, input: 0, own: 0, later: 0, final: 0, after: 0, byOp: new Map(), top: new Map() }
        a.n++
        a.gap += l.total
        a.recovered += l.recovered / l.total
        a.input += s.input
        a.own += s.own
        a.later += s.later
        a.final += s.final
        a.after += s.after
        for (const [k, v] of s.byOp) a.byOp.set(k, (a.byOp.get(k) ?? 0) + v)
        const top = l.parts.filter((p) => p.origin.kind !== 'input').reduce((x, p) => (p.loss > x.loss ? p : x))
        const when = top.origin.step === frame ? 'the perturbed step' : top.origin.step === last ? 'the last step' : top.origin.step === null ? 'after the recurrence' : `perturbed step + ${top.origin.step - frame}`
        const name = `${originName(top.origin).replace(/ step \d+/, '')}, ${when}`
        a.top.set(name, (a.top.get(name) ?? 0) + 1)
        acc.set(method, a)
      }
      console.error(`${id}: sample done (bound ${b.bound.toFixed(4)} at frame ${frame})`)
    }
    for (const [method, a] of acc) {
      const ops = [...a.byOp].sort((x, y) => y[1] - x[1]).map(([k, v]) => `${k} ${pct(v / a.n)}`).join(', ')
      const top = [...a.top].sort((x, y) => y[1] - x[1])[0]
      rows.push([id, method, String(a.n), (a.gap / a.n).toFixed(4), pct(a.input / a.n), pct(a.own / a.n), pct(a.later / a.n), pct(a.final / a.n), pct(a.after / a.n), ops, `${top[0]} (${top[1]}/${a.n})`, method === 'tight' ? pct(a.recovered / a.n) : '—'])
    }
  }
  const head = ['model', 'method', 'n', 'mean gap', 'input', 'perturbed step', 'steps between', 'last step', 'after the recurrence', 'lines by operation (all steps)', 'largest part other than the input', 'tight: won back by its last slopes']
  console.log(values.md ? mdTable(head, rows) : textTable(head, rows))
})
