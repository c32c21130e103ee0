/**
 * Options several scripts share, declared once: same name, same value syntax, same checks
 * and messages everywhere (e.g. --clip is `lo,hi` in every script).
 */
import { availableParallelism } from 'node:os'
import type { MarginCheck, Method, SearchKind, Threat } from '../../src/cert/index.ts'
import { MARGIN_CHECKS, MAX_FRAMES, maxEpsProblem, METHODS, parseThreat, SEARCHES } from '../../src/cert/index.ts'
import type { Parse } from './args.ts'
import { choice, clipRange, epsValue, flag, list, option, positiveInt, positiveNumber, text, UsageError, wholeNumber } from './args.ts'

export const threatValue: Parse<Threat> = (raw, flagName) => {
  try {
    return parseThreat(raw)
  } catch (e) {
    throw new UsageError(`${flagName}: ${(e as Error).message}`)
  }
}

/** An upper end of the bound search; checked against the search in use with `checkMaxEps`. */
export const maxEpsValue = positiveNumber('the upper end of the search')

/** Refuse an upper end the chosen search cannot use, before anything runs. */
export function checkMaxEps(search: SearchKind, maxEps: number | undefined, flagName = '--max-eps'): void {
  if (maxEps === undefined) return
  const problem = maxEpsProblem(search, maxEps)
  if (problem) throw new UsageError(`${flagName}: ${problem.replace('the fast search takes', '--search fast takes')}`)
}

export const common = {
  model: option('DIR', 'the model: a folder with model.json and its weight files\n(or the path of the model.json itself), a Keras .keras / .h5 file, or an .onnx file', text),
  inputs: option('FILE', 'JSON array of {"x": T×features numbers | "tokens": ids, "label"?: n}\n(default: <model dir>/examples.json when it exists)', text),
  n: option('N', 'only the first N inputs', positiveInt),
  threat: option('T', 'single (default: every frame alone) | all | frames=0,3,5', threatValue),
  method: option('M', `${METHODS.join(' | ')} (default certrnn)`, choice<Method>(METHODS)),
  methods: option('M,...', `comma-separated, from ${METHODS.join(', ')}`, list(choice<Method>(METHODS), 'methods')),
  margin: option('C', 'diff (difference zonotope) | paper (interval comparison)', choice<MarginCheck>(MARGIN_CHECKS)),
  search: option('S', 'paper (Algorithm 1) | fast (adaptive, same resolution)', choice<SearchKind>(SEARCHES)),
  eps: option('E', 'certify at ε = E (a positive number) instead of searching the bound', epsValue),
  clip: option('lo,hi', 'intersect the ball with the input domain [lo, hi], e.g. 0,1 for pixels', clipRange),
  reduce: option('K', 'sound order reduction (off by default): after every step keep the K symbols\nof the state that matter most, fold the rest into a box; faster, looser bounds\n(measured in docs/benchmark.md)', positiveInt),
  split: option('K', 'refinement by input splitting of the tight method (default 0: off): a region\nthat one run does not certify is bisected and its parts certified, up to K\nmore runs per certificate (docs/tight.md, "Splitting")', wholeNumber(0)),
  maxEps: option('E', 'upper end of the bound search (default 1; at most 1 with --search paper)', maxEpsValue),
  maxFrames: option('N', `refuse inputs longer than N frames (tokens) before certifying\n(default ${MAX_FRAMES}: the time grows faster than the square of the length)`, wholeNumber(1)),
  json: flag('one JSON line per sample, then one summary line'),
  out: option('DIR', 'output folder', text),
  jobs: option('N', `worker threads (default: this machine's cores, ${availableParallelism()});\nthe results are the same for every N`, positiveInt),
}

/** --split K refines the tight method only: refuse it when no tight run is asked for. */
export function checkSplit(split: number | undefined, methods: readonly Method[], flagName = '--split'): void {
  if (split && !methods.includes('tight')) throw new UsageError(`${flagName} ${split} refines the tight method: add tight to the methods (--method tight / --methods …,tight)`)
}

/** The number of workers: --jobs, else one per core. */
export const jobsOf = (jobs: number | undefined): number => jobs ?? availableParallelism()

