/**
 * Where a certificate's looseness comes from, in words and bars (no DOM): the certifier's
 * `looseness` split of the gap between the input's margin and the certified margin (each
 * origin's widening of the range plus its move of the range's middle), for a reader (the input's part, then each step's lines around a nonlinearity, boxes,
 * masked steps, pooling), each with its share, a colour that is no method's, and one
 * sentence saying what it means.
 */
import type { LayerIR, Looseness, SymbolOrigin } from '../../cert/index.ts'
import { opLabel } from '../abstraction/scene.ts'
import { ORIGIN_COLORS } from '../theme.ts'

/** The nonlinearities in the walkthrough's notation. */
const FN_WORDS: Record<string, string> = {
  tanh: 'tanh',
  sigmoid: 'σ',
  relu: 'relu',
  hardSigmoid: 'hard σ',
  sigmoidTanh: 'σ·tanh',
  xSigmoid: 'x·σ',
  hardSigmoidTanh: 'hard σ·tanh',
  xHardSigmoid: 'x·hard σ',
  mul: 'x·y',
}

export const INPUT_WORDS = "the input's own spread"

/** An origin in a few plain words: "tanh at step 1", "σ·tanh at step 3 (i ⊙ g: what the cell writes)". */
export function originWords(o: SymbolOrigin, layers: readonly LayerIR[] = []): string {
  if (o.kind === 'input') return INPUT_WORDS
  const layer = o.layer === null ? undefined : layers[o.layer]
  const at = o.step === null ? '' : ` at step ${o.step}`
  const what = opLabel(o.op, layer)
  if (o.kind === 'planes') {
    const fn = (o.fn && FN_WORDS[o.fn]) ?? o.fn ?? 'a nonlinearity'
    // a SimpleRNN's (or a Dense layer's) only nonlinearity needs no further name
    const plain = layer?.type === 'simpleRnn' || layer?.type === 'dense' || what === o.op
    return `${fn}${at}${plain ? '' : ` (${what})`}`
  }
  if (o.kind === 'box') return `box around ${what}${at}`
  if (o.kind === 'join') return `a step that may be masked${at}`
  return `${what}${at}`
}

export interface LoosePart {
  key: string
  words: string
  /** its part of the gap: how much it widened the range plus how far it moved its middle down */
  loss: number
  /** of the whole gap, 0…1 (negative for a part that moved the middle up) */
  share: number
  color: string
}

export interface LooseBars {
  /** the input's margin and the certified margin: the gap is their difference */
  concrete: number
  margin: number
  /** the input's part first, then the others in the order the network computes them (parts below a millionth of the gap left out) */
  parts: LoosePart[]
  /** the largest part that is not the input's, or null when there is none */
  top: LoosePart | null
  input: LoosePart | null
}

/** The parts of a split as bars: shares of the gap, colours (the input grey, then by step). */
export function looseBars(l: Looseness, layers: readonly LayerIR[] = []): LooseBars {
  const gap = l.total
  const steps = [...new Set(l.parts.map((p) => p.origin.step).filter((s): s is number => s !== null))].sort((a, b) => a - b)
  const shown = l.parts.filter((p) => Math.abs(p.loss) > 1e-6 * Math.abs(gap))
  const parts = shown.map((p, k): LoosePart => {
    const o = p.origin
    const color = o.kind === 'input' ? ORIGIN_COLORS.input : o.step === null ? ORIGIN_COLORS.after : ORIGIN_COLORS.steps[steps.indexOf(o.step) % ORIGIN_COLORS.steps.length]
    return { key: `${k}:${o.kind}:${o.layer}:${o.step}:${o.op}`, words: originWords(o, layers), loss: p.loss, share: gap > 0 ? p.loss / gap : 0, color }
  })
  const input = parts.find((_p, k) => shown[k].origin.kind === 'input') ?? null
  let top: LoosePart | null = null
  parts.forEach((p, k) => {
    if (shown[k].origin.kind !== 'input' && (!top || p.loss > top.loss)) top = p
  })
  return { concrete: l.concrete, margin: l.margin, parts, top, input }
}

const pct = (x: number) => `${Math.round(x * 100)}%`

/** One sentence: where most of the gap comes from, and what would help. */
export function looseSentence(b: LooseBars): string {
  const { top, input } = b
  if (!top) return input ? `All of the gap is ${INPUT_WORDS}: the network is linear here, and no certificate can do better.` : 'There is no gap: the certified margin is the input’s own.'
  const inputNote = input ? ` The input’s own part (${pct(input.share)}) is roughly how much the margin really moves across the ball: no certificate can remove that.` : ''
  return `The largest part of the gap (${pct(top.share)}) comes from ${top.words}: tighter lines there would help most.${inputNote}`
}
