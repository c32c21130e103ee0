/**
 * A quick end-to-end check that the engine runs where it is loaded (browser, worker, Node):
 * search the all-frames bound of a small fixed-seed LSTM, then push sampled inputs of that
 * ball through the float64 forward pass and confirm they stay inside the certified bounds.
 */
import { certifyFrames, findBound, prepareSample } from './certify.ts'
import { Rng } from './rng.ts'
import { compileNetwork, forward } from './runtime.ts'
import { randomFrames, randomNetwork } from './randomNetwork.ts'

export interface SelfCheck {
  ok: boolean
  message: string
  bound: number
  samples: number
  ms: number
}

export function selfCheck(samples = 500): SelfCheck {
  const t0 = performance.now()
  try {
    const cn = compileNetwork(randomNetwork({ cell: 'lstm', hidden: [6], frameSize: 4, classes: 3, seed: 1 }))
    const rng = new Rng(2)
    const prep = prepareSample(cn, { x: randomFrames(rng, 4, 4) })
    const frames = [0, 1, 2, 3]
    const { bound } = findBound(prep, { kind: 'all' }, { search: 'fast' })
    if (!(bound > 0)) return { ok: false, message: 'the self-check network did not certify at any ε', bound, samples: 0, ms: performance.now() - t0 }
    const r = certifyFrames(prep, frames, bound)
    for (let k = 0; k < samples; k++) {
      const x = prep.frames.map((f) => f.map((v) => v + bound * rng.uniform(-1, 1)))
      const l = forward(cn, x).logits
      for (let c = 0; c < l.length; c++) {
        if (l[c] < r.logitLo[c] - 1e-9 || l[c] > r.logitHi[c] + 1e-9) {
          return { ok: false, message: `UNSOUND: sample ${k} logit ${c} = ${l[c]} outside [${r.logitLo[c]}, ${r.logitHi[c]}]`, bound, samples: k, ms: performance.now() - t0 }
        }
      }
    }
    const ms = performance.now() - t0
    return {
      ok: true,
      message: `a 6-unit LSTM certified at ε = ${bound.toFixed(4)} (all frames); ${samples} sampled inputs inside the certified bounds (${ms.toFixed(0)} ms)`,
      bound,
      samples,
      ms,
    }
  } catch (e) {
    return { ok: false, message: `engine error: ${(e as Error).message}`, bound: 0, samples: 0, ms: performance.now() - t0 }
  }
}
