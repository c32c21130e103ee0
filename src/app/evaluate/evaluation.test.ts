import { beforeEach, describe, expect, it } from 'vitest'
import { compileNetwork, findBound, prepareSample, randomFrames, randomNetwork, Rng } from '../../cert/index.ts'
import { InProcessWorker } from '../../worker/testing/inProcessWorker.ts'
import type { LoadedModel } from '../model/loaded.ts'
import { classNamesFor } from '../model/loaded.ts'
import { configureServices, setWorkerFactory } from '../state/services.ts'
import { appStore, setModel, setThreat } from '../state/store.ts'
import { cancelEvaluation, evalBlocker, evalExport, loadEvalFile, resetEvaluation, setEvalAttack, setEvalClip, setEvalN, setEvalSource, soundnessViolations, startEvaluation, toggleEvalMethod } from './evaluation.ts'
import { waitForState } from '../testing/waitForState.ts'
import { accuracyFigure, boundsFigure } from './figures.ts'
import { jsonFileSizeProblem } from '../../model/limits.ts'
import { parseInputsFile } from './inputsFile.ts'

const workers: InProcessWorker[] = []
beforeEach(() => {
  workers.length = 0
  setWorkerFactory(() => {
    const w = new InProcessWorker()
    workers.push(w)
    return w
  })
  resetEvaluation()
  configureServices({ cores: 2 })
  setThreat({ kind: 'single' })
})

function frameModel(): LoadedModel {
  const net = randomNetwork({ cell: 'lstm', hidden: [5], frameSize: 7, classes: 3, seed: 11, scale: 0.6 })
  const rng = new Rng(4)
  return {
    key: 'zoo:eval-lstm', source: 'zoo', id: 'eval-lstm', title: 'eval test', entry: null, net, tokenizer: null,
    examples: Array.from({ length: 5 }, (_, k) => ({ x: randomFrames(rng, 3, 7), label: k % 3 })),
    classNames: classNamesFor(net), domain: { min: 0, max: 1 }, inputKind: 'frames', frameSize: 7, image: null, modelJson: null, shards: new Map(),
  }
}

const ev = () => appStore.getState().evaluation

describe('data-set evaluation', () => {
  it('runs every input × method on a pool of workers, with the library\'s bounds, a summary and exports', async () => {
    const m = frameModel()
    await setModel(m)
    setEvalN(4)
    toggleEvalMethod('interval')
    expect(ev().methods).toEqual(['certrnn', 'deepz'])
    const before = workers.length
    await startEvaluation()
    expect(ev().status).toBe('done')
    expect(ev().rows).toHaveLength(8)
    expect(ev().ran).toMatchObject({ n: 4, methods: ['certrnn', 'deepz'], workers: 2, threat: 'single', clip: true })
    expect(workers.length - before).toBe(2)
    const cn = compileNetwork(m.net)
    for (const r of ev().rows) {
      const prep = prepareSample(cn, m.examples[r.index])
      const want = findBound(prep, { kind: 'single' }, { method: r.method, search: 'fast', clip: [0, 1] })
      expect(r.bound).toBe(want.bound)
      expect(r.perFrame).toEqual(want.perFrame)
      expect(r.predicted).toBe(prep.predicted)
      expect(r.correct).toBe(prep.predicted === m.examples[r.index].label)
    }
    const files = evalExport(ev())
    const samples = files.samplesCsv.trim().split('\n')
    expect(samples[0]).toBe('index,label,predicted,correct,method,bound,attack,ms,perFrame')
    expect(samples).toHaveLength(9)
    expect(samples[1]).toMatch(/^0,0,\d,(true|false),certrnn,/)
    expect(files.summaryCsv.split('\n')[0]).toMatch(/^method,n,accuracy,meanBound,stdBound,minBound,maxBound,msPerSample/)
    expect(files.accuracyCsv.split('\n')[0]).toBe('eps,certrnn,deepz')
    const json = JSON.parse(files.json)
    expect(json.run.model).toBe('eval test')
    expect(json.samples).toHaveLength(8)
    // the charts: one curve and one violin per method, from the same rows
    const acc = accuracyFigure(ev().rows, ['certrnn', 'deepz'])
    expect(acc.data).toHaveLength(2)
    const dist = boundsFigure(ev().rows, ['certrnn', 'deepz'])
    expect((dist.data[0] as { y: number[] }).y).toEqual(ev().rows.filter((r) => r.method === 'certrnn' && r.correct).map((r) => r.bound))
  })

  it('says why it cannot run, and refuses chosen frames', async () => {
    expect(evalBlocker(ev(), { ...appStore.getState(), model: null })).toMatch(/choose a model/)
    await setModel(frameModel())
    setThreat({ kind: 'frames', frames: [0] })
    expect(evalBlocker(ev(), appStore.getState())).toMatch(/chosen frames differ/)
    setThreat({ kind: 'all' })
    for (const m of ['certrnn', 'deepz', 'interval'] as const) toggleEvalMethod(m)
    expect(evalBlocker(ev(), appStore.getState())).toMatch(/at least one method/)
    toggleEvalMethod('deepz')
    setEvalSource('file')
    expect(evalBlocker(ev(), appStore.getState())).toMatch(/upload a file/)
    await startEvaluation()
    expect(ev().status).toBe('error')
    expect(ev().error).toMatch(/upload a file/)
  })

  it('evaluates an uploaded inputs file; a bad file is refused with its problems and keeps the good one', async () => {
    const m = frameModel()
    await setModel(m)
    const rng = new Rng(8)
    loadEvalFile(JSON.stringify({ examples: [{ x: randomFrames(rng, 2, 7), label: 1 }, { x: randomFrames(rng, 4, 7) }] }), 'mine.json')
    expect(ev().fileError).toBeNull()
    expect(ev().source).toBe('file')
    loadEvalFile('[{"x": [[1, 2]]}]', 'bad.json')
    expect(ev().fileError).toMatch(/bad.json: input 0: frame 0 has \d+ values, the model expects 7/)
    expect(ev().file?.name).toBe('mine.json')
    toggleEvalMethod('deepz')
    toggleEvalMethod('interval')
    await startEvaluation()
    expect(ev().status).toBe('done')
    expect(ev().rows.map((r) => r.index).sort()).toEqual([0, 1])
    expect(ev().rows.find((r) => r.index === 1)!.label).toBeNull()
    expect(ev().rows.find((r) => r.index === 1)!.correct).toBe(true)
  })

  it('with the attack on, every input gets a PGD radius at or above its certified bounds; a bound above it is reported', async () => {
    await setModel(frameModel())
    setEvalN(3)
    toggleEvalMethod('interval')
    setEvalAttack(true)
    await startEvaluation()
    expect(ev().status).toBe('done')
    expect(ev().error).toBeNull()
    expect(ev().total).toBe(3 * 2 + 3)
    expect(Object.keys(ev().attacks).map(Number).sort()).toEqual([0, 1, 2])
    for (const r of ev().rows) {
      expect(r.attack).toBe(ev().attacks[r.index])
      expect(r.bound).toBeLessThanOrEqual(r.attack)
    }
    expect(ev().ran?.attack).toBe(true)
    const samples = evalExport(ev()).samplesCsv.trim().split('\n').slice(1)
    for (const l of samples) expect(Number(l.split(',')[6])).toBeGreaterThan(0)
    expect(evalExport(ev()).summaryCsv.split('\n')[0]).toContain('meanAttack')
    expect(soundnessViolations([{ ...ev().rows[0], bound: ev().rows[0].attack * 2 }])).toHaveLength(1)
    expect(soundnessViolations([{ ...ev().rows[0], attack: Infinity }])).toHaveLength(0)
  })

  it('an evaluation started while one runs waits for it, then its results replace the first\'s', async () => {
    await setModel(frameModel())
    setEvalN(3)
    const first = startEvaluation()
    setEvalN(2)
    toggleEvalMethod('interval')
    const second = startEvaluation()
    await Promise.all([first, second])
    expect(ev().status).toBe('done')
    expect(ev().ran?.n).toBe(2)
    expect(ev().total).toBe(2 * 2)
    expect(ev().rows.map((r) => `${r.index} ${r.method}`).sort()).toEqual(['0 certrnn', '0 deepz', '1 certrnn', '1 deepz'])
  })

  it('has its own clipping: unticking it here leaves the Certify tab\'s alone', async () => {
    await setModel(frameModel())
    setEvalN(1)
    setEvalClip(false)
    expect(appStore.getState().clip).toBe(true)
    await startEvaluation()
    expect(ev().ran?.clip).toBe(false)
    setEvalClip(true)
  })

  it('cancels a running evaluation', async () => {
    const m = frameModel()
    m.net = randomNetwork({ cell: 'lstm', hidden: [24], frameSize: 7, classes: 3, seed: 2, scale: 0.5 })
    m.key = 'zoo:eval-slow'
    m.examples = Array.from({ length: 5 }, () => ({ x: randomFrames(new Rng(3), 20, 7), label: 0 }))
    await setModel(m)
    setEvalN(5)
    const run = startEvaluation()
    await waitForState(appStore, (s) => s.evaluation.status === 'running')
    cancelEvaluation()
    await run
    expect(ev().status).toBe('cancelled')
    expect(ev().rows.length).toBeLessThan(15)
  })
})

describe('inputs file', () => {
  const m = frameModel()
  const text = {
    net: randomNetwork({ cell: 'gru', hidden: [3], frameSize: 4, classes: 2, seed: 3, vocab: 6 }),
    tokenizer: null, classNames: ['a', 'b'], inputKind: 'tokens' as const, frameSize: 4,
  }
  it('reports each kind of problem by input number', () => {
    expect(() => parseInputsFile('{', 'f.json', m)).toThrow(/f.json: not valid JSON/)
    expect(() => parseInputsFile('['.repeat(100_000) + ']'.repeat(100_000), 'deep.json', m)).toThrow(/deep.json nests objects and lists more than 64 deep/)
    expect(jsonFileSizeProblem('big.json', 70e6)).toBe('big.json is 70 MB; the limit is 64 MB')
    expect(jsonFileSizeProblem('ok.json', 1e6)).toBeNull()
    expect(() => parseInputsFile('{"a": 1}', 'f.json', m)).toThrow(/expected a JSON array/)
    expect(() => parseInputsFile('[]', 'f.json', m)).toThrow(/holds no inputs/)
    expect(() => parseInputsFile('[3]', 'f.json', m)).toThrow(/input 0 is 3, not an object/)
    expect(() => parseInputsFile('[{"x": [[0,0,0,0,0,0,0]], "label": 7}]', 'f.json', m)).toThrow(/input 0: label 7 is not a class index \(0…2\)/)
    expect(() => parseInputsFile('[{"tokens": [1, 2]}]', 'f.json', m)).toThrow(/reads frames: give "x"/)
    expect(() => parseInputsFile('[{"tokens": [1, 9]}]', 'f.json', text)).toThrow(/input 0: token 1 is 9, outside the vocabulary of 6 entries/)
    expect(() => parseInputsFile('[{"text": "hi"}]', 'f.json', text)).toThrow(/no tokenizer: give "tokens"/)
    expect(() => parseInputsFile('[{"tokens": []}]', 'f.json', text)).toThrow(/"tokens" must be a non-empty array/)
    expect(() => parseInputsFile(JSON.stringify(Array(2001).fill({ tokens: [1] })), 'f.json', text)).toThrow(/at most 2000/)
    expect(parseInputsFile('[{"tokens": [2, 3], "label": 1}]', 'f.json', text).inputs).toEqual([{ tokens: [2, 3], label: 1 }])
  })
})
