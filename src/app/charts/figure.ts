/** A plotly figure as plain data, built by pure (tested) functions and drawn by CartesianPlot. */
import type { Config, Data, Layout } from 'plotly.js'

export interface Figure {
  data: Data[]
  layout: Partial<Layout>
  config: Partial<Config>
}

export const CHART_CONFIG: Partial<Config> = { displaylogo: false, responsive: true, modeBarButtonsToRemove: ['select2d', 'lasso2d'] }

export const baseLayout = (title: string): Partial<Layout> => ({
  title: { text: title, font: { size: 13 } },
  autosize: true,
  height: 300,
  margin: { l: 56, r: 12, t: 36, b: 44 },
  paper_bgcolor: 'rgba(0,0,0,0)',
  plot_bgcolor: 'rgba(0,0,0,0)',
  font: { size: 11 },
  legend: { orientation: 'h', y: -0.25 },
})
