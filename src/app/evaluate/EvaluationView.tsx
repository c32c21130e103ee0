/**
 * The data-set evaluation view: choose inputs (bundled examples or an uploaded file),
 * methods and the search settings; run the bound search over all of them on a worker pool
 * with live progress; then the summary table, verified accuracy against ε, the bound
 * distributions, per-sample bounds and CSV / JSON export.
 */
import { useMemo, useState } from 'react'
import { useStore } from 'zustand'
import type { EvalRow, MarginCheck, Method, SearchKind } from '../../cert/index.ts'
import { MARGIN_CHECKS, METHODS, summarize } from '../../cert/index.ts'
import { Term } from '../views/Glossary.tsx'
import { MARGIN_WORDS, methodName, methodWords, SEARCH_KINDS, SEARCH_WORDS } from '../views/terms.ts'
import { useApp, useNow, useSlice } from '../state/hooks.ts'
import { appStore, setMargin, setSearch, setThreat } from '../state/store.ts'
import { formatDuration, formatEps, threatWords } from '../views/geometry.ts'
import { LazyPlot } from '../charts/LazyPlot.tsx'
import { downloadText } from '../download.ts'
import { accuracyFigure, boundsFigure } from './figures.ts'
import { timeLeft } from '../state/activity.ts'
import { cancelEvaluation, evalBlocker, evalFinished, evalFraction, evalExport, evalInputs, loadEvalFile, refuseEvalFile, setEvalAttack, setEvalClip, setEvalN, setEvalSource, startEvaluation, toggleEvalMethod } from './evaluation.ts'
import type { EvalState } from './evaluationSlice.ts'
import { jsonFileSizeProblem } from '../../model/limits.ts'


const useEval = <T,>(sel: (s: EvalState) => T): T => useSlice('evaluation', sel)

export function EvaluationView() {
  return (
    <section className="panel evaluation" aria-label="Data-set evaluation" data-testid="evaluation">
      <h2>Evaluate a data set</h2>
      <p className="muted">
        The robustness bound of every input for every chosen method, on {typeof navigator !== 'undefined' ? Math.min(8, navigator.hardwareConcurrency || 2) : 2} workers in parallel; verified accuracy at ε is
        the fraction of inputs classified correctly whose bound is at least ε.
      </p>
      <EvalSettings />
      <EvalProgress />
      <EvalResults />
    </section>
  )
}

function EvalSettings() {
  const s = useEval((s) => ({ source: s.source, n: s.n, methods: s.methods, attack: s.attack, clip: s.clip, file: s.file, fileError: s.fileError, status: s.status }))
  const app = useApp((a) => a)
  const blocker = evalBlocker(app.evaluation, app)
  const examples = app.model?.examples.length ?? 0
  const inputs = evalInputs(app.evaluation, app)
  const count = 'inputs' in inputs ? inputs.inputs.length : 0
  const [drag, setDrag] = useState(false)
  const readFile = (f: File) => {
    const tooBig = jsonFileSizeProblem(f.name, f.size) // before reading it into memory
    if (tooBig) return refuseEvalFile(tooBig)
    return f.text().then((t) => loadEvalFile(t, f.name), (e: Error) => refuseEvalFile(`${f.name} could not be read (${e.message})`))
  }
  return (
    <div className="eval-settings">
      <fieldset className="row">
        <legend>Inputs</legend>
        <label>
          <input type="radio" name="eval-source" data-testid="eval-source-examples" checked={s.source === 'examples'} onChange={() => setEvalSource('examples')} /> the first{' '}
          <input
            type="number"
            className="num"
            data-testid="eval-n"
            min={1}
            max={Math.max(1, examples)}
            value={s.n}
            onChange={(e) => setEvalN(Number(e.target.value))}
            onFocus={() => setEvalSource('examples')}
          />{' '}
          of the model's {examples} bundled examples
        </label>
        <label
          className={drag ? 'dropzone over' : 'dropzone'}
          onDragOver={(e) => {
            e.preventDefault()
            setDrag(true)
          }}
          onDragLeave={() => setDrag(false)}
          onDrop={(e) => {
            e.preventDefault()
            setDrag(false)
            const f = e.dataTransfer.files[0]
            if (f) void readFile(f)
          }}
        >
          <input type="radio" name="eval-source" data-testid="eval-source-file" checked={s.source === 'file'} onChange={() => setEvalSource('file')} disabled={!s.file} /> an inputs file (JSON: [
          {'{'}"x": frames | "tokens": ids | "text": "…", "label": k{'}'}, …], as <code>npm run evaluate</code> reads):{' '}
          <input
            type="file"
            accept=".json,application/json"
            data-testid="eval-file"
            onChange={(e) => {
              const f = e.target.files?.[0]
              if (f) void readFile(f)
              e.target.value = ''
            }}
          />
          {s.file && (
            <span className="muted" data-testid="eval-file-status">
              {' '}
              {s.file.name}: {s.file.inputs.length} inputs
            </span>
          )}
        </label>
        {s.fileError && (
          <p className="error" data-testid="eval-file-error">
            {s.fileError}
          </p>
        )}
      </fieldset>
      <fieldset className="row">
        <legend>Methods</legend>
        {METHODS.map((m) => (
          <label key={m}>
            <input type="checkbox" data-testid={`eval-method-${m}`} checked={s.methods.includes(m)} onChange={() => toggleEvalMethod(m)} /> {methodName(m)}: {methodWords(m)}
          </label>
        ))}
      </fieldset>
      <label className="check">
        <input type="checkbox" data-testid="eval-attack" checked={s.attack} onChange={(e) => setEvalAttack(e.target.checked)} />
        <span>
          also attack every input with PGD (the attack radius is an upper bound on the true robustness radius; the certified bound must stay below it)
        </span>
      </label>
      <fieldset className="row">
        <legend>Threat model</legend>
        <label>
          <input type="radio" name="eval-threat" data-testid="eval-threat-single" checked={app.threat.kind === 'single'} onChange={() => setThreat({ kind: 'single' })} /> one frame at a time (the
          paper's bound: min over frames)
        </label>
        <label>
          <input type="radio" name="eval-threat" data-testid="eval-threat-all" checked={app.threat.kind === 'all'} onChange={() => setThreat({ kind: 'all' })} /> all frames
        </label>
      </fieldset>
      <div className="row">
        <label>
          search{' '}
          <select data-testid="eval-search" value={app.search} onChange={(e) => setSearch(e.target.value as SearchKind)}>
            {SEARCH_KINDS.map((k) => (
              <option key={k} value={k}>
                {SEARCH_WORDS[k].long}
              </option>
            ))}
          </select>
        </label>{' '}
        <label>
          margin check{' '}
          <select data-testid="eval-margin" value={app.margin} onChange={(e) => setMargin(e.target.value as MarginCheck)}>
            {MARGIN_CHECKS.map((m) => (
              <option key={m} value={m}>
                {MARGIN_WORDS[m].long}
              </option>
            ))}
          </select>
        </label>{' '}
        {app.model?.domain && (
          <label className="check">
            <input type="checkbox" data-testid="eval-clip" checked={s.clip} onChange={(e) => setEvalClip(e.target.checked)} />
            <span>
              clip to [{app.model.domain.min}, {app.model.domain.max}]
            </span>
          </label>
        )}
      </div>
      <div className="actions">
        <button type="button" data-testid="eval-run" disabled={s.status === 'running' || blocker !== null} onClick={() => void startEvaluation()}>
          Evaluate {count} input{count === 1 ? '' : 's'} × {s.methods.length} method{s.methods.length === 1 ? '' : 's'}
          {s.attack ? ' + PGD attack' : ''}
        </button>
        {s.status === 'running' && (
          <button type="button" className="cancel" data-testid="eval-cancel" onClick={cancelEvaluation}>
            Cancel
          </button>
        )}
      </div>
      {blocker && s.status !== 'running' && (
        <p className="muted" data-testid="eval-blocker">
          {blocker}
        </p>
      )}
    </div>
  )
}

function EvalProgress() {
  const s = useEval((s) => ({ status: s.status, total: s.total, rows: s.rows, attacks: s.attacks, failures: s.failures, active: s.active, startedAt: s.startedAt, finishedAt: s.finishedAt, error: s.error, ran: s.ran }))
  const now = useNow(s.status === 'running')
  if (s.status === 'idle') return null
  const finished = evalFinished(s)
  const fraction = evalFraction(s)
  const elapsed = (s.finishedAt ?? now) - (s.startedAt ?? now)
  const eta = s.status === 'running' ? timeLeft(elapsed, fraction) : null
  const methods = s.ran?.methods.length ?? 0
  const n = s.ran?.n ?? 0
  return (
    <div className="progress" data-testid="eval-progress" data-status={s.status}>
      <div className="bar" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(fraction * 100)}>
        <div className="fill" style={{ width: `${fraction * 100}%` }} />
      </div>
      <p data-testid="eval-progress-text">
        {s.status === 'running' ? 'Running: ' : s.status === 'done' ? 'Done: ' : s.status === 'cancelled' ? 'Cancelled: ' : ''}
        {finished} of {s.total} jobs ({n} input{n === 1 ? '' : 's'} × {methods} method{methods === 1 ? '' : 's'}
        {s.ran?.attack ? ` + ${n} PGD attack${n === 1 ? '' : 's'}` : ''}) on {s.ran?.workers ?? 0} worker{s.ran?.workers === 1 ? '' : 's'}, {formatDuration(elapsed)}
        {eta !== null && `, about ${formatDuration(eta)} left`}
      </p>
      {s.status === 'running' && (
        <ul className="workers muted" data-testid="eval-workers">
          {s.active.map((w, k) => (
            <li key={k}>
              worker {k + 1}: {w ? `input ${w.index}, ${w.method === 'attack' ? 'PGD attack' : methodName(w.method)}, ${Math.round(w.fraction * 100)} %` : 'idle'}
            </li>
          ))}
        </ul>
      )}
      {s.error && (
        <p className="error" data-testid="eval-error">
          {s.error}
        </p>
      )}
    </div>
  )
}

function EvalCharts({ rows, methods }: { rows: EvalRow[]; methods: Method[] }) {
  const acc = useMemo(() => accuracyFigure(rows, methods), [rows, methods])
  const dist = useMemo(() => boundsFigure(rows, methods), [rows, methods])
  return (
    <div className="eval-charts">
      <LazyPlot figure={acc} testId="eval-accuracy-chart" />
      <LazyPlot figure={dist} testId="eval-bounds-chart" />
    </div>
  )
}

const NO_METHODS: Method[] = []

function EvalResults() {
  const { rows, ran, status } = useEval((s) => ({ rows: s.rows, ran: s.ran, status: s.status }))
  const classNames = useStore(appStore, (a) => (a.model?.key === ran?.modelKey ? a.model?.classNames : null))
  const methods = ran?.methods ?? NO_METHODS
  const summary = useMemo(() => summarize(rows, methods), [rows, methods])
  if (!ran || rows.length === 0) return null
  const base = `evaluation-${ran.model.replace(/[^\w.-]+/g, '_')}`
  const files = () => evalExport({ rows, ran })
  return (
    <div className="eval-results">
      <h3>Summary</h3>
      <p className="muted">
        Model {ran.model || ran.modelKey.replace(/^\w+:/, '')} · perturbing {threatWords(ran.threat, 'frame')} · {SEARCH_WORDS[ran.search].short} · {MARGIN_WORDS[ran.margin].short} (<Term id="margin">margin</Term>)
        {ran.clip ? ' · clipped to the input domain' : ''}. Bounds over correctly classified inputs; time per bound search in a worker.
      </p>
      <table className="compare" data-testid="eval-summary">
        <thead>
          <tr>
            <th>method</th>
            <th>inputs</th>
            <th>accuracy</th>
            <th>mean bound ± std</th>
            <th>min</th>
            <th>max</th>
            <th>time / input</th>
            {ran.attack && <th>mean PGD attack radius</th>}
          </tr>
        </thead>
        <tbody>
          {summary.map((x) => (
            <tr key={x.method} data-testid={`eval-summary-${x.method}`}>
              <td title={methodWords(x.method)}>{methodName(x.method)}</td>
              <td>{x.n}</td>
              <td>{Number.isFinite(x.accuracy) ? `${(x.accuracy * 100).toFixed(1)} %` : '–'}</td>
              <td>{Number.isFinite(x.meanBound) ? `${formatEps(x.meanBound)} ± ${formatEps(x.stdBound)}` : '–'}</td>
              <td>{Number.isFinite(x.minBound) ? formatEps(x.minBound) : '–'}</td>
              <td>{Number.isFinite(x.maxBound) ? formatEps(x.maxBound) : '–'}</td>
              <td>{Number.isFinite(x.msPerSample) ? `${x.msPerSample.toFixed(0)} ms` : '–'}</td>
              {ran.attack && <td>{Number.isFinite(x.meanAttack) ? formatEps(x.meanAttack) : '–'}</td>}
            </tr>
          ))}
        </tbody>
      </table>
      <div className="actions" data-testid="eval-export">
        <button type="button" data-testid="eval-export-json" onClick={() => downloadText(`${base}.json`, files().json, 'application/json')}>
          Export JSON
        </button>
        <button type="button" data-testid="eval-export-samples" onClick={() => downloadText(`${base}-samples.csv`, files().samplesCsv, 'text/csv')}>
          Samples CSV
        </button>
        <button type="button" data-testid="eval-export-summary" onClick={() => downloadText(`${base}-summary.csv`, files().summaryCsv, 'text/csv')}>
          Summary CSV
        </button>
        <button type="button" data-testid="eval-export-accuracy" onClick={() => downloadText(`${base}-verified-accuracy.csv`, files().accuracyCsv, 'text/csv')}>
          Verified accuracy CSV
        </button>
      </div>
      <EvalCharts rows={rows} methods={methods} />
      {status === 'running' && <p className="muted">The charts and tables fill in as the searches finish.</p>}
      <SampleTable rows={rows} methods={methods} classNames={classNames ?? null} attack={ran.attack} />
    </div>
  )
}

function SampleTable({ rows, methods, classNames, attack }: { rows: EvalRow[]; methods: Method[]; classNames: string[] | null; attack: boolean }) {
  const bySample = useMemo(() => {
    const map = new Map<number, EvalRow[]>()
    for (const r of rows) map.set(r.index, [...(map.get(r.index) ?? []), r])
    return [...map.entries()].sort((a, b) => a[0] - b[0])
  }, [rows])
  const name = (k: number | null) => (k === null ? '–' : (classNames?.[k] ?? String(k)))
  return (
    <details className="eval-samples" open={bySample.length <= 20}>
      <summary>Per-input bounds ({bySample.length} inputs)</summary>
      <table className="compare" data-testid="eval-samples">
        <thead>
          <tr>
            <th>#</th>
            <th>label</th>
            <th>predicted</th>
            {methods.map((m) => (
              <th key={m}>{methodName(m)}</th>
            ))}
            {attack && <th>PGD attack radius</th>}
          </tr>
        </thead>
        <tbody>
          {bySample.map(([index, rs]) => (
            <tr key={index} className={rs[0].correct ? '' : 'no'}>
              <td>{index}</td>
              <td>{name(rs[0].label)}</td>
              <td>
                {name(rs[0].predicted)}
                {rs[0].correct ? '' : ' (wrong)'}
              </td>
              {methods.map((m) => {
                const r = rs.find((x) => x.method === m)
                return <td key={m}>{r ? formatEps(r.bound) : '…'}</td>
              })}
              {attack && <td data-testid={`eval-attack-${index}`}>{Number.isFinite(rs[0].attack) ? formatEps(rs[0].attack) : rs[0].attack === Infinity ? 'none found' : '…'}</td>}
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  )
}
