import { useMemo, useState } from 'react'
import type { ReactNode } from 'react'
import type { Method } from '../../cert/index.ts'
import { METHODS, projectVariables, SymbolSource, zonotopeFromBox } from '../../cert/index.ts'
import { ProjectionSvg } from '../abstraction/ProjectionSvg.tsx'
import { buildScene } from '../abstraction/scene.ts'
import { METHOD_COLORS } from '../theme.ts'
import { useApp } from '../state/hooks.ts'
import { setStep } from '../state/store.ts'
import type { TinyParams, TinyRun } from './tinyRnn.ts'
import { runTiny, TINY_INPUT, TINY_PARAMS, TINY_RNN } from './tinyRnn.ts'
import { methodName } from '../views/terms.ts'
import { Term } from '../views/Glossary.tsx'
import { LoosenessChart } from '../views/LoosenessChart.tsx'
import { looseBars, looseSentence } from '../views/looseness.ts'

/** A polygon plot of variables (0, 1) of trace entry `entry` for the given methods. */
function EntryPlot({ run, entry, methods, labels, diagonal = false }: { run: TinyRun; entry: number; methods: Method[]; labels: [string, string]; diagonal?: boolean }) {
  const projections = methods.map((method) => ({ method, p: projectVariables(run.runs[method].trace[entry].zonotope!, { index: 0 }, { index: 1 }) }))
  const points = run.cloud.map((s) => [s[entry].values[0], s[entry].values[1]] as [number, number])
  return <Plot projections={projections} points={points} labels={labels} diagonal={diagonal} />
}

function Plot({ projections, points, labels, diagonal }: { projections: Parameters<typeof buildScene>[0]; points: Array<[number, number]>; labels: [string, string]; diagonal?: boolean }) {
  const scene = buildScene(projections, points, 380, 300)
  return (
    <figure>
      <ProjectionSvg scene={scene} testId="wt-plot" labels={labels}>
        {diagonal && <DecisionLine scene={scene} />}
      </ProjectionSvg>
      <figcaption className="muted">
        {projections.map((p) => (
          <span key={p.method} style={{ color: METHOD_COLORS[p.method] }}>
            ■ {methodName(p.method)}{' '}
          </span>
        ))}
        · dots: {points.length - 1} inputs sampled in the ε-ball · ring: the input · dashed: interval boxes
        {scene.outside > 0 && <strong className="error"> · {scene.outside} samples outside: unsound!</strong>}
      </figcaption>
    </figure>
  )
}

/** The line logit A = logit B, across the plot. */
function DecisionLine({ scene }: { scene: ReturnType<typeof buildScene> }) {
  const lo = Math.max(scene.xDomain[0], scene.yDomain[0])
  const hi = Math.min(scene.xDomain[1], scene.yDomain[1])
  if (!(hi > lo)) return null
  return <line x1={scene.sx(lo)} y1={scene.sy(lo)} x2={scene.sx(hi)} y2={scene.sy(hi)} className="decision" data-testid="wt-decision" />
}

/** tanh over each unit's input interval with the lower and upper lines of each method. */
function TanhPlanes({ run, entry }: { run: TinyRun; entry: number }) {
  const w = 230
  const h = 170
  return (
    <div className="tanh-planes">
      {[0, 1].map((unit) => {
        const rec = run.runs.certrnn.trace[entry].planes!
        const l = rec.lx[unit]
        const u = rec.ux[unit]
        const span = u - l || 1
        const x0 = l - 0.15 * span
        const x1 = u + 0.15 * span
        const lines = METHODS.map((m) => {
          const p = run.runs[m].trace[entry].planes!
          return { m, a: p.a[unit], c1: p.c1[unit], c2: p.c2[unit], l: p.lx[unit], u: p.ux[unit] }
        })
        const ys = [Math.tanh(x0), Math.tanh(x1), ...lines.flatMap((q) => [q.a * q.l + q.c1, q.a * q.u + q.c2, q.a * q.l + q.c2, q.a * q.u + q.c1])]
        const y0 = Math.min(...ys)
        const y1 = Math.max(...ys)
        const sx = (v: number) => 8 + ((v - x0) / (x1 - x0)) * (w - 16)
        const sy = (v: number) => h - 8 - ((v - y0) / (y1 - y0 || 1)) * (h - 16)
        const curve = Array.from({ length: 81 }, (_, k) => x0 + ((x1 - x0) * k) / 80)
          .map((v, k) => `${k ? 'L' : 'M'}${sx(v).toFixed(1)},${sy(Math.tanh(v)).toFixed(1)}`)
          .join('')
        return (
          <figure key={unit}>
            <svg width={w} height={h} data-testid={`wt-tanh-${unit}`}>
              <rect x={sx(l)} y={0} width={sx(u) - sx(l)} height={h} className="domain" />
              {lines.map((q) => (
                <g key={q.m} stroke={METHOD_COLORS[q.m]} strokeWidth={1.4}>
                  <line x1={sx(q.l)} x2={sx(q.u)} y1={sy(q.a * q.l + q.c1)} y2={sy(q.a * q.u + q.c1)} />
                  <line x1={sx(q.l)} x2={sx(q.u)} y1={sy(q.a * q.l + q.c2)} y2={sy(q.a * q.u + q.c2)} />
                </g>
              ))}
              <path d={curve} fill="none" className="curve" />
            </svg>
            <figcaption className="muted">
              unit {unit}: input in [{l.toFixed(2)}, {u.toFixed(2)}] · gap C2 − C1:{' '}
              {lines.map((q) => (
                <span key={q.m} style={{ color: METHOD_COLORS[q.m] }}>
                  {q.m} {(q.c2 - q.c1).toFixed(3)}{' '}
                </span>
              ))}
            </figcaption>
          </figure>
        )
      })}
    </div>
  )
}

interface Step {
  title: string
  body: ReactNode | ((run: TinyRun) => ReactNode)
  view: (run: TinyRun, params: TinyParams) => ReactNode
}

/** A small labelled matrix (or column vector): read-only, or editable cell by cell. */
function Matrix({ name, rows, cols, value, onChange, testId }: { name: string; rows: string[]; cols: string[] | null; value: number[][]; onChange?: (v: number[][]) => void; testId: string }) {
  return (
    <table className="matrix" data-testid={testId}>
      <caption>{name}</caption>
      {cols && (
        <thead>
          <tr>
            <td />
            {cols.map((c) => (
              <th key={c} scope="col">
                {c}
              </th>
            ))}
          </tr>
        </thead>
      )}
      <tbody>
        {value.map((row, i) => (
          <tr key={rows[i]}>
            <th scope="row">{rows[i]}</th>
            {row.map((v, j) => (
              <td key={j}>
                {onChange ? (
                  <input
                    type="number"
                    step={0.1}
                    aria-label={`${name} row ${rows[i]}${cols ? ` column ${cols[j]}` : ''}`}
                    data-testid={`${testId}-${i}-${j}`}
                    value={v}
                    onChange={(e) => {
                      const x = Number(e.target.value)
                      if (e.target.value.trim() === '' || !Number.isFinite(x)) return
                      onChange(value.map((r, a) => r.map((w, b) => (a === i && b === j ? x : w))))
                    }}
                  />
                ) : (
                  fmt(v)
                )}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  )
}

const col = (v: number[]) => v.map((x) => [x])
const uncol = (m: number[][]) => m.map((r) => r[0])

/** Every weight of the network as labelled matrices, editable (or not). */
function Weights({ params, onChange }: { params: TinyParams; onChange?: (p: TinyParams) => void }) {
  const h = ['h[0]', 'h[1]']
  const edit = onChange ? <K extends keyof TinyParams>(k: K) => (v: TinyParams[K]) => onChange({ ...params, [k]: v }) : null
  return (
    <div className="matrices">
      <Matrix name="W (input → units)" testId="wt-W" rows={h} cols={['x[0]', 'x[1]']} value={params.W} onChange={edit?.('W')} />
      <Matrix name="U (state → units)" testId="wt-U" rows={h} cols={['h[0]', 'h[1]']} value={params.U} onChange={edit?.('U')} />
      <Matrix name="b" testId="wt-b" rows={h} cols={null} value={col(params.b)} onChange={edit ? (v) => edit('b')(uncol(v)) : undefined} />
      <Matrix name="V (units → logits)" testId="wt-V" rows={['A', 'B']} cols={h} value={params.V} onChange={edit?.('V')} />
      <Matrix name="c" testId="wt-c" rows={['A', 'B']} cols={null} value={col(params.c)} onChange={edit ? (v) => edit('c')(uncol(v)) : undefined} />
    </div>
  )
}

/** The final margin logit A − logit B per method: its certified lower bound and the input's value, against 0. */
function MarginPicture({ run }: { run: TinyRun }) {
  const concrete = run.logits[0] - run.logits[1]
  const rows = METHODS.map((m) => ({ m, lo: run.runs[m].verdict.margin, certified: run.runs[m].verdict.certified }))
  const lo = Math.min(0, concrete, ...rows.map((r) => r.lo))
  const hi = Math.max(0, concrete, ...rows.map((r) => r.lo))
  const w = 420
  const rowH = 26
  const h = rowH * rows.length + 30
  const x = (v: number) => 100 + ((v - lo) / (hi - lo || 1)) * (w - 120)
  return (
    <figure>
      <svg width={w} height={h} viewBox={`0 0 ${w} ${h}`} className="margin-chart" data-testid="wt-margin" role="img" aria-label="certified lower bound of the margin per method, against 0">
        <line x1={x(0)} x2={x(0)} y1={0} y2={h - 20} className="zero" />
        <text x={x(0)} y={h - 6} textAnchor="middle">
          0
        </text>
        {rows.map((r, k) => (
          <g key={r.m}>
            <text x={94} y={18 + rowH * k} textAnchor="end" fill={METHOD_COLORS[r.m]}>
              {methodName(r.m)}
            </text>
            <line x1={x(r.lo)} x2={x(concrete)} y1={14 + rowH * k} y2={14 + rowH * k} stroke={METHOD_COLORS[r.m]} strokeWidth={6} />
            <circle cx={x(r.lo)} cy={14 + rowH * k} r={4} fill={METHOD_COLORS[r.m]} />
          </g>
        ))}
      </svg>
      <figcaption className="muted">
        Each bar runs from the method&apos;s certified lower bound of logit A − logit B (dot) to the input&apos;s own margin {fmt(concrete)}. Right of 0: certified.
      </figcaption>
    </figure>
  )
}

const fmt = (v: number) => (Math.round(v * 100) / 100).toString()

function inputBoxes(eps: number) {
  const syms = new SymbolSource()
  return TINY_INPUT.map((x, t) => {
    const z = zonotopeFromBox(x.map((v) => v - eps), x.map((v) => v + eps), syms)
    return { t, p: projectVariables(z, { index: 0 }, { index: 1 }) }
  })
}

const STEPS: Step[] = [
  {
    title: 'The network and the question',
    body: (run) => (
      <>
        <p>
          A vanilla RNN with two inputs per step, two tanh units and two classes reads a sequence of two frames:{' '}
          <code>h₀ = tanh(W·x₀ + b)</code>, <code>h₁ = tanh(W·x₁ + U·h₀ + b)</code>, <code>logits = V·h₁ + c</code>.
        </p>
        <p>
          For the input x₀ = ({TINY_INPUT[0].join(', ')}), x₁ = ({TINY_INPUT[1].join(', ')}) it predicts class {run.predicted === 0 ? 'A' : 'B'}. The question: does it
          predict that for <em>every</em> input whose four numbers each move by at most <Term id="eps">ε</Term> = {fmt(run.eps)}? There are infinitely many such inputs, so we cannot
          try them all; abstract interpretation pushes the whole set through the network at once.
        </p>
      </>
    ),
    view: (run, params) => (
      <>
        <Weights params={params} />
        <p data-testid="wt-logits">
          Logits of the input: A {fmt(run.logits[0])}, B {fmt(run.logits[1])} → predicted {run.predicted === 0 ? 'A' : 'B'}
        </p>
      </>
    ),
  },
  {
    title: 'The input region is a zonotope',
    body: (run) => (
      <p>
        Each of the four input numbers gets its own <Term id="noise">noise symbol</Term> ηᵢ ∈ [−1, 1]: x₀ = (1 + {fmt(run.eps)}·η₁, −1 + {fmt(run.eps)}·η₂), x₁ = (0.5 + {fmt(run.eps)}·η₃, 1 +{' '}
        {fmt(run.eps)}·η₄). A <Term id="zonotope">zonotope</Term> is a centre plus
        a sum of generator vectors times noise symbols. Here every generator points along one axis, so the zonotope of each frame is a square. The
        symbols are named, and the names matter: later steps add and subtract zonotopes by lining up the same symbols.
      </p>
    ),
    view: (run) => {
      const boxes = inputBoxes(run.eps)
      return (
        <div className="row">
          {boxes.map((b) => (
            <Plot key={b.t} projections={[{ method: 'certrnn', p: b.p }]} points={run.inputs.map((x) => [x[b.t][0], x[b.t][1]] as [number, number])} labels={[`x${b.t}[0]`, `x${b.t}[1]`]} />
          ))}
        </div>
      )
    },
  },
  {
    title: 'Step 0: the affine map is exact',
    body: (
      <p>
        W·x₀ + b maps the square to a parallelogram: an affine map of a zonotope is again a zonotope (new centre W·c + b, new generators W·G), with no
        loss at all. All three methods agree here. The dots are inputs sampled in the ε-ball, pushed through the real network: they all land inside.
      </p>
    ),
    view: (run) => <EntryPlot run={run} entry={0} methods={['certrnn']} labels={['pre₀[0]', 'pre₀[1]']} />,
  },
  {
    title: 'Step 0: tanh, between two parallel lines',
    body: (
      <p>
        tanh is not linear, so each unit's value is sandwiched between <Term id="plane">two parallel lines</Term> over its input interval: tanh(x) ∈ a·x + [C1, C2]. The
        result keeps the slope a (correlation with the old symbols) and adds one fresh symbol per unit with coefficient (C2 − C1)/2. Cert-RNN uses the
        slope of the chord between the box&apos;s ends (the secant) and the exact extremes of tanh(x) − a·x; DeepZ uses the smaller end-point derivative; interval bounds keep no slope at all. Smaller
        gaps, tighter zonotope.
      </p>
    ),
    view: (run) => (
      <>
        <TanhPlanes run={run} entry={1} />
        <EntryPlot run={run} entry={1} methods={[...METHODS]} labels={['h₀[0]', 'h₀[1]']} />
      </>
    ),
  },
  {
    title: 'Step 1: the next frame and the old state meet',
    body: (
      <p>
        W·x₁ + U·h₀ + b: the new frame's symbols (η₃, η₄) and the state's symbols (ε₁, ε₂ and the fresh ones from tanh) are added by name. Still exact
        — but the three methods now start from different h₀, and their zonotopes differ.
      </p>
    ),
    view: (run) => <EntryPlot run={run} entry={2} methods={[...METHODS]} labels={['pre₁[0]', 'pre₁[1]']} />,
  },
  {
    title: 'Step 1: tanh again',
    body: <p>The same transformer on the wider pre-activations of step 1. Losses compound with every step: the interval box grows fastest.</p>,
    view: (run) => (
      <>
        <TanhPlanes run={run} entry={3} />
        <EntryPlot run={run} entry={3} methods={[...METHODS]} labels={['h₁[0]', 'h₁[1]']} />
      </>
    ),
  },
  {
    title: 'The output layer',
    body: (
      <p>
        logits = V·h₁ + c, exact again. The grey line is where the two logits are equal: the network predicts A below it. The class is certain only if the
        whole zonotope lies on A's side of the line; a zonotope that reaches across it (as DeepZ's and the interval box do here) cannot rule out an
        input classified B, even if no sampled input is.
      </p>
    ),
    view: (run) => <EntryPlot run={run} entry={4} methods={[...METHODS]} labels={['logit A', 'logit B']} diagonal />,
  },
  {
    title: 'The verdict',
    body: (
      <p>
        The <Term id="margin">margin</Term> logit A − logit B is itself a zonotope over the same symbols, so correlations cancel; its lower bound c − Σ|g| decides. A positive
        lower bound proves that every input of the ε-ball is classified A.
      </p>
    ),
    view: (run) => (
      <>
        <MarginPicture run={run} />
        <ul className="verdicts" data-testid="wt-verdict">
          {METHODS.map((m) => {
            const v = run.runs[m].verdict
            return (
              <li key={m} data-testid={`wt-verdict-${m}`} className={v.certified ? 'ok' : 'no'}>
                {methodName(m)}: margin ≥ {v.margin.toFixed(3)} → {v.certified ? 'certified' : 'not certified'}
              </li>
            )
          })}
        </ul>
      </>
    ),
  },
  {
    title: 'Where the looseness comes from',
    body: (run) => <LooseWords run={run} />,
    view: (run) => <LoosenessChart testId="wt-loose" rows={run.loose.map(({ method, split }) => ({ method, bars: looseBars(split, TINY_RNN.layers) }))} />,
  },
]

/** The last step's words: the gap, what it is made of, and the one sentence for Cert-RNN's split. */
function LooseWords({ run }: { run: TinyRun }) {
  const first = run.loose[0]
  const bars = looseBars(first.split, TINY_RNN.layers)
  const tight = run.loose.find((r) => r.method === 'tight')
  return (
    <>
      <p>
        {methodName(first.method)}&apos;s certified <Term id="margin">margin</Term> ({fmt(bars.margin)}) lies {fmt(bars.concrete - bars.margin)} below the input&apos;s own margin ({fmt(bars.concrete)}).
        The lower bound is the middle of the range minus Σ|g| over its <Term id="noise">noise symbols</Term>, and every symbol was made somewhere: four by the input&apos;s ball, and one per unit by
        the lines around tanh at step 0 and again at step 1. The lines also move the middle of the range (the middle between two lines is not the curve). Adding up, group by group, how much it
        widened the range and how far it moved the middle splits the gap exactly by where it comes from.
      </p>
      <p data-testid="wt-loose-sentence">
        <strong>{looseSentence(bars)}</strong>
      </p>
      {tight && tight.split.recovered > 0 && (
        <p className="muted">
          {methodName('tight')} then gains {fmt(tight.split.recovered)} more on this margin by re-fitting the slopes of the last lines for it (not shown in its bar).
        </p>
      )}
    </>
  )
}


export function Walkthrough() {
  const stepRaw = useApp((s) => s.step)
  const step = Math.min(Math.max(0, stepRaw), STEPS.length - 1)
  const [params, setParams] = useState<TinyParams>(TINY_PARAMS)
  const run = useMemo(() => runTiny(400, params), [params])
  const s = STEPS[step]
  return (
    <section className="panel walkthrough" data-testid="walkthrough" aria-label="Walkthrough">
      <h2>
        Walkthrough, step {step + 1} of {STEPS.length}: <span data-testid="wt-title">{s.title}</span>
      </h2>
      <details className="wt-params" data-testid="wt-params">
        <summary>Change ε and the weights: every step and the verdict recompute</summary>
        <div className="row">
          <label>
            ε{' '}
            <input
              type="number"
              data-testid="wt-eps"
              min={0.01}
              max={3}
              step={0.05}
              value={params.eps}
              onChange={(e) => {
                const v = Number(e.target.value)
                if (Number.isFinite(v) && v > 0 && v <= 3) setParams({ ...params, eps: v })
              }}
            />
          </label>
          <button type="button" onClick={() => setParams(TINY_PARAMS)}>
            back to the original network
          </button>
        </div>
        <Weights params={params} onChange={setParams} />
      </details>
      <div data-testid="wt-step" data-step={step}>
        {typeof s.body === 'function' ? s.body(run) : s.body}
        {s.view(run, params)}
      </div>
      <div className="buttons">
        <button type="button" data-testid="wt-back" disabled={step === 0} onClick={() => setStep(step - 1)}>
          ← Back
        </button>
        <button type="button" data-testid="wt-next" disabled={step === STEPS.length - 1} onClick={() => setStep(step + 1)}>
          Next →
        </button>
        <span className="muted"> this step has its own link: copy the address bar</span>
      </div>
    </section>
  )
}
