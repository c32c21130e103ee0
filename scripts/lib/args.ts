/**
 * The command lines of the scripts (certify, evaluate, audit, reproduce, bench, train): one
 * declaration per option (name, value, help text, validation), `--help` from those
 * declarations, and one runner that turns every failure into one line on stderr:
 *
 * - a bad flag or value: `<script>: <specific message>`, then the usage; exit code 2;
 * - a bad model, input file or input: `<script>: <message>`; exit code 1;
 * - anything unexpected: `<script>: internal error: <message>` (one line; the stack trace
 *   only with CERT_RNN_DEBUG=1); exit code 1.
 *
 * Values may start with a minus sign: `--eps -0.1` reads -0.1 as the value of --eps (and
 * refuses it as ε), unlike node's parseArgs, which calls that ambiguous.
 */
import { SequenceTooLongError, UnsupportedModelError } from '../../src/cert/index.ts'
import { ManifestError } from '../../src/model/manifest.ts'
import { TokenizerError } from '../../src/model/tokenizer.ts'

/** A bad flag or value: exit code 2, with the usage. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'UsageError'
  }
}

/** A bad model, input file or input (what the user gave, not how): exit code 1. */
export class InputError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'InputError'
  }
}

// ---------------------------------------------------------------------------------------
// option declarations

/** Turns the text of a value into the value, or throws a UsageError naming the flag. */
export type Parse<T> = (raw: string, flag: string) => T

interface OptionBase {
  /** help text; lines after the first are indented under it */
  help: string
  /** left out of --help (internal options) */
  hidden?: boolean
}
export interface BooleanOption extends OptionBase {
  kind: 'boolean'
  short?: string
}
export interface ValueOption<T> extends OptionBase {
  kind: 'value'
  /** the value's name in the usage, e.g. DIR, N, E */
  value: string
  parse: Parse<T>
}
export interface RepeatedOption<T> extends OptionBase {
  kind: 'repeated'
  value: string
  parse: Parse<T>
}
export type OptionSpec = BooleanOption | ValueOption<any> | RepeatedOption<any>

export const flag = (help: string, extra: Partial<BooleanOption> = {}): BooleanOption => ({ kind: 'boolean', help, ...extra })
export const option = <T>(value: string, help: string, parse: Parse<T>, extra: Partial<OptionBase> = {}): ValueOption<T> => ({ kind: 'value', value, help, parse, ...extra })
export const repeated = <T>(value: string, help: string, parse: Parse<T>): RepeatedOption<T> => ({ kind: 'repeated', value, help, parse })

export type Values<O extends Record<string, OptionSpec>> = {
  [K in keyof O]: O[K] extends BooleanOption ? boolean : O[K] extends ValueOption<infer T> ? T | undefined : O[K] extends RepeatedOption<infer T> ? T[] : never
}

// ---------------------------------------------------------------------------------------
// value parsers (every message starts with the flag and the value given)

const show = (raw: string) => (raw === '' ? '""' : raw)
const bad = (flag: string, raw: string, why: string) => new UsageError(`${flag} ${show(raw)}: ${why}`)

/** Any non-empty text. */
export const text: Parse<string> = (raw, flag) => {
  if (raw.trim() === '') throw new UsageError(`${flag}: give a value (it is empty)`)
  return raw
}

function toNumber(raw: string, flag: string): number {
  const v = Number(raw)
  if (raw.trim() === '' || Number.isNaN(v)) throw bad(flag, raw, 'not a number')
  return v
}

/** A finite number > 0 (`what` names it in the message, e.g. ε). */
export const positiveNumber =
  (what = 'the value'): Parse<number> =>
  (raw, flag) => {
    const v = toNumber(raw, flag)
    if (!(Number.isFinite(v) && v > 0)) throw bad(flag, raw, `${what} must be a positive number`)
    return v
  }

/** A finite number ≥ 0. */
export const nonNegativeNumber: Parse<number> = (raw, flag) => {
  const v = toNumber(raw, flag)
  if (!(Number.isFinite(v) && v >= 0)) throw bad(flag, raw, 'give a number ≥ 0')
  return v
}

/** ε: a finite number > 0 and at most 1e6 (the certifier's threat.ts checkEps). */
export const epsValue: Parse<number> = (raw, flag) => {
  const v = positiveNumber('ε')(raw, flag)
  if (v > 1e6) throw bad(flag, raw, 'ε is too large to mean anything (at most 1e6)')
  return v
}

/** A whole number ≥ min (default 1). */
export const wholeNumber =
  (min = 1, note = ''): Parse<number> =>
  (raw, flag) => {
    const v = toNumber(raw, flag)
    if (!(Number.isInteger(v) && v >= min)) throw bad(flag, raw, `give a ${min === 1 ? 'positive ' : min === 0 ? 'non-negative ' : ''}whole number${min > 1 ? ` ≥ ${min}` : ''}${note}`)
    return v
  }
export const positiveInt = wholeNumber(1)

/** Any whole number (e.g. a seed). */
export const integer: Parse<number> = (raw, flag) => {
  const v = toNumber(raw, flag)
  if (!Number.isInteger(v)) throw bad(flag, raw, 'give a whole number')
  return v
}

/** One of a few words. */
export const choice =
  <T extends string>(allowed: readonly T[]): Parse<T> =>
  (raw, flag) => {
    if (!allowed.includes(raw as T)) throw bad(flag, raw, `use one of ${allowed.join(', ')}`)
    return raw as T
  }

/** A comma-separated list of items, each parsed (empty items refused). */
export const list =
  <T>(item: Parse<T>, what = 'values'): Parse<T[]> =>
  (raw, flag) => {
    const parts = raw.split(',').map((p) => p.trim())
    if (parts.some((p) => p === '')) throw bad(flag, raw, `give comma-separated ${what} with none empty`)
    return parts.map((p) => {
      try {
        return item(p, flag)
      } catch (e) {
        throw e instanceof UsageError && p !== raw ? bad(flag, raw, `"${p}": ${e.message.replace(`${flag} ${show(p)}: `, '')}`) : e
      }
    })
  }

/** A clip range `lo,hi` (lo < hi, finite), e.g. 0,1 for pixels. */
export const clipRange: Parse<readonly [number, number]> = (raw, flag) => {
  const parts = raw.split(',').map((p) => p.trim())
  const v = parts.map(Number)
  if (parts.length !== 2 || parts.some((p) => p === '') || v.some((x) => !Number.isFinite(x)) || !(v[0] < v[1])) {
    throw bad(flag, raw, `give two numbers lo,hi with lo < hi, e.g. ${flag} 0,1`)
  }
  return [v[0], v[1]] as const
}

// ---------------------------------------------------------------------------------------
// the command line

export interface PositionalSpec {
  /** e.g. "<table>" */
  name: string
  help: string
  /** the valid words (anything else is refused with this list) */
  choices?: readonly string[]
  /** how many at most (default: any) */
  max?: number
}

export interface CliSpec<O extends Record<string, OptionSpec>> {
  /** the script's name: the prefix of every message */
  name: string
  /** the usage line(s) after "usage: " */
  synopsis: string
  description?: string
  options: O
  positionals?: PositionalSpec
  /** text after the options (exit codes, examples) */
  epilog?: string
}

export interface Parsed<O extends Record<string, OptionSpec>> {
  values: Values<O>
  positionals: string[]
  /** the flags given (by name, without --) */
  given: Set<string>
}

export interface Cli<O extends Record<string, OptionSpec>> {
  name: string
  usage: string
  options: O
  /** null when --help was asked for */
  parse(argv: string[]): Parsed<O> | null
}

function formatUsage<O extends Record<string, OptionSpec>>(spec: CliSpec<O>): string {
  const rows: Array<[string, string]> = []
  for (const [name, o] of Object.entries(spec.options)) {
    if (o.hidden) continue
    const head = o.kind === 'boolean' ? `${o.short ? `-${o.short}, ` : ''}--${name}` : `--${name} ${o.value}${o.kind === 'repeated' ? ' (repeatable)' : ''}`
    rows.push([head, o.help])
  }
  rows.push(['-h, --help', 'print this help and exit'])
  const width = Math.min(28, Math.max(...rows.map(([h]) => h.length)) + 2)
  const line = ([head, help]: [string, string]) => {
    const [first, ...rest] = help.split('\n')
    const pad = ' '.repeat(2 + width)
    const start = head.length + 2 > width ? `  ${head}\n${pad}${first}` : `  ${head.padEnd(width)}${first}`
    return [start, ...rest.map((l) => `${pad}${l}`)].join('\n')
  }
  const parts = [`usage: ${spec.synopsis}`]
  if (spec.description) parts.push(spec.description)
  if (spec.positionals) parts.push(`arguments:\n${line([spec.positionals.name, spec.positionals.help])}`)
  parts.push(`options:\n${rows.map(line).join('\n')}`)
  if (spec.epilog) parts.push(spec.epilog)
  return parts.join('\n\n')
}

/** Levenshtein distance, for "did you mean". */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)])
  for (let j = 1; j <= b.length; j++) d[0][j] = j
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1))
  }
  return d[a.length][b.length]
}

function suggestion(name: string, known: string[]): string {
  const best = known.map((k) => [k, distance(name, k)] as const).sort((a, b) => a[1] - b[1])[0]
  return best && best[1] <= Math.max(1, Math.floor(name.length / 3)) ? ` (did you mean --${best[0]}?)` : ''
}

/** Is this argument an option (rather than a value such as -0.1 or "-")? */
const looksLikeOption = (a: string) => (a.startsWith('--') && a.length > 2 && !/^--\d/.test(a)) || /^-[a-zA-Z]$/.test(a)

export function defineCli<O extends Record<string, OptionSpec>>(spec: CliSpec<O>): Cli<O> {
  const usage = formatUsage(spec)
  const names = Object.keys(spec.options)
  const shorts = new Map(Object.entries(spec.options).flatMap(([n, o]) => (o.kind === 'boolean' && o.short ? [[o.short, n] as const] : [])))
  const parse = (argv: string[]): Parsed<O> | null => {
    // 1. split into (name, value) pairs and positionals; --help wins over any error
    const pairs: Array<{ name: string; value: string | undefined }> = []
    const positionals: string[] = []
    let error: UsageError | null = null
    const fail = (message: string) => {
      error ??= new UsageError(message)
    }
    let help = false
    for (let k = 0; k < argv.length; k++) {
      const a = argv[k]
      if (a === '--') {
        positionals.push(...argv.slice(k + 1))
        break
      }
      if (a === '--help' || a === '-h') {
        help = true
        continue
      }
      if (!looksLikeOption(a)) {
        positionals.push(a)
        continue
      }
      let name: string
      let inline: string | undefined
      if (a.startsWith('--')) {
        const eq = a.indexOf('=')
        name = eq < 0 ? a.slice(2) : a.slice(2, eq)
        inline = eq < 0 ? undefined : a.slice(eq + 1)
      } else {
        const long = shorts.get(a.slice(1))
        if (!long) {
          fail(`unknown option ${a}`)
          continue
        }
        name = long
      }
      const o = spec.options[name]
      if (!o) {
        fail(`unknown option --${name}${suggestion(name, names)}`)
        continue
      }
      if (o.kind === 'boolean') {
        if (inline !== undefined) fail(`--${name} takes no value (got --${name}=${inline})`)
        pairs.push({ name, value: undefined })
        continue
      }
      if (inline !== undefined) {
        pairs.push({ name, value: inline })
        continue
      }
      const next = argv[k + 1]
      // a value may start with '-' (e.g. --eps -0.1): only another option ends it
      if (next === undefined || looksLikeOption(next)) {
        fail(`--${name} needs a value (${o.value})`)
        continue
      }
      pairs.push({ name, value: next })
      k++
    }
    if (help) return null
    if (error) throw error
    // 2. positionals
    const p = spec.positionals
    if (!p && positionals.length) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])} (this command takes options only)`)
    if (p?.choices) {
      const unknown = positionals.filter((x) => !p.choices!.includes(x))
      if (unknown.length) throw new UsageError(`unknown ${p.name.replace(/[<>]/g, "").replace(/-/g, " ")} ${unknown.map((x) => JSON.stringify(x)).join(', ')}; valid: ${p.choices.join(', ')}`)
    }
    if (p?.max !== undefined && positionals.length > p.max) throw new UsageError(`give at most ${p.max} ${p.name} (got ${positionals.join(' ')})`)
    // 3. values, validated in the order given
    const values: Record<string, unknown> = {}
    for (const [n, o] of Object.entries(spec.options)) values[n] = o.kind === 'boolean' ? false : o.kind === 'repeated' ? [] : undefined
    const given = new Set<string>()
    for (const { name, value } of pairs) {
      const o = spec.options[name]
      if (o.kind !== 'repeated' && given.has(name)) throw new UsageError(`--${name} is given twice`)
      given.add(name)
      if (o.kind === 'boolean') values[name] = true
      else if (o.kind === 'repeated') (values[name] as unknown[]).push(o.parse(value!, `--${name}`))
      else values[name] = o.parse(value!, `--${name}`)
    }
    return { values: values as Values<O>, positionals, given }
  }
  return { name: spec.name, usage, options: spec.options, parse }
}

// ---------------------------------------------------------------------------------------
// the runner

/** Errors that are about what the user gave (exit code 1, the message only). */
export function isInputError(e: unknown): e is Error {
  if (e instanceof InputError || e instanceof UnsupportedModelError || e instanceof TokenizerError || e instanceof ManifestError || e instanceof SequenceTooLongError) return true
  // file system errors (no such file, permission denied, a folder where a file was expected)
  const code = (e as { code?: unknown })?.code
  return e instanceof Error && typeof code === 'string' && /^E[A-Z]+$/.test(code) && 'syscall' in e
}

/** The message without a repeated "<script>: " prefix. */
function clean(name: string, message: string): string {
  let m = message.trim()
  while (m.startsWith(`${name}: `)) m = m.slice(name.length + 2)
  return m
}

export const debugging = () => process.env.CERT_RNN_DEBUG === '1'

/** Report an error as the runner does, and return the exit code. */
export function reportError(cli: { name: string; usage: string }, e: unknown): number {
  const name = cli.name
  if (e instanceof UsageError) {
    console.error(`${name}: ${clean(name, e.message)}\n\n${cli.usage}`)
    return 2
  }
  if (isInputError(e)) {
    console.error(`${name}: ${clean(name, e.message)}`)
    if (debugging() && e.stack) console.error(e.stack)
    return 1
  }
  const err = e instanceof Error ? e : new Error(String(e))
  const first = clean(name, err.message).split('\n')[0]
  if (debugging()) console.error(`${name}: internal error: ${first}\n${err.stack ?? ''}`)
  else console.error(`${name}: internal error: ${first} (set CERT_RNN_DEBUG=1 for the stack trace)`)
  return 1
}

export interface RunOptions {
  /** end the process when main is done (scripts whose TF.js backends keep the event loop alive) */
  exit?: boolean
  argv?: string[]
}

/**
 * Parse the command line, run main, and turn whatever happens into an exit code: 0 (or
 * main's number), 2 for a usage error, 1 for bad input or an internal error. `--help`
 * prints the usage and exits 0 without running main.
 */
export function runCli<O extends Record<string, OptionSpec>>(cli: Cli<O>, main: (args: Parsed<O>) => number | void | Promise<number | void>, opts: RunOptions = {}): Promise<number> {
  const finish = (code: number) => {
    if (opts.exit) process.exit(code)
    process.exitCode = code
    return code
  }
  const onUncaught = (e: unknown) => finish(reportError(cli, e))
  process.on('uncaughtException', onUncaught)
  process.on('unhandledRejection', onUncaught)
  return (async () => {
    try {
      const args = cli.parse(opts.argv ?? process.argv.slice(2))
      if (!args) {
        console.log(cli.usage)
        return finish(0)
      }
      const code = await main(args)
      return finish(typeof code === 'number' ? code : 0)
    } catch (e) {
      return finish(reportError(cli, e))
    }
  })()
}
