import { useApp } from '../state/hooks.ts'
import { runBlocker, startRun } from '../state/store.ts'
import { formatEps } from './geometry.ts'

export function ActionBar() {
  const blocker = useApp((s) => runBlocker(s))
  const eps = useApp((s) => s.eps)
  const busy = useApp((s) => s.activity.current?.label ?? null)
  // while another run goes on, a click queues this one (the activity bar lists it)
  const title = busy ? `starts after “${busy}” (runs go one at a time)` : undefined
  return (
    <section className="panel actions" aria-label="Actions">
      <div className="buttons">
        <button type="button" className="primary" data-testid="run-certify" disabled={!!blocker} title={title} onClick={() => void startRun('certify')}>
          Certify at ε = {formatEps(eps)}
        </button>
        <button type="button" data-testid="run-bound" disabled={!!blocker} title={title} onClick={() => void startRun('bound')}>
          Find the robustness bound
        </button>
        <button type="button" data-testid="run-compare" disabled={!!blocker} title={title} onClick={() => void startRun('compare')}>
          Compare methods
        </button>
      </div>
      {blocker && (
        <p className="blocker" role="status" data-testid="blocker">
          {blocker}
        </p>
      )}
      {busy && !blocker && (
        <p className="muted" data-testid="busy-note">
          “{busy}” is running: what you click now waits in the queue above.
        </p>
      )}
    </section>
  )
}
