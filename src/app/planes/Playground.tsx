/**
 * Transformer playground: pick a nonlinearity, set the input box by typing or dragging, and
 * watch every method's planes, gaps and residual extremes update live.
 */
import { useEffect, useRef, useState } from 'react'
import type { PlaneBox, TransformerKind } from '../../cert/transformers/index.ts'
import { boxProblem, isUnary, KIND_LABELS, KINDS } from './planeData.ts'
import { PlanesView } from './PlanesView.tsx'
import './planes.css'

type Field = keyof PlaneBox
type BoxText = Record<Field, string>

const SLIDER = { min: -8, max: 8, step: 0.05 }

export const DEFAULT_BOX: PlaneBox = { lx: -1, ux: 1.5, ly: -0.5, uy: 2 }

const PRESETS: Array<{ name: string; box: PlaneBox }> = [
  { name: 'straddling 0', box: DEFAULT_BOX },
  { name: 'symmetric [−1, 1]²', box: { lx: -1, ux: 1, ly: -1, uy: 1 } },
  { name: 'saturated', box: { lx: 2, ux: 5, ly: 1.5, uy: 4 } },
  { name: 'wide', box: { lx: -4, ux: 4, ly: -3, uy: 3 } },
  { name: 'thin', box: { lx: 0.5, ux: 0.8, ly: -2, uy: 2 } },
]

const toText = (b: PlaneBox): BoxText => ({ lx: String(b.lx), ux: String(b.ux), ly: String(b.ly), uy: String(b.uy) })

/** A typed number, or why it is not one. */
export function parseNumber(name: string, text: string): { value: number } | { error: string } {
  const s = text.trim()
  if (s === '') return { error: `${name} is empty: type a number` }
  const v = Number(s)
  if (Number.isNaN(v)) return { error: `${name}: “${s}” is not a number` }
  if (!Number.isFinite(v)) return { error: `${name} must be finite` }
  return { value: v }
}

/** The box the fields describe for this kind, or every problem with them. */
export function parseBox(kind: TransformerKind, text: BoxText): { box: PlaneBox; errors: [] } | { box: null; errors: string[] } {
  const fields: Field[] = isUnary(kind) ? ['lx', 'ux'] : ['lx', 'ux', 'ly', 'uy']
  const box: PlaneBox = { lx: 0, ux: 0, ly: 0, uy: 0 }
  const errors: string[] = []
  for (const f of fields) {
    const r = parseNumber(f, text[f])
    if ('error' in r) errors.push(r.error)
    else box[f] = r.value
  }
  if (errors.length === 0) {
    const problem = boxProblem(kind, box)
    if (problem) errors.push(problem)
  }
  return errors.length ? { box: null, errors } : { box, errors: [] }
}

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
  const [kind, setKind] = useState<TransformerKind>(initialKind)
  const [text, setText] = useState<BoxText>(() => toText(initialBox))
  const parsed = parseBox(kind, text)
  // the last valid box stays on screen while the fields hold a mistake; strings keep the
  // throttled value's identity stable
  const [lastValid, setLastValid] = useState(() => JSON.stringify(initialBox))
  const validKey = parsed.box ? JSON.stringify(parsed.box) : null
  useEffect(() => {
    if (validKey) setLastValid(validKey)
  }, [validKey])
  const shownKey = useFrameThrottled(validKey ?? lastValid)
  const shown = JSON.parse(shownKey) as PlaneBox
  const unary = isUnary(kind)
  const fields: Field[] = unary ? ['lx', 'ux'] : ['lx', 'ux', 'ly', 'uy']

  const setField = (f: Field, v: string) => setText((t) => ({ ...t, [f]: v }))
  const slide = (f: Field, v: string) => {
    // a slider never crosses the other end of its interval
    let x = Number(v)
    const other = { lx: 'ux', ux: 'lx', ly: 'uy', uy: 'ly' }[f] as Field
    const o = Number(text[other])
    if (Number.isFinite(o) && text[other].trim() !== '') x = f.startsWith('l') ? Math.min(x, o) : Math.max(x, o)
    setField(f, String(x))
  }

  return (
    <section className="panel playground" data-testid="playground">
      <h2>Transformer playground</h2>
      <p className="muted">
        Set the input box and compare the planes each method puts around the function. The gap C2 − C1 is the width of the fresh noise symbol a neuron gets;
        the marked points are where the residual g = f − A·x − B·y reaches its minimum and maximum.
      </p>
      <label className="pg-kind">
        <span>Function</span>
        <select data-testid="pg-kind" value={kind} onChange={(e) => setKind(e.target.value as TransformerKind)}>
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
                onChange={(e) => slide(f, e.target.value)}
              />
            </div>
          )
        })}
      </div>
      <div className="pg-presets">
        <span className="muted">Boxes:</span>
        {PRESETS.map((p) => (
          <button type="button" className="chip" key={p.name} onClick={() => setText(toText(p.box))}>
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
      <PlanesView kind={kind} box={shown} />
    </section>
  )
}

export default Playground
