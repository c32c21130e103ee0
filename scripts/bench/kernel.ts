/**
 * The generator product's rate on this machine: `matMulRowMajor` on dense random matrices of
 * the shapes a bound search multiplies (rows = gates × units, inner = units, columns = noise
 * symbols), in multiply-adds per second of CPU time (process.cpuUsage, so other jobs on the
 * machine inflate it less than wall time). With profile-search.ts's multiply-add count this
 * gives the time a search spends in the product at best.
 * usage: npx tsx scripts/bench/kernel.ts
 */
import { matMulRowMajor, Rng } from '../../src/cert/index.ts'

const rng = new Rng(1)
const rand = () => rng.next()
const shapes: Array<[number, number, number]> = [
  [128, 32, 100], [128, 32, 300], [128, 32, 600], [128, 32, 1800], // LSTM, 32 units
  [64, 64, 300], [64, 64, 900], // SimpleRNN, 64 units
  [256, 64, 3000], // LSTM, 64 units, a long sequence
]
console.log('| rows × inner × columns | GMAC/s (CPU time) |\n|---|--:|')
for (const [r, k, m] of shapes) {
  const A = Float64Array.from({ length: r * k }, () => rand() - 0.5)
  const B = Float64Array.from({ length: k * m }, () => rand() - 0.5)
  for (let i = 0; i < 20; i++) matMulRowMajor(A, r, k, B, m)
  const reps = Math.max(5, Math.round(3e8 / (r * k * m)))
  const c0 = process.cpuUsage()
  for (let i = 0; i < reps; i++) matMulRowMajor(A, r, k, B, m)
  const c = process.cpuUsage(c0)
  console.log(`| ${r} × ${k} × ${m} | ${((r * k * m * reps) / ((c.user + c.system) / 1e6) / 1e9).toFixed(2)} |`)
}
