import { lazy, Suspense, useEffect, useState } from 'react'
import { AbstractionView } from './app/abstraction/AbstractionView.tsx'
import { DefensesView } from './app/defenses/DefensesView.tsx'
import { EvaluationView } from './app/evaluate/EvaluationView.tsx'
import { useApp } from './app/state/hooks.ts'
import { setView } from './app/state/store.ts'
import type { View } from './app/state/urlState.ts'
import { Walkthrough } from './app/walkthrough/Walkthrough.tsx'
import { boot } from './app/boot.ts'
import { ActionBar } from './app/views/ActionBar.tsx'
import { InputPanel } from './app/views/InputPanel.tsx'
import { ModelPicker } from './app/views/ModelPicker.tsx'
import { ResultsPanel } from './app/views/ResultsPanel.tsx'
import { SettingsPanel } from './app/views/SettingsPanel.tsx'
import { selfCheck } from './cert/index.ts'
function App() {
  const [notices, setNotices] = useState<string[]>([])
  const [check, setCheck] = useState<ReturnType<typeof selfCheck> | null>(null)
  useEffect(() => {
    boot().then(setNotices, (e: Error) => setNotices([`start-up failed: ${e.message}`]))
    // the engine's self-check runs after the first paint
    const t = setTimeout(() => setCheck(selfCheck()), 50)
    return () => clearTimeout(t)
  }, [])
  return (
    <main className="page">
      <header>
        <h1>Cert-RNN Studio</h1>
        <p className="muted">
          Certify the robustness of RNNs, LSTMs and GRUs in your browser: zonotope abstract interpretation with Cert-RNN's tight planes (Du et al., CCS
          2021), against DeepZ and interval bounds.
        </p>
      </header>
      {notices.length > 0 && (
        <div className="notice" data-testid="notices">
          {notices.map((n) => (
            <p key={n}>{n}</p>
          ))}
          <button type="button" onClick={() => setNotices([])}>
            dismiss
          </button>
        </div>
      )}
      <Tabs />
      <Main />
      <footer>
        <p className={check ? (check.ok ? 'self-check ok' : 'self-check fail') : 'self-check'} data-testid="self-check" data-ok={check ? String(check.ok) : 'pending'}>
          <strong>Engine self-check:</strong> {check ? check.message : 'running…'}
        </p>
      </footer>
    </main>
  )
}

const Playground = lazy(() => import('./app/planes/Playground.tsx').then((m) => ({ default: m.Playground })))

const TABS: Array<[View, string]> = [
  ['certify', 'Certify'],
  ['abstraction', 'See the abstraction'],
  ['evaluate', 'Evaluate a data set'],
  ['defenses', 'Defenses'],
  ['playground', 'Transformer playground'],
  ['walkthrough', 'Walkthrough'],
]

function Tabs() {
  const view = useApp((s) => s.view)
  return (
    <nav className="tabs" role="tablist">
      {TABS.map(([v, label]) => (
        <button key={v} type="button" role="tab" aria-selected={view === v} data-testid={`tab-${v}`} className={view === v ? 'tab active' : 'tab'} onClick={() => setView(v)}>
          {label}
        </button>
      ))}
    </nav>
  )
}

function Main() {
  const view = useApp((s) => s.view)
  if (view === 'walkthrough') return <Walkthrough />
  if (view === 'playground')
    return (
      <Suspense fallback={<p className="muted">loading the playground…</p>}>
        <Playground />
      </Suspense>
    )
  if (view === 'defenses') return <DefensesView />
  if (view === 'evaluate')
    return (
      <div className="layout eval-layout">
        <div className="column">
          <ModelPicker />
        </div>
        <div className="column">
          <EvaluationView />
        </div>
      </div>
    )
  return (
    <div className="layout">
      <div className="column">
        <ModelPicker />
        <InputPanel />
      </div>
      <div className="column">
        <SettingsPanel />
        {view === 'certify' ? (
          <>
            <ActionBar />
            <ResultsPanel />
          </>
        ) : (
          <AbstractionView />
        )}
      </div>
    </div>
  )
}

export default App
