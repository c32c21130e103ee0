/**
 * "Split the input into parts" for the traced input: the worker's `split` job cuts the traced
 * frames' ε-box into parts (the tight method, refinement by splitting: src/cert/split.ts) with
 * at most K extra runs, and the panel lists the parts (the values each was cut along and their
 * ranges, its margin, certified or not), says the whole input's verdict in one line, and draws
 * each part's margin as a bar around 0.
 */
import { useState } from 'react'
import type { SplitSummary, TraceSummary } from '../../worker/protocol.ts'
import { DEFAULT_SPLIT_BUDGET, MAX_SPLIT_BUDGET } from '../../worker/protocol.ts'
import { useApp, useCurrentInput } from '../state/hooks.ts'
import { runJob } from '../state/store.ts'
import { Term } from '../views/Glossary.tsx'
import type { ValueNames } from '../views/parts.ts'
import { marginBars, partLine, splitSentence } from '../views/parts.ts'

type PanelState = { status: 'idle' | 'running' } | { status: 'done'; result: SplitSummary } | { status: 'error'; error: string }

const BAR_W = 120
const BAR_H = 10

export function SplitPanel({ trace, stale }: { trace: TraceSummary; stale: boolean }) {
  const ran = useApp((s) => s.viz.ran)
  const model = useApp((s) => s.model)
  const cur = useCurrentInput()
  const [budget, setBudget] = useState(DEFAULT_SPLIT_BUDGET)
  const [state, setState] = useState<PanelState>({ status: 'idle' })
  const validBudget = Number.isInteger(budget) && budget >= 1 && budget <= MAX_SPLIT_BUDGET
  const names: ValueNames = model?.inputKind === 'tokens' ? { kind: 'tokens', words: cur.tokens ?? undefined } : { kind: model?.image ? 'image' : 'frames' }
  const start = () => {
    if (!cur.input || !ran || stale || !validBudget) return
    setState({ status: 'running' })
    const clip = ran.clip && model?.domain ? ([model.domain.min, model.domain.max] as [number, number]) : undefined
    runJob({ kind: 'split', input: cur.input, frames: trace.frames, eps: trace.eps, budget, method: 'tight', margin: ran.margin, clip })
      .result.then((r) => setState({ status: 'done', result: r as SplitSummary }))
      .catch((e: Error) => setState({ status: 'error', error: e.message }))
  }
  const bars = state.status === 'done' ? marginBars(state.result.parts) : null
  return (
    <details className="split-panel" data-testid="split-panel">
      <summary>Split the input into parts</summary>
      <p className="muted">
        The tight method can <Term id="split">split the input</Term>: cut the box of inputs in two along one input value, certify each half on its own (smaller boxes give tighter lines around every nonlinearity), and keep cutting the
        part with the smallest <Term id="margin">margin</Term> until every part is certified or the extra runs are spent. The input is certified when every part is.
      </p>
      {stale && <p className="muted">Trace again first: the input or the settings changed.</p>}
      <div className="row">
        <label>
          extra runs (1–{MAX_SPLIT_BUDGET}){' '}
          <input type="number" data-testid="split-budget" min={1} max={MAX_SPLIT_BUDGET} step={1} value={Number.isNaN(budget) ? '' : budget} onChange={(e) => setBudget(e.target.valueAsNumber)} />
        </label>
        <button type="button" data-testid="split-run" disabled={state.status === 'running' || stale || !validBudget || !cur.input} onClick={start}>
          {state.status === 'running' ? 'splitting…' : 'Split and certify'}
        </button>
      </div>
      {!validBudget && <p className="error">The number of extra runs must be a whole number from 1 to {MAX_SPLIT_BUDGET}.</p>}
      {state.status === 'error' && (
        <p className="error" role="alert">
          {state.error}
        </p>
      )}
      {state.status === 'done' && bars && (
        <>
          <p data-testid="split-sentence" className={state.result.certified ? 'split-ok' : 'split-no'}>
            <strong>{splitSentence(state.result)}</strong>
            <span className="muted">
              {' '}
              ({state.result.parts.length} part{state.result.parts.length === 1 ? '' : 's'}, {state.result.runs} run{state.result.runs === 1 ? '' : 's'})
            </span>
          </p>
          <ol className="split-parts" data-testid="split-parts">
            {state.result.parts.map((p, k) => (
              <li key={k} data-certified={p.certified}>
                <svg className={p.certified ? 'split-ok' : 'split-no'} width={BAR_W} height={BAR_H} role="img" aria-label={`margin of part ${k + 1}`}>
                  <rect x={bars.bars[k].x * BAR_W} y={1} width={Math.max(1, bars.bars[k].width * BAR_W)} height={BAR_H - 2} fill="currentColor" />
                  <line x1={bars.zero * BAR_W} x2={bars.zero * BAR_W} y1={0} y2={BAR_H} stroke="var(--fg)" />
                </svg>{' '}
                {partLine(p, k + 1, names)}
              </li>
            ))}
          </ol>
        </>
      )}
    </details>
  )
}
