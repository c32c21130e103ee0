import { beforeEach, describe, expect, it } from 'vitest'
import { compileNetwork, findBound, prepareSample, randomFrames, randomNetwork, Rng } from '../../cert/index.ts'
import { defenseGroups } from '../../model/manifest.ts'
import type { Manifest, ManifestModel } from '../../model/manifest.ts'
import { InProcessWorker } from '../../worker/testing/inProcessWorker.ts'
import type { LoadedModel } from '../model/loaded.ts'
import { classNamesFor } from '../model/loaded.ts'
import { configureServices, setWorkerFactory } from '../state/services.ts'
import { appStore } from '../state/store.ts'
import { cancelDefenseComparison, runDefenseComparison, setDefenseN, summarizeVariant } from './compare.ts'
import { waitForState } from '../testing/waitForState.ts'
import { defenseFigure } from './figure.ts'

const entry = (id: string, defense?: { method: string; eps: number; base: string }): ManifestModel =>
  ({
    id, task: 'mnist', title: id, cell: 'simpleRnn', layers: 1, hidden: 4,
    input: { kind: 'frames', frames: 3, frameSize: 5, domain: { min: 0, max: 1 } },
    classes: ['a', 'b', 'c'], testAccuracy: { value: 0.9, n: 100, split: 'test' }, trainCommand: '', trainSeconds: 1, path: id, files: [], examples: 4,
    ...(defense ? { defense } : {}),
  }) as ManifestModel

const manifest = {
  format: 'cert-rnn-zoo', version: 1, generated: '', shared: [], totalBytes: 0,
  models: [entry('base'), entry('other'), entry('base-ibp', { method: 'ibp', eps: 0.1, base: 'base' }), entry('base-fgsm', { method: 'fgsm', eps: 0.1, base: 'base' })],
} as unknown as Manifest

const rng = new Rng(12)
const examples = Array.from({ length: 4 }, (_, k) => ({ x: randomFrames(rng, 3, 5), label: k % 3 }))
const nets = new Map(manifest.models.map((m, k) => [m.id, randomNetwork({ cell: 'simpleRnn', hidden: [4], frameSize: 5, classes: 3, seed: 20 + k, scale: 0.7 })]))
const loaded: string[] = []
const load = async (m: ManifestModel): Promise<LoadedModel> => {
  loaded.push(m.id)
  const net = nets.get(m.id)!
  return {
    key: `zoo:${m.id}`, source: 'zoo', id: m.id, title: m.id, entry: m, net, tokenizer: null,
    // only the original's examples may be used: the variants' differ here to catch a mix-up
    examples: m.id === 'base' ? examples : [],
    classNames: classNamesFor(net), domain: { min: 0, max: 1 }, inputKind: 'frames', frameSize: 5, image: null, modelJson: null, shards: new Map(),
  }
}

beforeEach(() => {
  setWorkerFactory(() => new InProcessWorker())
  configureServices({ cores: 2 })
  loaded.length = 0
})

describe('defense comparison', () => {
  it('groups the manifest: the original first, then its variants in defense order', () => {
    const groups = defenseGroups(manifest)
    expect(groups.map((g) => g.variants.map((m) => m.id))).toEqual([['base', 'base-fgsm', 'base-ibp']])
  })

  it('certifies and attacks the original\'s inputs on every variant; certified ≤ attack radius', async () => {
    setDefenseN(3)
    await runDefenseComparison(defenseGroups(manifest)[0], load)
    const s = appStore.getState().defenses
    expect(s.status).toBe('done')
    expect(loaded).toEqual(['base', 'base-fgsm', 'base-ibp'])
    expect(s.results.map((r) => [r.id, r.label, r.status])).toEqual([['base', 'original', 'done'], ['base-fgsm', 'FGSM-AT', 'done'], ['base-ibp', 'IBP-VT', 'done']])
    expect(s.done).toBe(s.total)
    expect(s.total).toBe(3 * 2 * 3)
    for (const r of s.results) {
      const cn = compileNetwork(nets.get(r.id)!)
      expect(r.inputs).toHaveLength(3)
      for (const x of r.inputs) {
        const prep = prepareSample(cn, examples[x.index])
        expect(x.bound).toBe(findBound(prep, { kind: 'single' }, { search: 'fast', clip: [0, 1] }).bound)
        expect(x.correct).toBe(prep.predicted === examples[x.index].label)
        expect(x.bound).toBeLessThanOrEqual(x.attack)
      }
    }
    const v = summarizeVariant(s.results[0])
    expect(v.n).toBe(3)
    const fig = defenseFigure(s.results)
    expect((fig.data[0] as { x: string[] }).x).toEqual(['original', 'FGSM-AT', 'IBP-VT'])
    expect((fig.data[0] as { y: number[] }).y[0]).toBe(v.meanBound)
    // accuracy on its own 0…100 % axis, not a second scale over the bars
    expect(fig.layout.yaxis2).toMatchObject({ range: [0, 100], autorange: false })
    expect(fig.layout.yaxis2).not.toHaveProperty('overlaying')
  })

  it('cancel stops the comparison', async () => {
    const run = runDefenseComparison(defenseGroups(manifest)[0], load)
    await waitForState(appStore, (s) => s.defenses.status === 'running')
    cancelDefenseComparison()
    await run
    expect(appStore.getState().defenses.status).toBe('cancelled')
  })
})
