/**
 * Diagnostic: the ε probes of the fast and the paper search for one frame of a bench model.
 * usage: npx tsx scripts/bench/fast-trace.ts <model> [frame=0] [sample=0]
 *   e.g. lstm-28-32 0 — the certified margin is flat (the frame is forgotten) up to a
 *   cliff where the abstraction blows up, and the fast search needs ~2× the paper's probes.
 */
import { certifyFrames, compileNetwork, fastSearch, paperSearch, prepareSample, randomNetwork } from '../../src/cert/index.ts'
import { allModels, sampleInputs } from './models.ts'

const [name = 'lstm-28-32', frameArg = '0', sampleArg = '0'] = process.argv.slice(2)
const m = allModels().find((x) => x.name === name)
if (!m) throw new Error(`no bench model "${name}"`)
const t = Number(frameArg)
const cn = compileNetwork(randomNetwork(m.spec))
const prep = prepareSample(cn, sampleInputs(m, Number(sampleArg) + 1)[Number(sampleArg)])
const l = prep.concrete.logits
let margin0 = Infinity
for (let c = 0; c < l.length; c++) if (c !== prep.predicted) margin0 = Math.min(margin0, l[prep.predicted] - l[c])
for (const kind of ['fast', 'paper'] as const) {
  const probes: string[] = []
  const margin = (eps: number) => {
    const t0 = performance.now()
    const mg = certifyFrames(prep, [t], eps).margin
    probes.push(`ε ${eps.toFixed(6)}  margin ${mg.toExponential(3)}  ${(performance.now() - t0).toFixed(1)} ms`)
    return mg
  }
  const r = kind === 'fast' ? fastSearch(margin, { margin0 }) : paperSearch(margin)
  console.log(`${name} frame ${t} ${kind}: bound ${r.bound.toFixed(6)} after ${r.evaluations} evaluations (margin at 0: ${margin0.toFixed(4)})`)
  console.log(`  ${probes.join('\n  ')}`)
}
