/**
 * One per-frame bound search (single-frame threat, Cert-RNN, paper search) on a bench model,
 * timed, with the bounds printed so runs before/after a change can be compared exactly.
 * Profile with: node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx scripts/bench/profile-search.ts lstm-7-32
 * It also counts the evaluations and the generator products' multiply-adds (`productWork`);
 * scripts/bench/kernel.ts measures the product's rate, so the two give the product's share.
 * usage: tsx scripts/bench/profile-search.ts <model> [samples=1] [paper|fast]
 */
import { compileNetwork, findBound, prepareSample, productWork, randomNetwork } from '../../src/cert/index.ts'
import { allModels, sampleInputs, selectModels } from './models.ts'

const [name = 'lstm-7-32', samplesArg = '1', search = 'paper'] = process.argv.slice(2)
const [m] = selectModels(allModels(), name)
const cn = compileNetwork(randomNetwork(m.spec))
const preps = sampleInputs(m, Number(samplesArg)).map((x) => prepareSample(cn, x))
const t0 = performance.now()
const cpu0 = process.cpuUsage()
const macs0 = productWork.macs
let evaluations = 0
for (const prep of preps) {
  const r = findBound(prep, { kind: 'single' }, { method: 'certrnn', search: search as 'paper' | 'fast' })
  evaluations += r.evaluations
  console.log(JSON.stringify(r.perFrame))
}
const cpu = process.cpuUsage(cpu0)
console.log(`${m.name}: ${((performance.now() - t0) / preps.length).toFixed(0)} ms wall, ${((cpu.user + cpu.system) / 1000 / preps.length).toFixed(0)} ms CPU / sample (${search} search, ${preps.length} samples); per sample ${(evaluations / preps.length).toFixed(1)} evaluations, ${((productWork.macs - macs0) / preps.length / 1e6).toFixed(1)} M multiply-adds in the generator products`)
