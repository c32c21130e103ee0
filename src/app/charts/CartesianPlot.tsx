/**
 * One 2-D plotly chart (plotly's cartesian bundle: lines, bars, box and violin plots). The
 * only module that imports the bundle: views load it lazily (see LazyPlot.tsx), so it is a
 * chunk of its own that the first paint never waits for.
 */
import * as plotlyModule from 'plotly.js-cartesian-dist-min'
import * as factoryModule from 'react-plotly.js/factory'
import { unwrapDefault } from '../unwrapDefault.ts'
import type { Figure } from './figure.ts'

const Plot = unwrapDefault<typeof factoryModule.default>(factoryModule)(unwrapDefault<object>(plotlyModule))

export default function CartesianPlot({ figure, height = 300 }: { figure: Figure; height?: number }) {
  return <Plot data={figure.data} layout={figure.layout} config={figure.config} style={{ width: '100%', height }} useResizeHandler />
}
