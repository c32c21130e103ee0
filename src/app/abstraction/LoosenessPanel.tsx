/**
 * "Where the looseness comes from" for the traced input: on opening, the worker splits the
 * certified margin's gap of Cert-RNN, tight and DeepZ on the traced frames at the traced ε
 * (the `looseness` job), and the panel draws the bars and lists each method's five largest
 * parts with their shares, in plain words.
 */
import { useState } from 'react'
import type { Method } from '../../cert/index.ts'
import type { LoosenessSummary, TraceSummary } from '../../worker/protocol.ts'
import { useApp, useCurrentInput } from '../state/hooks.ts'
import { runJob } from '../state/store.ts'
import { METHOD_COLORS } from '../theme.ts'
import { LoosenessChart } from '../views/LoosenessChart.tsx'
import { looseBars, looseSentence } from '../views/looseness.ts'
import { methodName } from '../views/terms.ts'

const PANEL_METHODS: Method[] = ['certrnn', 'tight', 'deepz']
/** how many parts each method lists */
const TOP = 5

type PanelState = { status: 'idle' | 'running' } | { status: 'done'; result: LoosenessSummary } | { status: 'error'; error: string }

export function LoosenessPanel({ trace, stale }: { trace: TraceSummary; stale: boolean }) {
  const layers = useApp((s) => s.model?.net.layers) ?? []
  const ran = useApp((s) => s.viz.ran)
  const domain = useApp((s) => s.model?.domain)
  const classNames = useApp((s) => s.model?.classNames) ?? []
  const cur = useCurrentInput()
  const [state, setState] = useState<PanelState>({ status: 'idle' })
  const start = () => {
    if (!cur.input || !ran || stale) return
    setState({ status: 'running' })
    const clip = ran.clip && domain ? ([domain.min, domain.max] as [number, number]) : undefined
    runJob({ kind: 'looseness', input: cur.input, frames: trace.frames, eps: trace.eps, methods: PANEL_METHODS, margin: ran.margin, clip })
      .result.then((r) => setState({ status: 'done', result: r as LoosenessSummary }))
      .catch((e: Error) => setState({ status: 'error', error: e.message }))
  }
  const rows = state.status === 'done' ? state.result.splits.map(({ method, split }) => ({ method, bars: looseBars(split, layers) })) : []
  return (
    <details className="looseness-panel" data-testid="looseness-panel" onToggle={(e) => e.currentTarget.open && state.status === 'idle' && start()}>
      <summary>Where the looseness comes from</summary>
      {stale && <p className="muted">Trace again first: the input or the settings changed.</p>}
      {state.status === 'running' && <p className="muted">splitting the gap of each method…</p>}
      {state.status === 'error' && (
        <p className="error" role="alert">
          {state.error}
        </p>
      )}
      {state.status === 'done' && rows.length > 0 && (
        <>
          <p className="muted">
            The gap between the input&apos;s own margin and the certified margin ({classNames[state.result.predicted] ?? state.result.predicted} against {classNames[state.result.splits[0].split.against] ?? state.result.splits[0].split.against}), split by where it comes from: the input&apos;s own spread, and
            the lines around each nonlinearity at each step (how much each widened the range, plus how far it moved its middle).
          </p>
          <p data-testid="looseness-sentence">
            <strong>{looseSentence(rows[0].bars)}</strong>
          </p>
          <LoosenessChart rows={rows} testId="looseness" table={false} />
          <div className="row">
            {rows.map((r) => (
              <div key={r.method}>
                <strong style={{ color: METHOD_COLORS[r.method] }}>{methodName(r.method)}</strong>
                <ol data-testid={`looseness-top-${r.method}`}>
                  {[...r.bars.parts]
                    .sort((a, b) => b.loss - a.loss)
                    .slice(0, TOP)
                    .map((p) => (
                      <li key={p.key}>
                        <span style={{ color: p.color }}>■</span> {p.words}: {Math.round(p.share * 100)}%
                      </li>
                    ))}
                </ol>
              </div>
            ))}
          </div>
        </>
      )}
    </details>
  )
}
