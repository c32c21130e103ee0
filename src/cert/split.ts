/**
 * Refinement by input splitting (branch and bound, issue 15 §1): a region that one abstract
 * run does not certify is cut in two along one input coordinate of its perturbed frames, and
 * each half is certified by its own run (smaller boxes, so tighter planes at every step),
 * recursing on the failing halves until every part certifies or the budget of runs is spent.
 *
 * Soundness: the parts are boxes whose union is the region's box (a bisection at the
 * midpoint m splits [lo, hi] into [lo, m] and [m, hi]), and each part's margin is a sound lower
 * bound of the logit difference over that part (the method's own guarantee, for any box).
 * So the minimum over the leaves of their margins is a sound lower bound over the region.
 * A part also lies inside its parent, so the parent's margin is a sound lower bound over it
 * too: each leaf keeps the larger of its own and its parent's margin (class by class), which
 * makes the split never looser than no split.
 *
 * Which coordinate: the margin's lower bound is centre − Σ|input coefficients| − Σ|error
 * coefficients|. Bisecting an input coordinate leaves the worse half with the same linear
 * minimum (an affine function takes its minimum over the box at a corner, which one half
 * keeps), so a split gains only through the planes' errors, which shrink with the boxes. The
 * coordinate whose input symbol has the largest |coefficient| in the worst class's margin is
 * the one that moves the pre-activations the most: it is bisected ("smear" heuristic).
 *
 * This module is the search over parts; the certification of one box is given to it
 * (./certify.ts), so it depends on nothing above it.
 */
import type { TraceEntry, TraceOptions } from './domains/zonotope.ts'
import type { FrameBox } from './threat.ts'
import type { Verdict } from './verify.ts'
import { weakestClass } from './verify.ts'
import type { Zonotope } from './zonotope.ts'

/** What certifying one part gives: a verdict and its output zonotope (input symbols first). */
export interface PartVerdict extends Verdict {
  logits: Zonotope
}

/** One part of a split region: a leaf of the branch-and-bound tree. */
export interface SplitLeaf {
  /** the part: the box of every perturbed frame (ascending frames) */
  boxes: FrameBox[]
  /** the bisection that made it (null: the whole region, never split) */
  split: { frame: number; index: number; at: number; half: 'lower' | 'upper' } | null
  depth: number
  /** the part's certified margin (the larger of its own run's and its parent's, class by class) */
  margin: number
  margins: Float64Array
  logitLo: Float64Array
  logitHi: Float64Array
  certified: boolean
  /** the part's trace, when asked for (`splitLeaves` with a trace) */
  trace?: TraceEntry[]
}

export interface SplitOutcome {
  leaves: SplitLeaf[]
  /** abstract runs made (the root's included) */
  runs: number
  /** the root's verdict (the whole region in one run) */
  root: PartVerdict
}

export interface SplitSettings {
  /** runs the split may spend beyond the root's (each bisection costs two) */
  budget: number
  /** label whose margins are certified */
  label: number
  /** do not split a region whose root margin is below this (hopeless: a speed-up only) */
  giveUpBelow: number
  /** a trace for every leaf (memory-hungry; for the views) */
  trace?: Omit<TraceOptions, 'sink'>
}

/** Certify one part; `trace` is where its trace goes, when asked for. */
export type CertifyPart = (boxes: FrameBox[], trace: TraceOptions | undefined) => PartVerdict

/**
 * The input symbol of each coordinate: the runs make one symbol per coordinate of non-zero
 * width, frame after frame in ascending order, before any other (boxInputs in
 * ./threat.ts), so symbol id k is the k-th such coordinate.
 */
function inputSymbols(boxes: FrameBox[]): Array<{ box: number; index: number }> {
  const out: Array<{ box: number; index: number }> = []
  boxes.forEach((b, k) => {
    for (let i = 0; i < b.lo.length; i++) if (b.hi[i] > b.lo[i]) out.push({ box: k, index: i })
  })
  return out
}

/**
 * The coordinate to bisect: the largest |coefficient| of an input symbol in the worst
 * class's margin (logit_label − logit_c) on the part's output zonotope; null when no input
 * symbol is left (every coordinate a point).
 */
export function splitCoordinate(boxes: FrameBox[], part: PartVerdict, label: number): { box: number; index: number } | null {
  const symbols = inputSymbols(boxes)
  if (!symbols.length) return null
  const worst = weakestClass(part.margins, label)
  const z = part.logits
  let best = -1
  let bestScore = -1
  for (let j = 0; j < z.m; j++) {
    const id = z.ids[j]
    if (id >= symbols.length) break
    const score = Math.abs(z.G[label * z.m + j] - z.G[worst * z.m + j])
    if (score > bestScore) {
      bestScore = score
      best = id
    }
  }
  // no input symbol reaches the logits (all cancelled): bisect the widest coordinate
  if (best < 0 || bestScore === 0) {
    let w = -1
    symbols.forEach((s, k) => {
      const b = boxes[s.box]
      const width = b.hi[s.index] - b.lo[s.index]
      if (w < 0 || width > boxes[symbols[w].box].hi[symbols[w].index] - boxes[symbols[w].box].lo[symbols[w].index]) w = k
    })
    best = w
  }
  return symbols[best]
}

/** The two halves of the boxes along one coordinate, cut at its midpoint. */
function bisect(boxes: FrameBox[], box: number, index: number): { at: number; lower: FrameBox[]; upper: FrameBox[] } {
  const b = boxes[box]
  const at = (b.lo[index] + b.hi[index]) / 2
  const half = (side: 'lower' | 'upper') =>
    boxes.map((x, k) => {
      if (k !== box) return x
      const lo = x.lo.slice()
      const hi = x.hi.slice()
      if (side === 'lower') hi[index] = at
      else lo[index] = at
      return { frame: x.frame, lo, hi }
    })
  return { at, lower: half('lower'), upper: half('upper') }
}

function leafOf(boxes: FrameBox[], v: PartVerdict, label: number, parent: SplitLeaf | null, split: SplitLeaf['split'], trace: TraceEntry[] | undefined): SplitLeaf {
  // a part lies in its parent: the parent's bounds hold on it too
  const margins = parent ? v.margins.map((m, c) => Math.max(m, parent.margins[c])) : v.margins.slice()
  const logitLo = parent ? v.logitLo.map((m, c) => Math.max(m, parent.logitLo[c])) : v.logitLo.slice()
  const logitHi = parent ? v.logitHi.map((m, c) => Math.min(m, parent.logitHi[c])) : v.logitHi.slice()
  let margin = v.margin
  if (parent) {
    margin = Infinity
    for (let c = 0; c < margins.length; c++) if (c !== label) margin = Math.min(margin, margins[c])
  }
  return { boxes, split, depth: parent ? parent.depth + 1 : 0, margin, margins, logitLo, logitHi, certified: margin > 0, ...(trace ? { trace } : {}) }
}

/**
 * Branch and bound over the region `boxes`: certify it; while some part fails and the budget
 * allows, bisect the part with the smallest margin along its most influential coordinate
 * and certify both halves. Returns the leaves (their union is the region).
 */
export function splitRegion(boxes: FrameBox[], certify: CertifyPart, s: SplitSettings): SplitOutcome {
  const traceOf = (): TraceOptions | undefined => (s.trace ? { ...s.trace, sink: [] } : undefined)
  let t = traceOf()
  const root = certify(boxes, t)
  let runs = 1
  const leaves: SplitLeaf[] = [leafOf(boxes, root, s.label, null, null, t?.sink)]
  if (leaves[0].certified || !(root.margin >= s.giveUpBelow)) return { leaves, runs, root }
  // verdicts kept for the failing leaves (their zonotopes pick the next coordinate)
  const verdicts = new Map<SplitLeaf, PartVerdict>([[leaves[0], root]])
  while (runs + 2 <= 1 + s.budget) {
    let worst = -1
    for (let k = 0; k < leaves.length; k++) if (!leaves[k].certified && (worst < 0 || leaves[k].margin < leaves[worst].margin)) worst = k
    if (worst < 0) break
    const leaf = leaves[worst]
    const coord = splitCoordinate(leaf.boxes, verdicts.get(leaf)!, s.label)
    if (!coord) break
    const { at, lower, upper } = bisect(leaf.boxes, coord.box, coord.index)
    const frame = leaf.boxes[coord.box].frame
    const children = (['lower', 'upper'] as const).map((half) => {
      const part = half === 'lower' ? lower : upper
      t = traceOf()
      const v = certify(part, t)
      runs++
      const child = leafOf(part, v, s.label, leaf, { frame, index: coord.index, at, half }, t?.sink)
      if (!child.certified) verdicts.set(child, v)
      return child
    })
    verdicts.delete(leaf)
    leaves.splice(worst, 1, ...children)
    // give up when even the pace so far (gains shrink as the parts do, so this is
    // optimistic) would not lift the smallest margin above 0 with the runs left
    if (runs >= 5) {
      let low = Infinity
      for (const l of leaves) low = Math.min(low, l.margin)
      const pace = (low - root.margin) / (runs - 1)
      if (low <= 0 && low + pace * (1 + s.budget - runs) <= 0) break
    }
  }
  return { leaves, runs, root }
}

/** The region's verdict from its leaves: per class the smallest leaf margin and the hull of the logit bounds. */
export function combineLeaves(leaves: SplitLeaf[], label: number): Verdict {
  const k = leaves[0].margins.length
  const margins = new Float64Array(k)
  const logitLo = new Float64Array(k).fill(Infinity)
  const logitHi = new Float64Array(k).fill(-Infinity)
  for (let c = 0; c < k; c++) margins[c] = c === label ? NaN : Infinity
  let margin = Infinity
  for (const leaf of leaves) {
    margin = Math.min(margin, leaf.margin)
    for (let c = 0; c < k; c++) {
      if (c !== label) margins[c] = Math.min(margins[c], leaf.margins[c])
      logitLo[c] = Math.min(logitLo[c], leaf.logitLo[c])
      logitHi[c] = Math.max(logitHi[c], leaf.logitHi[c])
    }
  }
  return { certified: margin > 0, margin, margins, logitLo, logitHi }
}
