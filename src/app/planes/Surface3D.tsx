/**
 * The 3-D view of one method's planes (plotly gl3d). Loaded lazily by PlanesView: this
 * module is the only one that imports plotly, so plotly is a chunk of its own that the
 * first paint never waits for.
 */
import * as plotlyModule from 'plotly.js-gl3d-dist-min'
import * as factoryModule from 'react-plotly.js/factory'
import { unwrapDefault } from '../unwrapDefault.ts'
import { useMemo } from 'react'
import type { Method } from '../../cert/index.ts'
import type { PlanesData } from './planeData.ts'
import type { FigureTheme } from './plotlyFigure.ts'
import { LIGHT_THEME, planesFigure } from './plotlyFigure.ts'

const Plotly = unwrapDefault<object>(plotlyModule)
const createPlotlyComponent = unwrapDefault<typeof factoryModule.default>(factoryModule)
const Plot = createPlotlyComponent(Plotly)

function readTheme(): FigureTheme {
  if (typeof window === 'undefined') return LIGHT_THEME
  const css = getComputedStyle(document.documentElement)
  const v = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback
  return { fg: v('--fg', LIGHT_THEME.fg), muted: v('--muted', LIGHT_THEME.muted), grid: v('--border', LIGHT_THEME.grid) }
}

export interface Surface3DProps {
  data: PlanesData
  method: Method
  onError: (e: Error) => void
}

export default function Surface3D({ data, method, onError }: Surface3DProps) {
  const theme = useMemo(() => readTheme(), [])
  const fig = useMemo(() => planesFigure(data, method, theme, Math.min(2, Math.max(1, window.devicePixelRatio || 1))), [data, method, theme])
  return (
    <div className="planes-plot" data-testid={`planes-plot-${method}`}>
      <Plot data={fig.data} layout={fig.layout} config={fig.config} style={{ width: '100%', height: 320 }} useResizeHandler onError={onError} />
    </div>
  )
}
