/**
 * The parts of an input split, in words and bars (no DOM): "See the abstraction"'s "Split the
 * input into parts" (the worker's `split` job). Each part is named by the input values it was
 * cut along and their ranges, its certified margin and verdict; one sentence gives the verdict
 * of the whole input; the bars put every part's margin on one scale around 0.
 */
import type { PartCut, SplitPart } from '../../worker/parts.ts'
import type { SplitSummary } from '../../worker/protocol.ts'

/** How an input value is named: "pixel 17 of frame 2" (images), "value 4 of frame 2", "coordinate 4 of word 2's vector" (text). */
export interface ValueNames {
  kind: 'image' | 'frames' | 'tokens'
  /** the words of a text input, by position (to name the word: "word 2 (“stupid”)") */
  words?: readonly string[]
}

/** A number with its sign (a true minus), three decimals or two significant digits when smaller. */
export function signed(v: number): string {
  const a = Math.abs(v)
  const s = a >= 0.001 || a === 0 ? a.toFixed(3) : a.toPrecision(2)
  return `${v < 0 ? '−' : '+'}${s}`
}

const range = (lo: number, hi: number) => {
  const d = Math.max(2, Math.ceil(-Math.log10(Math.max(hi - lo, 1e-12))))
  return `[${lo.toFixed(d)}, ${hi.toFixed(d)}]`
}

/** "pixel 17 of frame 2 in [0.41, 0.45]" */
export function cutWords(c: PartCut, names: ValueNames): string {
  let what: string
  if (names.kind === 'image') what = `pixel ${c.index} of frame ${c.frame}`
  else if (names.kind === 'tokens') {
    const w = names.words?.[c.frame]
    what = `coordinate ${c.index} of word ${c.frame}${w ? ` (“${w}”)` : ''}'s vector`
  } else what = `value ${c.index} of frame ${c.frame}`
  return `${what} in ${range(c.lo, c.hi)}`
}

/** "part 3: pixel 17 of frame 2 in [0.41, 0.45] · margin +0.012 · certified" (k counts from 1) */
export function partLine(p: SplitPart, k: number, names: ValueNames): string {
  const where = p.cuts.length ? p.cuts.map((c) => cutWords(c, names)).join(', ') : 'the whole input, not cut'
  return `part ${k}: ${where} · margin ${signed(p.margin)} · ${p.certified ? 'certified' : 'not certified'}`
}

/** The whole input's verdict in one line: "certified: all 6 parts are" / "not certified: part 4's margin is −0.003". */
export function splitSentence(s: Pick<SplitSummary, 'certified' | 'parts'>): string {
  const n = s.parts.length
  if (s.certified) return n === 1 ? 'certified: the whole input is, with no need to split it' : `certified: all ${n} parts are`
  if (n === 1) return `not certified: the whole input's margin is ${signed(s.parts[0].margin)}, too far below 0 for splitting to help`
  let worst = 0
  s.parts.forEach((p, k) => {
    if (p.margin < s.parts[worst].margin) worst = k
  })
  const failing = s.parts.filter((p) => !p.certified).length
  return `not certified: part ${worst + 1}'s margin is ${signed(s.parts[worst].margin)}${failing > 1 ? ` (${failing} of ${n} parts are not certified)` : ''}`
}

/** One bar per part on a shared scale: from the zero line (at `zero`, 0…1 of the width) to the margin. */
export interface MarginBar {
  /** left edge and width, as fractions of the whole width */
  x: number
  width: number
  certified: boolean
}

export function marginBars(parts: readonly SplitPart[]): { zero: number; bars: MarginBar[] } {
  const lo = Math.min(0, ...parts.map((p) => p.margin))
  const hi = Math.max(0, ...parts.map((p) => p.margin))
  const span = hi - lo || 1
  const zero = lo < 0 ? -lo / span : 0
  const bars = parts.map((p) => {
    const at = (p.margin - lo) / span
    return { x: Math.min(at, zero), width: Math.abs(at - zero), certified: p.certified }
  })
  return { zero, bars }
}
