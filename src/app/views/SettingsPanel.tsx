import { useState } from 'react'
import type { MarginCheck, Method, SearchKind } from '../../cert/index.ts'
import { MARGIN_CHECKS, METHODS } from '../../cert/index.ts'
import { useApp, useAppShallow } from '../state/hooks.ts'
import { setClip, setEps, setMargin, setMethod, setSearch, setThreat } from '../state/store.ts'
import { EPS_MAX, EPS_MIN } from '../state/urlState.ts'
import { Term } from './Glossary.tsx'
import { MARGIN_WORDS, methodName, methodWords, SEARCH_KINDS, SEARCH_WORDS } from './terms.ts'

const LOG_MIN = Math.log10(EPS_MIN)
const LOG_MAX = Math.log10(EPS_MAX)

export function SettingsPanel() {
  const s = useAppShallow((st) => ({ eps: st.eps, threat: st.threat, method: st.method, margin: st.margin, search: st.search, clip: st.clip }))
  const domain = useApp((st) => st.model?.domain ?? null)
  const unit = useApp((st) => (st.model?.inputKind === 'tokens' ? 'token' : 'frame'))
  // the field shows ε unless the user is typing (draft)
  const [draft, setDraft] = useState<string | null>(null)
  const text = draft ?? String(s.eps)
  const [epsError, setEpsError] = useState<string | null>(null)
  // a bad value stays in the field beside its message; a good one becomes ε
  const commitText = (v: string) => {
    const e = Number(v)
    if (v.trim() === '' || !Number.isFinite(e)) setEpsError('ε must be a number')
    else if (e <= 0) setEpsError('ε must be positive')
    else if (e > EPS_MAX) setEpsError(`ε = ${e} is larger than the ${EPS_MAX} the searches cover; use at most ${EPS_MAX}`)
    else if (e < EPS_MIN) setEpsError(`ε below ${EPS_MIN} is not meaningful here`)
    else {
      setEpsError(null)
      setDraft(null)
      setEps(e)
    }
  }
  return (
    <section className="panel settings" aria-label="Settings">
      <h2>Settings</h2>
      <div className="row">
        <span id="eps-label">
          <Term id="eps">ε</Term> {unit === 'token' ? '(per embedding coordinate)' : '(per pixel)'}
        </span>
        <input
          type="range"
          aria-label="ε, log scale from 1e-5 to 1"
          data-testid="eps-slider"
          min={LOG_MIN}
          max={LOG_MAX}
          step={0.01}
          value={Math.log10(s.eps)}
          onChange={(e) => {
            setEpsError(null)
            setDraft(null)
            setEps(Number((10 ** Number(e.target.value)).toPrecision(3)))
          }}
        />
        <input
          type="text"
          inputMode="decimal"
          aria-label="ε"
          aria-invalid={epsError ? true : undefined}
          aria-describedby={epsError ? 'eps-error' : undefined}
          data-testid="eps-input"
          className="num"
          value={text}
          onChange={(e) => setDraft(e.target.value)}
          onBlur={(e) => commitText(e.target.value)}
          onKeyDown={(e) => e.key === 'Enter' && commitText((e.target as HTMLInputElement).value)}
        />
      </div>
      {epsError && (
        <p className="error" id="eps-error" role="alert" data-testid="eps-error">
          {epsError}
        </p>
      )}
      <fieldset className="row">
        <legend>
          Threat model (<Term id="ball">ℓ∞ ball</Term> on…)
        </legend>
        {(
          [
            ['single', `one ${unit} at a time`],
            ['frames', `chosen ${unit}s`],
            ['all', `all ${unit}s`],
          ] as const
        ).map(([kind, label]) => (
          <label key={kind}>
            <input
              type="radio"
              name="threat"
              data-testid={`threat-${kind}`}
              checked={s.threat.kind === kind}
              onChange={() => setThreat(kind === 'frames' ? { kind, frames: [] } : { kind })}
            />{' '}
            {label}
          </label>
        ))}
      </fieldset>
      <label className="row">
        <span>Method</span>
        <select data-testid="method" value={s.method} onChange={(e) => setMethod(e.target.value as Method)}>
          {METHODS.map((m) => (
            <option key={m} value={m}>
              {methodName(m)}: {methodWords(m)}
            </option>
          ))}
        </select>
      </label>
      <label className="row">
        <span>Margin check</span>
        <select data-testid="margin" value={s.margin} onChange={(e) => setMargin(e.target.value as MarginCheck)}>
          {MARGIN_CHECKS.map((m) => (
            <option key={m} value={m}>
              {MARGIN_WORDS[m].long}
            </option>
          ))}
        </select>
      </label>
      <label className="row">
        <span>Bound search</span>
        <select data-testid="search" value={s.search} onChange={(e) => setSearch(e.target.value as SearchKind)}>
          {SEARCH_KINDS.map((k) => (
            <option key={k} value={k}>
              {SEARCH_WORDS[k].long}
            </option>
          ))}
        </select>
      </label>
      {domain && (
        <label className="check">
          <input type="checkbox" data-testid="clip" checked={s.clip} onChange={(e) => setClip(e.target.checked)} />
          <span>
            clip the ball to the input domain [{domain.min}, {domain.max}]
          </span>
        </label>
      )}
      <p className="muted">
        The <Term id="margin">certified margin</Term> is what the margin check proves; the bound search finds the largest ε that is still certified.
      </p>
    </section>
  )
}
