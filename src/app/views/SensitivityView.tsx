import type { ReactNode } from 'react'
import type { BoundResult } from '../../cert/index.ts'
import type { LoadedModel } from '../model/loaded.ts'
import type { RunState } from '../state/store.ts'
import { DigitImage } from './DigitImage.tsx'
import { Term } from './Glossary.tsx'
import type { HeatScale, Sensitivity } from './geometry.ts'
import { formatEps, sensitivity } from './geometry.ts'
import { methodName } from './terms.ts'

/** An attack radius in words: "> 1" when PGD found nothing up to the search's end. */
const attackText = (a: number | null) => (a === null ? '—' : Number.isFinite(a) ? formatEps(a) : '> 1')

/**
 * The per-frame (per-token) sensitivity of a bound search: each frame's certified lower
 * bound and, once the attack has run on every frame, its PGD upper bound, both coloured on
 * the model's fixed scale, the most sensitive frames by each and how far they agree.
 */
export function SensitivityView({ bound, model, run, scale, legend }: { bound: BoundResult; model: LoadedModel; run: RunState; scale: HeatScale; legend: ReactNode }) {
  const perFrame = bound.perFrame
  const attacked = run.attack?.status === 'done' ? (run.attack.result?.perFrame ?? null) : null
  if (!perFrame) return null
  const s = sensitivity(perFrame, attacked)
  const input = run.ran?.input
  const tokens = run.ran?.tokens
  const method = methodName(bound.method)
  const unit = tokens ? 'token' : 'frame'
  const caption = (
    <p className="muted" data-testid="heat-caption">
      Each {unit}: the <Term id="bound">certified bound</Term> ε* ({method}, a lower bound: smaller = more sensitive) and the <Term id="attack">attack radius</Term> (PGD on that {unit}
      alone, 10 steps × 2 restarts: an upper bound); its true robustness radius lies between the two.
      {tokens ? " ε is the radius of the ball around each word's embedding vector." : ''}{' '}
      <strong>Colour: each number&apos;s own value</strong> on the scale below{tokens ? '' : ' (the bands over the digit: the certified bound)'}
      {s.hotAttack ? '.' : `; run the attack for the upper bounds.`}
    </p>
  )
  if (tokens) {
    return (
      <div>
        {caption}
        <div className="heatmap" data-testid="heatmap" data-attacked={String(!!s.hotAttack)}>
          <span className="heat-cell heat-labels" aria-hidden="true">
            {unit}
            <small>certified ≥</small>
            <small>attack ≤</small>
          </span>
          {tokens.map((t, k) => {
            const c = s.cells[k]
            return (
              <span
                key={k}
                className={`heat-cell${c.hot ? ' hot' : ''}${c.hotAttack ? ' hot-attack' : ''}`}
                data-testid={`heat-cell-${k}`}
                data-bound={c.certified}
                data-attack={c.attack ?? ''}
                title={`certified ε* = ${formatEps(c.certified)}${c.attack === null ? '' : `, attack radius ${attackText(c.attack)}`}`}
              >
                {model.tokenizer?.spec.level === 'char' && t === ' ' ? '␣' : t}
                <small className="heat-bound" style={{ background: scale.color(c.certified) }}>
                  {formatEps(c.certified)}
                </small>
                <small className={`heat-bound${c.violation ? ' violation' : ''}`} data-testid={`heat-attack-${k}`} style={c.attack === null ? undefined : { background: scale.color(c.attack) }}>
                  {attackText(c.attack)}
                </small>
              </span>
            )
          })}
        </div>
        <SensitiveLine s={s} names={tokens.map((t) => `“${t}”`)} perFrame={perFrame} />
        {legend}
      </div>
    )
  }
  if (model.image && input?.x) {
    return (
      <div>
        {caption}
        <div className="row-bands">
          <DigitImage
            pixels={input.x.flat()}
            size={168}
            frames={model.image.frames}
            bandColors={perFrame.map((b) => scale.color(b))}
            bandLabels={perFrame.map((b, t) => `frame ${t}: ε* = ${formatEps(b)}${s.cells[t].attack === null ? '' : `, attack ${attackText(s.cells[t].attack)}`}`)}
          />
          <ul className="frame-bounds" data-testid="frame-bounds">
            {s.cells.map((c, t) => (
              <li key={t} className={c.hot ? 'hot' : ''} data-bound={c.certified} data-attack={c.attack ?? ''}>
                <span className="swatch" style={{ background: scale.color(c.certified) }} aria-hidden="true" />
                frame {t}: {formatEps(c.certified)}
                {c.attack !== null && (
                  <span className={c.violation ? 'error' : ''}>
                    {' '}
                    … <span className="swatch" style={{ background: scale.color(c.attack) }} aria-hidden="true" />
                    {attackText(c.attack)}
                  </span>
                )}
              </li>
            ))}
          </ul>
          {legend}
        </div>
        <SensitiveLine s={s} names={perFrame.map((_, t) => `frame ${t}`)} perFrame={perFrame} />
      </div>
    )
  }
  return <p>Per-frame bounds: {perFrame.map(formatEps).join(', ')}</p>
}

/** The most sensitive frames by each bound, how far they agree, and any attack below its certified bound. */
function SensitiveLine({ s, names, perFrame }: { s: Sensitivity; names: string[]; perFrame: number[] }) {
  return (
    <>
      <p data-testid="sensitive">
        Most sensitive: {s.hot.map((k) => `${names[k]} (${formatEps(perFrame[k])})`).join(', ')}
        {s.hotAttack && (
          <span data-testid="sensitive-attack">
            {' '}
            · by the attack: {s.hotAttack.map((k) => `${names[k]} (${attackText(s.cells[k].attack)})`).join(', ')} · the two share {s.agreement!.overlap} of {s.k}
            {Number.isFinite(s.agreement!.spearman) ? `, rank correlation ρ = ${s.agreement!.spearman.toFixed(2)}` : ''}
          </span>
        )}
      </p>
      {s.violations.length > 0 && (
        <p className="error" role="alert" data-testid="heat-violation">
          Attack below the certified bound at {s.violations.map((k) => names[k]).join(', ')}: a soundness bug!
        </p>
      )}
    </>
  )
}
