import type { BoundResult } from '../../cert/index.ts'
import { METHOD_COLORS } from '../theme.ts'
import { useMemo } from 'react'
import type { RunResult } from '../../worker/protocol.ts'
import type { LoadedModel } from '../model/loaded.ts'
import { boundScaleTop } from '../model/loaded.ts'
import { PREDICTION_SOURCES } from '../model/predict.ts'
import { useApp } from '../state/hooks.ts'
import type { RunState } from '../state/store.ts'
import { staleReasons, startAttack } from '../state/store.ts'
import { Term } from './Glossary.tsx'
import { MARGIN_WORDS, methodName, methodWords, SEARCH_WORDS } from './terms.ts'
import { DigitImage } from './DigitImage.tsx'
import type { HeatScale } from './geometry.ts'
import { formatDuration, formatEps, heatScale, logitChartGeometry, logitRows, threatWords } from './geometry.ts'
import { SensitivityView } from './SensitivityView.tsx'

export function ResultsPanel() {
  const run = useApp((s) => s.run)
  const model = useApp((s) => s.model)
  const stale = useApp((s) => staleReasons(s).join(', '))
  if (run.status === 'idle' || !model) return null
  return (
    <section className={`panel results${stale ? ' stale' : ''}`} aria-label="Results" data-testid="result" data-status={run.status} data-stale={String(!!stale)}>
      <h2>Result</h2>
      {stale && run.status !== 'running' && (
        <p className="stale-note" role="status" data-testid="stale">
          Out of date: {stale} changed since this result was computed. Run again to update it.
        </p>
      )}
      {run.status === 'running' && <p className="muted">working… (progress above)</p>}
      {run.status === 'cancelled' && <p className="muted" data-testid="cancelled">Cancelled. Nothing was lost: change the settings or run again.</p>}
      {run.status === 'error' && (
        <p className="error" role="alert" data-testid="run-error">
          {run.error}
        </p>
      )}
      {run.status === 'done' && run.result && <Done run={run} result={run.result} model={model} />}
    </section>
  )
}

function Done({ run, result, model }: { run: RunState; result: RunResult; model: LoadedModel }) {
  const names = model.classNames
  const p = run.prediction
  const unit = model.inputKind === 'tokens' ? 'token' : 'frame'
  return (
    <>
      <p data-testid="prediction">
        Prediction: <strong>{names[result.predicted]}</strong>
        {p && ` · confidence ${(p.probabilities[p.predicted] * 100).toFixed(1)} % (${PREDICTION_SOURCES[p.source]})`}
        {p && p.predicted !== result.predicted && <span className="error"> · {PREDICTION_SOURCES[p.source]} (float32) predicts {names[p.predicted]}: the certificate is for the float64 prediction</span>}
      </p>
      {p?.note && <p className="muted">{p.note}</p>}
      {result.kind === 'certify' && (
        <p className={`verdict ${result.result.certified ? 'ok' : 'no'}`} data-testid="verdict" data-certified={String(result.result.certified)}>
          {result.result.certified ? 'Certified' : 'Not certified'} at <Term id="eps">ε</Term> = {formatEps(result.result.eps)} ({threatWords(result.result.threat, unit)}) · <Term id="margin">certified margin</Term>{' '}
          {result.result.margin.toPrecision(3)}
        </p>
      )}
      {result.kind === 'bound' && <BoundView bound={result.result} model={model} run={run} />}
      {result.kind === 'compare' && <CompareTable result={result} />}
      {result.kind !== 'bound' && <LogitChart result={result} names={names} />}
      <p className="muted provenance">
        {result.kind === 'compare' ? `methods: ${result.rows.map((r) => methodName(r.method)).join(', ')}` : `method: ${methodName(result.result.method)}`} · {run.ran && MARGIN_WORDS[run.ran.settings.margin].short} ·{' '}
        {result.kind !== 'certify' && run.ran && `${SEARCH_WORDS[run.ran.settings.search].short} · `}
        {formatDuration(result.ms)} in the worker
      </p>
    </>
  )
}

/** The fixed colour scale of bounds, as a legend bar. */
export function HeatLegend({ scale }: { scale: HeatScale }) {
  return (
    <figure className="heat-legend" data-testid="heat-legend" data-lo={scale.lo} data-hi={scale.hi}>
      <figcaption className="muted">
        a bound ε (the <Term id="bound">certified bound</Term> or the attack radius; log scale, the same for every input of this model): hot = fragile, pale = robust
      </figcaption>
      <div className="heat-legend-bar" style={{ background: scale.gradient }} />
      <div className="heat-legend-ticks">
        {scale.ticks.map((t) => (
          <span key={t.label} style={{ left: `${t.at * 100}%` }}>
            {t.label}
          </span>
        ))}
      </div>
    </figure>
  )
}

function useHeatScale(model: LoadedModel): HeatScale {
  return useMemo(() => heatScale(boundScaleTop(model)), [model])
}

function BoundView({ bound, model, run }: { bound: BoundResult; model: LoadedModel; run: RunState }) {
  const scale = useHeatScale(model)
  const unit = model.inputKind === 'tokens' ? 'token' : 'frame'
  return (
    <div>
      {bound.bound > 0 ? (
        <p className="verdict ok" data-testid="bound-value" data-bound={bound.bound}>
          <Term id="bound">Robustness bound</Term> ε* = <strong>{formatEps(bound.bound)}</strong> ({bound.threat === 'single' ? `the smallest of the per-${unit} bounds` : threatWords(bound.threat, unit)}) · {bound.evaluations}{' '}
          certificates tried
        </p>
      ) : (
        <p className="verdict no" data-testid="bound-value" data-bound={bound.bound}>
          Not certified at any ε ≥ 2⁻¹³ ({formatEps(2 ** -13)}, the search's resolution){bound.threat === 'single' ? ` for at least one ${unit}` : ''}: the method cannot prove this input robust
          at all · {bound.evaluations} certificates tried
        </p>
      )}
      <SensitivityView bound={bound} model={model} run={run} scale={scale} legend={<HeatLegend scale={scale} />} />
      <AttackView bound={bound} model={model} run={run} />
    </div>
  )
}

/** PGD inside the same threat model: an upper bound to set beside the certified lower bound. */
function AttackView({ bound, model, run }: { bound: BoundResult; model: LoadedModel; run: RunState }) {
  const ran = run.ran
  const state = run.attack
  if (!ran) return null
  const r = state?.result
  const busy = state?.status === 'running' || state?.status === 'waiting'
  return (
    <div className="attack" data-testid="attack">
      <button type="button" data-testid="run-attack" disabled={busy} onClick={() => void startAttack()}>
        {state?.status === 'running' ? 'attacking… (progress above)' : state?.status === 'waiting' ? 'attack queued…' : bound.perFrame ? `Attack every ${model.inputKind === 'tokens' ? 'token' : 'frame'} (PGD) for upper bounds` : 'Attack (PGD) for an upper bound'}
      </button>{' '}
      <span className="muted">
        <Term id="attack">attack radius</Term>: the smallest ε at which PGD finds an input classified otherwise
      </span>
      {state?.status === 'error' && <p className="error">{state.error}</p>}
      {state?.status === 'cancelled' && <p className="muted">The attack was cancelled.</p>}
      {r && (
        <div data-testid="attack-result" data-radius={r.radius}>
          {Number.isFinite(r.radius) ? (
            <p>
              The true robustness radius lies between <strong>{formatEps(bound.bound)}</strong> (certified) and <strong>{formatEps(r.radius)}</strong> (PGD found an
              input classified <strong>{model.classNames[argmaxOf(r.adversarialLogits!)]}</strong>
              {r.frame !== null ? ` by changing frame ${r.frame}` : ''}). {r.radius < bound.bound && <strong className="error">Attack below the certified bound: a soundness bug!</strong>}
            </p>
          ) : (
            <p>PGD found no adversarial input up to ε = 1: the true radius is at least {formatEps(bound.bound)} (certified) and the attack gives no upper bound.</p>
          )}
          {r.adversarial && model.image && (
            <div className="row">
              <DigitImage pixels={r.adversarial.flat()} size={112} />
              <span className="muted">the adversarial digit (every pixel within ε = {formatEps(r.radius)} of the original{r.frame !== null ? `, only frame ${r.frame} changed` : ''})</span>
            </div>
          )}
          {r.adversarial && ran.tokens && (
            <p className="muted" data-testid="attack-tokens">
              embedding change per token (ℓ∞):{' '}
              {ran.tokens.map((t, k) => {
                const d = embeddingChange(model, ran.input.tokens![k], r.adversarial![k])
                return (
                  <span key={k} className={d > 0 ? 'moved' : ''}>
                    {t} {d > 0 ? formatEps(d) : '0'}{' '}
                  </span>
                )
              })}
            </p>
          )}
          <p className="muted">{formatDuration(r.ms)} in the worker</p>
        </div>
      )}
    </div>
  )
}

const argmaxOf = (v: number[]) => v.reduce((best, x, k) => (x > v[best] ? k : best), 0)

/** ℓ∞ distance between a token's embedding and the attacked vector at its position. */
function embeddingChange(model: LoadedModel, token: number, attacked: number[]): number {
  const emb = model.net.layers[0]
  if (emb.type !== 'embedding') return 0
  const { cols, data } = emb.embeddings
  let d = 0
  for (let i = 0; i < cols; i++) d = Math.max(d, Math.abs(attacked[i] - data[token * cols + i]))
  return d
}

function CompareTable({ result }: { result: Extract<RunResult, { kind: 'compare' }> }) {
  const best = Math.max(...result.rows.map((r) => r.bound.bound))
  return (
    <table className="compare" data-testid="compare-table">
      <thead>
        <tr>
          <th>method</th>
          <th>at ε = {formatEps(result.rows[0]?.certify.eps ?? 0)}</th>
          <th>robustness bound</th>
          <th>time</th>
        </tr>
      </thead>
      <tbody>
        {result.rows.map((r) => (
          <tr key={r.method} data-testid={`compare-${r.method}`}>
            <td title={methodWords(r.method)}>
              <span className="swatch" style={{ background: METHOD_COLORS[r.method] }} aria-hidden="true" />
              {methodName(r.method)}
            </td>
            <td className={r.certify.certified ? 'ok' : 'no'}>{r.certify.certified ? 'certified' : 'not certified'}</td>
            <td>
              {formatEps(r.bound.bound)}
              {r.bound.bound === best && best > 0 ? ' (tightest)' : ''}
            </td>
            <td>{formatDuration(r.ms)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

function LogitChart({ result, names }: { result: RunResult; names: string[] }) {
  const g = logitChartGeometry(logitRows(result, names))
  return (
    <figure>
      <svg className="logit-chart" data-testid="logit-chart" width={g.width} height={g.height} viewBox={`0 0 ${g.width} ${g.height}`} role="img" aria-label="class logits with their certified bounds">
        {g.ticks.map((t) => (
          <g key={t.x}>
            <line x1={t.x} x2={t.x} y1={0} y2={g.height - 20} className="grid" />
            <text x={t.x} y={g.height - 6} textAnchor="middle" className="tick">
              {t.label}
            </text>
          </g>
        ))}
        {g.rows.map((r) => (
          <g key={r.cls} className={r.predicted ? 'predicted' : ''}>
            <text x={64} y={r.y + 4} textAnchor="end" className="label">
              {r.name}
            </text>
            {r.xLo !== null && r.xHi !== null && <rect className="interval" x={r.xLo} y={r.y - 6} width={Math.max(1, r.xHi - r.xLo)} height={12} />}
            <circle className="concrete" cx={r.xConcrete} cy={r.y} r={3.5} />
          </g>
        ))}
      </svg>
      <figcaption className="muted">Logits: concrete value (dot) and certified bounds over the ε-ball (bar); predicted class in bold.</figcaption>
    </figure>
  )
}
