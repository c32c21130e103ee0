/**
 * The `certify` command line: certify or search the robustness bound of a TF.js Layers
 * model on a file of inputs. A stable contract: flags and JSON lines are kept exactly.
 *
 *   npm run certify --silent -- --model <dir> [--inputs <file.json>] [--n N]
 *     [--threat single|all|frames=0,3,5] [--method certrnn|deepz|interval|tight]
 *     [--margin diff|paper] [--search paper|fast] [--eps E] [--clip lo,hi] [--reduce K] [--split K] [--max-eps E]
 *     [--max-frames N] [--float32 auto|always|never] [--jobs N] [--json]
 *
 * Every input is checked (model fit, threat, clip range, length cap) before anything is
 * certified; options and messages come from scripts/lib/args.ts (exit 2 a bad option, 1 a
 * bad model or input).
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { SampleInput } from '../src/cert/index.ts'
import { compileNetwork, mean, populationStd, threatLabel, verifiedAccuracy } from '../src/cert/index.ts'
import { defineCli, InputError, list, nonNegativeNumber, option, repeated, runCli, UsageError } from './lib/args.ts'
import { float32Predictions, isCloseCall, NEAR_TIE_GAP } from './lib/float32.ts'
import type { TextInput } from './lib/inputs.ts'
import { encodeTexts, inputsModel, modelFolder, prepareInputs, readInputsFile, readTokenizer, truncationNote } from './lib/inputs.ts'
import { loadModelDir } from './lib/loadModelDir.ts'
import type { ModelJob } from './lib/jobs.ts'
import { runJobs } from './lib/jobs.ts'
import { checkMaxEps, checkSplit, common, jobsOf } from './lib/options.ts'
import type { BoundSummary, CertifySummary } from '../src/worker/protocol.ts'

const cli = defineCli({
  name: 'certify',
  synopsis: 'npm run certify --silent -- --model <dir with model.json | file.onnx> [options]',
  options: {
    model: common.model,
    inputs: common.inputs,
    text: repeated('"…"', 'text models: certify this sentence or URL, tokenised with the model\nfolder\'s tokenizer.json (longer than the model reads: cut, with a note)', (raw) => raw),
    n: common.n,
    threat: common.threat,
    method: common.method,
    margin: { ...common.margin, help: 'diff (default: difference zonotope) | paper (interval comparison)' },
    search: { ...common.search, help: 'paper (default: Algorithm 1) | fast (adaptive, same resolution)' },
    eps: common.eps,
    clip: common.clip,
    reduce: common.reduce,
    split: common.split,
    'max-eps': common.maxEps,
    'acc-eps': option('E1,E2,...', 'add verified accuracy at these ε (≥ 0) to the summary (needs labels)', list(nonNegativeNumber, 'numbers')),
    'max-frames': common.maxFrames,
    float32: option('WHEN', `auto (default: when the float64 top-two logits are within ${NEAR_TIE_GAP} relative)\n| always | never: check the prediction with TF.js in float32`, (raw, f) => {
      if (raw !== 'auto' && raw !== 'always' && raw !== 'never') throw new UsageError(`${f} ${raw}: use one of auto, always, never`)
      return raw
    }),
    json: common.json,
    jobs: common.jobs,
  },
  epilog: `Near ties: the certificate is about the float64 prediction; when TF.js (float32) predicts
another class, the sample's line says so ("tfjsPredicted", "nearTie": true in JSON).
exit code: 0 done; 1 a bad model or input (nothing is certified); 2 a bad option.`,
})

const round = (v: number, d = 6) => (Number.isFinite(v) ? Number(v.toFixed(d)) : v)

async function main({ values }: NonNullable<ReturnType<typeof cli.parse>>): Promise<number> {
  if (!values.model) throw new UsageError('--model <dir> is required (a folder with model.json and its weight files, a Keras .keras / .h5 file or an .onnx file)')
  const method = values.method ?? 'certrnn'
  checkSplit(values.split, [method])
  const margin = values.margin ?? 'diff'
  const search = values.search ?? 'paper'
  const threat = values.threat ?? { kind: 'single' as const }
  const eps = values.eps
  const maxEps = values['max-eps']
  if (maxEps !== undefined && eps !== undefined) throw new UsageError('--max-eps goes with the bound search, not with --eps')
  checkMaxEps(search, maxEps)
  const clip = values.clip
  const accEps = values['acc-eps']
  if (accEps && eps !== undefined) throw new UsageError('--acc-eps goes with the bound search, not with --eps')
  const n = values.n
  if (values.text.length && values.inputs) throw new UsageError('give either --text or --inputs, not both')

  const net = loadModelDir(values.model)
  const cn = compileNetwork(net)
  const inputsPath = values.inputs ?? join(modelFolder(values.model), 'examples.json')
  let inputs: SampleInput[]
  let texts: TextInput[] = []
  if (values.text.length) {
    texts = encodeTexts(readTokenizer(values.model), values.text)
    inputs = texts.map((t) => t.input)
  } else {
    if (!values.inputs && !existsSync(inputsPath)) {
      throw new UsageError(`--inputs <file.json> is required: ${values.model} has no examples.json`)
    }
    const evaluations = eps !== undefined ? 1 : search === 'paper' ? 13 : 8
    const costThreat = threat.kind === 'frames' ? { frames: threat.frames } : threat.kind
    const parsed = readInputsFile(inputsPath, inputsModel(values.model, cn), { maxFrames: values['max-frames'], threat: costThreat, evaluations }, values.inputs ? `--inputs ${inputsPath}` : inputsPath)
    inputs = parsed.inputs
    for (const t of parsed.truncated) console.error(`note: input ${t.index} has ${t.tokens} tokens; the model reads the first ${t.kept}`)
  }
  if (n !== undefined) inputs = inputs.slice(0, n)
  // every input checked (model fit, threat, clip, length cap) before anything is certified
  const evaluations = eps !== undefined ? 1 : search === 'paper' ? 13 : 8
  const preps = prepareInputs(cn, inputs, { maxFrames: values['max-frames'], threat, clip, evaluations })
  const check = values.float32 ?? 'auto'
  let f32: Array<number | null> = preps.map(() => null)
  if (check !== 'never') {
    try {
      f32 = await float32Predictions(net, preps, check === 'always' ? () => true : isCloseCall)
    } catch (e) {
      throw new InputError(`TF.js could not run this model for the float32 check (${(e as Error).message.split('\n')[0]}); run with --float32 never to skip it`)
    }
  }

  const bounds: number[] = []
  const graded: Array<{ bound: number; correct: boolean }> = []
  let certifiedCount = 0
  let correctCount = 0
  let totalMs = 0
  // one job per input on --jobs workers (the page's worker code); each line printed in input order
  const settings = { threat, method, margin, clip, reduceTo: values.reduce, ...(values.split ? { splits: values.split } : {}) }
  const jobs: ModelJob[] = inputs.map((input) => ({
    model: 'model',
    job: eps !== undefined ? { kind: 'certify', input, eps, ...settings } : { kind: 'bound', input, search, maxEps, ...settings },
  }))
  const print = (index: number, r: CertifySummary | BoundSummary) => {
    const input = inputs[index]
    const prep = preps[index]
    let line: Record<string, unknown>
    if (r.kind === 'certify') {
      line = { index, label: input.label ?? null, predicted: prep.predicted, bound: null, perFrame: r.result.perFrame, certified: r.result.certified, ms: 0, eps, margin: round(r.result.margin) }
      if (r.result.certified) certifiedCount++
    } else {
      bounds.push(r.result.bound)
      line = {
        index,
        label: input.label ?? null,
        predicted: prep.predicted,
        bound: round(r.result.bound),
        perFrame: r.result.perFrame ? r.result.perFrame.map((b) => round(b)) : null,
        certified: r.result.bound > 0,
        ms: 0,
        evaluations: r.result.evaluations,
      }
      if (r.result.bound > 0) certifiedCount++
    }
    totalMs += r.ms
    line.ms = round(r.ms, 2)
    if (values.reduce !== undefined) line.reduce = values.reduce
    if (values.split) line.split = values.split
    const correct = input.label === undefined ? null : input.label === prep.predicted
    line.correct = correct
    if (correct) correctCount++
    if (correct !== null && typeof line.bound === 'number') graded.push({ bound: line.bound, correct })
    // the TF.js float32 prediction, where it was checked (null: the float64 margin is too wide to flip)
    const tfjs = f32[index]
    line.tfjsPredicted = tfjs
    line.nearTie = tfjs !== null && tfjs !== prep.predicted
    const cut = texts[index]?.truncated ?? null
    if (cut) line.truncated = cut
    if (values.json) console.log(JSON.stringify(line))
    else {
      if (cut) console.log(truncationNote(index, cut))
      const what = eps !== undefined ? (line.certified ? `certified at ε=${eps}` : `NOT certified at ε=${eps}`) : `bound ${line.bound}`
      const lab = input.label === undefined ? '' : ` label ${input.label}${correct ? '' : ' (misclassified)'}`
      console.log(`#${index}: predicted ${prep.predicted}${lab}: ${what} (${line.ms} ms)`)
      if (line.nearTie) console.log(`   near tie: TF.js (float32) predicts ${tfjs}; the certificate is about the float64 prediction ${prep.predicted}`)
    }
  }
  await runJobs<CertifySummary | BoundSummary>(new Map([['model', net]]), jobs, { name: 'certify', jobs: jobsOf(values.jobs), describe: (k) => `input ${k}`, onResult: print })
  const boundMean = bounds.length ? mean(bounds) : null
  const boundStd = bounds.length ? populationStd(bounds) : null
  const summary = {
    n: inputs.length,
    mean: boundMean === null ? null : round(boundMean),
    std: boundStd === null ? null : round(boundStd),
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
  const nearTies = preps.filter((p, k) => f32[k] !== null && f32[k] !== p.predicted).length
  if (nearTies) Object.assign(summary, { nearTies })
  if (values.json) console.log(JSON.stringify({ summary }))
  else {
    console.log(
      `\n${summary.n} samples, method ${method}, threat ${summary.threat}, margin ${margin}` +
        (eps === undefined ? `, search ${search}: mean bound ${summary.mean} ± ${summary.std}` : `: ${certifiedCount}/${summary.n} certified at ε=${eps}`) +
        `, ${summary.msPerSample} ms/sample`,
    )
    if (nearTies) console.log(`${nearTies} near tie${nearTies === 1 ? '' : 's'}: TF.js (float32) predicts another class than the certified float64 prediction`)
  }
  return 0
}

void runCli(cli, main)
