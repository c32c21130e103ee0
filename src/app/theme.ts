/**
 * The app's colours, one place, from d3's schemes: each method keeps its colour in every view
 * (projections, planes, charts), and nothing else uses a method's colour: the planes, the
 * function and the chart series that are not methods take the colours left over (red, cyan,
 * olive) and greys.
 */
import { schemeCategory10, schemeGreys } from 'd3'
import type { Method } from '../cert/index.ts'
import { METHODS } from '../cert/index.ts'

const [blue, orange, green, red, purple, brown, pink, , olive, cyan] = schemeCategory10
const greys = schemeGreys[9]

/** One colour per certification method, the same everywhere: in the certifier's order (Cert-RNN blue, DeepZ orange, interval green, a later method the next colour). */
const METHOD_PALETTE = [blue, orange, green, purple, brown, pink]
export const METHOD_COLORS = Object.fromEntries(METHODS.map((m, k) => [m, METHOD_PALETTE[k % METHOD_PALETTE.length]])) as Record<Method, string>

/** Chart series that are not methods (the certified bound of the Defenses chart is Cert-RNN's, so it is drawn in Cert-RNN's colour). */
export const SERIES_COLORS = {
  bound: METHOD_COLORS.certrnn,
  attack: red,
  accuracy: greys[6],
  loss: olive,
  /** extra series in order (e.g. the watched digits' bounds during training) */
  more: [cyan, greys[4], greys[8], red] as readonly string[],
}

/** Text, secondary text and grid lines of the charts (the page's own greys). */
export const CHART_THEME = { fg: '#1f2328', muted: '#59636e', grid: '#d1d9e0' }

/** The three slices of a surface (y = ly, the middle, y = uy) in the 2-D fallback of the planes view: three greys (the planes dashed). */
export const SLICE_COLORS = { ly: greys[3], mid: greys[5], uy: greys[7] }

/**
 * The bounding-planes views: the two planes (cyan below, red above), the function (the text
 * colour: in the page's SVG charts `var(--fg)`, which follows dark mode) and its surface (a grey scale).
 */
export const PLANE_COLORS = {
  lower: cyan,
  upper: red,
  curve: CHART_THEME.fg,
  surface: [[0, greys[1]], [0.5, greys[3]], [1, greys[5]]] as Array<[number, string]>,
}

/**
 * Where the looseness comes from (the walkthrough's last step, the abstraction's panel): the
 * input's own part grey, each step's part the next of cyan, olive, red (cycled), parts after
 * the recurrence a light grey. No method's colour: the methods are the rows.
 */
export const ORIGIN_COLORS = { input: greys[6], after: greys[3], steps: [cyan, olive, red] as readonly string[] }
