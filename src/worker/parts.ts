/**
 * The parts of an input split, for the page (the `split` job; "See the abstraction"'s "Split
 * the input into parts"): each leaf of the certifier's branch and bound (`splitLeaves`,
 * src/cert/split.ts) as the input coordinates it was cut along and its interval of each (its
 * box against the region's), its margin and the class it is against, its verdict and depth.
 */
import type { FrameBox, SplitLeaf } from '../cert/index.ts'
import { weakestClass } from '../cert/index.ts'

/** One coordinate a part was cut along: value `index` of frame `frame` lies in [lo, hi] on the part. */
export interface PartCut {
  frame: number
  index: number
  lo: number
  hi: number
}

export interface SplitPart {
  /** the coordinates whose interval is narrower than the region's (frame, then index, ascending); empty: the whole region */
  cuts: PartCut[]
  /** bisections from the region to this part */
  depth: number
  /** the part's certified margin: the smallest over the other classes */
  margin: number
  /** the class the margin is against (the runner-up on this part) */
  against: number
  certified: boolean
  /** the certified intervals of the predicted class's and the runner-up's scores on this part */
  predictedLogit: [number, number]
  againstLogit: [number, number]
}

/** The leaves as parts of the region `region` (the boxes of its perturbed frames, as the leaves'), certified for `label`. */
export function splitParts(leaves: readonly SplitLeaf[], region: readonly FrameBox[], label: number): SplitPart[] {
  const regionOf = new Map(region.map((b) => [b.frame, b]))
  return leaves.map((leaf) => {
    const cuts: PartCut[] = []
    for (const b of leaf.boxes) {
      const r = regionOf.get(b.frame)
      if (!r) throw new Error(`a part perturbs frame ${b.frame}, which the region does not`)
      for (let i = 0; i < b.lo.length; i++) if (b.lo[i] !== r.lo[i] || b.hi[i] !== r.hi[i]) cuts.push({ frame: b.frame, index: i, lo: b.lo[i], hi: b.hi[i] })
    }
    cuts.sort((a, b) => a.frame - b.frame || a.index - b.index)
    const against = weakestClass(leaf.margins, label)
    return {
      cuts,
      depth: leaf.depth,
      margin: leaf.margin,
      against,
      certified: leaf.certified,
      predictedLogit: [leaf.logitLo[label], leaf.logitHi[label]],
      againstLogit: against < 0 ? [NaN, NaN] : [leaf.logitLo[against], leaf.logitHi[against]],
    }
  })
}
