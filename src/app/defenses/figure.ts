/**
 * The defenses chart: per model, mean certified bound (± std) and mean attack radius as bars
 * (ε, top), clean accuracy as markers on a 0…100 % axis of its own (bottom): two panels
 * sharing the models, never two scales on one panel.
 */
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
      showlegend: true,
      marker: { color: SERIES_COLORS.accuracy, size: 11, symbol: 'diamond' },
      hovertemplate: '%{x}: clean accuracy %{y:.1f} %<extra></extra>',
    },
  ]
  const layout: Partial<Layout> = {
    ...baseLayout('Certified bound and attack radius (ε, mean over correct inputs) and clean accuracy, per model'),
    height: 420,
    margin: { l: 64, r: 16, t: 40, b: 44 },
    barmode: 'group',
    xaxis: { anchor: 'y2' },
    yaxis: { title: { text: 'ε' }, rangemode: 'tozero', domain: [0.38, 1] },
    yaxis2: { title: { text: 'accuracy' }, range: [0, 100], autorange: false, ticksuffix: ' %', dtick: 25, domain: [0, 0.26] },
    legend: { orientation: 'h', y: -0.18 },
  }
  return { data, layout, config: CHART_CONFIG }
}

/** Live training: loss, test accuracy (0…100 %) and the certified bound of the watched digits per epoch, three stacked panels sharing the epochs. */
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
        line: { color: colors[k % colors.length] },
      }),
    ),
  ]
  const layout: Partial<Layout> = {
    ...baseLayout('Training per epoch: loss, test accuracy, certified bounds'),
    height: 460,
    margin: { l: 64, r: 16, t: 40, b: 44 },
    xaxis: { title: { text: 'epoch' }, dtick: 1, anchor: 'y3' },
    yaxis: { title: { text: 'loss' }, rangemode: 'tozero', domain: [0.72, 1] },
    yaxis2: { title: { text: 'accuracy' }, range: [0, 100], autorange: false, ticksuffix: ' %', domain: [0.38, 0.64] },
    yaxis3: { title: { text: 'certified ε' }, rangemode: 'tozero', domain: [0, 0.3] },
    legend: { orientation: 'h', y: -0.16 },
  }
  return { data, layout, config: CHART_CONFIG }
}
