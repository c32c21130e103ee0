/**
 * Live training in the page: the configuration, the run's events (batches, epochs), the
 * trained model, and the actions (start, pause, resume, finish, cancel, certify, download).
 */
import { createStore } from 'zustand/vanilla'
import type { MnistSubsetMeta } from '../../train/mnistSubset.ts'
import { digitInput, readMnistSubset } from '../../train/mnistSubset.ts'
import { createBrowserTrainWorker, TrainClient, TrainingCancelled } from '../../worker/training/client.ts'
import type { TrainWorkerLike } from '../../worker/training/client.ts'
import type { EpochReport, TrainConfig, TrainedModel } from '../../worker/training/protocol.ts'
import { configProblem } from '../../worker/training/protocol.ts'
import { loadedFromUpload, readUpload } from '../model/upload.ts'
import { fetchOk } from '../model/zoo.ts'
import { setModel, setView } from '../state/store.ts'

export interface TrainingState {
  config: TrainConfig
  status: 'idle' | 'loading' | 'running' | 'paused' | 'done' | 'cancelled' | 'error'
  error: string | null
  batchesPerEpoch: number
  /** the latest batch report */
  batch: { epoch: number; batch: number; batches: number; loss: number; eps: number; kappa: number } | null
  history: EpochReport[]
  model: TrainedModel | null
  startedAt: number | null
}

export const DEFAULT_TRAIN_CONFIG: TrainConfig = { cell: 'simpleRnn', hidden: 16, T: 4, defense: 'ibp', eps: 0.01, epochs: 3, trainSize: 1000, batchSize: 32, learningRate: 0.005, seed: 1 }

export const trainingStore = createStore<TrainingState>()(() => ({
  config: DEFAULT_TRAIN_CONFIG,
  status: 'idle',
  error: null,
  batchesPerEpoch: 0,
  batch: null,
  history: [],
  model: null,
  startedAt: null,
}))
const set = trainingStore.setState
const get = trainingStore.getState

let factory: () => TrainWorkerLike = createBrowserTrainWorker
let client: TrainClient | null = null
let dataBase = `${import.meta.env?.BASE_URL ?? '/'}data/`
/** Injection for tests: the worker factory and where the MNIST subset comes from. */
export function setTrainingEnvironment(f: () => TrainWorkerLike, base?: string) {
  client?.dispose()
  client = null
  factory = f
  if (base !== undefined) dataBase = base
}

let subset: Promise<{ meta: MnistSubsetMeta; data: ArrayBuffer }> | null = null
function loadSubset() {
  subset ??= (async () => {
    const meta = (await (await fetchOk(`${dataBase}mnist-subset.json`)).json()) as MnistSubsetMeta
    const data = await (await fetchOk(`${dataBase}${(meta as MnistSubsetMeta & { file?: string }).file ?? 'mnist-subset.bin'}`)).arrayBuffer()
    readMnistSubset(meta, data) // checks the size
    return { meta, data }
  })()
  subset.catch(() => (subset = null))
  return subset
}

export const setTrainConfig = (c: Partial<TrainConfig>) => set({ config: { ...get().config, ...c } })

export async function startTraining(): Promise<void> {
  const s = get()
  if (s.status === 'running' || s.status === 'paused' || s.status === 'loading') return
  const problem = configProblem(s.config)
  if (problem) {
    set({ status: 'error', error: problem })
    return
  }
  const config = { ...s.config }
  set({ status: 'loading', error: null, history: [], batch: null, model: null, batchesPerEpoch: 0, startedAt: performance.now() })
  try {
    const { meta, data } = await loadSubset()
    client ??= new TrainClient(factory)
    set({ status: 'running' })
    const model = await client.train(config, meta, data, (e) => {
      if (e.type === 'started') set({ batchesPerEpoch: e.batchesPerEpoch })
      else if (e.type === 'batch') set({ batch: e })
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

export const pauseTraining = () => client?.pause()
export const resumeTraining = () => client?.resume()
export const finishTraining = () => client?.finish()
export const cancelTraining = () => client?.cancel()

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
