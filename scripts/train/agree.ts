/**
 * Check a trained model folder: TF.js predict (cpu) vs the certifier's float64 forward on
 * every example in examples.json. Usage: npx tsx scripts/train/agree.ts <model dir> …
 */
import * as tf from '@tensorflow/tfjs'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { compileNetwork, embedTokens, forward, tokenMasks } from '../../src/cert/index.ts'
import { loadModelDir } from '../lib/loadModelDir.ts'
import { loadModel } from './io.ts'

async function check(dir: string): Promise<number> {
  const model = await loadModel(dir)
  const cn = compileNetwork(loadModelDir(dir))
  const { examples } = JSON.parse(readFileSync(join(dir, 'examples.json'), 'utf8')) as { examples: Array<{ x?: number[][]; tokens?: number[]; label: number }> }
  let worst = 0
  let correct = 0
  for (const e of examples) {
    const xt = e.tokens ? tf.tensor2d([e.tokens], [1, e.tokens.length], 'int32') : tf.tensor3d([e.x!])
    const p = (await (model.predict(xt) as tf.Tensor).data()) as Float32Array
    xt.dispose()
    const frames = e.tokens ? embedTokens(cn, e.tokens) : e.x!.map((f) => Float64Array.from(f))
    const { logits } = forward(cn, frames, undefined, e.tokens ? tokenMasks(cn, e.tokens) : null)
    const m = Math.max(...logits)
    const ex = logits.map((v) => Math.exp(v - m))
    const s = ex.reduce((a, b) => a + b, 0)
    ex.forEach((v, k) => (worst = Math.max(worst, Math.abs(v / s - p[k]))))
    if (logits.indexOf(m) === e.label) correct++
  }
  console.log(`${dir}: ${examples.length} examples, max |Δprob| ${worst.toExponential(2)}, ${correct} correct`)
  return worst
}

await tf.setBackend('cpu')
let bad = 0
for (const dir of process.argv.slice(2)) if ((await check(dir)) > 1e-4) bad++
process.exit(bad ? 1 : 0)
