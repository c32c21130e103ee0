import { lazy, Suspense, useEffect, useMemo, useState } from 'react'
import type { Method, Projection, Threat, VarSelector } from '../../cert/index.ts'
import { METHODS } from '../../cert/index.ts'
import type { ProjectSummary, TraceSummary } from '../../worker/protocol.ts'
import { useApp, useAppShallow, useCurrentInput } from '../state/hooks.ts'
import { runJob, startTrace, vizStaleReasons } from '../state/store.ts'
import { Term } from '../views/Glossary.tsx'
import { methodName } from '../views/terms.ts'
import { formatEps } from '../views/geometry.ts'
import { ProjectionSvg } from './ProjectionSvg.tsx'
import { LoosenessPanel } from './LoosenessPanel.tsx'
import { SplitPanel } from './SplitPanel.tsx'
import { METHOD_COLORS } from '../theme.ts'
import { KIND_LABELS } from '../planes/planeData.ts'
import type { Scene } from './scene.ts'
import { buildScene, cloudPoints, maxChoiceCounts, outsideCount, opLabel, planeAxes, stepsOf, variableNames, widestBox } from './scene.ts'

const PlanesView = lazy(() => import('../planes/PlanesView.tsx').then((m) => ({ default: m.PlanesView })))

const decode = (v: string): VarSelector => {
  const p = v.split(':').map(Number)
  return v.startsWith('d:') ? { diff: [p[1], p[2]] } : { index: p[1] }
}

/** Which frames the visualisation perturbs: the threat's, or one chosen frame for `single`. */
function framesFor(threat: Threat, frames: number, single: number): number[] {
  if (threat.kind === 'all') return Array.from({ length: frames }, (_, t) => t)
  if (threat.kind === 'frames') return threat.frames.filter((f) => f < frames)
  return [Math.min(single, frames - 1)]
}

/** `f` when the page is idle (or soon, where there is no requestIdleCallback). */
const whenIdle = (f: () => void) => (typeof requestIdleCallback === 'function' ? requestIdleCallback(() => f(), { timeout: 500 }) : setTimeout(f, 16))

/** How many steps either side of the one shown get their projections asked for ahead. */
const PREFETCH_STEPS = 3

/**
 * The projections of one trace, asked of the worker once each and kept: by method, traced
 * operation (entry) and the two variables.
 */
class ProjectionCache {
  private readonly done = new Map<string, Projection>()
  private readonly asked = new Map<string, Promise<Projection>>()
  /** how many sampled points fall outside each projection (the soundness check), once computed */
  private readonly outside = new Map<string, number>()
  private readonly traceId: number
  constructor(traceId: number) {
    this.traceId = traceId
  }
  private key(method: Method, entry: number, x: string, y: string) {
    return `${method}|${entry}|${x}|${y}`
  }
  get(method: Method, entry: number, x: string, y: string): Projection | undefined {
    return this.done.get(this.key(method, entry, x, y))
  }
  /** The soundness check of a projection that is here: computed once, then kept. */
  outsideOf(method: Method, entry: number, x: string, y: string, points: () => Array<[number, number]>): number | undefined {
    const k = this.key(method, entry, x, y)
    const p = this.done.get(k)
    if (!p) return undefined
    let n = this.outside.get(k)
    if (n === undefined) this.outside.set(k, (n = outsideCount(p.polygon, points())))
    return n
  }
  fetch(method: Method, entry: number, x: string, y: string, vars: [VarSelector, VarSelector]): Promise<Projection> {
    const k = this.key(method, entry, x, y)
    let p = this.asked.get(k)
    if (!p) {
      p = (runJob({ kind: 'project', traceId: this.traceId, method, entry, vars }).result as Promise<ProjectSummary>).then((r) => {
        this.done.set(k, r)
        return r
      })
      // a failure is not kept: asking again retries
      p.catch(() => this.asked.delete(k))
      this.asked.set(k, p)
    }
    return p
  }
}

export function AbstractionView() {
  const { model, eps, threat, status } = useAppShallow((s) => ({ model: s.model, eps: s.eps, threat: s.threat, status: s.modelStatus }))
  const viz = useApp((s) => s.viz)
  const cur = useCurrentInput()
  const [singleFrame, setSingleFrame] = useState(0)
  const frames = cur.input ? framesFor(threat, cur.frames, singleFrame) : []
  const stale = useApp((s) => vizStaleReasons(s, frames).join(', '))
  const unit = model?.inputKind === 'tokens' ? 'token' : 'frame'
  if (!model) return <p className="muted">Choose a model first.</p>
  const trace = viz.trace
  return (
    <section className="panel" data-testid="abstraction" aria-label="Abstraction">
      <h2>How the certificate is built</h2>
      <p className="muted">
        Trace the certification of the current input at <Term id="eps">ε</Term> = {formatEps(eps)} with every method (Cert-RNN, tight, DeepZ, interval) and look inside: every operation of every step as an exact
        2-D projection of its <Term id="zonotope">zonotope</Term>, with {400 - 1} inputs sampled in the <Term id="ball">ε-ball</Term> pushed through the float64 network.
      </p>
      <div className="row">
        {threat.kind === 'single' && cur.frames > 1 && (
          <label>
            perturbed {unit}{' '}
            <input type="number" data-testid="viz-frame" min={0} max={cur.frames - 1} value={Math.min(singleFrame, cur.frames - 1)} onChange={(e) => setSingleFrame(Number(e.target.value))} />
          </label>
        )}
        <span className="muted">
          {' '}
          {unit}s {frames.join(', ') || '—'}{' '}
        </span>
        <button type="button" className="primary" data-testid="run-trace" disabled={viz.status === 'running' || status !== 'ready' || !cur.input || frames.length === 0} onClick={() => void startTrace(frames)}>
          {viz.status === 'running' ? 'tracing… (progress above)' : 'Trace the certification'}
        </button>
      </div>
      {cur.error && <p className="blocker">{cur.error}</p>}
      {viz.error && (
        <p className="error" role="alert" data-testid="trace-error">
          {viz.error}
        </p>
      )}
      {trace && stale && (
        <p className="stale-note" role="status" data-testid="trace-stale">
          Out of date: {stale} changed since this trace was made. Trace again to update it.
        </p>
      )}
      {trace && (
        <div className={stale ? 'stale' : undefined}>
          <TraceExplorer key={trace.traceId} trace={trace} classNames={model.classNames} />
          <LoosenessPanel key={`loose-${trace.traceId}`} trace={trace} stale={stale !== ''} />
          <SplitPanel key={`split-${trace.traceId}`} trace={trace} stale={stale !== ''} />
        </div>
      )}
    </section>
  )
}

function TraceExplorer({ trace, classNames }: { trace: TraceSummary; classNames: string[] }) {
  const layers = useApp((s) => s.model?.net.layers)
  const steps = useMemo(() => stepsOf(trace), [trace])
  const [stepIdx, setStepIdx] = useState(0)
  const step = steps[Math.min(stepIdx, steps.length - 1)]
  const ops = trace.entries.map((e, k) => ({ e, k })).filter(({ e }) => e.step === step)
  const [opName, setOpName] = useState('h')
  const chosen = ops.find(({ e }) => `${e.layer}/${e.op}` === opName) ?? ops.find(({ e }) => e.op === 'h' || e.op === 'forward h') ?? ops[ops.length - 1]
  const entry = chosen.k
  const e = trace.entries[entry]
  const names = variableNames(e, classNames, layers?.[e.layer])
  const runnerUp = useMemo(() => {
    let best = -1
    trace.logits.forEach((v, c) => {
      if (c !== trace.predicted && (best < 0 || v > trace.logits[best])) best = c
    })
    return best
  }, [trace])
  const options = [
    ...names.map((n, i) => ({ value: `i:${i}`, label: n })),
    ...(e.op === 'logits' ? classNames.map((n, c) => (c === trace.predicted ? null : { value: `d:${trace.predicted}:${c}`, label: `${classNames[trace.predicted]} − ${n}` })).filter((o) => o !== null) : []),
  ]
  const [xSel, setXSel] = useState('i:0')
  const [ySel, setYSel] = useState('i:1')
  const valid = (v: string) => options.some((o) => o.value === v)
  const xv = valid(xSel) ? xSel : options[0].value
  const yv = valid(ySel) ? ySel : (options[Math.min(1, options.length - 1)].value)
  // tight beside Cert-RNN: its zonotopes (planes over the reduced boxes) inside Cert-RNN's
  const [shown, setShown] = useState<Method[]>(['certrnn', 'tight', 'deepz', 'interval'])
  // projections per (method, operation, variables), kept for the trace: a step or a pair seen
  // once redraws at once, and the same operation at the neighbouring steps is asked for ahead
  const cache = useMemo(() => new ProjectionCache(trace.traceId), [trace.traceId])
  const [, setArrived] = useState(0)
  const [projError, setProjError] = useState<string | null>(null)
  const sameOpAt = (s: number | null) => trace.entries.findIndex((x) => x.step === s && x.layer === e.layer && x.op === e.op)
  const wanted = shown.map((method) => ({ method, p: cache.get(method, entry, xv, yv) }))
  const ready = wanted.every((w) => w.p !== undefined)

  useEffect(() => {
    let alive = true
    const vars: [VarSelector, VarSelector] = [decode(xv), decode(yv)]
    Promise.all(shown.map((method) => cache.fetch(method, entry, xv, yv, vars))).then(
      () => {
        if (!alive) return
        setArrived((n) => n + 1)
        setProjError(null)
        // ahead of the user: the same operation and variables at the nearest steps, nearest
        // first, one at a time (a request of the user's then waits for one projection at most)
        const at = steps.indexOf(step)
        const near = steps.map((s, k) => ({ s, d: Math.abs(k - at) })).filter(({ d }) => d > 0 && d <= PREFETCH_STEPS).sort((a, b) => a.d - b.d)
        void (async () => {
          for (const { s } of near) {
            const k = sameOpAt(s)
            for (const method of k >= 0 ? shown : []) {
              if (!alive) return
              await cache.fetch(method, k, xv, yv, vars).catch(() => undefined)
              // its soundness check too, while the page is idle
              await new Promise<void>((resolve) => whenIdle(resolve))
              if (!alive) return
              cache.outsideOf(method, k, xv, yv, () => cloudPoints(trace, k, vars))
            }
          }
        })()
      },
      (err: Error) => alive && setProjError(err.message),
    )
    return () => {
      alive = false
    }
  }, [trace, entry, xv, yv, shown]) // eslint-disable-line react-hooks/exhaustive-deps

  // arrow keys step through time
  useEffect(() => {
    const onKey = (ev: KeyboardEvent) => {
      // form controls handle their own arrows (the slider steps once by itself)
      if (['INPUT', 'SELECT', 'TEXTAREA'].includes((ev.target as HTMLElement)?.tagName)) return
      if (ev.key === 'ArrowRight') setStepIdx((s) => Math.min(steps.length - 1, s + 1))
      if (ev.key === 'ArrowLeft') setStepIdx((s) => Math.max(0, s - 1))
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [steps.length])

  // the scene of this step and pair once every projection is here; meanwhile the last one stays (whole: its polygons with its points)
  const current = useMemo(
    () => {
      if (!ready) return null
      const points = cloudPoints(trace, entry, [decode(xv), decode(yv)])
      return buildScene(
        wanted.map(({ method, p }) => ({ method, p: p!, outside: cache.outsideOf(method, entry, xv, yv, () => points) })),
        points,
      )
    },
    [ready, trace, entry, xv, yv, shown], // eslint-disable-line react-hooks/exhaustive-deps
  )
  const [lastScene, setLastScene] = useState<Scene | null>(null)
  if (current && current !== lastScene) setLastScene(current)
  const scene = current ?? lastScene
  const stepLabel = step === null ? 'after the recurrence' : `step ${step}`
  return (
    <div className="explorer">
      <div className="row">
        <label>
          time{' '}
          <input type="range" data-testid="step-slider" min={0} max={steps.length - 1} value={Math.min(stepIdx, steps.length - 1)} onChange={(ev) => setStepIdx(Number(ev.target.value))} />
        </label>
        <strong data-testid="step-label">{stepLabel}</strong>
        <span className="muted">(← → keys)</span>
      </div>
      <div className="row">
        <label>
          operation{' '}
          <select data-testid="op-select" value={`${e.layer}/${e.op}`} onChange={(ev) => setOpName(ev.target.value)}>
            {ops.map(({ e: o }) => (
              <option key={`${o.layer}/${o.op}`} value={`${o.layer}/${o.op}`}>
                {o.layerName}: {opLabel(o.op, layers?.[o.layer])} ({o.n})
              </option>
            ))}
          </select>
        </label>
        <VarSelect axis="x" value={xv} options={options} onChange={setXSel} />
        <VarSelect axis="y" value={yv} options={options} onChange={setYSel} />
      </div>
      <fieldset className="row legend" aria-label="methods shown">
        <legend className="muted">shown (one colour per method):</legend>
        {METHODS.map((m) => (
          <label key={m} className="check">
            <input type="checkbox" data-testid={`show-${m}`} checked={shown.includes(m)} onChange={(ev) => setShown(ev.target.checked ? METHODS.filter((x) => x === m || shown.includes(x)) : shown.filter((x) => x !== m))} />
            <span>
              <span className="swatch" style={{ background: METHOD_COLORS[m] }} aria-hidden="true" />
              {methodName(m)}
            </span>
          </label>
        ))}
      </fieldset>
      {projError && <p className="error">{projError}</p>}
      {scene && (
        <div className="scroll-x" data-testid="projection-box" data-pending={String(!current)}>
          <ProjectionSvg scene={scene} testId="projection" labels={[options.find((o) => o.value === xv)?.label ?? '', options.find((o) => o.value === yv)?.label ?? '']} />
        </div>
      )}
      {scene && scene.offScale.length > 0 && (
        <p className="muted" data-testid="off-scale">
          {scene.offScale.map(methodName).join(', ')} reach{scene.offScale.length === 1 ? 'es' : ''} beyond the plot and {scene.offScale.length === 1 ? 'is' : 'are'} drawn clipped: the view is
          scaled to the tighter methods and the sampled inputs.
        </p>
      )}
      {e.op === 'max pool' && <MaxPoolChoice trace={trace} entry={entry} vars={[decode(xv), decode(yv)]} names={names} />}
      {scene && (
        <p data-testid="inside-check" data-outside={scene.outside} className={scene.outside ? 'error' : 'muted'}>
          {scene.outside ? (
            `UNSOUND: ${scene.outside} sampled point(s) fall outside a polygon — please report this model and input`
          ) : (
            <>
              all {trace.samples - 1} sampled inputs (dots) and the original input (ring) fall inside every polygon; dashed: the range (a box) of each <Term id="zonotope">zonotope</Term>
            </>
          )}
        </p>
      )}
      <MarginView trace={trace} runnerUp={runnerUp} classNames={classNames} />
      <StepPlanes trace={trace} step={step} />
    </div>
  )
}

/** Every transformer applied at this step, for one neuron: the planes of the three methods. */
function StepPlanes({ trace, step }: { trace: TraceSummary; step: number | null }) {
  const layers = useApp((s) => s.model?.net.layers)
  // each method's run met its own input boxes: show the planes at the boxes of one run
  const [runOf, setRunOf] = useState<Method>('certrnn')
  const run = trace.methods.find((m) => m.method === runOf) ?? trace.methods[0]
  const ops = trace.entries.map((e, k) => ({ e, k })).filter(({ k, e }) => e.step === step && run.planes[k])
  // opens on the widest box of the step (a zero-width box shows nothing), until the user picks
  const widest = useMemo(() => widestBox(ops.map(({ k }) => run.planes[k]!)), [trace, step, run]) // eslint-disable-line react-hooks/exhaustive-deps
  const [picked, setPicked] = useState<{ step: number | null; op: string; neuron: number } | null>(null)
  if (ops.length === 0) return <p className="muted">No transformer at this step (affine maps are exact).</p>
  const mine = picked && picked.step === step ? picked : null
  const chosen = (mine && ops.find(({ e }) => `${e.layer}/${e.op}` === mine.op)) || ops[widest.op] || ops[0]
  const rec = run.planes[chosen.k]!
  const neuron = mine ? mine.neuron : chosen === ops[widest.op] ? widest.neuron : 0
  const setOpKey = (op: string) => setPicked({ step, op, neuron: 0 })
  const setNeuron = (n: number) => setPicked({ step, op: `${chosen.e.layer}/${chosen.e.op}`, neuron: n })
  const i = Math.min(neuron, rec.a.length - 1)
  const isWidest = chosen === ops[widest.op] && i === widest.neuron
  const box = { lx: rec.lx[i], ux: rec.ux[i], ly: rec.ly[i], uy: rec.uy[i] }
  return (
    <div className="step-planes" data-testid="step-planes">
      <h3>
        <Term id="plane">Bounding planes</Term> at {step === null ? 'the output' : `step ${step}`}
      </h3>
      <div className="row">
        <label>
          transformer{' '}
          <select data-testid="planes-op" value={`${chosen.e.layer}/${chosen.e.op}`} onChange={(ev) => setOpKey(ev.target.value)}>
            {ops.map(({ e, k }) => (
              <option key={`${e.layer}/${e.op}`} value={`${e.layer}/${e.op}`}>
                {e.layerName}: {opLabel(e.op, layers?.[e.layer])} · {KIND_LABELS[run.planes[k]!.kind]}
              </option>
            ))}
          </select>
        </label>
        <label>
          neuron{' '}
          <input type="number" data-testid="planes-neuron" min={0} max={rec.a.length - 1} value={i} onChange={(ev) => setNeuron(Math.max(0, Number(ev.target.value) || 0))} />
        </label>
        <label className="inline">
          boxes from the run of{' '}
          <select data-testid="planes-run" value={run.method} onChange={(ev) => setRunOf(ev.target.value as Method)}>
            {trace.methods.map((m) => (
              <option key={m.method} value={m.method}>
                {methodName(m.method)}
              </option>
            ))}
          </select>
        </label>
      </div>
      <p className="muted" data-testid="planes-box" data-widest={String(isWidest)}>
        {chosen.e.layerName}: {opLabel(chosen.e.op, layers?.[chosen.e.layer])}, neuron {i}
        {isWidest ? ' (the widest input box of this step)' : ''}: box [{box.lx.toPrecision(3)}, {box.ux.toPrecision(3)}]
        {rec.kind === 'tanh' || rec.kind === 'sigmoid' ? '' : ` × [${box.ly.toPrecision(3)}, ${box.uy.toPrecision(3)}]`}. {methodName(run.method)}&apos;s plane is the one its run used; the other
        methods&apos; planes are drawn over the same box.
      </p>
      <Suspense fallback={<p className="muted">loading the planes view…</p>}>
        {/* stepping through time redraws cheap 2-D slices; the 3-D surfaces when ticked */}
        <PlanesView kind={rec.kind} box={box} surfaces="off" axes={planeAxes(chosen.e.op, i, layers?.[chosen.e.layer])} record={{ method: run.method, a: rec.a[i], b: rec.b[i], c1: rec.c1[i], c2: rec.c2[i] }} />
      </Suspense>
    </div>
  )
}

const MAX_CHOICE_WORDS = {
  exact: 'exact (one step is the largest everywhere in the ball)',
  step: 'one step plus a one-sided term (it keeps that step\'s correlations)',
  box: 'a box (from the largest lower bound to the largest upper bound)',
} as const

/** How each method bounded the max pool, feature by feature: exact, a step plus a one-sided term, or a box. */
function MaxPoolChoice({ trace, entry, vars, names }: { trace: TraceSummary; entry: number; vars: [VarSelector, VarSelector]; names: string[] }) {
  const shown = vars.flatMap((v) => ('index' in v ? [v.index] : []))
  return (
    <div className="max-choice" data-testid="max-choice">
      <p>
        A max has no planes: each method bounds the largest value of a feature over the steps in one of three ways, feature by feature ({names.length} features):
      </p>
      <ul>
        {trace.methods.map((m) => {
          const rec = m.max[entry]
          if (!rec) return null
          const counts = maxChoiceCounts(rec.choice)
          return (
            <li key={m.method} data-testid={`max-choice-${m.method}`}>
              <span className="swatch" style={{ background: METHOD_COLORS[m.method] }} aria-hidden="true" /> {methodName(m.method)}:{' '}
              {(['exact', 'step', 'box'] as const)
                .filter((c) => counts[c] > 0)
                .map((c) => `${counts[c]} ${MAX_CHOICE_WORDS[c]}`)
                .join('; ')}
              {shown.length > 0 && (
                <span className="muted">
                  {' '}
                  — {shown.map((i) => `${names[i]}: ${rec.choice[i]}${rec.step[i] >= 0 ? ` (step ${rec.step[i]})` : ''}`).join(', ')}
                </span>
              )}
            </li>
          )
        })}
      </ul>
    </div>
  )
}

function VarSelect({ axis, value, options, onChange }: { axis: 'x' | 'y'; value: string; options: Array<{ value: string; label: string }>; onChange: (v: string) => void }) {
  return (
    <label>
      {axis}{' '}
      <select data-testid={`${axis}-var`} value={value} onChange={(ev) => onChange(ev.target.value)}>
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </label>
  )
}

/** The final margin x_y − x_c (predicted vs runner-up) per method, against 0. */
function MarginView({ trace, runnerUp, classNames }: { trace: TraceSummary; runnerUp: number; classNames: string[] }) {
  const last = trace.entries.length - 1
  const rows = trace.methods.map((m) => {
    // bounds of the difference: the certified margin is its lower end; the upper end from the cloud's hull is not certified, so show the interval hull
    const lo = m.margins[runnerUp]
    const hi = m.hi[last][trace.predicted] - m.lo[last][runnerUp]
    return { method: m.method, lo, hi, certified: m.certified, margin: m.margin }
  })
  const all = rows.flatMap((r) => [r.lo, r.hi, 0])
  const min = Math.min(...all)
  const max = Math.max(...all)
  const w = 420
  const x = (v: number) => 90 + ((v - min) / (max - min || 1)) * (w - 110)
  return (
    <div data-testid="margin-view">
      <p>
        Final <Term id="margin">margin</Term> {classNames[trace.predicted]} − {classNames[runnerUp]} (predicted vs runner-up) over the ε-ball:
      </p>
      <svg width={w} height={24 * rows.length + 12} viewBox={`0 0 ${w} ${24 * rows.length + 12}`} className="margin-chart" role="img" aria-label="final margin per method against 0">
        <line x1={x(0)} x2={x(0)} y1={0} y2={24 * rows.length + 12} className="zero" />
        {rows.map((r, k) => (
          <g key={r.method}>
            <text x={84} y={18 + 24 * k} textAnchor="end" fill={METHOD_COLORS[r.method]}>
              {methodName(r.method)}
            </text>
            <line x1={x(r.lo)} x2={x(r.hi)} y1={14 + 24 * k} y2={14 + 24 * k} stroke={METHOD_COLORS[r.method]} strokeWidth={6} />
          </g>
        ))}
      </svg>
      <ul className="verdicts">
        {rows.map((r) => (
          <li key={r.method} data-testid={`margin-${r.method}`} className={r.certified ? 'ok' : 'no'}>
            {methodName(r.method)}: {r.certified ? 'certified' : 'not certified'} (certified margin {r.margin.toPrecision(3)})
          </li>
        ))}
      </ul>
    </div>
  )
}
