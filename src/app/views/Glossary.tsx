/**
 * The words of the app, explained once: the glossary (one entry per term), the `Term`
 * marker that makes a term clickable where it appears (its definition opens in place, with
 * a link to the whole glossary), and the glossary and "About / health" panels.
 */
import { useId, useState } from 'react'
import type { ReactNode } from 'react'
import type { selfCheck } from '../../cert/index.ts'
import { METHOD_LABELS, METHODS } from '../../cert/index.ts'
import { useApp } from '../state/hooks.ts'
import { setPanel } from '../state/store.ts'
import { METHOD_COLORS } from '../theme.ts'
import type { TermId } from './terms.ts'
import { GLOSSARY, methodName, methodWords } from './terms.ts'


/** A term of the glossary where it appears: click for its definition (hover for a tooltip). */
export function Term({ id, children }: { id: TermId; children: ReactNode }) {
  const [open, setOpen] = useState(false)
  const pop = useId()
  const g = GLOSSARY[id]
  return (
    <span className="term">
      <button type="button" className="term-btn" data-testid={`term-${id}`} aria-expanded={open} aria-controls={open ? pop : undefined} title={g.text} onClick={() => setOpen(!open)}>
        {children}
      </button>
      {open && (
        <span className="term-pop" id={pop} role="note" data-testid={`term-pop-${id}`}>
          <strong>{g.term}</strong>: {g.text}{' '}
          <button type="button" className="link" onClick={() => setPanel('glossary')}>
            all terms
          </button>{' '}
          <button type="button" className="link" aria-label="close" onClick={() => setOpen(false)}>
            ✕
          </button>
        </span>
      )}
    </span>
  )
}

/** The glossary and About / health panels (opened from the header or from a term). */
export function InfoPanels({ check }: { check: ReturnType<typeof selfCheck> | null }) {
  const panel = useApp((s) => s.panel)
  if (!panel) return null
  return (
    <section className="panel info-panel" aria-label={panel === 'glossary' ? 'Glossary' : 'About and health'} data-testid={`panel-${panel}`}>
      <button type="button" className="close" aria-label="close" onClick={() => setPanel(null)}>
        ✕
      </button>
      {panel === 'glossary' ? (
        <>
          <h2>Glossary</h2>
          <dl className="glossary">
            {(Object.keys(GLOSSARY) as TermId[]).map((k) => (
              <div key={k} data-testid={`glossary-${k}`}>
                <dt>{GLOSSARY[k].term}</dt>
                <dd>{GLOSSARY[k].text}</dd>
              </div>
            ))}
            <div>
              <dt>the methods</dt>
              <dd>
                <ul className="plain">
                  {METHODS.map((m) => (
                    <li key={m}>
                      <span className="swatch" style={{ background: METHOD_COLORS[m] }} aria-hidden="true" /> <strong>{methodName(m)}</strong>: {methodWords(m)} (technically: {METHOD_LABELS[m]})
                    </li>
                  ))}
                </ul>
              </dd>
            </div>
          </dl>
        </>
      ) : (
        <>
          <h2>About / health</h2>
          <p>
            Cert-RNN Studio certifies the robustness of RNNs, LSTMs and GRUs in this browser tab: zonotope abstract interpretation with Cert-RNN&apos;s parallel planes (Du et al., ACM
            CCS 2021), against DeepZ and interval bounds. Models and data come from this site only; nothing is sent anywhere.
          </p>
          <p className={check ? (check.ok ? 'self-check ok' : 'self-check fail') : 'self-check'} data-testid="self-check" data-ok={check ? String(check.ok) : 'pending'}>
            <strong>Engine self-check:</strong> {check ? check.message : 'running…'}
          </p>
        </>
      )}
    </section>
  )
}
