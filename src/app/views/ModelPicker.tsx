import { useRef, useState } from 'react'
import { ZOO_TASKS } from '../../model/manifest.ts'
import type { ManifestModel } from '../../model/manifest.ts'
import { architectureLine, modelCard } from '../model/card.ts'
import type { LoadedModel } from '../model/loaded.ts'
import type { UploadedFile, UploadedModel } from '../model/upload.ts'
import { withInputs } from '../model/examples.ts'
import { checkUploadSizes, loadedFromUpload, readUploadAsync } from '../model/upload.ts'
import { isOnnxUpload, loadOnnxUpload } from '../model/uploadOnnx.ts'
import { selectZooModel } from '../model/zoo.ts'
import { useApp } from '../state/hooks.ts'
import { appStore, setModel } from '../state/store.ts'

const TASK_NAMES: Record<string, string> = {
  mnist: 'MNIST digits (image rows as frames)',
  sentiment: 'Sentiment (Rotten Tomatoes)',
  toxic: 'Toxic comments',
  url: 'Malicious URLs (characters)',
}

function describe(m: ManifestModel) {
  const acc = `${(m.testAccuracy.value * 100).toFixed(1)} %`
  return `${m.id} — ${m.title} — ${acc}`
}

export function ModelPicker() {
  const manifest = useApp((s) => s.manifest)
  const manifestError = useApp((s) => s.manifestError)
  const modelId = useApp((s) => s.modelId)
  const model = useApp((s) => s.model)
  const status = useApp((s) => s.modelStatus)
  const error = useApp((s) => s.modelError)
  const current = model?.source === 'upload' ? '__upload' : (modelId ?? '')
  return (
    <section className="panel" aria-label="Model">
      <h2>Model</h2>
      {manifestError && <p className="error">The bundled models could not be listed: {manifestError}</p>}
      <select
        aria-label="Model"
        data-testid="model-picker"
        value={current}
        onChange={(e) => {
          const entry = manifest?.models.find((m) => m.id === e.target.value)
          if (entry) void selectZooModel(entry)
        }}
      >
        {!current && <option value="">choose a model…</option>}
        {model?.source === 'upload' && <option value="__upload">{model.title} (uploaded)</option>}
        {ZOO_TASKS.map((task) => {
          const models = manifest?.models.filter((m) => m.task === task) ?? []
          return models.length ? (
            <optgroup key={task} label={TASK_NAMES[task]}>
              {models.map((m) => (
                <option key={m.id} value={m.id}>
                  {describe(m)}
                </option>
              ))}
            </optgroup>
          ) : null
        })}
      </select>
      <p className="muted" data-testid="model-status" data-status={status}>
        {status === 'loading' && 'loading the model…'}
        {status === 'ready' && model && <ModelFacts model={model} />}
      </p>
      {status === 'ready' && model && <ModelCard model={model} />}
      {status === 'error' && error && (
        <p className="error" role="alert" data-testid="model-error">
          {error}
        </p>
      )}
      <UploadPanel />
    </section>
  )
}

function ModelFacts({ model }: { model: LoadedModel }) {
  const e = model.entry
  return (
    <span>
      {architectureLine(model.net)} · {model.classNames.length} classes
      {e && ` · test accuracy ${(e.testAccuracy.value * 100).toFixed(1)} % on ${e.testAccuracy.n} ${e.testAccuracy.split}`}
    </span>
  )
}

/** Every layer of the model file, in order, including the ones ignored at inference. */
function ModelCard({ model }: { model: LoadedModel }) {
  const rows = modelCard(model.net)
  const ignored = rows.filter((r) => r.ignored).length
  return (
    <details className="model-card" data-testid="model-card">
      <summary>
        Model card: {rows.length} layers{ignored ? ` (${ignored} ignored at inference)` : ''}
      </summary>
      <ol>
        {rows.map((r) => (
          <li key={r.name} className={r.ignored ? 'ignored' : undefined} data-testid={`card-${r.name}`}>
            <strong>{r.kind}</strong> <code>{r.name}</code>: {r.detail}
          </li>
        ))}
      </ol>
    </details>
  )
}

async function toUploaded(files: FileList | File[]): Promise<UploadedFile[]> {
  checkUploadSizes(Array.from(files)) // before reading any of them into memory
  return Promise.all(Array.from(files).map(async (f) => ({ name: f.name, bytes: await f.arrayBuffer() })))
}

export function UploadPanel() {
  // an upload's error belongs to the model that was current then: a later model (uploaded or picked) clears it
  const modelKey = useApp((s) => s.model?.key ?? null)
  const [failed, setFailed] = useState<{ message: string; modelKey: string | null } | null>(null)
  const error = failed && failed.modelKey === modelKey ? failed.message : null
  const setError = (message: string | null) => setFailed(message === null ? null : { message, modelKey: appStore.getState().model?.key ?? null })
  const [busy, setBusy] = useState(false)
  const [over, setOver] = useState(false)
  const input = useRef<HTMLInputElement>(null)
  const accept = async (files: FileList | File[]) => {
    setError(null)
    setBusy(true)
    try {
      const uploaded = await toUploaded(files)
      const title = Array.from(files).map((f) => f.name).join(', ')
      let loaded: LoadedModel
      let own: UploadedModel['examples'] = null
      if (isOnnxUpload(uploaded)) loaded = await loadOnnxUpload(uploaded, title)
      else {
        const up = await readUploadAsync(uploaded)
        own = up.examples
        loaded = loadedFromUpload(up, title)
      }
      const { model, note } = await withInputs(loaded, own)
      await setModel(note ? { ...model, inputsNote: note } : model)
    } catch (e) {
      setError((e as Error).message)
    } finally {
      setBusy(false)
    }
  }
  return (
    <div
      className={`dropzone${over ? ' over' : ''}`}
      data-testid="upload-zone"
      onDragOver={(e) => {
        e.preventDefault()
        setOver(true)
      }}
      onDragLeave={() => setOver(false)}
      onDrop={(e) => {
        e.preventDefault()
        setOver(false)
        void accept(e.dataTransfer.files)
      }}
    >
      <p>
        <strong>Load your own model:</strong> drop a Keras <code>.keras</code> or <code>.h5</code> file, a PyTorch model exported to <code>.onnx</code>, or a TF.js Layers{' '}
        <code>model.json</code> with its weight files (and an optional <code>tokenizer.json</code>) here, or{' '}
        <button type="button" className="link" onClick={() => input.current?.click()}>
          pick files
        </button>
        .
      </p>
      <input
        ref={input}
        type="file"
        multiple
        hidden
        data-testid="upload-input"
        onChange={(e) => {
          if (e.target.files?.length) void accept(e.target.files)
          e.target.value = ''
        }}
      />
      {busy && <p className="muted">checking the files…</p>}
      {error && (
        <p className="error" role="alert" data-testid="upload-error">
          {error}
        </p>
      )}
    </div>
  )
}
