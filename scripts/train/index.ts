/**
 * The model-zoo trainer.
 *
 *   npm run train -- <model-id> [<model-id> …]   train these models
 *   npm run train -- --all [--jobs 2]           train the whole zoo (one process per model)
 *   npm run train -- --defended [--jobs 1]      fine-tune the 16 defended variants (<base>-<defense>)
 *   npm run train -- --list                     the zoo's ids and settings
 *   npm run train -- --manifest                 only rebuild public/models/manifest.json
 *   npm run train -- --table                    print the zoo table (Markdown) from the manifest
 *
 * Options: --out <dir> (default public/models), --data <dir> (default ../shared/data),
 * --backend wasm|cpu (default wasm), --train-size N, --max-epochs N, --max-seconds S
 * (override the zoo's settings; recorded in training.json); for defended variants also
 * --steps N, --eps E, --robust-n N, --perturb-frames K (smoke runs: e.g. --steps 20
 * --max-seconds 30 --out /tmp/zoo).
 * A defended variant is fine-tuned from the base model in the output folder.
 * Each model's log goes to scripts/train/logs/<id>.log (and stdout).
 */
import { spawn } from 'node:child_process'
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { validateManifest } from '../../src/model/manifest.ts'
import { choice, defineCli, epsValue, flag, option, positiveInt, positiveNumber, runCli, text, UsageError, wholeNumber } from '../lib/args.ts'
import { buildManifest, writeSharedMnistExamples, zooTable } from './manifest.ts'
import { trainDefended } from './defended.ts'
import { trainOne } from './train.ts'
import type { DefenseSettings, TrainSettings } from './zoo.ts'
import { DEFENDED, findDefended, findSpec, ZOO } from './zoo.ts'

const HERE = dirname(fileURLToPath(import.meta.url))
const ROOT = resolve(HERE, '..', '..')
const LOGS = join(HERE, 'logs')

function stamp(): string {
  return new Date().toISOString().slice(11, 19)
}

async function runChild(id: string, passArgs: string[]): Promise<number> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(HERE, 'index.ts'), id, '--no-manifest', ...passArgs], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const relay = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) if (line.trim()) console.log(`[${id}] ${line}`)
    }
    child.stdout.on('data', relay)
    child.stderr.on('data', relay)
    child.on('close', (code) => done(code ?? 1))
  })
}

const IDS = [...ZOO.map((z) => z.id), ...DEFENDED.map((d) => d.id)]

const cli = defineCli({
  name: 'train',
  synopsis: 'npm run train -- <model-id> … | --all | --defended | --list | --manifest | --table [options]',
  positionals: { name: '<model-id>', help: 'zoo models to train (ids: npm run train -- --list)', choices: IDS },
  options: {
    all: flag('train the whole zoo (one process per model)'),
    defended: flag('fine-tune the defended variants (<base>-<defense>)'),
    list: flag("the zoo's ids and settings"),
    manifest: flag('only rebuild public/models/manifest.json'),
    table: flag('print the zoo table (Markdown) from the manifest'),
    'no-manifest': flag('do not rebuild the manifest after training', { hidden: true }),
    jobs: option('J', 'models trained in parallel processes (default 1)', positiveInt),
    out: option('DIR', 'output folder (default public/models)', text),
    data: option('DIR', 'data folder (default ../shared/data)', text),
    backend: option('B', 'wasm (default) | cpu', choice(['wasm', 'cpu'] as const)),
    'train-size': option('N', "override the zoo's training-set size", positiveInt),
    'max-epochs': option('N', "override the zoo's epochs", positiveInt),
    'max-seconds': option('S', "override the zoo's time limit", positiveNumber('the time limit')),
    steps: option('N', 'defended variants: optimiser steps', positiveInt),
    eps: option('E', 'defended variants: training ε', epsValue),
    'robust-n': option('N', 'defended variants: inputs of the robustness check', positiveInt),
    'perturb-frames': option('K', 'defended variants: frames perturbed (0 = all)', wholeNumber(0)),
  },
  epilog: 'Each model\'s log goes to scripts/train/logs/<id>.log (and stdout).',
})

async function main({ values: v, positionals }: NonNullable<ReturnType<typeof cli.parse>>): Promise<number> {
  const values = {
    ...v,
    out: v.out ?? join(ROOT, 'public', 'models'),
    data: v.data ?? resolve(ROOT, '..', 'shared', 'data'),
    backend: v.backend ?? 'wasm',
  }
  const outDir = resolve(values.out)
  mkdirSync(outDir, { recursive: true })
  if (values.list) {
    for (const s of ZOO) {
      const extra = [s.shape ? ` shape ${JSON.stringify(s.shape)}` : '', s.storage ? ` storage ${JSON.stringify(s.storage)}` : ''].join('')
      console.log(`${s.id.padEnd(14)} ${s.task.padEnd(9)} ${s.cell.padEnd(9)} ${JSON.stringify(s.train)}${extra}`)
    }
    for (const s of DEFENDED) console.log(`${s.id.padEnd(18)} ${s.defense.method.padEnd(8)} from ${s.defense.base.padEnd(10)} ${JSON.stringify(s.defense.settings)}`)
    return 0
  }
  if (values.table) {
    console.log(zooTable(validateManifest(JSON.parse(readFileSync(join(outDir, 'manifest.json'), 'utf8')))))
    return 0
  }
  if (values.manifest) {
    writeSharedMnistExamples(outDir)
    const m = buildManifest(outDir)
    console.log(`manifest: ${m.models.length} models, ${(m.totalBytes / 1e6).toFixed(2)} MB`)
    return 0
  }
  const ids = [...(values.all ? ZOO.map((s) => s.id) : []), ...(values.defended ? DEFENDED.map((s) => s.id) : []), ...positionals]
  if (ids.length === 0) throw new UsageError('give model ids, --all or --defended (ids: npm run train -- --list)')
  const overrides: Partial<TrainSettings> = {}
  if (values['train-size'] !== undefined) overrides.trainSize = values['train-size']
  if (values['max-epochs'] !== undefined) overrides.maxEpochs = values['max-epochs']
  if (values['max-seconds'] !== undefined) overrides.maxSeconds = values['max-seconds']
  // defended variants: their own settings (train-size and max-seconds apply too)
  const defendedOverrides: Partial<DefenseSettings> = {}
  for (const [flag, key] of [['train-size', 'trainSize'], ['max-seconds', 'maxSeconds'], ['steps', 'steps'], ['eps', 'eps'], ['robust-n', 'robustN'], ['perturb-frames', 'perturbFrames']] as const) {
    const n = values[flag]
    if (n !== undefined) defendedOverrides[key] = n
  }
  const passArgs = ['--out', outDir, '--data', values.data, '--backend', values.backend]
  for (const k of ['train-size', 'max-epochs', 'max-seconds', 'steps', 'eps', 'robust-n', 'perturb-frames'] as const) if (values[k] !== undefined) passArgs.push(`--${k}`, String(values[k]))
  mkdirSync(LOGS, { recursive: true })

  if (ids.length === 1) {
    const id = ids[0]
    const logPath = join(LOGS, `${id}.log`)
    writeFileSync(logPath, '')
    const log = (line: string) => {
      const l = `${stamp()} ${line}`
      console.log(l)
      appendFileSync(logPath, l + '\n')
    }
    // the command that reproduces this run: the id plus the non-default options
    const flags: string[] = []
    if (relative(ROOT, outDir) !== join('public', 'models')) flags.push('--out', relative(ROOT, outDir))
    if (resolve(values.data) !== resolve(ROOT, '..', 'shared', 'data')) flags.push('--data', values.data)
    if (values.backend !== 'wasm') flags.push('--backend', values.backend)
    for (const k of ['train-size', 'max-epochs', 'max-seconds', 'steps', 'eps', 'robust-n', 'perturb-frames'] as const) if (values[k] !== undefined) flags.push(`--${k}`, String(values[k]))
    const command = ['npm run train --', id, ...flags].join(' ')
    const defended = findDefended(id)
    if (defended) {
      await trainDefended(defended, { outDir, dataDir: values.data, backend: values.backend, command, log, defenseOverrides: defendedOverrides })
    } else await trainOne(findSpec(id)!, { outDir, dataDir: values.data, backend: values.backend, command, log, overrides })
    if (!values['no-manifest']) buildManifest(outDir)
    return 0
  }

  // several models: one child process each (clean TF.js state), `jobs` at a time
  const jobs = values.jobs ?? 1
  const t0 = performance.now()
  const queue = ids.slice()
  const failed: string[] = []
  console.log(`${stamp()} training ${ids.length} models, ${jobs} at a time; logs in ${relative(ROOT, LOGS)}/`)
  await Promise.all(
    Array.from({ length: jobs }, async () => {
      for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
        const ts = performance.now()
        const code = await runChild(id, passArgs)
        console.log(`${stamp()} ${id}: ${code === 0 ? 'done' : `FAILED (exit ${code})`} in ${((performance.now() - ts) / 1000).toFixed(0)} s`)
        if (code !== 0) failed.push(id)
        buildManifest(outDir)
      }
    }),
  )
  const total = (performance.now() - t0) / 1000
  console.log(`${stamp()} all done in ${(total / 60).toFixed(1)} min wall clock${failed.length ? `; FAILED: ${failed.join(', ')}` : ''}`)
  return failed.length ? 1 : 0
}

void runCli(cli, main, { exit: true })
