/**
 * The evaluation's plotly figures, as plain data (tested without a browser): verified
 * accuracy against ε per method (log ε axis), and the distribution of certified bounds per
 * method (violins with the box and every sample's point, as the paper's Figure 6).
 */
import type { Data, Layout } from 'plotly.js'
import type { EvalRow, Method } from '../../cert/index.ts'
import { accuracyCurve, epsGrid, METHOD_SHORT } from '../../cert/index.ts'
import { METHOD_COLORS } from '../theme.ts'
import type { Figure } from '../charts/figure.ts'
import { baseLayout, CHART_CONFIG } from '../charts/figure.ts'


export function accuracyFigure(rows: EvalRow[], methods: readonly Method[]): Figure {
  const grid = epsGrid(rows, 60)
  const curve = accuracyCurve(rows, methods, grid)
  const data: Data[] = methods.map((m) => ({
    type: 'scatter',
    mode: 'lines',
    // a step function: accuracy holds until the next bound is passed
    line: { color: METHOD_COLORS[m], width: 2, shape: 'hv' },
    name: METHOD_SHORT[m],
    x: curve.map((p) => p.eps),
    y: curve.map((p) => (p.accuracy[m] ?? NaN) * 100),
    hovertemplate: `${METHOD_SHORT[m]}<br>ε = %{x:.3g}<br>verified accuracy %{y:.1f} %<extra></extra>`,
  }))
  return {
    data,
    layout: {
      ...baseLayout('Verified accuracy against ε'),
      xaxis: { type: 'log', title: { text: 'ε (ℓ∞ radius)' }, exponentformat: 'power' },
      yaxis: { title: { text: 'verified accuracy (%)' }, range: [0, 100] },
    },
    config: CHART_CONFIG,
  }
}

export function boundsFigure(rows: EvalRow[], methods: readonly Method[]): Figure {
  const data: Data[] = methods.map((m) => {
    const rs = rows.filter((r) => r.method === m && r.correct)
    return {
      type: 'violin',
      name: METHOD_SHORT[m],
      y: rs.map((r) => r.bound),
      text: rs.map((r) => `sample ${r.index}`),
      line: { color: METHOD_COLORS[m] },
      fillcolor: METHOD_COLORS[m] + '33',
      box: { visible: true },
      meanline: { visible: true },
      points: 'all',
      jitter: 0.4,
      pointpos: 0,
      marker: { size: 4, color: METHOD_COLORS[m] },
      spanmode: 'hard',
      hovertemplate: `${METHOD_SHORT[m]}<br>%{text}: bound %{y:.4g}<extra></extra>`,
    } as Data
  })
  return {
    data,
    layout: {
      ...baseLayout('Certified bounds (correctly classified samples)'),
      yaxis: { title: { text: 'certified bound ε*' }, rangemode: 'tozero' },
      showlegend: false,
      violinmode: 'group',
    } as Partial<Layout>,
    config: CHART_CONFIG,
  }
}
