/**
 * The `certify` command line: certify or search the robustness bound of a TF.js Layers
 * model on a file of inputs. A stable contract: flags and JSON lines are kept exactly.
 *
 *   npm run certify --silent -- --model <dir> [--inputs <file.json>] [--n N]
 *     [--threat single|all|frames=0,3,5] [--method certrnn|deepz|interval]
 *     [--margin diff|paper] [--search paper|fast] [--eps E] [--clip lo,hi] [--json]
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import type { SampleInput } from '../src/cert/certify.ts'
import { certifyThreat, findBound, prepareSample, verifiedAccuracy } from '../src/cert/certify.ts'
import { compileNetwork } from '../src/cert/runtime.ts'
import type { SearchKind } from '../src/cert/search.ts'
import { SEARCHES } from '../src/cert/search.ts'
import type { Clip } from '../src/cert/threat.ts'
import { checkEps, parseThreat, threatLabel } from '../src/cert/threat.ts'
import type { Method } from '../src/cert/transformers/index.ts'
import { METHODS } from '../src/cert/transformers/index.ts'
import type { MarginCheck } from '../src/cert/verify.ts'
import { MARGIN_CHECKS } from '../src/cert/verify.ts'
import { encode, loadTokenizer } from '../src/model/tokenizer.ts'
import { loadModelDir } from './lib/loadModelDir.ts'

const USAGE = `usage: npm run certify --silent -- --model <dir with model.json> [options]
  --inputs <file.json>   JSON array of {"x": T×features numbers | "tokens": ids, "label"?: n}
                         (default: <model dir>/examples.json when it exists)
  --text "…"             text models: certify this sentence or URL (repeatable), tokenised
                         with the model folder's tokenizer.json
  --n N                  only the first N inputs
  --threat T             single (default: every frame alone) | all | frames=0,3,5
  --method M             certrnn (default) | deepz | interval
  --margin C             diff (default: difference zonotope) | paper (interval comparison)
  --search S             paper (default: Algorithm 1) | fast (adaptive, same resolution)
  --eps E                certify at ε = E instead of searching the bound
  --clip lo,hi           intersect the ball with the input domain, e.g. 0,1 for pixels
  --max-eps E            upper end of the bound search (default 1)
  --acc-eps E1,E2,...    add verified accuracy at these ε to the summary (needs labels)
  --json                 one JSON line per sample, then one summary line`

class UsageError extends Error {}

function oneOf<T extends string>(flag: string, value: string | undefined, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback
  if (!allowed.includes(value as T)) throw new UsageError(`--${flag} ${value}: use one of ${allowed.join(', ')}`)
  return value as T
}

function number(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const v = Number(value)
  if (value.trim() === '' || !Number.isFinite(v)) throw new UsageError(`--${flag} ${value}: not a number`)
  return v
}

function parseClip(value: string | undefined): Clip | undefined {
  if (value === undefined) return undefined
  const parts = value.split(',').map((p) => Number(p.trim()))
  if (parts.length !== 2 || parts.some((p) => !Number.isFinite(p)) || !(parts[0] < parts[1])) {
    throw new UsageError(`--clip ${value}: give two numbers lo,hi with lo < hi, e.g. --clip 0,1`)
  }
  return [parts[0], parts[1]]
}

function readInputs(path: string): SampleInput[] {
  if (!existsSync(path)) throw new UsageError(`--inputs ${path}: no such file`)
  let data: unknown
  try {
    data = JSON.parse(readFileSync(path, 'utf8'))
  } catch (e) {
    throw new UsageError(`--inputs ${path}: not valid JSON (${(e as Error).message})`)
  }
  // a bundled examples.json may wrap the array: { "examples": [...] }
  if (data && !Array.isArray(data) && Array.isArray((data as { examples?: unknown }).examples)) data = (data as { examples: unknown }).examples
  if (!Array.isArray(data)) throw new UsageError(`--inputs ${path}: expected a JSON array of {"x": [[...]], "label"?: n} or {"tokens": [...]} objects`)
  return data.map((d, k) => {
    if (!d || typeof d !== 'object') throw new UsageError(`--inputs ${path}: entry ${k} is not an object`)
    const { x, tokens, label } = d as Record<string, unknown>
    if (x !== undefined && !(Array.isArray(x) && x.every((f) => Array.isArray(f) && f.every((v) => typeof v === 'number')))) {
      throw new UsageError(`--inputs ${path}: entry ${k}: "x" must be an array of frames, each an array of numbers`)
    }
    if (tokens !== undefined && !(Array.isArray(tokens) && tokens.every((v) => typeof v === 'number'))) {
      throw new UsageError(`--inputs ${path}: entry ${k}: "tokens" must be an array of token ids`)
    }
    if (x === undefined && tokens === undefined) throw new UsageError(`--inputs ${path}: entry ${k} has neither "x" nor "tokens"`)
    if (label !== undefined && typeof label !== 'number') throw new UsageError(`--inputs ${path}: entry ${k}: "label" must be a number`)
    return { x: x as number[][] | undefined, tokens: tokens as number[] | undefined, label: label as number | undefined }
  })
}

const round = (v: number, d = 6) => (Number.isFinite(v) ? Number(v.toFixed(d)) : v)

function main(argv: string[]): number {
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string' },
      inputs: { type: 'string' },
      text: { type: 'string', multiple: true },
      n: { type: 'string' },
      threat: { type: 'string' },
      method: { type: 'string' },
      margin: { type: 'string' },
      search: { type: 'string' },
      eps: { type: 'string' },
      clip: { type: 'string' },
      'max-eps': { type: 'string' },
      'acc-eps': { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  })
  if (values.help) {
    console.log(USAGE)
    return 0
  }
  if (!values.model) throw new UsageError('--model <dir> is required (a folder with model.json and its weight files)')
  const method = oneOf<Method>('method', values.method, METHODS, 'certrnn')
  const margin = oneOf<MarginCheck>('margin', values.margin, MARGIN_CHECKS, 'diff')
  const search = oneOf<SearchKind>('search', values.search, SEARCHES, 'paper')
  let threat
  try {
    threat = parseThreat(values.threat ?? 'single')
  } catch (e) {
    throw new UsageError(`--threat: ${(e as Error).message}`)
  }
  const eps = number('eps', values.eps)
  if (eps !== undefined) {
    try {
      checkEps(eps)
    } catch (e) {
      throw new UsageError(`--eps: ${(e as Error).message}`)
    }
  }
  const maxEps = number('max-eps', values['max-eps'])
  if (maxEps !== undefined && !(maxEps > 0)) throw new UsageError('--max-eps must be positive')
  const clip = parseClip(values.clip)
  const accEps = values['acc-eps']?.split(',').map((v) => number('acc-eps', v)!)
  if (accEps && eps !== undefined) throw new UsageError('--acc-eps goes with the bound search, not with --eps')
  const n = number('n', values.n)
  if (n !== undefined && !(Number.isInteger(n) && n > 0)) throw new UsageError(`--n ${values.n}: give a positive whole number`)

  const net = loadModelDir(values.model)
  const cn = compileNetwork(net)
  const inputsPath = values.inputs ?? join(values.model, 'examples.json')
  let inputs: SampleInput[]
  if (values.text?.length) {
    if (values.inputs) throw new UsageError('give either --text or --inputs, not both')
    const tokPath = join(values.model, 'tokenizer.json')
    if (!existsSync(tokPath)) throw new UsageError(`--text needs a text model with a tokenizer.json; ${values.model} has none`)
    const tok = loadTokenizer(JSON.parse(readFileSync(tokPath, 'utf8')))
    inputs = values.text.map((t, k) => {
      const tokens = encode(tok, t)
      if (tokens.length === 0) throw new UsageError(`--text #${k} ("${t}") has no tokens the model can read`)
      return { tokens }
    })
  } else {
    if (!values.inputs && !existsSync(inputsPath)) {
      throw new UsageError(`--inputs <file.json> is required: ${values.model} has no examples.json`)
    }
    inputs = readInputs(inputsPath)
  }
  if (n !== undefined) inputs = inputs.slice(0, n)
  if (inputs.length === 0) throw new UsageError(`${values.text?.length ? '--text' : inputsPath} holds no inputs`)

  const opts = { method, margin, clip }
  const bounds: number[] = []
  const graded: Array<{ bound: number; correct: boolean }> = []
  let certifiedCount = 0
  let correctCount = 0
  let totalMs = 0
  const human: string[] = []
  inputs.forEach((input, index) => {
    let prep
    try {
      prep = prepareSample(cn, input)
    } catch (e) {
      throw new Error(`input ${index}: ${(e as Error).message}`)
    }
    const t0 = performance.now()
    let line: Record<string, unknown>
    if (eps !== undefined) {
      const r = certifyThreat(prep, threat, eps, opts)
      line = { index, label: input.label ?? null, predicted: prep.predicted, bound: null, perFrame: r.perFrame, certified: r.certified, ms: 0, eps, margin: round(r.margin) }
      if (r.certified) certifiedCount++
    } else {
      const r = findBound(prep, threat, { ...opts, search, maxEps })
      bounds.push(r.bound)
      line = {
        index,
        label: input.label ?? null,
        predicted: prep.predicted,
        bound: round(r.bound),
        perFrame: r.perFrame ? r.perFrame.map((b) => round(b)) : null,
        certified: r.bound > 0,
        ms: 0,
        evaluations: r.evaluations,
      }
      if (r.bound > 0) certifiedCount++
    }
    const ms = performance.now() - t0
    totalMs += ms
    line.ms = round(ms, 2)
    const correct = input.label === undefined ? null : input.label === prep.predicted
    line.correct = correct
    if (correct) correctCount++
    if (correct !== null && typeof line.bound === 'number') graded.push({ bound: line.bound, correct })
    if (values.json) console.log(JSON.stringify(line))
    else {
      const what = eps !== undefined ? (line.certified ? `certified at ε=${eps}` : `NOT certified at ε=${eps}`) : `bound ${line.bound}`
      const lab = input.label === undefined ? '' : ` label ${input.label}${correct ? '' : ' (misclassified)'}`
      human.push(`#${index}: predicted ${prep.predicted}${lab}: ${what} (${line.ms} ms)`)
      console.log(human[human.length - 1])
    }
  })
  const mean = bounds.length ? bounds.reduce((s, b) => s + b, 0) / bounds.length : null
  const std = bounds.length && mean !== null ? Math.sqrt(bounds.reduce((s, b) => s + (b - mean) ** 2, 0) / bounds.length) : null
  const summary = {
    n: inputs.length,
    mean: mean === null ? null : round(mean),
    std: std === null ? null : round(std),
    msPerSample: round(totalMs / inputs.length, 2),
    method,
    threat: threatLabel(threat),
    search: eps === undefined ? search : null,
    margin,
    eps: eps ?? null,
    certified: certifiedCount,
    correct: inputs.some((i) => i.label !== undefined) ? correctCount : null,
    ...(accEps
      ? { verifiedAccuracy: Object.fromEntries(verifiedAccuracy(graded, accEps).map((a, k) => [String(accEps[k]), graded.length ? round(a, 4) : null])) }
      : {}),
  }
  if (values.json) console.log(JSON.stringify({ summary }))
  else {
    console.log(
      `\n${summary.n} samples, method ${method}, threat ${summary.threat}, margin ${margin}` +
        (eps === undefined ? `, search ${search}: mean bound ${summary.mean} ± ${summary.std}` : `: ${certifiedCount}/${summary.n} certified at ε=${eps}`) +
        `, ${summary.msPerSample} ms/sample`,
    )
  }
  return 0
}

try {
  process.exitCode = main(process.argv.slice(2))
} catch (e) {
  const err = e as Error & { code?: string }
  const usage = e instanceof UsageError || err.code?.startsWith('ERR_PARSE_ARGS')
  console.error(`certify: ${err.message}`)
  if (usage) console.error(`\n${USAGE}`)
  process.exitCode = usage ? 2 : 1
}
