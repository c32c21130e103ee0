/**
 * SVG geometry for the 2-D planes charts (unary curves and the y-slices of a binary
 * surface): scales, path strings, ticks and markers in plain numbers, so that drawing is a
 * thin loop and the shaping is testable without a DOM.
 */
import { SLICE_COLORS } from '../theme.ts'
import { line, scaleLinear } from 'd3'
import type { Method } from '../../cert/index.ts'
import type { PlanesData } from './planeData.ts'
import { formatNumber } from './planeData.ts'

export interface ChartPath {
  key: string
  d: string
  /** CSS class: 'curve-f', 'plane-lo', 'plane-hi' or 'band' */
  cls: string
  color?: string
}

export interface ChartMarker {
  key: string
  cx: number
  cy: number
  /** where the marker's plane passes at the same x (the slack is the distance to it) */
  planeY: number
  cls: 'extreme-min' | 'extreme-max'
  label: string
  title: string
}

export interface LegendItem {
  key: string
  label: string
  color: string
}

export interface ChartGeometry {
  width: number
  height: number
  plot: { left: number; top: number; right: number; bottom: number }
  paths: ChartPath[]
  markers: ChartMarker[]
  xTicks: Array<{ x: number; label: string }>
  yTicks: Array<{ y: number; label: string }>
  xLabel: string
  yLabel: string
  legend: LegendItem[]
}

const MARGIN = { left: 58, right: 10, top: 10, bottom: 34 }

/** Colours of the fixed y-slices (bottom, middle, top of the box). */

function frame(data: PlanesData, width: number, height: number) {
  const { lx, ux } = data.box
  const padX = ux > lx ? 0 : Math.max(1e-3, Math.abs(lx) * 0.05)
  const x = scaleLinear()
    .domain([lx - padX, ux + padX])
    .range([MARGIN.left, width - MARGIN.right])
  const [lo, hi] = data.range
  const pad = (hi - lo) * 0.04
  const y = scaleLinear()
    .domain([lo - pad, hi + pad])
    .range([height - MARGIN.bottom, MARGIN.top])
  const path = (xs: number[], ys: number[]) => line<number>((_, k) => x(xs[k]), (v) => y(v))(ys) ?? ''
  return {
    x,
    y,
    path,
    base: {
      width,
      height,
      plot: { left: MARGIN.left, top: MARGIN.top, right: width - MARGIN.right, bottom: height - MARGIN.bottom },
      xTicks: x.ticks(5).map((t) => ({ x: x(t), label: formatNumber(t, 3) })),
      yTicks: y.ticks(5).map((t) => ({ y: y(t), label: formatNumber(t, 3) })),
    },
  }
}

function extremes(data: PlanesData, method: Method, x: (v: number) => number, y: (v: number) => number): ChartMarker[] {
  const m = data.methods.find((m) => m.method === method)!
  const { a, b, c1, c2 } = m.plane
  const where = (p: { x: number; y: number }) => (data.unary ? `x = ${formatNumber(p.x)}` : `(x, y) = (${formatNumber(p.x)}, ${formatNumber(p.y)})`)
  return [
    {
      key: 'min',
      cx: x(m.argmin.x),
      cy: y(m.argmin.f),
      planeY: y(a * m.argmin.x + b * m.argmin.y + c1),
      cls: 'extreme-min',
      label: data.unary ? 'min g' : `min g (y=${formatNumber(m.argmin.y, 3)})`,
      title: `minimum of the residual g = ${formatNumber(m.argmin.g)} at ${where(m.argmin)} (C1 = ${formatNumber(c1)})`,
    },
    {
      key: 'max',
      cx: x(m.argmax.x),
      cy: y(m.argmax.f),
      planeY: y(a * m.argmax.x + b * m.argmax.y + c2),
      cls: 'extreme-max',
      label: data.unary ? 'max g' : `max g (y=${formatNumber(m.argmax.y, 3)})`,
      title: `maximum of the residual g = ${formatNumber(m.argmax.g)} at ${where(m.argmax)} (C2 = ${formatNumber(c2)})`,
    },
  ]
}

/** A unary kind: the function over [l, u] with the method's two parallel lines. */
export function curveGeometry(data: PlanesData, method: Method, width = 360, height = 260): ChartGeometry {
  const m = data.methods.find((m) => m.method === method)!
  if (!m.curve) throw new Error(`${data.kind} is not a one-variable function`)
  const { x, y, path, base } = frame(data, width, height)
  const c = m.curve
  const band = [...c.xs.map((v, k) => [x(v), y(c.upper[k])]), ...c.xs.map((v, k) => [x(v), y(c.lower[k])]).reverse()]
  return {
    ...base,
    paths: [
      { key: 'band', cls: 'band', d: `M${band.map((p) => p.join(',')).join('L')}Z` },
      { key: 'lower', cls: 'plane-lo', d: path(c.xs, c.lower) },
      { key: 'upper', cls: 'plane-hi', d: path(c.xs, c.upper) },
      { key: 'f', cls: 'curve-f', d: path(c.xs, c.f) },
    ],
    markers: extremes(data, method, x, y),
    xLabel: data.axes.x,
    yLabel: data.axes.f,
    legend: [],
  }
}

/** A binary kind without 3-D: f and the method's planes along a few fixed y values. */
export function sliceGeometry(data: PlanesData, method: Method, width = 360, height = 260): ChartGeometry {
  const m = data.methods.find((m) => m.method === method)!
  const { x, y, path, base } = frame(data, width, height)
  const paths: ChartPath[] = []
  for (const s of m.slices) {
    const color = SLICE_COLORS[s.role]
    paths.push(
      { key: `${s.role}-lower`, cls: 'plane-lo', color, d: path(s.xs, s.lower) },
      { key: `${s.role}-upper`, cls: 'plane-hi', color, d: path(s.xs, s.upper) },
      { key: `${s.role}-f`, cls: 'curve-f', color, d: path(s.xs, s.f) },
    )
  }
  return {
    ...base,
    paths,
    markers: extremes(data, method, x, y),
    xLabel: data.axes.x,
    yLabel: data.axes.f,
    legend: m.slices.map((s) => ({ key: s.role, label: `y = ${formatNumber(s.y, 3)}`, color: SLICE_COLORS[s.role] })),
  }
}
