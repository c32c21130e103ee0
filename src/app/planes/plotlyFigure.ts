/**
 * The plotly gl3d figure of one method's planes: f as a surface, the lower and upper
 * planes as translucent surfaces, the residual's extremes as markers (with a segment to
 * their plane: zero length when the offset is exact, the slack otherwise). Pure data; the
 * lazily loaded Surface3D hands it to plotly.
 */
import { CHART_THEME, PLANE_COLORS } from '../theme.ts'
import type { Config, Data, Layout } from 'plotly.js'
import type { Method } from '../../cert/index.ts'
import type { PlanesData } from './planeData.ts'
import { formatNumber } from './planeData.ts'


export interface FigureTheme {
  fg: string
  muted: string
  grid: string
}

export const LIGHT_THEME: FigureTheme = CHART_THEME

/** Axis range of one box side, padded when the side has zero width. */
function axisRange(l: number, u: number): [number, number] {
  if (u > l) return [l, u]
  const pad = Math.max(1e-3, Math.abs(l) * 0.05)
  return [l - pad, u + pad]
}

export interface Figure {
  data: Data[]
  layout: Partial<Layout>
  config: Partial<Config>
}

/**
 * pixelRatio: WebGL resolution per CSS pixel. plotly's default of 2 doubles the fill work on
 * every redraw; the device's own ratio (at most 2) is as sharp as the screen can show.
 */
export function planesFigure(d: PlanesData, method: Method, theme: FigureTheme = LIGHT_THEME, pixelRatio = 1): Figure {
  const m = d.methods.find((m) => m.method === method)
  if (!m) throw new Error(`no planes for method ${method}`)
  if (d.unary) throw new Error(`${d.kind} is drawn as a curve, not a surface`)
  const { xs, ys, z } = d.surface
  const { lx, ux, ly, uy } = d.box
  const hover = (name: string) => `${name}<br>x = %{x:.4g}<br>y = %{y:.4g}<br>value = %{z:.4g}<extra></extra>`
  // a plane is exact on its four corners: two triangles, far cheaper to draw than a surface
  const last = xs.length - 1
  const planeMesh = (name: string, g: number[][], color: string) =>
    ({
      type: 'mesh3d',
      name,
      x: [xs[0], xs[last], xs[last], xs[0]],
      y: [ys[0], ys[0], ys[last], ys[last]],
      z: [g[0][0], g[0][last], g[last][last], g[last][0]],
      i: Uint8Array.of(0, 0),
      j: Uint8Array.of(1, 2),
      k: Uint8Array.of(2, 3),
      color,
      opacity: 0.4,
      flatshading: true,
      hovertemplate: hover(name),
    }) as Data
  const data: Data[] = []
  if (ux > lx && uy > ly) {
    data.push(
      { type: 'surface', name: d.label, x: xs, y: ys, z, colorscale: PLANE_COLORS.surface, showscale: false, hovertemplate: hover(d.label), lighting: { ambient: 0.75, diffuse: 0.5, specular: 0.05 } } as Data,
      planeMesh('lower plane', m.lower, PLANE_COLORS.lower),
      planeMesh('upper plane', m.upper, PLANE_COLORS.upper),
    )
  } else {
    // a side of zero width: the surface is a curve (or a point), drawn as 3-D lines
    const alongX = ux > lx
    const n = alongX ? xs.length : ys.length
    const px = alongX ? xs : ys.map(() => lx)
    const py = alongX ? xs.map(() => ly) : ys
    const pick = (g: number[][]) => (alongX ? g[0] : g.map((row) => row[0]))
    const mode = n > 1 && (ux > lx || uy > ly) ? 'lines' : 'markers'
    const line3d = (name: string, zz: number[], color: string, dash?: 'dash'): Data => ({ type: 'scatter3d', mode, name, x: px, y: py, z: zz, line: { color, width: 5, dash }, marker: { color, size: 4 }, hovertemplate: hover(name) })
    data.push(line3d(d.label, pick(z), PLANE_COLORS.curve), line3d('lower plane', pick(m.lower), PLANE_COLORS.lower, 'dash'), line3d('upper plane', pick(m.upper), PLANE_COLORS.upper, 'dash'))
  }
  const { a, b, c1, c2 } = m.plane
  for (const [p, c, name, color] of [
    [m.argmin, c1, 'min g', PLANE_COLORS.lower],
    [m.argmax, c2, 'max g', PLANE_COLORS.upper],
  ] as const) {
    const onPlane = a * p.x + b * p.y + c
    data.push(
      { type: 'scatter3d', mode: 'lines', name: `${name}: slack`, x: [p.x, p.x], y: [p.y, p.y], z: [p.f, onPlane], line: { color, width: 4 }, hoverinfo: 'skip', showlegend: false },
      {
        type: 'scatter3d',
        mode: 'text+markers',
        name,
        x: [p.x],
        y: [p.y],
        z: [p.f],
        text: [name],
        textposition: 'top center',
        textfont: { color: theme.fg, size: 11 },
        marker: { color, size: 5, line: { color: '#ffffff', width: 1 } },
        hovertemplate: `${name} = ${formatNumber(p.g)}<br>at x = %{x:.4g}, y = %{y:.4g}<br>f = %{z:.4g}<extra></extra>`,
      },
    )
  }
  const axis = (title: string, range: [number, number]) => ({
    title: { text: title, font: { size: 13, color: theme.fg } },
    range,
    autorange: false as const,
    tickfont: { size: 12, color: theme.muted },
    // at most 3 significant digits: no 0.30000000000000004 on a tick
    tickformat: '.3~g',
    gridcolor: theme.grid,
    zerolinecolor: theme.muted,
    nticks: 4,
  })
  const layout: Partial<Layout> = {
    autosize: true,
    height: 320,
    margin: { l: 0, r: 0, t: 0, b: 0 },
    paper_bgcolor: 'rgba(0,0,0,0)',
    showlegend: false,
    font: { color: theme.fg, size: 11 },
    // keep the user's camera while the box changes; reset it when the function changes
    uirevision: d.kind,
    scene: {
      xaxis: axis(d.axes.x, axisRange(lx, ux)),
      yaxis: axis(d.axes.y, axisRange(ly, uy)),
      // padded, so that a plane at the range's edge does not fight the axis wall's grid
      zaxis: axis(d.axes.f, [d.range[0] - 0.04 * (d.range[1] - d.range[0]), d.range[1] + 0.04 * (d.range[1] - d.range[0])]),
      aspectmode: 'manual',
      aspectratio: { x: 1, y: 1, z: 0.8 },
      camera: { eye: { x: 1.2, y: -1.3, z: 0.75 }, center: { x: 0, y: 0, z: -0.08 } },
    },
  }
  const config: Partial<Config> = { plotGlPixelRatio: pixelRatio, displaylogo: false, responsive: true, modeBarButtonsToRemove: ['toImage', 'resetCameraLastSave3d'] }
  return { data, layout, config }
}
