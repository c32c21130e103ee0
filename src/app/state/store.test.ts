import { beforeEach, describe, expect, it } from 'vitest'
import { randomFrames, randomNetwork, Rng } from '../../cert/index.ts'
import { loadTokenizer } from '../../model/tokenizer.ts'
import { InProcessWorker } from '../../worker/testing/inProcessWorker.ts'
import type { LoadedModel } from '../model/loaded.ts'
import { classNamesFor } from '../model/loaded.ts'
import {
  appStore,
  applyConfig,
  cancelRun,
  configOf,
  currentInput,
  runBlocker,
  setDigit,
  setDrawn,
  setEps,
  setMethod,
  setModel,
  setSearch,
  staleReasons,
  startAttack,
  setText,
  setThreat,
  startRun,
  toggleFrame,
} from './store.ts'
import { waitForState } from '../testing/waitForState.ts'
import { configureServices, setWorkerFactory } from './services.ts'
import { compileNetwork, findBound, prepareSample } from '../../cert/index.ts'
import { DEFAULT_CONFIG, hashToConfig, configToHash } from './urlState.ts'

const workers: InProcessWorker[] = []
beforeEach(() => {
  workers.length = 0
  setWorkerFactory(() => {
    const w = new InProcessWorker()
    workers.push(w)
    return w
  })
  applyConfig(DEFAULT_CONFIG)
})

function mnistLike(): LoadedModel {
  const net = randomNetwork({ cell: 'lstm', hidden: [6], frameSize: 196, classes: 10, seed: 1, scale: 0.5 })
  const rng = new Rng(2)
  return {
    key: 'zoo:test-lstm', source: 'zoo', id: 'test-lstm', title: 'test', entry: null, net, tokenizer: null,
    examples: Array.from({ length: 3 }, (_, k) => ({ x: randomFrames(rng, 4, 196), label: k })),
    classNames: classNamesFor(net), domain: { min: 0, max: 1 }, inputKind: 'frames', frameSize: 196,
    image: { side: 28, frames: 4 }, modelJson: null, shards: new Map(),
  }
}

function textModel(): LoadedModel {
  const net = randomNetwork({ cell: 'gru', hidden: [5], frameSize: 4, classes: 2, seed: 3, vocab: 6 })
  const tokenizer = loadTokenizer({ format: 'cert-rnn-tokenizer', version: 1, level: 'word', normalizer: 'text-v1', maxLength: 8, truncation: 'keep-start', padding: 'none', padId: 0, unkId: 1, vocab: ['[PAD]', '[UNK]', 'you', 'are', 'great', 'awful'] })
  return {
    key: 'zoo:test-text', source: 'zoo', id: 'test-text', title: 'text', entry: null, net, tokenizer,
    examples: [{ tokens: [2, 3, 4], text: 'you are great', label: 1 }], classNames: ['normal', 'toxic'], domain: null,
    inputKind: 'tokens', frameSize: 4, image: null, modelJson: null, shards: new Map(),
  }
}

const state = () => appStore.getState()

describe('app store', () => {
  it('loads a model into the worker once and certifies the picked digit', async () => {
    await setModel(mnistLike())
    expect(state().modelStatus).toBe('ready')
    setDigit(2)
    expect(currentInput(state()).label).toBe(2)
    setEps(0.001)
    await startRun('certify')
    const run = state().run
    expect(run.status).toBe('done')
    expect(run.result?.kind).toBe('certify')
    expect(run.ran?.settings.eps).toBe(0.001)
    await startRun('bound')
    expect(state().run.result?.kind).toBe('bound')
    expect(workers).toHaveLength(1)
    expect(workers[0].received.filter((m) => m.type === 'load')).toHaveLength(1)
  })

  it('the paper bound search of one sample runs on a pool, a share of the frames per worker, with the one search\'s bounds', async () => {
    const m = mnistLike()
    await setModel(m)
    configureServices({ cores: 2 })
    setDigit(1)
    setSearch('paper')
    const fractions: number[] = []
    const unsubscribe = appStore.subscribe((s) => s.run.progress && fractions.push(s.run.progress.fraction))
    await startRun('bound')
    unsubscribe()
    const run = state().run
    expect(run.status).toBe('done')
    const whole = findBound(prepareSample(compileNetwork(m.net), { x: m.examples[1].x }), { kind: 'single' }, { search: 'paper', clip: state().clip ? [0, 1] : undefined })
    // the same per-frame grid points; the evaluations differ (each part's searches start from their own neighbours)
    const result = run.result?.kind === 'bound' ? run.result.result : null
    expect(result && { ...result, evaluations: 0 }).toEqual({ ...whole, evaluations: 0 })
    expect(result!.evaluations).toBeGreaterThan(0)
    expect(result!.evaluations).toBeLessThanOrEqual(13 * 4)
    // the client's worker (model load) and the pool's two, each searching its frames
    const parts = workers.flatMap((w) => w.received.flatMap((msg) => (msg.type === 'run' && msg.job.kind === 'bound' ? [msg.job.frames] : [])))
    expect(parts).toEqual([[0, 2], [1, 3]])
    expect(fractions.length).toBeGreaterThan(0)
    expect(fractions.every((f, k) => k === 0 || f >= fractions[k - 1] - 1e-12)).toBe(true)
  })

  it('a drawn digit is split into the model\'s frames', async () => {
    await setModel(mnistLike())
    setDrawn(Array.from({ length: 784 }, (_, k) => (k % 29 === 0 ? 1 : 0)))
    const cur = currentInput(state())
    expect(cur.input?.x).toHaveLength(4)
    expect(cur.input?.x?.[1]).toHaveLength(196)
    expect(cur.label).toBeUndefined()
  })

  it('tokenises text live, marks unknown tokens, and refuses empty text', async () => {
    await setModel(textModel())
    expect(state().text).toBe('you are great')
    setText('You are AWFUL, truly')
    const cur = currentInput(state())
    expect(cur.tokens).toEqual(expect.arrayContaining(['you', 'are', 'awful', 'truly']))
    const unknown = cur.tokens!.filter((_, k) => cur.unknown![k])
    expect(unknown).toContain('truly')
    expect(unknown).not.toContain('awful')
    expect(cur.input?.tokens?.slice(0, 3)).toEqual([2, 3, 5])
    setText('   ')
    expect(runBlocker(state())).toMatch(/type a sentence/)
    await startRun('certify')
    expect(state().run.status).toBe('error')
    expect(state().run.error).toMatch(/type a sentence/)
  })

  it('chosen frames: clicking toggles them, frames beyond the input block the run', async () => {
    await setModel(mnistLike())
    setThreat({ kind: 'frames', frames: [] })
    expect(runBlocker(state())).toMatch(/click the frames/)
    toggleFrame(2)
    toggleFrame(0)
    expect(state().threat).toEqual({ kind: 'frames', frames: [0, 2] })
    toggleFrame(2)
    expect(state().threat).toEqual({ kind: 'frames', frames: [0] })
    toggleFrame(9)
    expect(runBlocker(state())).toMatch(/frames 9 are beyond this input's 4 frames/)
  })

  it('cancels a running job', async () => {
    // a model slow enough that the comparison is still running when cancelled
    const slow = mnistLike()
    slow.net = randomNetwork({ cell: 'lstm', hidden: [32], frameSize: 28, classes: 10, seed: 2, scale: 0.5 })
    slow.frameSize = 28
    slow.image = { side: 28, frames: 28 }
    slow.examples = [{ x: randomFrames(new Rng(3), 28, 28), label: 0 }]
    slow.key = 'zoo:slow'
    await setModel(slow)
    setThreat({ kind: 'single' })
    const run = startRun('compare')
    await waitForState(appStore, (s) => s.run.status === 'running')
    cancelRun()
    await run
    expect(state().run.status).toBe('cancelled')
  })

  it('the configuration survives a trip through the URL hash', async () => {
    await setModel(mnistLike())
    setDigit(1)
    setEps(0.02)
    setThreat({ kind: 'all' })
    const hash = configToHash(configOf(state()))
    applyConfig(DEFAULT_CONFIG)
    applyConfig(hashToConfig(hash).config)
    expect(configOf(state())).toMatchObject({ model: 'test-lstm', digit: 1, eps: 0.02, threat: { kind: 'all' } })
  })

  it('a result remembers what it was computed for and says what changed since', async () => {
    await setModel(textModel())
    setText('you are great')
    await startRun('certify')
    expect(state().run.error).toBeNull()
    expect(state().run.status).toBe('done')
    expect(staleReasons(state())).toEqual([])
    setText('you are awful')
    expect(staleReasons(state())).toEqual(['the text'])
    setText('you are great')
    expect(staleReasons(state())).toEqual([])
    setEps(0.05)
    setMethod('deepz')
    expect(staleReasons(state())).toEqual(['ε', 'the method'])
    await startRun('certify')
    expect(staleReasons(state())).toEqual([])
    // a new model clears the result
    await setModel(mnistLike())
    expect(state().run.status).toBe('idle')
  })

  it('a digit beyond the examples (a link with digit=999) gets a clear message', async () => {
    await setModel(mnistLike())
    applyConfig({ ...DEFAULT_CONFIG, model: 'test-lstm', digit: 999 })
    expect(runBlocker(state())).toMatch(/there is no example 999: this model has 3 bundled examples \(0 to 2\)/)
  })

  it('runs started while another runs wait their turn, and the attack is one of them', async () => {
    await setModel(mnistLike())
    setEps(0.001)
    const bound = startRun('bound')
    const compare = startRun('compare')
    expect(state().activity.queue.map((q) => q.label)).toEqual(['Compare methods'])
    await waitForState(appStore, (s) => s.run.status === 'done')
    expect(state().run.result?.kind).toBe('bound')
    const attack = startAttack()
    await bound
    await compare
    await attack
    // the attack belonged to the bound search, which the comparison replaced: its result is not shown on the comparison
    expect(state().run.result?.kind).toBe('compare')
    expect(state().run.attack).toBeNull()
  })
})
