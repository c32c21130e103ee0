/**
 * The app's colours, one place, from d3's schemes: each method keeps its colour in every view
 * (projections, planes, charts), and chart series draw from the same categorical scheme.
 */
import { schemeCategory10, schemeDark2, schemeGreens, schemeSet1 } from 'd3'
import type { Method } from '../cert/index.ts'
import { METHODS } from '../cert/index.ts'

const [blue, orange, green, red, purple, brown, pink, grey] = schemeCategory10

/** One colour per certification method, the same everywhere: in the certifier's order (Cert-RNN blue, DeepZ orange, interval green, a later method the next colour). */
const METHOD_PALETTE = [blue, orange, green, purple, brown, pink]
export const METHOD_COLORS = Object.fromEntries(METHODS.map((m, k) => [m, METHOD_PALETTE[k % METHOD_PALETTE.length]])) as Record<Method, string>

/** Chart series that are not methods. */
export const SERIES_COLORS = {
  bound: blue,
  attack: red,
  accuracy: green,
  loss: orange,
  /** extra series in order (e.g. the watched digits' bounds during training) */
  more: [purple, brown, pink, grey] as readonly string[],
}

/** The three slices of a surface (y = ly, the middle, y = uy) in the 2-D fallback of the planes view. */
export const SLICE_COLORS = { ly: schemeDark2[2], mid: schemeDark2[0], uy: schemeDark2[1] }

const greens = schemeGreens[9]
/** The bounding-planes views: the two planes, and the function's surface (a green sequential scale). */
export const PLANE_COLORS = {
  lower: schemeSet1[1],
  upper: schemeSet1[0],
  curve: greens[6],
  surface: [[0, greens[2]], [0.5, greens[5]], [1, greens[8]]] as Array<[number, string]>,
}

/** Text, secondary text and grid lines of the charts (the page's own greys). */
export const CHART_THEME = { fg: '#1f2328', muted: '#59636e', grid: '#d1d9e0' }
