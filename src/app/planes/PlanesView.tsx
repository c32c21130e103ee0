/**
 * The bounding planes of one transformer over one input box, for Cert-RNN, DeepZ and
 * interval side by side: slopes, offsets and gap printed; binary functions as a plotly gl3d
 * surface between two translucent planes (loaded lazily), unary ones as an SVG curve between
 * two lines; the residual's extremes marked. Without WebGL (or when plotly fails to load)
 * binary functions fall back to 2-D slices.
 */
import type { ReactNode } from 'react'
import { Component, lazy, Suspense, useCallback, useMemo, useState } from 'react'
import type { PlaneBox, TransformerKind } from '../../cert/index.ts'
import { methodName, methodWords } from '../views/terms.ts'
import type { ChartGeometry } from './chartGeometry.ts'
import { curveGeometry, sliceGeometry } from './chartGeometry.ts'
import type { MethodPlanes, PlanesData, RecordedPlane } from './planeData.ts'
import { boxProblem, formatNumber, planesData } from './planeData.ts'
import { hasWebGL, softwareWebGL } from './webgl.ts'
import { METHOD_COLORS, PLANE_COLORS } from '../theme.ts'
import './planes.css'

/** The planes' colours for planes.css, from the theme (no method's colour among them). */
const PLANE_STYLE = { '--plane-lower': PLANE_COLORS.lower, '--plane-upper': PLANE_COLORS.upper, '--plane-curve': 'var(--fg)' } as React.CSSProperties

const Surface3D = lazy(() => import('./Surface3D.tsx'))

export interface PlanesViewProps {
  kind: TransformerKind
  box: PlaneBox
  /** the plane a certification trace recorded for this box (used verbatim for its method) */
  record?: RecordedPlane
  /** '2d' forces the slice view for binary kinds (default: 3-D when WebGL is available) */
  mode?: 'auto' | '2d'
  /**
   * whether the 3-D surfaces are drawn at first (the user can switch them with "3-D surfaces"):
   * 'auto' (default) when WebGL runs on a GPU, not on the CPU (softwareWebGL)
   */
  surfaces?: 'auto' | 'on' | 'off'
  /** what x and y stand for (a traced neuron's variables); default: the kind's generic names */
  axes?: { x: string; y: string }
}

export function PlanesView({ kind, box, record, mode = 'auto', axes, surfaces = 'auto' }: PlanesViewProps) {
  const ax = axes?.x
  const ay = axes?.y
  const { lx, ux, ly, uy } = box
  const rm = record?.method
  const ra = record?.a
  const rb = record?.b
  const rc1 = record?.c1
  const rc2 = record?.c2
  const result = useMemo((): { data: PlanesData } | { error: string } => {
    const b = { lx, ux, ly, uy }
    const problem = boxProblem(kind, b)
    if (problem) return { error: problem }
    const rec = rm === undefined ? undefined : { method: rm, a: ra!, b: rb!, c1: rc1!, c2: rc2! }
    try {
      return { data: planesData(kind, b, { record: rec, axes: ax === undefined || ay === undefined ? undefined : { x: ax, y: ay } }) }
    } catch (e) {
      return { error: (e as Error).message }
    }
  }, [kind, lx, ux, ly, uy, rm, ra, rb, rc1, rc2, ax, ay])
  const [plotError, setPlotError] = useState<string | null>(null)
  const onPlotError = useCallback((e: Error) => setPlotError(e.message || String(e)), [])
  const webgl = useMemo(() => mode === 'auto' && hasWebGL(), [mode])
  const software = useMemo(() => webgl && softwareWebGL(), [webgl])
  const [show3d, setShow3d] = useState(() => (surfaces === 'auto' ? !software : surfaces === 'on'))

  if ('error' in result) {
    return (
      <section className="planes-view" data-testid="planes-view" data-kind={kind}>
        <p className="error" data-testid="planes-error">
          Cannot draw the planes: {result.error}
        </p>
      </section>
    )
  }
  const data = result.data
  const fallback = data.unary
    ? null
    : mode === '2d'
      ? 'the 2-D view was chosen'
      : !webgl
        ? 'WebGL is not available in this browser'
        : plotError
          ? `the 3-D view failed (${plotError})`
          : !show3d
            ? `the 3-D surfaces are off${software ? ' (this browser draws WebGL on the CPU, where each surface takes the page seconds)' : ''}: tick “3-D surfaces” to draw them`
            : null
  const canShow3d = !data.unary && mode === 'auto' && webgl && !plotError
  const boxText = data.unary ? `[${formatNumber(data.box.lx)}, ${formatNumber(data.box.ux)}]` : `[${formatNumber(data.box.lx)}, ${formatNumber(data.box.ux)}] × [${formatNumber(data.box.ly)}, ${formatNumber(data.box.uy)}]`
  return (
    <section className="planes-view" style={PLANE_STYLE} data-testid="planes-view" data-kind={kind} data-mode={data.unary ? 'curve' : fallback ? 'slices' : '3d'}>
      <p className="planes-title">
        <strong>{data.label}</strong> over {boxText}: {data.unary ? 'the curve between the two parallel lines' : 'the surface between the two parallel planes'} A·x{data.unary ? '' : ' + B·y'} + C1 ≤ f ≤ A·x{data.unary ? '' : ' + B·y'} + C2.
        {kind === 'mul' && ' x·y has no fused Cert-RNN plane: Cert-RNN uses DeepZ’s bilinear rule for it, so the two panels agree.'}
      </p>
      {fallback && (
        <p className="notice planes-fallback" data-testid="planes-fallback">
          Showing 2-D slices of the surface along y = ly, the middle and y = uy (solid: f; dashed: the lower and upper planes), because {fallback}.
        </p>
      )}
      {canShow3d && (
        <label className="check planes-3d">
          <input type="checkbox" data-testid="planes-3d" checked={show3d} onChange={(e) => setShow3d(e.target.checked)} /> 3-D surfaces
        </label>
      )}
      <p className="planes-legend" data-testid="planes-legend">
        {data.methods.map((m) => (
          <span key={m.method}>
            <span className="swatch" style={{ background: METHOD_COLORS[m.method] }} aria-hidden="true" />
            {methodName(m.method)}
          </span>
        ))}
        <span>
          <span className="swatch" style={{ background: PLANE_COLORS.lower }} aria-hidden="true" />
          lower plane
        </span>
        <span>
          <span className="swatch" style={{ background: PLANE_COLORS.upper }} aria-hidden="true" />
          upper plane
        </span>
        <span>
          <span className="swatch" style={{ background: 'var(--plane-curve)' }} aria-hidden="true" />
          the function
        </span>
      </p>
      <div className="planes-grid">
        {data.methods.map((m) => (
          <PlanePanel key={m.method} data={data} m={m} fallback={fallback !== null} onPlotError={onPlotError} />
        ))}
      </div>
    </section>
  )
}

function PlanePanel({ data, m, fallback, onPlotError }: { data: PlanesData; m: MethodPlanes; fallback: boolean; onPlotError: (e: Error) => void }) {
  const [drawn, setDrawn] = useState(false)
  const onDrawn = useCallback(() => setDrawn(true), [])
  const slack = m.gap - m.tightGap
  const exact = slack <= 1e-9 * Math.max(1, Math.abs(m.gap))
  const where = (p: { x: number; y: number }) => (data.unary ? `x = ${formatNumber(p.x)}` : `(${formatNumber(p.x)}, ${formatNumber(p.y)})`)
  return (
    <article className="planes-panel" style={{ '--method': METHOD_COLORS[m.method] } as React.CSSProperties} data-testid={`planes-panel-${m.method}`} data-gap={m.gap} data-source={m.source}>
      <h3 title={methodWords(m.method)}>{methodName(m.method)}</h3>
      <dl className="planes-stats">
        <div>
          <dt>A</dt>
          <dd data-testid={`plane-a-${m.method}`}>{formatNumber(m.plane.a)}</dd>
        </div>
        {!data.unary && (
          <div>
            <dt>B</dt>
            <dd data-testid={`plane-b-${m.method}`}>{formatNumber(m.plane.b)}</dd>
          </div>
        )}
        <div>
          <dt>C1</dt>
          <dd>{formatNumber(m.plane.c1)}</dd>
        </div>
        <div>
          <dt>C2</dt>
          <dd>{formatNumber(m.plane.c2)}</dd>
        </div>
        <div className="gap">
          <dt>gap C2 − C1</dt>
          <dd data-testid={`plane-gap-${m.method}`}>{formatNumber(m.gap)}</dd>
        </div>
      </dl>
      <p className="planes-note">
        {exact ? (
          <>Tight: the planes touch the function (the residual g = f − A·x{data.unary ? '' : ' − B·y'} spans the whole gap).</>
        ) : (
          <>
            Looser than needed by {formatNumber(slack)}: with these slopes, planes {formatNumber(m.tightGap)} apart would do.
          </>
        )}{' '}
        <span className="lo">min g</span> at {where(m.argmin)}, <span className="hi">max g</span> at {where(m.argmax)}.
        {m.source === 'trace' && (m.matchesEngine ? <> Plane from the trace (the engine recomputes it identically).</> : <strong className="error"> Plane from the trace; the engine computes a different plane for this box.</strong>)}
      </p>
      {data.unary ? (
        <SvgChart geometry={curveGeometry(data, m.method)} testId={`planes-curve-${m.method}`} />
      ) : fallback ? (
        <SvgChart geometry={sliceGeometry(data, m.method)} testId={`planes-slices-${m.method}`} />
      ) : (
        <>
          {/* the cheap drawing first: the slices stand in until the 3-D plot has drawn (it waits its turn, see plotQueue.ts) */}
          {!drawn && (
            <div className="planes-placeholder" data-testid={`planes-placeholder-${m.method}`}>
              <SvgChart geometry={sliceGeometry(data, m.method)} testId={`planes-slices-${m.method}`} />
              <p className="muted">2-D slices (y = ly, middle, uy) until the 3-D view is drawn…</p>
            </div>
          )}
          <PlotBoundary onError={onPlotError}>
            <Suspense fallback={null}>
              <Surface3D data={data} method={m.method} onError={onPlotError} onDrawn={onDrawn} />
            </Suspense>
          </PlotBoundary>
        </>
      )}
    </article>
  )
}

/** A 2-D chart from precomputed geometry: axes, paths, extreme markers, legend. */
function SvgChart({ geometry: g, testId }: { geometry: ChartGeometry; testId: string }) {
  const { plot } = g
  return (
    <svg className="planes-chart" data-testid={testId} viewBox={`0 0 ${g.width} ${g.height}`} role="img" aria-label={`${g.yLabel} against ${g.xLabel} with the bounding lines`}>
      <g className="axes">
        {g.xTicks.map((t) => (
          <g key={`x${t.x}`}>
            <line className="grid" x1={t.x} x2={t.x} y1={plot.top} y2={plot.bottom} />
            <text className="tick" x={t.x} y={plot.bottom + 13} textAnchor="middle">
              {t.label}
            </text>
          </g>
        ))}
        {g.yTicks.map((t) => (
          <g key={`y${t.y}`}>
            <line className="grid" x1={plot.left} x2={plot.right} y1={t.y} y2={t.y} />
            <text className="tick" x={plot.left - 4} y={t.y + 3.5} textAnchor="end">
              {t.label}
            </text>
          </g>
        ))}
        <rect className="frame" x={plot.left} y={plot.top} width={plot.right - plot.left} height={plot.bottom - plot.top} />
        <text className="axis-label" x={(plot.left + plot.right) / 2} y={g.height - 4} textAnchor="middle">
          {g.xLabel}
        </text>
        <text className="axis-label" transform={`translate(12, ${(plot.top + plot.bottom) / 2}) rotate(-90)`} textAnchor="middle">
          {g.yLabel}
        </text>
      </g>
      {g.paths.map((p) => (
        <path key={p.key} className={p.cls} d={p.d} style={p.color ? { stroke: p.color } : undefined} />
      ))}
      {g.markers.map((mk) => (
        <g key={mk.key} className={mk.cls}>
          <title>{mk.title}</title>
          <line className="slack" x1={mk.cx} x2={mk.cx} y1={mk.cy} y2={mk.planeY} />
          <circle cx={mk.cx} cy={mk.cy} r={4.5} />
          <text x={mk.cx + (mk.cx > (plot.left + plot.right) / 2 ? -7 : 7)} y={mk.cy + (mk.cls === 'extreme-min' ? 14 : -8)} textAnchor={mk.cx > (plot.left + plot.right) / 2 ? 'end' : 'start'}>
            {mk.label}
          </text>
        </g>
      ))}
      {g.legend.length > 0 && (
        <g className="legend">
          {g.legend.map((l, k) => (
            <g key={l.key} transform={`translate(${plot.left + 6 + k * 84}, ${plot.top + 10})`}>
              <line x1={0} x2={14} y1={0} y2={0} style={{ stroke: l.color }} />
              <text x={18} y={3.5}>
                {l.label}
              </text>
            </g>
          ))}
        </g>
      )}
    </svg>
  )
}

/** Catches a failed plotly chunk (or a plotly crash) and reports it, so the view falls back. */
class PlotBoundary extends Component<{ onError: (e: Error) => void; children: ReactNode }, { failed: boolean }> {
  state = { failed: false }
  static getDerivedStateFromError() {
    return { failed: true }
  }
  componentDidCatch(error: Error) {
    this.props.onError(error)
  }
  render() {
    return this.state.failed ? <div className="planes-loading">The 3-D view could not be shown.</div> : this.props.children
  }
}

export default PlanesView
