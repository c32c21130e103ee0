/**
 * Hostile inputs on every command line (certify, evaluate, audit, reproduce, bench, train, worker),
 * run as real subprocesses: each bad input gets its specific message, the documented exit
 * code (2 a bad option, 1 a bad model or input) and no stack trace. Every case fails before
 * any heavy work. Also: near ties between TF.js float32 and the float64 certificate, and the
 * truncation notice of long texts.
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import type { NetworkIR } from '../src/cert/index.ts'
import { randomNetwork } from '../src/cert/index.ts'
import { toLayersJson } from '../src/model/testing/toLayersJson.ts'
import { makeTokenizerSpec } from '../src/model/tokenizer.ts'

const ROOT = resolve(import.meta.dirname, '..')
const SCRIPTS = {
  certify: 'scripts/certify.ts',
  evaluate: 'scripts/evaluate.ts',
  audit: 'scripts/audit.ts',
  reproduce: 'scripts/reproduce.ts',
  bench: 'scripts/bench.ts',
  train: 'scripts/train/index.ts',
  worker: 'scripts/worker.ts',
} as const
type Script = keyof typeof SCRIPTS

function run(script: Script, args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', SCRIPTS[script], ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000, env: { ...process.env, ...env } })
  return { code: r.status, out: r.stdout, err: r.stderr }
}

const STACK = /^\s+at /m

// fixtures, written in beforeAll
const tmp = mkdtempSync(join(tmpdir(), 'cli-hostile-'))
const frameModel = join(tmp, 'frames') // LSTM, 3 values per frame, 2 classes
const tokenModel = join(tmp, 'tokens') // GRU over a 12-token vocabulary, tokenizer maxLength 4
const tieModel = join(tmp, 'tie') // float32 and float64 disagree on its example
const f = (name: string) => join(tmp, name)

function writeModel(dir: string, net: NetworkIR) {
  mkdirSync(dir, { recursive: true })
  const files = toLayersJson(net)
  writeFileSync(join(dir, 'model.json'), JSON.stringify(files.modelJson))
  writeFileSync(join(dir, 'weights.bin'), Buffer.from(files.weights))
}

/**
 * A network whose float64 and float32 predictions differ on one input: two frame values
 * that are equal in float32 (0.1 and fround(0.1)) but not in float64, fed to identity
 * weights, and a 1e-9 bias on class 0. float64 logits ≈ [−4.9e-10, 0] → class 1; TF.js
 * float32 logits [1e-9, 0] → class 0.
 */
function nearTieNetwork(): NetworkIR {
  const c = Math.fround(0.1)
  const eye = () => ({ rows: 2, cols: 2, data: Float64Array.from([1, 0, 0, 1]) })
  return {
    input: { kind: 'frames', frameSize: 2, seqLen: null },
    layers: [
      { type: 'simpleRnn', name: 'rnn', units: 2, kernel: eye(), recurrentKernel: { rows: 2, cols: 2, data: new Float64Array(4) }, bias: Float64Array.from([-c, -c]), returnSequences: false, activation: 'tanh' },
      { type: 'dense', name: 'out', units: 2, kernel: eye(), bias: Float64Array.from([Math.fround(1e-9), 0]), activation: 'linear' },
    ],
  }
}
const TIE_INPUT = [{ x: [[0.1, Math.fround(0.1)]] }]

beforeAll(() => {
  writeModel(frameModel, randomNetwork({ cell: 'lstm', hidden: [4], frameSize: 3, classes: 2, seed: 5 }))
  writeFileSync(join(frameModel, 'examples.json'), JSON.stringify([{ x: [[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]], label: 0 }]))
  writeModel(tokenModel, randomNetwork({ cell: 'gru', hidden: [3], frameSize: 2, classes: 2, seed: 3, vocab: 12 }))
  const vocab = ['[PAD]', '[UNK]', 'you', 'are', 'a', 'nice', 'person', 'go', 'away', 'the', 'cat', 'dog']
  writeFileSync(join(tokenModel, 'tokenizer.json'), JSON.stringify(makeTokenizerSpec('word', 'text-v1', 4, vocab)))
  writeModel(tieModel, nearTieNetwork())
  writeFileSync(join(tieModel, 'examples.json'), JSON.stringify(TIE_INPUT))
  const broken = join(tmp, 'broken-tok')
  writeModel(broken, randomNetwork({ cell: 'gru', hidden: [3], frameSize: 2, classes: 2, seed: 3, vocab: 12 }))
  writeFileSync(join(broken, 'tokenizer.json'), JSON.stringify({ format: 'something-else' }))
  mkdirSync(f('a-folder'), { recursive: true })
  mkdirSync(f('empty-zoo'), { recursive: true })
  const files: Record<string, string> = {
    'bad.json': '{not json',
    'object.json': JSON.stringify({ a: 1 }),
    'empty.json': '[]',
    'null.json': JSON.stringify([{ x: [[1, 2, 3]] }, null]),
    'narrow.json': JSON.stringify([{ x: [[1, 2]] }]),
    'text-value.json': JSON.stringify([{ x: [[1, 'a', 3]] }]),
    'neither.json': JSON.stringify([{ label: 1 }]),
    'label.json': JSON.stringify([{ x: [[1, 2, 3]], label: 7 }]),
    'tokens-oov.json': JSON.stringify([{ tokens: [2, 3, 99] }]),
    'tokens-float.json': JSON.stringify([{ tokens: [2, 3.5] }]),
    'long.json': JSON.stringify([{ x: Array.from({ length: 1000 }, () => [0.1, 0.2, 0.3]) }]),
    'frames.json': JSON.stringify([{ x: [[0.1, 0.2, 0.3]] }]),
  }
  for (const [name, content] of Object.entries(files)) writeFileSync(f(name), content)
})

type Case = [script: Script, args: () => string[], message: RegExp, code: 1 | 2]

// paths are resolved lazily (after beforeAll has written the fixtures)
const M = () => ['--model', frameModel]
const CASES: Array<[string, ...Case]> = [
  // certify: options
  ['unknown flag', 'certify', () => [...M(), '--bogus'], /^certify: unknown option --bogus$/m, 2],
  ['a near-miss flag', 'certify', () => [...M(), '--ep', '0.1'], /unknown option --ep \(did you mean --eps\?\)/, 2],
  ['negative ε after a space', 'certify', () => [...M(), '--eps', '-0.1'], /^certify: --eps -0\.1: ε must be a positive number$/m, 2],
  ['negative ε with =', 'certify', () => [...M(), '--eps=-0.1'], /--eps -0\.1: ε must be a positive number/, 2],
  ['ε = 0', 'certify', () => [...M(), '--eps', '0'], /--eps 0: ε must be a positive number/, 2],
  ['ε not a number', 'certify', () => [...M(), '--eps', 'abc'], /--eps abc: not a number/, 2],
  ['ε NaN', 'certify', () => [...M(), '--eps', 'NaN'], /--eps NaN: not a number/, 2],
  ['ε infinite', 'certify', () => [...M(), '--eps', 'Infinity'], /--eps Infinity: ε must be a positive number/, 2],
  ['--n negative', 'certify', () => [...M(), '--n', '-3'], /--n -3: give a positive whole number/, 2],
  ['--n fractional', 'certify', () => [...M(), '--n', '2.5'], /--n 2\.5: give a positive whole number/, 2],
  ['--max-eps above the paper search', 'certify', () => [...M(), '--max-eps', '2'], /--max-eps: 2 is above the paper search's range \(0, 1\)/, 2],
  ['--max-eps below the resolution', 'certify', () => [...M(), '--search', 'fast', '--max-eps', '0.00001'], /--max-eps: 0\.00001 is below the search's resolution/, 2],
  ['--max-eps negative', 'certify', () => [...M(), '--max-eps', '-1'], /--max-eps -1: the upper end of the search must be a positive number/, 2],
  ['--max-eps with --eps', 'certify', () => [...M(), '--eps', '0.1', '--max-eps', '0.5'], /--max-eps goes with the bound search, not with --eps/, 2],
  ['--clip reversed', 'certify', () => [...M(), '--clip', '1,0'], /--clip 1,0: give two numbers lo,hi with lo < hi/, 2],
  ['--clip one number', 'certify', () => [...M(), '--clip', '0'], /--clip 0: give two numbers lo,hi/, 2],
  ['unknown method', 'certify', () => [...M(), '--method', 'popqorn'], /--method popqorn: use one of certrnn, deepz, interval/, 2],
  ['bad threat', 'certify', () => [...M(), '--threat', 'frames=x'], /--threat: .*non-negative integers/, 2],
  ['a flag without its value', 'certify', () => ['--model', '--json'], /--model needs a value \(DIR\)/, 2],
  ['a boolean with a value', 'certify', () => [...M(), '--json=yes'], /--json takes no value/, 2],
  ['a flag given twice', 'certify', () => [...M(), '--eps', '0.1', '--eps', '0.2'], /--eps is given twice/, 2],
  ['--split negative', 'certify', () => [...M(), '--method', 'tight', '--split', '-1'], /--split -1: give a non-negative whole number/, 2],
  ['--split fractional', 'certify', () => [...M(), '--method', 'tight', '--split', '2.5'], /--split 2\.5: give a non-negative whole number/, 2],
  ['--split without tight', 'certify', () => [...M(), '--split', '4'], /^certify: --split 4 refines the tight method: add tight to the methods/m, 2],
  ['--max-frames 0', 'certify', () => [...M(), '--max-frames', '0'], /--max-frames 0: give a positive whole number/, 2],
  ['a stray argument', 'certify', () => [...M(), 'extra'], /unexpected argument "extra"/, 2],
  ['--text on a frame model', 'certify', () => [...M(), '--text', 'hello'], /--text needs a text model with a tokenizer\.json/, 2],
  ['empty --text', 'certify', () => ['--model', tokenModel, '--text', ''], /--text #0 is empty/, 2],
  ['--text with nothing readable', 'certify', () => ['--model', tokenModel, '--text', 'you', '--text', '   '], /--text #1 is empty/, 2],
  // certify: the model and the inputs
  ['no such model', 'certify', () => ['--model', '/nonexistent/model-dir'], /^certify: model directory '\/nonexistent\/model-dir' does not exist$/m, 1],
  ['a broken tokenizer.json', 'certify', () => ['--model', join(tmp, 'broken-tok'), '--text', 'hi'], /^certify: \S*broken-tok\/tokenizer\.json: format is "something-else"/m, 1],
  ['--inputs a folder', 'certify', () => [...M(), '--inputs', f('a-folder')], /--inputs .*a-folder is a folder; give a JSON file/, 1],
  ['--inputs missing', 'certify', () => [...M(), '--inputs', f('missing.json')], /--inputs .*missing\.json: no such file/, 1],
  ['--inputs not JSON', 'certify', () => [...M(), '--inputs', f('bad.json')], /bad\.json: not valid JSON/, 1],
  ['--inputs not a list', 'certify', () => [...M(), '--inputs', f('object.json')], /object\.json: expected a JSON array .*, got an object/, 1],
  ['--inputs empty', 'certify', () => [...M(), '--inputs', f('empty.json')], /empty\.json holds no inputs/, 1],
  ['a null input', 'certify', () => [...M(), '--inputs', f('null.json')], /null\.json: input 1 is null, not an object/, 1],
  ['a frame of the wrong width', 'certify', () => [...M(), '--inputs', f('narrow.json')], /^certify: --inputs \S*narrow\.json: input 0: frame 0 has 2 values, the model expects 3\. Nothing was run\.$/m, 1],
  ['a frame value that is text', 'certify', () => [...M(), '--inputs', f('text-value.json')], /input 0: frame 0 value 1 is the text "a", not a finite number/, 1],
  ['an input with neither x nor tokens', 'certify', () => [...M(), '--inputs', f('neither.json')], /input 0 has neither "x" \(frames\) nor "tokens"/, 1],
  ['a label out of range', 'certify', () => [...M(), '--inputs', f('label.json')], /input 0: label 7 is not a class index \(0…1\)/, 1],
  ['tokens for a frame model', 'certify', () => [...M(), '--inputs', f('tokens-oov.json')], /input 0: this model reads frames/, 1],
  ['a token out of the vocabulary', 'certify', () => ['--model', tokenModel, '--inputs', f('tokens-oov.json')], /input 0: token 2 is 99, outside the vocabulary of 12 entries/, 1],
  ['a token id that is not whole', 'certify', () => ['--model', tokenModel, '--inputs', f('tokens-float.json')], /input 0: token 1 is 3\.5, not a token id/, 1],
  ['1,000 frames', 'certify', () => [...M(), '--inputs', f('long.json')], /input 0 has 1000 frames; the certifier's cap is 256 frames \(.*estimated .* for this input\); raise the cap with --max-frames 1000/, 1],
  ['threat frames beyond the input', 'certify', () => [...M(), '--inputs', f('frames.json'), '--threat', 'frames=9'], /input 0: threat frames 9 are beyond the input's 1 frames/, 1],
  ['inputs outside the clip range', 'certify', () => [...M(), '--inputs', f('frames.json'), '--clip', '0.5,1'], /input 0: frame 0 value 0 is 0\.1, outside the clip range \[0\.5, 1\]/, 1],
  // evaluate
  ['evaluate: unknown flag', 'evaluate', () => [...M(), '--frob'], /^evaluate: unknown option --frob$/m, 2],
  ['evaluate: no such model', 'evaluate', () => ['--model', '/nonexistent/model-dir'], /^evaluate: model directory '\/nonexistent\/model-dir' does not exist$/m, 1],
  ['evaluate: a null input', 'evaluate', () => [...M(), '--inputs', f('null.json')], /input 1 is null/, 1],
  ['evaluate: a bad frame', 'evaluate', () => [...M(), '--inputs', f('narrow.json')], /input 0: frame 0 has 2 values, the model expects 3/, 1],
  ['evaluate: a bad method in a list', 'evaluate', () => [...M(), '--methods', 'certrnn,magic'], /--methods certrnn,magic: "magic": use one of certrnn, deepz, interval/, 2],
  ['evaluate: --split without tight', 'evaluate', () => [...M(), '--methods', 'certrnn,deepz', '--split', '16'], /^evaluate: --split 16 refines the tight method: add tight to the methods/m, 2],
  ['evaluate: a negative ε in the list', 'evaluate', () => [...M(), '--eps-list', '0.1,-1'], /--eps-list 0\.1,-1: "-1": give a number ≥ 0/, 2],
  ['evaluate: 1,000 frames', 'evaluate', () => [...M(), '--inputs', f('long.json')], /input 0 has 1000 frames; the certifier's cap is 256 frames/, 1],
  ['evaluate: --queue not a Redis URL', 'evaluate', () => [...M(), '--queue', 'http://127.0.0.1:6379'], /^evaluate: --queue http:\/\/127\.0\.0\.1:6379: give a redis:\/\/ or rediss:\/\/ URL \(e\.g\. redis:\/\/127\.0\.0\.1:6379\/0\), not http:$/m, 2],
  ['evaluate: --queue and --shard', 'evaluate', () => [...M(), '--queue', 'redis://127.0.0.1:6379/0', '--shard', '0/2'], /^evaluate: --queue and --shard are two ways to spread a run; give one$/m, 2],
  ['evaluate: files without --merge', 'evaluate', () => [...M(), 'part-0-of-2.json'], /^evaluate: unexpected argument "part-0-of-2\.json" \(only --merge takes files\)$/m, 2],
  // worker
  ['worker: no --queue', 'worker', () => [], /^worker: --queue redis:\/\/host:port\/db is required$/m, 2],
  ['worker: --concurrency 0', 'worker', () => ['--queue', 'redis://127.0.0.1:6379/0', '--concurrency', '0'], /^worker: --concurrency 0: give a positive whole number$/m, 2],
  // audit
  ['audit: unknown flag', 'audit', () => ['--bogus'], /^audit: unknown option --bogus$/m, 2],
  ['audit: bad clip', 'audit', () => ['--clip', 'sometimes'], /--clip sometimes: give two numbers lo,hi with lo < hi/, 2],
  ['audit: --split without tight', 'audit', () => ['--split', '4'], /^audit: --split 4 refines the tight method: add tight to the methods/m, 2],
  ['audit: --max-eps 0', 'audit', () => ['--max-eps', '0'], /--max-eps 0: the upper end of the search must be a positive number/, 2],
  ['audit: a folder without a manifest', 'audit', () => ['--zoo', f('empty-zoo')], /--zoo .*empty-zoo: no manifest\.json there/, 2],
  ['audit: unknown model', 'audit', () => ['--models', 'no-such-model'], /--models: no-such-model not in the manifest/, 2],
  // reproduce
  ['reproduce: unknown table', 'reproduce', () => ['table9'], /^reproduce: unknown table "table9"; valid: table7, sensitive-words$/m, 2],
  ['reproduce: unknown model', 'reproduce', () => ['--models', 'nope'], /--models: nope not in the zoo \(known: rnn-2-32/, 2],
  ['reproduce: bad --n', 'reproduce', () => ['--n', 'ten'], /--n ten: not a number/, 2],
  // bench
  ['bench: unknown flag', 'bench', () => ['--frob'], /^bench: unknown option --frob$/m, 2],
  ['bench: --samples 0', 'bench', () => ['--samples', '0'], /--samples 0: give a positive whole number/, 2],
  ['bench: a pattern that matches nothing', 'bench', () => ['--models', 'zzz', '--plan'], /--models "zzz" matches no model/, 2],
  // train
  ['train: unknown model id', 'train', () => ['no-such-model'], /^train: unknown model id "no-such-model"; valid: rnn-2-32, /m, 2],
  ['train: unknown flag', 'train', () => ['--frob'], /^train: unknown option --frob$/m, 2],
  ['train: negative ε', 'train', () => ['rnn-4-32-ibp', '--eps', '-0.1'], /--eps -0\.1: ε must be a positive number/, 2],
  ['train: no ids', 'train', () => ['--jobs', '2'], /give model ids, --all or --defended/, 2],
]

describe('hostile inputs on the command lines', () => {
  it.each(CASES)('%s', (_, script, args, message, code) => {
    const r = run(script, args())
    expect(r.err).toMatch(message)
    expect(r.code, r.err).toBe(code)
    expect(r.err).not.toMatch(STACK)
    // one message, not prefixed twice; usage errors end with the usage
    expect(r.err).not.toMatch(new RegExp(`${script}: ${script}:|tokenizer\\.json: tokenizer\\.json:`))
    if (code === 2) expect(r.err).toContain('usage: ')
    else expect(r.err).not.toContain('usage: ')
    expect(r.out).toBe('')
  })

  it.each(Object.keys(SCRIPTS) as Script[])('%s --help prints its usage and exits 0', (script) => {
    const r = run(script, ['--help'])
    expect(r.code).toBe(0)
    expect(r.out).toMatch(/^usage: /)
    expect(r.out).toContain('-h, --help')
    expect(r.err).toBe('')
  })
})

describe('near ties and long texts (certify)', () => {
  it('says when TF.js (float32) predicts another class than the certified float64 one', () => {
    const r = run('certify', ['--model', tieModel, '--json', '--eps', '0.001'])
    expect(r.code, r.err).toBe(0)
    const line = JSON.parse(r.out.split('\n')[0])
    expect(line.predicted).toBe(1)
    expect(line.tfjsPredicted).toBe(0)
    expect(line.nearTie).toBe(true)
    const summary = JSON.parse(r.out.trim().split('\n').pop()!).summary
    expect(summary.nearTies).toBe(1)
    const text = run('certify', ['--model', tieModel, '--eps', '0.001'])
    expect(text.out).toMatch(/near tie: TF\.js \(float32\) predicts 0; the certificate is about the float64 prediction 1/)
    // skipped on request
    const never = JSON.parse(run('certify', ['--model', tieModel, '--json', '--eps', '0.001', '--float32', 'never']).out.split('\n')[0])
    expect(never.tfjsPredicted).toBeNull()
    expect(never.nearTie).toBe(false)
  })

  it('a wide float64 margin needs no float32 check; when asked for, TF.js agrees', () => {
    const auto = JSON.parse(run('certify', ['--model', frameModel, '--json', '--eps', '0.001']).out.split('\n')[0])
    expect(auto.tfjsPredicted).toBeNull()
    expect(auto.nearTie).toBe(false)
    const always = JSON.parse(run('certify', ['--model', frameModel, '--json', '--eps', '0.001', '--float32', 'always']).out.split('\n')[0])
    expect(always.tfjsPredicted).toBe(always.predicted)
    expect(always.nearTie).toBe(false)
  })

  it('cuts a text longer than the model reads, and says so', () => {
    const long = 'you are a nice person go away the cat'
    const j = run('certify', ['--model', tokenModel, '--json', '--eps', '0.001', '--threat', 'all', '--text', long, '--text', 'the cat'])
    expect(j.code, j.err).toBe(0)
    const [first, second] = j.out.split('\n').map((l) => (l ? JSON.parse(l) : null))
    expect(first.truncated).toEqual({ tokens: 9, kept: 4 })
    expect(second.truncated).toBeUndefined()
    const t = run('certify', ['--model', tokenModel, '--eps', '0.001', '--threat', 'all', '--text', long])
    expect(t.out).toMatch(/^note: text #0 has 9 tokens; the model reads the first 4$/m)
  })
})
