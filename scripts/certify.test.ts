/**
 * The certify CLI as other tools use it: a real subprocess, its JSON lines and exit codes.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { certifyFrames, compileNetwork, findBound, prepareSample, randomFrames, randomNetwork, Rng } from '../src/cert/index.ts'
import { parseLayersModel } from '../src/model/layersJson.ts'
import { toLayersJson } from '../src/model/testing/toLayersJson.ts'

let dir: string
let inputsFile: string
let tokenDir: string
const net = randomNetwork({ cell: 'lstm', hidden: [6], frameSize: 4, classes: 3, seed: 11 })
const inputs = Array.from({ length: 3 }, (_, k) => ({ x: randomFrames(new Rng(k), 3, 4), label: k % 3 }))

function writeModel(target: string, ir = net) {
  const files = toLayersJson(ir)
  writeFileSync(join(target, 'model.json'), JSON.stringify(files.modelJson))
  writeFileSync(join(target, 'weights.bin'), Buffer.from(files.weights))
  return files
}

function run(args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/certify.ts', ...args], { encoding: 'utf8', timeout: 60_000 })
  return { code: r.status, out: r.stdout, err: r.stderr, lines: r.stdout.trim().split('\n').filter(Boolean) }
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'certify-cli-'))
  writeModel(dir)
  inputsFile = join(dir, 'inputs.json')
  writeFileSync(inputsFile, JSON.stringify(inputs))
  tokenDir = mkdtempSync(join(tmpdir(), 'certify-cli-tok-'))
  writeModel(tokenDir, randomNetwork({ cell: 'gru', hidden: [5], frameSize: 3, classes: 2, seed: 3, vocab: 12 }))
  writeFileSync(join(tokenDir, 'examples.json'), JSON.stringify([{ tokens: [1, 5, 7, 2], label: 0 }]))
})

describe('certify CLI', () => {
  it('searches bounds: one JSON line per sample then a summary, matching the library', () => {
    const r = run(['--model', dir, '--inputs', inputsFile, '--json', '--search', 'fast'])
    expect(r.err).toBe('')
    expect(r.code).toBe(0)
    expect(r.lines).toHaveLength(4)
    // the loaded model is the float32 round trip of `net`
    const cn = compileNetwork(parseLayersModel(toLayersJson(net).modelJson, new Map([['weights.bin', toLayersJson(net).weights]])))
    r.lines.slice(0, 3).forEach((l, k) => {
      const j = JSON.parse(l)
      expect(Object.keys(j)).toEqual(expect.arrayContaining(['index', 'label', 'predicted', 'bound', 'perFrame', 'certified', 'ms']))
      expect(j.index).toBe(k)
      expect(j.label).toBe(inputs[k].label)
      const expected = findBound(prepareSample(cn, inputs[k]), { kind: 'single' }, { search: 'fast' })
      expect(j.predicted).toBe(expected.predicted)
      expect(j.bound).toBeCloseTo(expected.bound, 5)
      expect(j.perFrame).toHaveLength(3)
      expect(j.certified).toBe(expected.bound > 0)
    })
    const s = JSON.parse(r.lines[3]).summary
    expect(s).toMatchObject({ n: 3, method: 'certrnn', threat: 'single', search: 'fast' })
    const bounds = r.lines.slice(0, 3).map((l) => JSON.parse(l).bound)
    expect(s.mean).toBeCloseTo(bounds.reduce((a: number, b: number) => a + b, 0) / 3, 5)
    expect(typeof s.std).toBe('number')
    expect(typeof s.msPerSample).toBe('number')
  })

  it('adds verified accuracy at the --acc-eps values (correct samples whose bound reaches ε)', () => {
    const r = run(['--model', dir, '--inputs', inputsFile, '--json', '--search', 'fast', '--threat', 'all', '--acc-eps', '0,0.001,0.5'])
    expect(r.code).toBe(0)
    const lines = r.lines.slice(0, 3).map((l) => JSON.parse(l))
    const s = JSON.parse(r.lines[3]).summary
    for (const e of [0, 0.001, 0.5]) {
      const expected = lines.filter((l) => l.correct && l.bound >= e).length / 3
      expect(s.verifiedAccuracy[String(e)]).toBeCloseTo(expected, 4)
    }
  })

  it('certifies at --eps with a chosen threat, method, margin and clip', () => {
    const r = run(['--model', dir, '--inputs', inputsFile, '--json', '--eps', '0.01', '--threat', 'frames=0,2', '--method', 'deepz', '--margin', 'paper', '--clip', '0,1', '--n', '2'])
    expect(r.code).toBe(0)
    expect(r.lines).toHaveLength(3)
    const cn = compileNetwork(parseLayersModel(toLayersJson(net).modelJson, new Map([['weights.bin', toLayersJson(net).weights]])))
    const j = JSON.parse(r.lines[0])
    const expected = certifyFrames(prepareSample(cn, inputs[0]), [0, 2], 0.01, { method: 'deepz', margin: 'paper', clip: [0, 1] })
    expect(j.certified).toBe(expected.certified)
    expect(j.perFrame).toBeNull()
    expect(JSON.parse(r.lines[2]).summary).toMatchObject({ n: 2, method: 'deepz', threat: 'frames=0,2', eps: 0.01, margin: 'paper' })
  })

  it('--split K refines the tight method: the library’s split bound, never below tight’s', () => {
    const r = run(['--model', dir, '--inputs', inputsFile, '--json', '--search', 'paper', '--method', 'tight', '--split', '4', '--n', '2'])
    expect(r.err).toBe('')
    expect(r.code).toBe(0)
    const cn = compileNetwork(parseLayersModel(toLayersJson(net).modelJson, new Map([['weights.bin', toLayersJson(net).weights]])))
    r.lines.slice(0, 2).forEach((l, k) => {
      const j = JSON.parse(l)
      expect(j.split).toBe(4)
      const prep = prepareSample(cn, inputs[k])
      const split = findBound(prep, { kind: 'single' }, { method: 'tight', splits: 4 })
      expect(j.bound).toBeCloseTo(split.bound, 6)
      expect(split.bound).toBeGreaterThanOrEqual(findBound(prep, { kind: 'single' }, { method: 'tight' }).bound)
    })
  })

  it('reads a token model and its examples.json when --inputs is omitted; prints a readable table without --json', () => {
    const r = run(['--model', tokenDir, '--threat', 'all'])
    expect(r.code).toBe(0)
    expect(r.out).toMatch(/#0: predicted \d/)
    expect(r.out).toMatch(/1 samples, method certrnn, threat all/)
  })

  it('certifies sentences given with --text on a bundled text model', () => {
    const r = run(['--model', 'public/models/toxic-lstm', '--text', 'you are wonderful', '--text', 'go away you idiot', '--threat', 'all', '--json', '--search', 'fast'])
    expect(r.err).toBe('')
    expect(r.lines).toHaveLength(3)
    expect(JSON.parse(r.lines[0]).perFrame).toBeNull()
    expect(JSON.parse(r.lines[2]).summary.n).toBe(2)
    const bad = run(['--model', 'public/models/toxic-lstm', '--text', '   '])
    expect(bad.code).toBe(2)
    expect(bad.err).toMatch(/has no tokens/)
    expect(run(['--model', 'public/models/rnn-2-32', '--text', 'hello']).err).toMatch(/needs a text model with a tokenizer.json/)
  })

  it.each([
    [['--inputs', 'x.json'], /--model <dir> is required/],
    [['--model', '/nonexistent/dir'], /nonexistent/],
    [['--model', '.', '--eps', '0'], /positive/],
    [['--model', '.', '--eps', 'abc'], /not a number/],
    [['--model', '.', '--method', 'popqorn'], /certrnn, deepz, interval/],
    [['--model', '.', '--threat', 'frames=x'], /non-negative integers/],
    [['--model', '.', '--clip', '1,0'], /lo < hi/],
    [['--model', '.', '--bogus'], /bogus/],
  ])('refuses %j with a message and a non-zero exit', (args, message) => {
    const r = run(args)
    expect(r.code).not.toBe(0)
    expect(r.err).toMatch(message)
    expect(r.out).toBe('')
  })

  it('reports inputs that do not fit the model', () => {
    const bad = join(dir, 'bad.json')
    writeFileSync(bad, JSON.stringify([{ x: [[1, 2]] }]))
    const r = run(['--model', dir, '--inputs', bad])
    expect(r.code).toBe(1)
    expect(r.err).toMatch(/input 0: frame 0 has 2 values, the model expects 4/)
    writeFileSync(bad, '{not json')
    expect(run(['--model', dir, '--inputs', bad]).err).toMatch(/not valid JSON/)
    const r2 = run(['--model', dir, '--inputs', inputsFile, '--threat', 'frames=9'])
    expect(r2.code).toBe(1)
    expect(r2.err).toMatch(/beyond the input's 3 frames/)
    const r3 = run(['--model', dir])
    expect(r3.err).toMatch(/has no examples.json/)
  })
})
