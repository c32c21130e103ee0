/**
 * Live training in the page: the configuration, the run's events (batches, epochs), the
 * trained model, and the actions (start, pause, resume, finish, cancel, certify, download).
 */
import type { MnistSubsetMeta } from '../../train/mnistSubset.ts'
import { digitInput, readMnistSubset } from '../../train/mnistSubset.ts'
import { TrainingCancelled } from '../../worker/training/client.ts'
import type { TrainConfig, TrainedModel } from '../../worker/training/protocol.ts'
import { configProblem } from '../../worker/training/protocol.ts'
import { loadedFromUpload, readUpload } from '../model/upload.ts'
import { fetchOk } from '../model/zoo.ts'
import type { RunControl } from '../state/activity.ts'
import { cancelActivity, enqueueRun } from '../state/activity.ts'
import { existingTrainClient, services, theTrainClient } from '../state/services.ts'
import { setModel, setView, slice } from '../state/store.ts'
import type { TrainingState } from './trainingSlice.ts'

const { get, set } = slice('training')

let subset: Promise<{ meta: MnistSubsetMeta; data: ArrayBuffer }> | null = null
function loadSubset() {
  subset ??= (async () => {
    const { dataBase } = services()
    const meta = (await (await fetchOk(`${dataBase}mnist-subset.json`)).json()) as MnistSubsetMeta
    const data = await (await fetchOk(`${dataBase}${(meta as MnistSubsetMeta & { file?: string }).file ?? 'mnist-subset.bin'}`)).arrayBuffer()
    readMnistSubset(meta, data) // checks the size
    return { meta, data }
  })()
  subset.catch(() => (subset = null))
  return subset
}

export const setTrainConfig = (c: Partial<TrainConfig>) => set({ config: { ...get().config, ...c } })

/** Training's place in the activity model (to cancel it there, running or queued). */
let activityId: number | null = null

/** 0…1 through the training's batches. */
export const trainingFraction = (s: Pick<TrainingState, 'batch' | 'batchesPerEpoch' | 'config'>) =>
  s.batch && s.batchesPerEpoch ? ((s.batch.epoch - 1) * s.batchesPerEpoch + s.batch.batch) / (s.config.epochs * s.batchesPerEpoch) : 0

/** Train a model in the page: submitted to the activity model (now, or after the run going on). */
export function startTraining(): Promise<void> {
  const s = get()
  if (s.status === 'running' || s.status === 'paused' || s.status === 'loading') return Promise.resolve()
  const problem = configProblem(s.config)
  if (problem) {
    set({ status: 'error', error: problem })
    return Promise.resolve()
  }
  const { id, done } = enqueueRun(`Train ${modelName(s.config)}`, trainingRun)
  activityId = id
  return done
}

async function trainingRun(ctl: RunControl): Promise<void> {
  const problem = configProblem(get().config)
  if (problem) {
    set({ status: 'error', error: problem })
    return
  }
  const config = { ...get().config }
  ctl.signal.addEventListener('abort', () => existingTrainClient()?.cancel())
  set({ status: 'loading', error: null, history: [], batch: null, model: null, batchesPerEpoch: 0, startedAt: performance.now() })
  try {
    const { meta, data } = await loadSubset()
    set({ status: 'running' })
    const model = await theTrainClient().train(config, meta, data, (e) => {
      if (e.type === 'started') set({ batchesPerEpoch: e.batchesPerEpoch })
      else if (e.type === 'batch') {
        set({ batch: e })
        ctl.progress(trainingFraction(get()), `epoch ${e.epoch} of ${config.epochs}, batch ${e.batch} of ${e.batches}`)
      }
      else if (e.type === 'epoch') set({ history: [...get().history, e.report] })
      else if (e.type === 'paused') set({ status: 'paused' })
      else if (e.type === 'resumed') set({ status: 'running' })
    })
    set({ status: 'done', model })
  } catch (e) {
    if (e instanceof TrainingCancelled) set({ status: 'cancelled' })
    else set({ status: 'error', error: (e as Error).message })
  }
}

export const pauseTraining = () => existingTrainClient()?.pause()
export const resumeTraining = () => existingTrainClient()?.resume()
export const finishTraining = () => existingTrainClient()?.finish()
export const cancelTraining = () => {
  if (activityId !== null) cancelActivity(activityId)
}

export const modelName = (c: TrainConfig) => `live-${c.cell === 'simpleRnn' ? 'rnn' : c.cell}-${c.T}-${c.hidden}-${c.defense}`

/** The trained model as an app model, with 20 test digits as its examples. */
export async function certifyTrained(): Promise<void> {
  const m = get().model
  if (!m) return
  const { meta, data } = await loadSubset()
  const sub = readMnistSubset(meta, data)
  const up = readUpload([
    { name: 'model.json', bytes: new TextEncoder().encode(JSON.stringify(m.modelJson)).buffer as ArrayBuffer },
    { name: 'weights.bin', bytes: m.weights },
  ])
  up.name = modelName(m.config)
  const examples = Array.from({ length: Math.min(20, sub.test.n) }, (_, i) => digitInput(sub.test, i, m.config.T))
  await setModel(loadedFromUpload(up, `${modelName(m.config)} (trained in this tab: ${m.history.length} epochs, test accuracy ${(m.testAccuracy * 100).toFixed(1)} % on ${sub.test.n} digits)`, examples))
  setView('certify')
}

/** The files to download: model.json and weights.bin (TF.js Layers format). */
export function trainedFiles(m: TrainedModel): Array<{ name: string; blob: Blob }> {
  return [
    { name: 'model.json', blob: new Blob([JSON.stringify(m.modelJson)], { type: 'application/json' }) },
    { name: 'weights.bin', blob: new Blob([m.weights], { type: 'application/octet-stream' }) },
  ]
}
