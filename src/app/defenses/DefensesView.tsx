/**
 * The defenses view: pick an original model that has defended variants (FGSM-AT, PGD-AT,
 * IBP-VT, Cert-RNN-VT), run the certified bound and the PGD attack on the same inputs for
 * every variant, and compare them as a chart and a table (with clean accuracy). Below it,
 * live training of a small model in the page.
 */
import { lazy, Suspense, useMemo } from 'react'
import { formatEps } from '../views/geometry.ts'
import { Term } from '../views/Glossary.tsx'
import { LazyPlot } from '../charts/LazyPlot.tsx'
import { loadZooModel, selectZooModel } from '../model/zoo.ts'
import { useApp, useSlice } from '../state/hooks.ts'
import { setView } from '../state/store.ts'
import { cancelDefenseComparison, groupsOf, runDefenseComparison, setDefenseBase, setDefenseN, summarizeVariant } from './compare.ts'
import type { DefenseState } from './compareSlice.ts'
import { defenseFigure } from './figure.ts'

const LiveTraining = lazy(() => import('./LiveTraining.tsx'))

const useDef = <T,>(sel: (s: DefenseState) => T): T => useSlice('defenses', sel)

export function DefensesView() {
  return (
    <div className="defenses">
      <DefenseComparison />
      <Suspense fallback={<p className="muted">loading live training…</p>}>
        <LiveTraining />
      </Suspense>
    </div>
  )
}

function DefenseComparison() {
  const manifest = useApp((s) => s.manifest)
  const groups = groupsOf(manifest)
  const s = useDef((s) => s)
  const group = groups.find((g) => g.base.id === s.base) ?? groups[0]
  const figure = useMemo(() => defenseFigure(s.results), [s.results])
  if (!manifest) return <p className="muted">loading the model zoo…</p>
  if (!groups.length)
    return (
      <section className="panel">
        <h2>Defenses</h2>
        <p className="muted" data-testid="defenses-none">
          This build's model zoo has no defended models (see README: npm run train -- --defended).
        </p>
      </section>
    )
  const running = s.status === 'running'
  return (
    <section className="panel" aria-label="Compare defenses" data-testid="defenses">
      <h2>Compare defenses</h2>
      <p className="muted">
        The same inputs through the original model and its variants fine-tuned with FGSM or PGD adversarial training (FGSM-AT, PGD-AT) or with verified training on interval (IBP-VT) or
        Cert-RNN <Term id="zonotope">zonotope</Term> bounds (Cert-RNN-VT): the <Term id="bound">certified bound</Term> (Cert-RNN, one frame at a time, the min over frames) is a lower
        bound on each input&apos;s true robustness radius, the PGD <Term id="attack">attack radius</Term> an upper bound.
      </p>
      <div className="row">
        <label>
          model{' '}
          <select data-testid="defense-base" value={group.base.id} disabled={running} onChange={(e) => setDefenseBase(e.target.value)}>
            {groups.map((g) => (
              <option key={g.base.id} value={g.base.id}>
                {g.base.id} ({g.base.task}, {g.variants.length - 1} defended variants)
              </option>
            ))}
          </select>
        </label>{' '}
        <label>
          inputs: the first{' '}
          <input type="number" className="num" min={1} max={group.base.examples} data-testid="defense-n" value={s.n} disabled={running} onChange={(e) => setDefenseN(Number(e.target.value))} /> of {group.base.examples}{' '}
          bundled examples
        </label>
      </div>
      <div className="actions">
        <button type="button" data-testid="defense-run" disabled={running} onClick={() => void runDefenseComparison(group, loadZooModel)}>
          Compare {group.variants.length} models
        </button>
        {running && (
          <button type="button" className="cancel" data-testid="defense-cancel" onClick={cancelDefenseComparison}>
            Cancel
          </button>
        )}
      </div>
      {s.status !== 'idle' && (
        <div className="progress" data-testid="defense-progress" data-status={s.status}>
          <div className="bar">
            <div className="fill" style={{ width: `${s.total ? (100 * s.done) / s.total : 0}%` }} />
          </div>
          <p>
            {s.status === 'running' ? 'Running' : s.status === 'done' ? 'Done' : s.status === 'cancelled' ? 'Cancelled' : 'Stopped'}: {s.done} of {s.total || '…'} bound searches and attacks
            {s.finishedAt && s.startedAt ? `, ${((s.finishedAt - s.startedAt) / 1000).toFixed(1)} s` : ''}
          </p>
          {s.error && (
            <p className="error" data-testid="defense-error">
              {s.error}
            </p>
          )}
        </div>
      )}
      {s.results.length > 0 && s.base === group.base.id && (
        <>
          <table className="compare" data-testid="defense-table">
            <thead>
              <tr>
                <th>model</th>
                <th>defense</th>
                <th>train ε</th>
                <th>clean test accuracy</th>
                <th>correct inputs</th>
                <th>certified bound</th>
                <th>attack radius</th>
                <th></th>
              </tr>
            </thead>
            <tbody>
              {s.results.map((r) => {
                const v = summarizeVariant(r)
                return (
                  <tr key={r.id} data-testid={`defense-row-${r.id}`} data-status={r.status}>
                    <td>{r.id}</td>
                    <td>{r.label}</td>
                    <td>{r.trainEps ?? '–'}</td>
                    <td>{(r.testAccuracy * 100).toFixed(1)} %</td>
                    <td>{r.status === 'done' ? `${v.correct} / ${v.n}` : r.status === 'running' ? 'running…' : r.status === 'error' ? (r.error ?? 'failed') : ''}</td>
                    <td data-testid={`defense-bound-${r.id}`}>{Number.isFinite(v.meanBound) ? `${formatEps(v.meanBound)} ± ${formatEps(v.stdBound)}` : '–'}</td>
                    <td>{Number.isFinite(v.meanAttack) ? formatEps(v.meanAttack) : '–'}</td>
                    <td>
                      <button
                        type="button"
                        className="link"
                        onClick={() => {
                          const entry = manifest.models.find((m) => m.id === r.id)
                          if (entry) void selectZooModel(entry).then(() => setView('certify'))
                        }}
                      >
                        certify…
                      </button>
                    </td>
                  </tr>
                )
              })}
            </tbody>
          </table>
          <LazyPlot figure={figure} testId="defense-chart" height={340} />
        </>
      )}
    </section>
  )
}
