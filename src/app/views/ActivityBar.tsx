import { useAppShallow, useNow } from '../state/hooks.ts'
import { cancelActivity, timeLeft } from '../state/activity.ts'
import { formatDuration } from './geometry.ts'

/**
 * The one place every run shows up, on every tab: what is running, its progress, the time
 * so far and the estimate of the time left, Cancel, and what waits in the queue.
 */
export function ActivityBar() {
  const { current, queue } = useAppShallow((s) => ({ current: s.activity.current, queue: s.activity.queue }))
  const now = useNow(current !== null)
  if (!current && !queue.length) return null
  const elapsed = current ? Math.max(0, now - current.startedAt) : 0
  const left = current ? timeLeft(elapsed, current.fraction) : null
  const pct = current?.fraction != null ? Math.round(current.fraction * 100) : null
  return (
    <section className="activity" aria-label="Running" aria-live="polite" data-testid="activity">
      {current && (
        <div className="progress" data-testid="progress" data-label={current.label}>
          <strong className="activity-label">{current.label}</strong>
          <div className="bar" role="progressbar" aria-label={`${current.label}: progress`} aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct ?? undefined}>
            <div className={pct === null ? 'fill indeterminate' : 'fill'} style={{ width: `${pct ?? 100}%` }} />
          </div>
          <span className="muted" data-testid="activity-status">
            {current.cancelling ? 'cancelling… ' : ''}
            {current.detail ? `${current.detail} · ` : ''}
            {pct !== null ? `${pct} % · ` : ''}
            {formatDuration(elapsed)}
            <span data-testid="activity-eta">{left !== null ? ` · about ${formatDuration(left)} left` : ' · estimating the time left…'}</span>
          </span>
          <button type="button" className="cancel" data-testid="cancel" onClick={() => cancelActivity(current.id)} disabled={current.cancelling}>
            Cancel
          </button>
        </div>
      )}
      {queue.length > 0 && (
        <ol className="queue" data-testid="activity-queue" aria-label="Waiting to run">
          {queue.map((q) => (
            <li key={q.id} data-testid="queued">
              <span className="muted">next:</span> {q.label}{' '}
              <button type="button" className="link" aria-label={`remove ${q.label} from the queue`} onClick={() => cancelActivity(q.id)}>
                remove
              </button>
            </li>
          ))}
        </ol>
      )}
    </section>
  )
}
