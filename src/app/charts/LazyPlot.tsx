/** A 2-D chart whose plotly bundle loads on first use, with a placeholder meanwhile. */
import { lazy, Suspense } from 'react'
import type { Figure } from './figure.ts'

const CartesianPlot = lazy(() => import('./CartesianPlot.tsx'))

export function LazyPlot({ figure, testId, height }: { figure: Figure; testId: string; height?: number }) {
  return (
    <div data-testid={testId}>
      <Suspense fallback={<p className="muted">loading the chart…</p>}>
        <CartesianPlot figure={figure} height={height} />
      </Suspense>
    </div>
  )
}
