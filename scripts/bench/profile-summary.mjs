// Summarise a V8 .cpuprofile: self time by function, and (with --lines) by source line.
// usage: node scripts/bench/profile-summary.mjs <file.cpuprofile> [top=25] [--lines]
import fs from 'node:fs'

const args = process.argv.slice(2)
const lines = args.includes('--lines')
const [file, topArg] = args.filter((a) => a !== '--lines')
const top = Number(topArg ?? 25)
const p = JSON.parse(fs.readFileSync(file, 'utf8'))
const dt = new Map()
for (let i = 0; i < p.samples.length; i++) dt.set(p.samples[i], (dt.get(p.samples[i]) ?? 0) + (p.timeDeltas[i] ?? 0))
const acc = new Map()
let total = 0
for (const n of p.nodes) {
  const ms = (dt.get(n.id) ?? 0) / 1000
  total += ms
  const cf = n.callFrame
  const where = cf.url.split('/').slice(-2).join('/')
  if (lines && n.positionTicks?.length) {
    const ticks = n.positionTicks.reduce((s, x) => s + x.ticks, 0)
    for (const x of n.positionTicks) {
      const key = `${cf.functionName || '(anonymous)'} ${where}:${x.line}`
      acc.set(key, (acc.get(key) ?? 0) + (ms * x.ticks) / ticks)
    }
  } else {
    const key = `${cf.functionName || '(anonymous)'} ${where}`
    acc.set(key, (acc.get(key) ?? 0) + ms)
  }
}
console.log(`total ${total.toFixed(0)} ms sampled`)
for (const [k, v] of [...acc.entries()].sort((a, b) => b[1] - a[1]).slice(0, top)) {
  console.log(`${v.toFixed(0).padStart(8)} ms ${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`)
}
