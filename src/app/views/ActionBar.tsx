import { useApp, useAppShallow } from '../state/hooks.ts'
import { cancelRun, runBlocker, startRun } from '../state/store.ts'
import { formatEps } from './geometry.ts'

export function ActionBar() {
  const blocker = useApp((s) => runBlocker(s))
  const eps = useApp((s) => s.eps)
  const run = useAppShallow((s) => ({ status: s.run.status, kind: s.run.kind, progress: s.run.progress }))
  const running = run.status === 'running'
  return (
    <section className="panel actions" aria-label="Actions">
      <div className="buttons">
        <button type="button" data-testid="run-certify" disabled={!!blocker || running} onClick={() => void startRun('certify')}>
          Certify at ε = {formatEps(eps)}
        </button>
        <button type="button" data-testid="run-bound" disabled={!!blocker || running} onClick={() => void startRun('bound')}>
          Find the robustness bound
        </button>
        <button type="button" data-testid="run-compare" disabled={!!blocker || running} onClick={() => void startRun('compare')}>
          Compare methods
        </button>
        {running && (
          <button type="button" className="cancel" data-testid="cancel" onClick={cancelRun}>
            Cancel
          </button>
        )}
      </div>
      {blocker && !running && <p className="muted" data-testid="blocker">{blocker}</p>}
      {running && (
        <div className="progress" data-testid="progress">
          <div className="bar" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round((run.progress?.fraction ?? 0) * 100)}>
            <div className="fill" style={{ width: `${(run.progress?.fraction ?? 0) * 100}%` }} />
          </div>
          <span className="muted">
            {run.progress?.stage ?? run.kind}
            {run.progress?.frame != null ? ` · frame ${run.progress.frame}` : ''} · {Math.round((run.progress?.fraction ?? 0) * 100)} %
          </span>
        </div>
      )}
    </section>
  )
}
