/**
 * Live training of a small MNIST model in the page (a training worker): choose the cell,
 * size, defense and ε; watch loss, accuracy and the certified bound of three test digits
 * after every epoch; pause, finish early or cancel; then certify the model like any other
 * or download it in TF.js format.
 */
import { useMemo } from 'react'
import type { Defense } from '../../model/defense.ts'
import { DEFENSE_LABELS, DEFENSES } from '../../model/defense.ts'
import type { ModelCell } from '../../train/model.ts'
import { TRAIN_FRAMES, TRAIN_LIMITS } from '../../worker/training/protocol.ts'
import { LazyPlot } from '../charts/LazyPlot.tsx'
import { downloadBlob } from '../download.ts'
import { formatEps } from '../views/geometry.ts'
import { trainingFigure } from './figure.ts'
import { useSlice } from '../state/hooks.ts'
import { cancelTraining, certifyTrained, finishTraining, modelName, pauseTraining, resumeTraining, setTrainConfig, startTraining, trainedFiles, trainingFraction } from './training.ts'
import type { TrainingState } from './trainingSlice.ts'

const useTraining = <T,>(sel: (s: TrainingState) => T): T => useSlice('training', sel)

export default function LiveTraining() {
  const s = useTraining((s) => s)
  const c = s.config
  const busy = s.status === 'running' || s.status === 'paused' || s.status === 'loading'
  const figure = useMemo(() => trainingFigure(s.history), [s.history])
  const num = (key: 'hidden' | 'epochs' | 'trainSize' | 'batchSize', label: string) => (
    <label>
      {label}{' '}
      <input
        type="number"
        className="num"
        data-testid={`train-${key}`}
        min={TRAIN_LIMITS[key][0]}
        max={TRAIN_LIMITS[key][1]}
        value={c[key]}
        disabled={busy}
        onChange={(e) => setTrainConfig({ [key]: Number(e.target.value) })}
      />
    </label>
  )
  const b = s.batch
  const fraction = trainingFraction(s)
  return (
    <section className="panel" aria-label="Train in the browser" data-testid="live-training">
      <h2>Train a small model in this tab</h2>
      <p className="muted">
        A small network reading MNIST digits (2,000 training and 500 test digits bundled with the app) trained with the defense of your choice in a worker: the ε-ball is the one the
        certificate uses (all frames perturbed during training, pixels clipped to [0, 1]); ε ramps up from 0 over the first half of the steps. After every epoch the three first test
        digits are certified with Cert-RNN (one frame at a time) on exactly the weights trained so far.
      </p>
      <div className="row train-form">
        <label>
          cell{' '}
          <select data-testid="train-cell" value={c.cell} disabled={busy} onChange={(e) => setTrainConfig({ cell: e.target.value as ModelCell })}>
            <option value="simpleRnn">vanilla RNN</option>
            <option value="lstm">LSTM</option>
            <option value="gru">GRU</option>
          </select>
        </label>
        {num('hidden', 'hidden units')}
        <label>
          frames{' '}
          <select data-testid="train-T" value={c.T} disabled={busy} onChange={(e) => setTrainConfig({ T: Number(e.target.value) })}>
            {TRAIN_FRAMES.map((t) => (
              <option key={t} value={t}>
                {t} × {784 / t} pixels
              </option>
            ))}
          </select>
        </label>
        <label>
          defense{' '}
          <select data-testid="train-defense" value={c.defense} disabled={busy} onChange={(e) => setTrainConfig({ defense: e.target.value as Defense })}>
            {DEFENSES.map((d) => (
              <option key={d} value={d}>
                {DEFENSE_LABELS[d]}
              </option>
            ))}
          </select>
        </label>
        <label>
          ε{' '}
          <input
            type="number"
            className="num"
            data-testid="train-eps"
            step="any"
            min={0}
            max={TRAIN_LIMITS.eps[1]}
            value={c.eps}
            disabled={busy || c.defense === 'none'}
            onChange={(e) => setTrainConfig({ eps: Number(e.target.value) })}
          />
        </label>
        {num('epochs', 'epochs')}
        {num('trainSize', 'training digits')}
        {num('batchSize', 'batch')}
      </div>
      <div className="actions">
        <button type="button" data-testid="train-start" disabled={busy} onClick={() => void startTraining()}>
          Train
        </button>
        {s.status === 'running' && (
          <button type="button" data-testid="train-pause" onClick={pauseTraining}>
            Pause
          </button>
        )}
        {s.status === 'paused' && (
          <button type="button" data-testid="train-resume" onClick={resumeTraining}>
            Resume
          </button>
        )}
        {(s.status === 'running' || s.status === 'paused') && (
          <>
            <button type="button" data-testid="train-finish" onClick={finishTraining} title="stop after this batch and keep the model">
              Finish now
            </button>
            <button type="button" className="cancel" data-testid="train-cancel" onClick={cancelTraining}>
              Cancel
            </button>
          </>
        )}
      </div>
      {s.status !== 'idle' && (
        <div className="progress" data-testid="train-progress" data-status={s.status}>
          <div className="bar">
            <div className="fill" style={{ width: `${Math.min(1, fraction) * 100}%` }} />
          </div>
          <p data-testid="train-progress-text">
            {s.status === 'loading' && 'loading the digits and TF.js…'}
            {(s.status === 'running' || s.status === 'paused') && b && `${s.status === 'paused' ? 'Paused at' : 'Training:'} epoch ${b.epoch} of ${c.epochs}, batch ${b.batch} of ${b.batches}; loss ${b.loss.toFixed(4)}; ε ${formatEps(b.eps)}, κ ${b.kappa.toFixed(2)}`}
            {(s.status === 'running' || s.status === 'paused') && !b && 'starting…'}
            {s.status === 'done' && s.model && `Done: ${s.model.stoppedBecause}, test accuracy ${(s.model.testAccuracy * 100).toFixed(1)} %, ${s.model.seconds.toFixed(1)} s`}
            {s.status === 'cancelled' && 'Cancelled: the model was discarded.'}
          </p>
          {s.error && (
            <p className="error" data-testid="train-error">
              {s.error}
            </p>
          )}
        </div>
      )}
      {s.history.length > 0 && (
        <>
          <table className="compare" data-testid="train-history">
            <thead>
              <tr>
                <th>epoch</th>
                <th>ε</th>
                <th>loss</th>
                <th>train acc.</th>
                <th>verified (training bounds)</th>
                <th>test acc.</th>
                {s.history[0].bounds.map((_, k) => (
                  <th key={k}>bound, test digit {k}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {s.history.map((h) => (
                <tr key={h.epoch}>
                  <td>{h.epoch}</td>
                  <td>{formatEps(h.eps)}</td>
                  <td>{h.loss.toFixed(4)}</td>
                  <td>{(h.trainAccuracy * 100).toFixed(1)} %</td>
                  <td>{h.verified === null ? '–' : `${(h.verified * 100).toFixed(1)} %`}</td>
                  <td data-testid={`train-test-acc-${h.epoch}`}>{(h.testAccuracy * 100).toFixed(1)} %</td>
                  {h.bounds.map((v, k) => (
                    <td key={k} data-testid={`train-bound-${h.epoch}-${k}`}>
                      {h.predicted[k] === h.labels[k] ? formatEps(v) : `wrong (${h.predicted[k]})`}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
          <LazyPlot figure={figure} testId="train-chart" height={340} />
        </>
      )}
      {s.status === 'done' && s.model && (
        <div className="actions">
          <button type="button" data-testid="train-certify" onClick={() => void certifyTrained()}>
            Certify this model
          </button>
          <button
            type="button"
            data-testid="train-download"
            onClick={() => {
              for (const f of trainedFiles(s.model!)) downloadBlob(f.name, f.blob)
            }}
          >
            Download (TF.js: model.json + weights.bin)
          </button>
          <span className="muted">{modelName(s.model.config)}</span>
        </div>
      )}
    </section>
  )
}
