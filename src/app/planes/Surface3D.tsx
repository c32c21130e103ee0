/**
 * The 3-D view of one method's planes (plotly gl3d). Loaded lazily by PlanesView: this
 * module is the only one that imports plotly, so plotly is a chunk of its own that the
 * first paint never waits for.
 */
import * as plotlyModule from 'plotly.js-gl3d-dist-min'
import * as factoryModule from 'react-plotly.js/factory'
import { unwrapDefault } from '../unwrapDefault.ts'
import { useEffect, useMemo, useRef, useState } from 'react'
import type { Method } from '../../cert/index.ts'
import type { PlanesData } from './planeData.ts'
import type { FigureTheme } from './plotlyFigure.ts'
import { LIGHT_THEME, planesFigure } from './plotlyFigure.ts'
import { plotQueue } from './plotQueue.ts'

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
  /** called once the plot has drawn its first figure (the panel then drops its 2-D placeholder) */
  onDrawn?: () => void
}

/**
 * The plot draws in its turn of the page's plot queue (one gl3d plot at a time, when the page
 * is idle), so several panels never freeze the page together; a newer figure asked for
 * before its turn replaces the older one.
 */
export default function Surface3D({ data, method, onError, onDrawn }: Surface3DProps) {
  const theme = useMemo(() => readTheme(), [])
  const fig = useMemo(() => planesFigure(data, method, theme, Math.min(2, Math.max(1, window.devicePixelRatio || 1))), [data, method, theme])
  const [shown, setShown] = useState<typeof fig | null>(null)
  const key = useRef({})
  // the queue's drawing going on: resolved when plotly reports the figure drawn (or failed)
  const drawing = useRef<(() => void) | null>(null)
  const finish = () => {
    drawing.current?.()
    drawing.current = null
  }
  useEffect(() => {
    const cancel = plotQueue.schedule(key.current, () => new Promise<void>((resolve) => {
      drawing.current = resolve
      setShown((s) => {
        // the same figure: nothing to draw
        if (s === fig) queueMicrotask(finish)
        return fig
      })
    }))
    return cancel
  }, [fig]) // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(() => () => finish(), []) // eslint-disable-line react-hooks/exhaustive-deps
  return (
    <div className="planes-plot" data-testid={`planes-plot-${method}`}>
      {shown && (
        <Plot
          data={shown.data}
          layout={shown.layout}
          config={shown.config}
          style={{ width: '100%', height: 320 }}
          useResizeHandler
          onInitialized={() => {
            finish()
            onDrawn?.()
          }}
          onUpdate={finish}
          onError={(e: Error) => {
            finish()
            onError(e)
          }}
        />
      )}
    </div>
  )
}
