import { lazy, Suspense, useEffect, useState } from 'react'
import { AbstractionView } from './app/abstraction/AbstractionView.tsx'
import { DefensesView } from './app/defenses/DefensesView.tsx'
import { EvaluationView } from './app/evaluate/EvaluationView.tsx'
import { useApp } from './app/state/hooks.ts'
import { setPanel, setView } from './app/state/store.ts'
import type { View } from './app/state/urlState.ts'
import { Walkthrough } from './app/walkthrough/Walkthrough.tsx'
import { boot } from './app/boot.ts'
import { ActionBar } from './app/views/ActionBar.tsx'
import { ActivityBar } from './app/views/ActivityBar.tsx'
import { InfoPanels } from './app/views/Glossary.tsx'
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
  const panel = useApp((s) => s.panel)
  return (
    <main className="page">
      <header className="masthead">
        <div>
          <h1>Cert-RNN Studio</h1>
          <p className="muted tagline">
            Prove that a recurrent network&apos;s prediction cannot be changed by small input changes, and see how the proof is built: Cert-RNN (Du et al., CCS 2021) against DeepZ
            and interval bounds, in your browser.
          </p>
        </div>
        <nav className="header-links" aria-label="Help">
          <button type="button" className={panel === 'glossary' ? 'link active' : 'link'} data-testid="open-glossary" aria-expanded={panel === 'glossary'} onClick={() => setPanel(panel === 'glossary' ? null : 'glossary')}>
            Glossary
          </button>
          <button type="button" className={panel === 'about' ? 'link active' : 'link'} data-testid="open-about" aria-expanded={panel === 'about'} onClick={() => setPanel(panel === 'about' ? null : 'about')}>
            About / health
            {check && !check.ok && <span className="error"> (self-check failed)</span>}
          </button>
        </nav>
      </header>
      {notices.length > 0 && (
        <div className="notice" role="status" data-testid="notices">
          {notices.map((n) => (
            <p key={n}>{n}</p>
          ))}
          <button type="button" onClick={() => setNotices([])}>
            dismiss
          </button>
        </div>
      )}
      <InfoPanels check={check} />
      <Tabs />
      <ActivityBar />
      <Main />
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

/** The views: a tab strip on wide screens, a menu (select) on narrow ones (CSS decides). */
function Tabs() {
  const view = useApp((s) => s.view)
  return (
    <nav className="tabs-nav" aria-label="Views">
      <div className="tabs" role="tablist">
        {TABS.map(([v, label]) => (
          <button key={v} type="button" role="tab" aria-selected={view === v} data-testid={`tab-${v}`} className={view === v ? 'tab active' : 'tab'} onClick={() => setView(v)}>
            {label}
          </button>
        ))}
      </div>
      <label className="tabs-menu">
        <span>View</span>
        <select data-testid="view-menu" value={view} onChange={(e) => setView(e.target.value as View)}>
          {TABS.map(([v, label]) => (
            <option key={v} value={v}>
              {label}
            </option>
          ))}
        </select>
      </label>
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
  const abstraction = view === 'abstraction'
  return (
    <>
      <div className="layout">
        <div className="column">
          <ModelPicker />
          <InputPanel />
        </div>
        <div className="column">
          <SettingsPanel />
          {!abstraction && <ActionBar />}
          {!abstraction && <ResultsPanel />}
        </div>
      </div>
      {abstraction && (
        // the trace gets the page's whole width (projections, three 3-D panels side by side)
        <div className="wide">
          <AbstractionView />
        </div>
      )}
    </>
  )
}

export default App
