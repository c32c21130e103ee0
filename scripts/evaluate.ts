/**
 * Data-set evaluation: `npm run evaluate -- --model <dir> [--inputs file.json] [--n N]
 *   [--methods certrnn,deepz,interval,tight] [--threat single|all|frames=…] [--search fast|paper]
 *   [--margin diff|paper] [--clip lo,hi] [--attack] [--eps-list 0.001,0.002,…] [--max-frames N]
 *   [--out dir] [--jobs N] [--queue redis://host:port/db [--queue-name NAME] | --shard i/n]`
 * and `npm run evaluate -- --merge <part files or folders> [--out dir]`.
 *
 * For every sample and method: the robustness bound (and per-frame bounds), the time; with
 * --attack, the PGD attack radius (an upper bound on the true radius). Writes
 * <out>/samples.csv, <out>/summary.csv, <out>/verified-accuracy.csv and <out>/evaluation.json
 * and prints the summary table. The tasks (lib/evaluation.ts) run the page's worker code in
 * this thread (--jobs 1), on --jobs N worker threads (lib/jobs.ts), or as jobs on a
 * Redis queue that `npm run worker` processes take (lib/queue.ts), or a shard of them writes
 * a part file that --merge combines with the others (lib/shards.ts): docs/scale-out.md.
 */
import { join, resolve } from 'node:path'
import { compileNetwork, DEFAULT_METHODS, METHODS } from '../src/cert/index.ts'
import { runBatch, valuesOf } from '../src/run/batch.ts'
import { defineCli, flag, InputError, list, nonNegativeNumber, option, runCli, UsageError } from './lib/args.ts'
import type { EvalResult, EvalSettings } from './lib/evaluation.ts'
import { assembleRows, evalTasks, runIdentity, runKey, runTasks, writeEvaluation } from './lib/evaluation.ts'
import { inputsModel, modelFolder, prepareInputs, readInputsFile } from './lib/inputs.ts'
import { loadModelHashed } from './lib/loadModelDir.ts'
import { checkSplit, common, jobsOf } from './lib/options.ts'
import { DEFAULT_QUEUE_NAME, queueExecutor, queueName, redisUrl, shownUrl } from './lib/queue.ts'
import { inShard, mergeParts, shardValue, writePart } from './lib/shards.ts'

const cli = defineCli({
  name: 'evaluate',
  synopsis: 'npm run evaluate -- --model <dir> [options]\n       npm run evaluate -- --merge <part files or folders> [--out dir]',
  options: {
    model: common.model,
    inputs: common.inputs,
    n: common.n,
    methods: { ...common.methods, help: `comma-separated, from ${METHODS.join(', ')} (default: ${DEFAULT_METHODS.join(',')})` },
    threat: common.threat,
    search: { ...common.search, help: 'fast (default: adaptive) | paper (Algorithm 1)' },
    margin: { ...common.margin, help: 'diff (default: difference zonotope) | paper (interval comparison)' },
    clip: common.clip,
    reduce: common.reduce,
    split: common.split,
    attack: flag('also the PGD attack radius of every input (an upper bound on the true radius)'),
    'eps-list': option('e1,e2,...', 'ε (≥ 0) of the verified-accuracy table (default 0.001,0.002,0.005,0.01,0.02,0.05,0.1)', list(nonNegativeNumber, 'numbers')),
    'max-frames': common.maxFrames,
    out: { ...common.out, help: 'output folder (default results/evaluate/<model>)' },
    jobs: common.jobs,
    queue: option('URL', 'run the tasks as jobs on this Redis (redis://host:port/db), taken by\n`npm run worker -- --queue URL` processes on any machine that reads\nthe model at the same path; waits for them (docs/scale-out.md)', redisUrl),
    'queue-name': option('NAME', `the queue (default ${DEFAULT_QUEUE_NAME}); the same run on the same queue\nresumes: done jobs are kept, failed ones retried`, queueName),
    shard: option('i/n', 'only every n-th task from the i-th (0-based); writes <out>/part-i-of-n.json\nfor --merge (batch schedulers without Redis)', shardValue),
    merge: flag('merge the part files (or folders of them) given as arguments into the outputs'),
  },
  positionals: { name: '<parts>', help: 'with --merge: part files written by --shard, or folders holding them' },
  epilog: 'Writes <out>/samples.csv, summary.csv, verified-accuracy.csv and evaluation.json.\nexit code: 0 done; 1 a bad model or input (nothing is evaluated), or jobs failed; 2 a bad option.',
})

/** The command line, as evaluation.json records it (a Redis password left out). */
const command = () => `npm run evaluate -- ${process.argv.slice(2).map((a) => (/^rediss?:\/\//.test(a) ? shownUrl(a) : a)).join(' ')}`

function merge(parts: string[], given: Set<string>, out: string | undefined) {
  const alone = [...given].filter((g) => g !== 'merge' && g !== 'out')
  if (alone.length) throw new UsageError(`--merge takes only the part files and --out (the run's options are in the parts), not --${alone[0]}`)
  const { run, results } = mergeParts(parts)
  const { rows, violations } = assembleRows(results)
  for (const v of violations) console.error(v)
  const { threat, search, margin, clip } = run.settings
  writeEvaluation(out ?? join('results', 'evaluate', run.model), { name: run.model, command: command(), methods: run.methods, settings: { threat, search, margin, clip: clip ?? undefined }, epsList: run.epsList, attack: run.attack, inputs: run.inputs }, rows)
}

async function main({ values, positionals, given }: NonNullable<ReturnType<typeof cli.parse>>) {
  if (values.merge) return merge(positionals, given, values.out)
  if (positionals.length) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])} (only --merge takes files)`)
  if (!values.model) throw new UsageError('--model <dir> is required')
  if (values.queue && values.shard) throw new UsageError('--queue and --shard are two ways to spread a run; give one')
  if (values['queue-name'] && !values.queue) throw new UsageError('--queue-name needs --queue URL')
  const methods = values.methods ?? [...DEFAULT_METHODS]
  const settings: EvalSettings = { threat: values.threat ?? { kind: 'single' }, search: values.search ?? 'fast', margin: values.margin ?? 'diff', clip: values.clip, maxFrames: values['max-frames'], reduceTo: values.reduce, ...(values.split ? { splits: values.split } : {}) }
  checkSplit(values.split, methods)
  const { threat, search } = settings
  const epsList = values['eps-list'] ?? [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1]
  const n = values.n ?? Infinity

  const { net, hash } = loadModelHashed(values.model)
  const cn = compileNetwork(net)
  const inputsPath = values.inputs ?? join(modelFolder(values.model), 'examples.json')
  const evaluations = methods.length * (search === 'paper' ? 13 : 8)
  const costThreat = threat.kind === 'frames' ? { frames: threat.frames } : threat.kind
  const parsed = readInputsFile(inputsPath, inputsModel(values.model, cn), { maxFrames: values['max-frames'], threat: costThreat, evaluations }, values.inputs ? `--inputs ${inputsPath}` : inputsPath)
  for (const t of parsed.truncated) console.error(`note: input ${t.index} has ${t.tokens} tokens; the model reads the first ${t.kept}`)
  const inputs = parsed.inputs.slice(0, n)
  // every input checked (model fit, threat, clip, length cap) before anything is evaluated
  prepareInputs(cn, inputs, { ...settings, evaluations })
  const name = resolve(modelFolder(values.model)).split('/').filter(Boolean).pop() ?? 'model'
  const out = values.out ?? join('results', 'evaluate', name)
  const run = runIdentity({ name, hash }, settings, methods, values.attack, epsList, inputs)

  // the tasks (a shard's share of them), and where they run: chosen here, once
  const all = evalTasks(inputs, methods, values.attack)
  const positions = all.map((_t, k) => k).filter((k) => !values.shard || inShard(k, values.shard))
  const tasks = positions.map((k) => all[k])
  const log = (line: string) => console.error(line)
  const jobs = values.queue ? 1 : Math.min(jobsOf(values.jobs), Math.max(1, tasks.length))

  // progress: an input is done when all its tasks are
  const left = new Map<number, number>()
  for (const t of tasks) left.set(t.index, (left.get(t.index) ?? 0) + 1)
  const done = (k: number) => {
    const index = tasks[k].index
    const rest = left.get(index)! - 1
    left.set(index, rest)
    if (rest === 0) log(`sample ${index + 1}/${inputs.length} done`)
  }
  let results: EvalResult[]
  if (!values.queue) results = await runTasks(net, settings, tasks, { name: 'evaluate', jobs, onResult: done })
  else {
    const queue = await queueExecutor({ url: values.queue, name: values['queue-name'] ?? DEFAULT_QUEUE_NAME, model: { path: resolve(values.model), hash }, settings, runKey: runKey(run), log })
    log(`${tasks.length} jobs on queue ${values['queue-name'] ?? DEFAULT_QUEUE_NAME}: waiting for workers (npm run worker -- --queue ${values.queue})`)
    const batch = await runBatch(tasks, queue, {
      stopOnError: false,
      onResult: (k) => done(k),
      onError: (k, _slot, e) => log(`job ${tasks[k].method} of input ${tasks[k].index} failed: ${e.message}`),
    }).finally(() => queue.close())
    if (batch.failed) throw new InputError(`${batch.failed} of ${tasks.length} jobs failed (messages above); nothing was written. Jobs done are kept: run the same command again to retry the failed ones`)
    results = valuesOf(batch)
  }

  if (values.shard) {
    const path = writePart(out, run, values.shard, all.length, positions.map((task, j) => ({ task, result: results[j] })))
    console.log(`shard ${values.shard.index}/${values.shard.count}: ${tasks.length} of ${all.length} tasks; wrote ${path} (merge the parts with npm run evaluate -- --merge <parts>)`)
    return
  }
  const { rows, violations } = assembleRows(results)
  for (const v of violations) console.error(v)
  writeEvaluation(out, { name, command: command(), methods, settings, epsList, attack: values.attack, inputs: inputs.length }, rows)
}

void runCli(cli, main)
