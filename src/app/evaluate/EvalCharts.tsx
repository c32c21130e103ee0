/**
 * The evaluation's charts (plotly's cartesian bundle: lines, box and violin plots). Loaded
 * lazily by EvaluationView: the only module that imports this bundle, so it is a chunk of
 * its own that only the evaluation view loads.
 */
import * as plotlyModule from 'plotly.js-cartesian-dist-min'
import * as factoryModule from 'react-plotly.js/factory'
import { unwrapDefault } from '../unwrapDefault.ts'
import { useMemo } from 'react'
import type { EvalRow } from '../../cert/evaluation.ts'
import type { Method } from '../../cert/transformers/index.ts'
import { accuracyFigure, boundsFigure } from './figures.ts'

const Plot = unwrapDefault<typeof factoryModule.default>(factoryModule)(unwrapDefault<object>(plotlyModule))

export default function EvalCharts({ rows, methods }: { rows: EvalRow[]; methods: Method[] }) {
  const acc = useMemo(() => accuracyFigure(rows, methods), [rows, methods])
  const dist = useMemo(() => boundsFigure(rows, methods), [rows, methods])
  return (
    <div className="eval-charts">
      <div data-testid="eval-accuracy-chart">
        <Plot data={acc.data} layout={acc.layout} config={acc.config} style={{ width: '100%', height: 300 }} useResizeHandler />
      </div>
      <div data-testid="eval-bounds-chart">
        <Plot data={dist.data} layout={dist.layout} config={dist.config} style={{ width: '100%', height: 300 }} useResizeHandler />
      </div>
    </div>
  )
}
