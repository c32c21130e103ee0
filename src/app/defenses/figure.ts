/** The defenses chart: per model, mean certified bound (± std) and mean attack radius as bars, clean accuracy as markers. */
import { SERIES_COLORS } from '../theme.ts'
import type { Data, Layout } from 'plotly.js'
import type { Figure } from '../charts/figure.ts'
import { baseLayout, CHART_CONFIG } from '../charts/figure.ts'
import type { VariantResult } from './compareSlice.ts'
import { summarizeVariant } from './compare.ts'
import type { EpochReport } from '../../worker/training/protocol.ts'

export function defenseFigure(results: VariantResult[]): Figure {
  const done = results.filter((r) => r.status === 'done' || r.inputs.length > 0)
  const x = done.map((r) => r.label)
  const s = done.map(summarizeVariant)
  const data: Data[] = [
    {
      type: 'bar',
      name: 'certified bound (Cert-RNN)',
      x,
      y: s.map((v) => v.meanBound),
      error_y: { type: 'data', array: s.map((v) => v.stdBound), visible: true },
      marker: { color: SERIES_COLORS.bound },
      hovertemplate: '%{x}: certified %{y:.4g}<extra></extra>',
    },
    { type: 'bar', name: 'attack radius (PGD)', x, y: s.map((v) => v.meanAttack), marker: { color: SERIES_COLORS.attack }, hovertemplate: '%{x}: attack %{y:.4g}<extra></extra>' },
    {
      type: 'scatter',
      mode: 'markers',
      name: 'clean test accuracy',
      x,
      y: done.map((r) => r.testAccuracy * 100),
      yaxis: 'y2',
      marker: { color: SERIES_COLORS.accuracy, size: 11, symbol: 'diamond' },
      hovertemplate: '%{x}: clean accuracy %{y:.1f} %<extra></extra>',
    },
  ]
  const layout: Partial<Layout> = {
    ...baseLayout('Certified bound, attack radius and accuracy per model'),
    height: 340,
    margin: { l: 56, r: 56, t: 36, b: 44 },
    barmode: 'group',
    yaxis: { title: { text: 'ε (mean over correct inputs)' }, rangemode: 'tozero' },
    yaxis2: { title: { text: 'clean accuracy (%)' }, overlaying: 'y', side: 'right', range: [0, 100] },
  }
  return { data, layout, config: CHART_CONFIG }
}

/** Live training: loss and test accuracy per epoch, and the certified bound of the watched digits. */
export function trainingFigure(history: EpochReport[]): Figure {
  const x = history.map((h) => h.epoch)
  const digits = history[0]?.bounds.length ?? 0
  const colors = SERIES_COLORS.more
  const data: Data[] = [
    { type: 'scatter', mode: 'lines+markers', name: 'loss', x, y: history.map((h) => h.loss), line: { color: SERIES_COLORS.loss } },
    { type: 'scatter', mode: 'lines+markers', name: 'test accuracy (%)', x, y: history.map((h) => h.testAccuracy * 100), yaxis: 'y2', line: { color: SERIES_COLORS.accuracy } },
    ...Array.from(
      { length: digits },
      (_, k): Data => ({
        type: 'scatter',
        mode: 'lines+markers',
        name: `bound of test digit ${k}`,
        x,
        y: history.map((h) => h.bounds[k]),
        yaxis: 'y3',
        line: { color: colors[k % colors.length], dash: 'dot' },
      }),
    ),
  ]
  const layout: Partial<Layout> = {
    ...baseLayout('Training: loss, test accuracy and certified bounds per epoch'),
    height: 340,
    margin: { l: 56, r: 110, t: 36, b: 44 },
    xaxis: { title: { text: 'epoch' }, dtick: 1, domain: [0, 0.86] },
    yaxis: { title: { text: 'loss' }, rangemode: 'tozero' },
    yaxis2: { title: { text: 'accuracy (%)' }, overlaying: 'y', side: 'right', range: [0, 100] },
    yaxis3: { title: { text: 'certified ε' }, overlaying: 'y', side: 'right', position: 1, anchor: 'free', rangemode: 'tozero' },
  }
  return { data, layout, config: CHART_CONFIG }
}
