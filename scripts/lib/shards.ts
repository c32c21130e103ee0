/**
 * Shards for batch schedulers without Redis (Kubernetes Indexed Jobs, Slurm job arrays,
 * `xargs -P`): `npm run evaluate -- … --shard i/n` runs every n-th task of the run, from the
 * i-th (0-based, as JOB_COMPLETION_INDEX and SLURM_ARRAY_TASK_ID count), and writes a part
 * file; `npm run evaluate -- --merge <parts or folders>` checks that the parts are the n
 * shards of one run (same model bytes, settings, methods, inputs) and writes the same files
 * as a local run (docs/scale-out.md).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { jsonFileSizeProblem } from '../../src/model/limits.ts'
import type { Parse } from './args.ts'
import { InputError, UsageError } from './args.ts'
import type { EvalResult, RunIdentity, WireResult } from './evaluation.ts'
import { decodeResult, encodeResult } from './evaluation.ts'

export interface Shard {
  /** 0-based */
  index: number
  count: number
}

/** `--shard i/n`: 0 ≤ i < n. */
export const shardValue: Parse<Shard> = (raw, flag) => {
  const m = /^(\d+)\/(\d+)$/.exec(raw.trim())
  if (!m) throw new UsageError(`${flag} ${raw}: give i/n, the shard's 0-based index and the number of shards (e.g. 0/3, 1/3, 2/3)`)
  const index = Number(m[1])
  const count = Number(m[2])
  if (count < 1) throw new UsageError(`${flag} ${raw}: the number of shards must be at least 1`)
  if (index >= count) throw new UsageError(`${flag} ${raw}: the index counts from 0, so it must be below ${count} (the shards of ${count} are 0/${count} … ${count - 1}/${count})`)
  return { index, count }
}

/** Is the k-th task of the run in the shard? (every n-th, from the i-th: the shards are balanced however inputs and methods are ordered) */
export const inShard = (k: number, s: Shard): boolean => k % s.count === s.index

export const partFileName = (s: Shard): string => `part-${s.index}-of-${s.count}.json`

const FORMAT = 'cert-rnn-evaluate-part'

interface PartFile {
  format: typeof FORMAT
  version: 1
  run: RunIdentity
  shard: Shard
  /** tasks in the whole run */
  tasks: number
  /** this shard's results, by the task's position in the run */
  results: Array<{ task: number; result: WireResult }>
}

/** Write the shard's part file into `out`; returns its path. */
export function writePart(out: string, run: RunIdentity, shard: Shard, tasks: number, results: Array<{ task: number; result: EvalResult }>): string {
  const part: PartFile = { format: FORMAT, version: 1, run, shard, tasks, results: results.map(({ task, result }) => ({ task, result: encodeResult(result) })) }
  mkdirSync(out, { recursive: true })
  const path = join(out, partFileName(shard))
  writeFileSync(path, JSON.stringify(part))
  return path
}

/** The part files a --merge argument names: a file, or every part-*.json of a folder. */
function partPaths(arg: string): string[] {
  if (!existsSync(arg)) throw new InputError(`--merge ${arg}: no such file or folder`)
  if (!statSync(arg).isDirectory()) return [arg]
  const files = readdirSync(arg)
    .filter((f) => /^part-\d+-of-\d+\.json$/.test(f))
    .sort()
  if (!files.length) throw new InputError(`--merge ${arg}: the folder holds no part-<i>-of-<n>.json files (written by --shard i/n)`)
  return files.map((f) => join(arg, f))
}

function readPart(path: string): PartFile {
  const st = statSync(path)
  if (!st.isFile()) throw new InputError(`--merge ${path}: not a regular file`)
  const tooBig = jsonFileSizeProblem(`--merge ${path}`, st.size)
  if (tooBig) throw new InputError(tooBig)
  let part: PartFile
  try {
    part = JSON.parse(readFileSync(path, 'utf8')) as PartFile
  } catch (e) {
    throw new InputError(`--merge ${path}: not a part file of npm run evaluate --shard (${(e as Error).message})`)
  }
  if (part?.format !== FORMAT || !part.run || !part.shard || !Array.isArray(part.results) || typeof part.tasks !== 'number') {
    throw new InputError(`--merge ${path}: not a part file of npm run evaluate --shard (no "format": "${FORMAT}")`)
  }
  if (part.version !== 1) throw new InputError(`--merge ${path}: part file version ${String(part.version)}; this evaluate reads version 1`)
  return part
}

/** How two runs differ, in words (null: the same run). */
function difference(a: RunIdentity, b: RunIdentity): string | null {
  const fields: Array<[string, (r: RunIdentity) => unknown]> = [
    ['the model (content hash of its files)', (r) => r.modelHash],
    ['the threat, search, margin, clip range or order reduction', (r) => r.settings],
    ['the methods', (r) => r.methods],
    ['--attack', (r) => r.attack],
    ['the inputs', (r) => [r.inputs, r.inputsHash]],
    ['--eps-list', (r) => r.epsList],
  ]
  for (const [what, get] of fields) {
    const x = JSON.stringify(get(a))
    const y = JSON.stringify(get(b))
    if (x !== y) return `${what} differ${what.startsWith('the model') || what.startsWith('--') ? 's' : ''} (${x.slice(0, 80)} vs ${y.slice(0, 80)})`
  }
  return null
}

/** Read and check the parts (every shard of one run, each once, complete); the run and every task's result in task order. */
export function mergeParts(args: string[]): { run: RunIdentity; results: EvalResult[] } {
  if (!args.length) throw new UsageError('--merge: give the part files written by --shard i/n, or the folders holding them')
  const paths = [...new Set(args.flatMap(partPaths))]
  const parts = paths.map((path) => ({ path, part: readPart(path) }))
  const first = parts[0]
  const seen = new Map<number, string>()
  for (const { path, part } of parts) {
    const diff = difference(first.part.run, part.run)
    if (diff) throw new InputError(`--merge: ${path} is from a different run than ${first.path}: ${diff}; merge only the parts of one run`)
    const { index, count } = part.shard
    if (count !== first.part.shard.count) throw new InputError(`--merge: ${path} is shard ${index}/${count} but ${first.path} is shard ${first.part.shard.index}/${first.part.shard.count}: merge the shards of one split`)
    if (seen.has(index)) throw new InputError(`--merge: ${seen.get(index)} and ${path} are both shard ${index}/${count}`)
    seen.set(index, path)
    const expected = Array.from({ length: part.tasks }, (_t, k) => k).filter((k) => inShard(k, part.shard))
    const got = part.results.map((r) => r.task)
    if (JSON.stringify(got) !== JSON.stringify(expected)) throw new InputError(`--merge: ${path} holds ${got.length} results, shard ${index}/${count} of ${part.tasks} tasks has ${expected.length}: the file is incomplete or was edited`)
  }
  const count = first.part.shard.count
  const missing = Array.from({ length: count }, (_s, k) => k).filter((k) => !seen.has(k))
  if (missing.length) throw new InputError(`--merge: shard${missing.length > 1 ? 's' : ''} ${missing.map((k) => `${k}/${count}`).join(', ')} missing (given: ${[...seen.keys()].sort((a, b) => a - b).map((k) => `${k}/${count}`).join(', ')}); run evaluate with --shard ${missing[0]}/${count} and merge again`)
  const byTask: EvalResult[] = new Array(first.part.tasks)
  for (const { part } of parts) for (const { task, result } of part.results) byTask[task] = decodeResult(result)
  return { run: first.part.run, results: byTask }
}
