import { useEffect, useRef, useState } from 'react'
import { jsonFileSizeProblem } from '../../model/limits.ts'
import { parseInputsFile } from '../evaluate/inputsFile.ts'
import type { LoadedModel } from '../model/loaded.ts'
import { useApp, useAppShallow, useCurrentInput } from '../state/hooks.ts'
import { setDigit, setDrawn, setExamples, setText, toggleFrame } from '../state/store.ts'
import { chipText } from './geometry.ts'
import { DigitImage } from './DigitImage.tsx'

export function InputPanel() {
  const model = useApp((s) => s.model)
  if (!model) return null
  return (
    <section className="panel" aria-label="Input">
      <h2>Input</h2>
      {model.inputKind === 'tokens' ? <TextInput /> : model.image ? <DigitInput /> : <ExampleInput />}
      {model.inputsNote && (
        <p className="muted" data-testid="inputs-note">
          Inputs: {model.inputsNote}.
        </p>
      )}
    </section>
  )
}

function DigitInput() {
  const { model, digit, drawn, threat } = useAppShallow((s) => ({ model: s.model!, digit: s.digit, drawn: s.drawn, threat: s.threat }))
  const cur = useCurrentInput()
  const pixels = drawn ?? (digit !== null ? model.examples[digit]?.x?.flat() : null) ?? null
  const chosen = threat.kind === 'frames' ? threat.frames : []
  return (
    <div className="digit-input">
      <div className="digit-strip" data-testid="digit-strip">
        {model.examples.map((ex, k) => (
          <button
            key={k}
            type="button"
            className={k === digit && !drawn ? 'thumb selected' : 'thumb'}
            title={`example ${k}, label ${ex.label}`}
            aria-label={`example ${k}${ex.label !== undefined ? `, a ${model.classNames[ex.label]}` : ''}`}
            aria-pressed={k === digit && !drawn}
            data-testid={`digit-${k}`}
            onClick={() => setDigit(k)}
          >
            <DigitImage pixels={ex.x!.flat()} size={28} />
          </button>
        ))}
      </div>
      <div className="digit-main">
        <div>
          <p className="muted">
            {drawn ? 'your drawing' : digit !== null && model.examples[digit] ? `example ${digit}${cur.label !== undefined ? `, label ${model.classNames[cur.label]}` : ''}` : 'no digit chosen: pick one or draw'} · {model.image!.frames} frame
            {model.image!.frames > 1 ? 's' : ''} of {model.frameSize} pixels
            {threat.kind === 'frames' && ' · click the frames to perturb'}
          </p>
          {pixels && <DigitImage pixels={pixels} size={168} frames={model.image!.frames} chosen={chosen} onFrame={threat.kind === 'frames' ? toggleFrame : undefined} />}
        </div>
        <DrawPad />
      </div>
    </div>
  )
}

/** Draw a digit on a 28×28 grid with a soft brush. */
function DrawPad() {
  const canvas = useRef<HTMLCanvasElement>(null)
  const grid = useRef<number[]>(new Array(784).fill(0))
  const drawing = useRef(false)
  const scale = 6
  const paint = () => {
    const ctx = canvas.current?.getContext('2d')
    if (!ctx) return
    ctx.fillStyle = '#000'
    ctx.fillRect(0, 0, 28 * scale, 28 * scale)
    grid.current.forEach((v, k) => {
      if (v <= 0) return
      const g = Math.round(v * 255)
      ctx.fillStyle = `rgb(${g},${g},${g})`
      ctx.fillRect((k % 28) * scale, Math.floor(k / 28) * scale, scale, scale)
    })
  }
  useEffect(paint, [])
  const stroke = (e: React.PointerEvent) => {
    const rect = canvas.current!.getBoundingClientRect()
    const cx = ((e.clientX - rect.left) / rect.width) * 28
    const cy = ((e.clientY - rect.top) / rect.height) * 28
    for (let y = Math.floor(cy) - 2; y <= Math.floor(cy) + 2; y++) {
      for (let x = Math.floor(cx) - 2; x <= Math.floor(cx) + 2; x++) {
        if (x < 0 || y < 0 || x >= 28 || y >= 28) continue
        const d = Math.hypot(x + 0.5 - cx, y + 0.5 - cy)
        const v = Math.max(0, Math.min(1, 1.6 - d))
        grid.current[y * 28 + x] = Math.max(grid.current[y * 28 + x], Math.round(v * 1000) / 1000)
      }
    }
    paint()
  }
  return (
    <div className="drawpad">
      <p className="muted">or draw a digit</p>
      <canvas
        ref={canvas}
        data-testid="draw-canvas"
        role="img"
        aria-label="drawing pad: draw a digit with the mouse or a finger"
        width={28 * scale}
        height={28 * scale}
        onPointerDown={(e) => {
          drawing.current = true
          canvas.current?.setPointerCapture?.(e.pointerId)
          stroke(e)
        }}
        onPointerMove={(e) => drawing.current && stroke(e)}
        onPointerUp={() => {
          drawing.current = false
          setDrawn([...grid.current])
        }}
      />
      <button
        type="button"
        onClick={() => {
          grid.current = new Array(784).fill(0)
          paint()
        }}
      >
        Clear
      </button>
    </div>
  )
}

function ExampleInput() {
  const { model, digit } = useAppShallow((s) => ({ model: s.model!, digit: s.digit }))
  return (
    <>
      {model.examples.length ? <ExamplePicker model={model} digit={digit} /> : null}
      <InputsFile model={model} />
    </>
  )
}

/** Inputs for a model that came without any: a file in the inputs format (as `npm run evaluate` reads). */
function InputsFile({ model }: { model: LoadedModel }) {
  const [error, setError] = useState<string | null>(null)
  const read = async (f: File) => {
    const tooBig = jsonFileSizeProblem(f.name, f.size)
    if (tooBig) return setError(tooBig)
    try {
      const parsed = parseInputsFile(await f.text(), f.name, model)
      setError(null)
      setExamples(
        parsed.inputs.map((input, k) => ({ ...input, text: parsed.texts[k] ?? undefined })),
        `${parsed.inputs.length} inputs from ${f.name}`,
      )
    } catch (e) {
      setError((e as Error).message)
    }
  }
  return (
    <div className="inputs-file" data-testid="inputs-file">
      {!model.examples.length && (
        <p data-testid="inputs-guidance">
          This model reads {model.net.input.kind === 'frames' ? `frames of ${model.frameSize} values` : 'tokens'} and came without examples
          {model.net.input.kind === 'frames' && model.frameSize < 784 ? ' (frames × features is not 784, so the MNIST digits do not fit it)' : ''}. Load a JSON file of inputs:{' '}
          <code>{'{"examples": [{"x": [[…], …], "label": 0}, …]}'}</code>, one <code>x</code> per input with one array of {model.frameSize} numbers per frame (the format of{' '}
          <code>npm run evaluate -- --inputs</code>), or drop an <code>examples.json</code> together with the model files.
        </p>
      )}
      <label>
        {model.examples.length ? 'Other inputs: ' : 'Inputs file: '}
        <input type="file" accept=".json,application/json" data-testid="inputs-file-input" onChange={(e) => e.target.files?.[0] && void read(e.target.files[0])} />
      </label>
      {error && (
        <p className="error" role="alert" data-testid="inputs-file-error">
          {error}
        </p>
      )}
    </div>
  )
}

function ExamplePicker({ model, digit }: { model: LoadedModel; digit: number | null }) {
  return (
    <select aria-label="Example" data-testid="example-picker" value={digit ?? 0} onChange={(e) => setDigit(Number(e.target.value))}>
      {model.examples.map((ex, k) => (
        <option key={k} value={k}>
          example {k}
          {ex.label !== undefined ? ` (label ${model.classNames[ex.label]})` : ''}
        </option>
      ))}
    </select>
  )
}

function TextInput() {
  const { model, text, threat } = useAppShallow((s) => ({ model: s.model!, text: s.text, threat: s.threat }))
  const cur = useCurrentInput()
  const chosen = threat.kind === 'frames' ? threat.frames : []
  const level = model.tokenizer?.spec.level ?? 'id'
  return (
    <div className="text-input">
      <textarea
        aria-label={level === 'char' ? 'URL to certify' : 'Sentence to certify'}
        data-testid="text-input"
        rows={3}
        value={text}
        placeholder={model.tokenizer ? (level === 'char' ? 'type or paste a URL' : 'type or paste a sentence') : 'token ids separated by spaces'}
        onChange={(e) => setText(e.target.value)}
      />
      {model.examples.length > 0 && (
        <div className="examples">
          <span className="muted">examples:</span>{' '}
          {model.examples.map((ex, k) => (
            <button
              key={k}
              type="button"
              className="chip"
              data-testid={`example-${k}`}
              title={`${ex.text ?? ''}${ex.label !== undefined ? ` (label: ${model.classNames[ex.label]})` : ''}`}
              onClick={() => setText(ex.text ?? '')}
            >
              {chipText(ex.text ?? `example ${k}`)}
            </button>
          ))}
        </div>
      )}
      <div className="tokens" data-testid="tokens" aria-label="tokens">
        {cur.tokens?.map((t, k) => (
          <span
            key={k}
            className={`token${cur.unknown?.[k] ? ' unknown' : ''}${chosen.includes(k) ? ' chosen' : ''}`}
            title={cur.unknown?.[k] ? 'not in the vocabulary: read as [UNK]' : `token id ${cur.input?.tokens?.[k]}`}
            onClick={threat.kind === 'frames' ? () => toggleFrame(k) : undefined}
          >
            {level === 'char' && t === ' ' ? '␣' : t}
          </span>
        ))}
      </div>
      <p className="muted">
        {cur.tokens ? `${cur.tokens.length} tokens` : ''}
        {cur.unknown?.some(Boolean) ? ` · ${cur.unknown.filter(Boolean).length} unknown (dashed)` : ''}
        {cur.truncated ? ` · ${cur.truncated} dropped beyond the model's ${model.tokenizer?.spec.maxLength}` : ''}
        {threat.kind === 'frames' ? ' · click tokens to perturb them' : ''}
      </p>
      {cur.error && text.trim() !== '' && <p className="error">{cur.error}</p>}
    </div>
  )
}
