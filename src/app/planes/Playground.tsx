/**
 * Transformer playground: pick a nonlinearity, set the input box by typing or dragging, and
 * watch every method's planes, gaps and residual extremes update live.
 */
import { useEffect, useRef, useState } from 'react'
import type { PlaneBox, TransformerKind } from '../../cert/index.ts'
import type { BoxField, BoxText } from './boxInput.ts'
import { BOX_PRESETS, boxFields, boxText, DEFAULT_BOX, parseBox, parseNumber, slideValue } from './boxInput.ts'
import { KIND_LABELS, KINDS } from './planeData.ts'
import { PlanesView } from './PlanesView.tsx'
import { Term } from '../views/Glossary.tsx'
import './planes.css'

const SLIDER = { min: -8, max: 8, step: 0.05 }

/** The latest value, taken at most once per animation frame. */
function useFrameThrottled<T>(value: T): T {
  const [shown, setShown] = useState(value)
  const latest = useRef(value)
  const pending = useRef<number | null>(null)
  useEffect(() => {
    latest.current = value
    if (pending.current === null) {
      pending.current = requestAnimationFrame(() => {
        pending.current = null
        setShown(latest.current)
      })
    }
  }, [value])
  useEffect(
    () => () => {
      if (pending.current !== null) cancelAnimationFrame(pending.current)
      pending.current = null
    },
    [],
  )
  return shown
}

export interface PlaygroundProps {
  initialKind?: TransformerKind
  initialBox?: PlaneBox
}

export function Playground({ initialKind = 'sigmoidTanh', initialBox = DEFAULT_BOX }: PlaygroundProps) {
  const [state, setState] = useState(() => ({
    kind: initialKind,
    text: boxText(initialBox),
    // what is drawn: the last valid function and box, kept while the fields hold a mistake
    // (a string, so that the throttled value keeps its identity)
    lastValid: JSON.stringify({ kind: initialKind, box: initialBox }),
  }))
  const { kind, text } = state
  const parsed = parseBox(kind, text)
  const update = (change: (s: { kind: TransformerKind; text: BoxText }) => { kind: TransformerKind; text: BoxText }) =>
    setState((s) => {
      const next = change(s)
      const p = parseBox(next.kind, next.text)
      return { ...next, lastValid: p.box ? JSON.stringify({ kind: next.kind, box: p.box }) : s.lastValid }
    })
  const shown = JSON.parse(useFrameThrottled(state.lastValid)) as { kind: TransformerKind; box: PlaneBox }
  const fields = boxFields(kind)
  const setField = (f: BoxField, v: string) => update((s) => ({ ...s, text: { ...s.text, [f]: v } }))

  return (
    <section className="panel playground" data-testid="playground">
      <h2>Transformer playground</h2>
      <p className="muted">
        Set the input box and compare the planes each method puts around the function. The gap C2 − C1 is the width of the fresh <Term id="noise">noise symbol</Term> a neuron gets;
        the marked points are where the residual g = f − A·x − B·y reaches its minimum and maximum.
      </p>
      <label className="pg-kind">
        <span>Function</span>
        <select data-testid="pg-kind" value={kind} onChange={(e) => update((s) => ({ ...s, kind: e.target.value as TransformerKind }))}>
          {KINDS.map((k) => (
            <option key={k} value={k}>
              {KIND_LABELS[k]}
            </option>
          ))}
        </select>
      </label>
      <div className="pg-controls">
        {fields.map((f) => {
          const r = parseNumber(f, text[f])
          const value = 'value' in r ? Math.min(SLIDER.max, Math.max(SLIDER.min, r.value)) : 0
          return (
            <div className="pg-field" key={f}>
              <span>{f}</span>
              <input
                type="text"
                inputMode="decimal"
                aria-label={f}
                aria-invalid={'error' in r}
                data-testid={`pg-${f}`}
                value={text[f]}
                onChange={(e) => setField(f, e.target.value)}
              />
              <input
                type="range"
                aria-label={`${f} slider`}
                data-testid={`pg-${f}-range`}
                min={SLIDER.min}
                max={SLIDER.max}
                step={SLIDER.step}
                value={value}
                onChange={(e) => setField(f, String(slideValue(f, Number(e.target.value), text)))}
              />
            </div>
          )
        })}
      </div>
      <div className="pg-presets">
        <span className="muted">Boxes:</span>
        {BOX_PRESETS.map((p) => (
          <button type="button" className="chip" key={p.name} onClick={() => update((s) => ({ ...s, text: boxText(p.box) }))}>
            {p.name}
          </button>
        ))}
      </div>
      {parsed.errors.length > 0 && (
        <div className="error pg-errors" data-testid="pg-error" role="alert">
          {parsed.errors.map((e) => (
            <p key={e}>{e}</p>
          ))}
          <p className="muted">Showing the last valid box.</p>
        </div>
      )}
      <PlanesView kind={shown.kind} box={shown.box} />
    </section>
  )
}

export default Playground
