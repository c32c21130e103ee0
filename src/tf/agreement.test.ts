/**
 * The training bounds agree with the certifier (src/cert, float64) on random networks of
 * every cell type, stacked or not, for all-frame and frame-subset regions, with and without
 * the clip range:
 * - IBP with the certifier's 'interval' method (logit bounds);
 * - the exact-mode zonotope with the 'certrnn' method (logit bounds, and the margins of the
 *   difference zonotope), within float32 rounding once the planes' outward padding is
 *   switched off, and never tighter than the certifier (beyond rounding) with it;
 * - the consolidated zonotopes (older symbols folded each step; the largest 6 kept) contain
 *   the exact one's bounds.
 */
import * as tf from '@tensorflow/tfjs'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { CellType } from '../cert/index.ts'
import { certifyFrames, compileNetwork, prepareSample, randomFrames, randomNetwork, Rng } from '../cert/index.ts'
import { inputBox } from './box.ts'
import { intervalBounds } from './intervalBounds.ts'
import { paramsFromNetwork } from './params.ts'
import { PADDING } from './planes.ts'
import { zonotopeBounds } from './zonotopeBounds.ts'

beforeAll(async () => {
  await tf.setBackend('cpu')
})

const DEFAULT_PADDING = { ...PADDING }
afterEach(() => Object.assign(PADDING, DEFAULT_PADDING))

const CELLS: CellType[] = ['simpleRnn', 'lstm', 'gru', 'gruResetAfter']

interface Region {
  frames?: number[]
  eps: number
  clip?: [number, number]
}

const REGIONS: Region[] = [
  { eps: 0.01 },
  { eps: 0.05, clip: [0, 1] },
  { eps: 0.2 },
  { frames: [1, 2], eps: 0.1 },
  { frames: [3], eps: 0.3, clip: [0, 1] },
]

/** |a − b| relative to 1 + |b| */
const rel = (a: number, b: number) => Math.abs(a - b) / (1 + Math.abs(b))

describe.each(CELLS)('%s: bounds agree with the certifier', (cell) => {
  for (const hidden of [[5], [4, 3]]) {
    it(`hidden ${hidden.join('×')}: IBP = interval, exact zonotope = certrnn, consolidated ⊇ exact`, () => {
      const net = randomNetwork({ cell, hidden, frameSize: 3, classes: 3, seed: 11 + hidden.length, scale: 1.5 })
      const cn = compileNetwork(net)
      const params = paramsFromNetwork(net)
      const rng = new Rng(5)
      const T = 4
      const worst = { ibp: 0, exact: 0, padded: 0 }
      let checked = 0
      try {
        for (let s = 0; s < 3; s++) {
          const x = randomFrames(rng, T, 3, 0, 1)
          const prep = prepareSample(cn, { x })
          for (const region of REGIONS) {
            const frames = region.frames ?? [0, 1, 2, 3]
            const ci = certifyFrames(prep, frames, region.eps, { method: 'interval', clip: region.clip })
            const cz = certifyFrames(prep, frames, region.eps, { method: 'certrnn', clip: region.clip })
            const run = (padding: { abs: number; rel: number }) => {
              Object.assign(PADDING, padding)
              return tf.tidy(() => {
                const box = inputBox(tf.tensor3d([x]), region.eps, { frames: region.frames, clip: region.clip })
                const labels = tf.tensor1d([prep.predicted], 'int32')
                const ibp = intervalBounds(params, box)
                const ex = zonotopeBounds(params, box, labels, { consolidate: false })
                const co = zonotopeBounds(params, box, labels, { consolidate: true })
                const ke = zonotopeBounds(params, box, labels, { consolidate: { keep: 6 } })
                return [ibp.lower, ibp.upper, ex.lower, ex.upper, ex.worst!, co.lower, co.upper, co.worst!, ke.lower, ke.upper, ke.worst!].map((t) => Array.from(t.dataSync()))
              })
            }
            const [il, iu, zl, zu, zw, ol, ou, ow, kl, ku, kw] = run(DEFAULT_PADDING)
            const [, , el, eu, ew] = run({ abs: 0, rel: 0 })
            for (let c = 0; c < cn.classes; c++) {
              const y = prep.predicted
              // IBP: the certifier's interval bounds
              worst.ibp = Math.max(worst.ibp, rel(il[c], ci.logitLo[c]), rel(iu[c], ci.logitHi[c]))
              // unpadded exact zonotope: the certifier's Cert-RNN bounds (the margin of y over c
              // is the lower bound of z_y − z_c = −(upper bound of z_c − z_y))
              worst.exact = Math.max(worst.exact, rel(el[c], cz.logitLo[c]), rel(eu[c], cz.logitHi[c]))
              if (c !== y) worst.exact = Math.max(worst.exact, rel(-ew[c], cz.margins[c]))
              // padded: at most slightly looser, never tighter beyond rounding
              worst.padded = Math.max(worst.padded, rel(zl[c], cz.logitLo[c]), rel(zu[c], cz.logitHi[c]))
              expect(zl[c]).toBeLessThanOrEqual(cz.logitLo[c] + 1e-5 * (1 + Math.abs(cz.logitLo[c])))
              expect(zu[c]).toBeGreaterThanOrEqual(cz.logitHi[c] - 1e-5 * (1 + Math.abs(cz.logitHi[c])))
              if (c !== y) expect(-zw[c]).toBeLessThanOrEqual(cz.margins[c] + 1e-5 * (1 + Math.abs(cz.margins[c])))
              else expect([zw[c], ew[c], ow[c], kw[c]]).toEqual([0, 0, 0, 0])
              // consolidation (folding older symbols, or keeping the largest 6) only loosens
              const tol = 1e-5 * (1 + Math.abs(zl[c]) + Math.abs(zu[c]))
              for (const [l, u, w] of [[ol, ou, ow], [kl, ku, kw]]) {
                expect(l[c]).toBeLessThanOrEqual(zl[c] + tol)
                expect(u[c]).toBeGreaterThanOrEqual(zu[c] - tol)
                expect(w[c]).toBeGreaterThanOrEqual(zw[c] - tol)
              }
              checked++
            }
          }
        }
      } finally {
        params.dispose()
      }
      expect(checked).toBe(3 * REGIONS.length * 3)
      expect(worst.ibp).toBeLessThan(1e-5)
      expect(worst.exact).toBeLessThan(1e-5)
      expect(worst.padded).toBeLessThan(5e-4)
    })
  }
})
