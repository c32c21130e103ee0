/**
 * The app's one run model (the `activity` slice): every action that can take more than a
 * moment — certify, bound search, compare methods, attack, trace, evaluate a data set,
 * defenses comparison, live training — is submitted here with a label. One runs at a time;
 * an action submitted while another runs waits in a visible queue (never dropped), and can
 * be taken out of it. The running one reports its progress (fraction and a detail line),
 * the activity bar shows it with the time elapsed, an estimate of the time left and Cancel.
 * Cancelling aborts the run's signal; each run stops its own work on it.
 * A run submitted with a key (its action and the inputs and settings it will use) while a
 * run with the same key is going or waiting is the same run (a double click): it is not
 * queued again, and the caller gets the first one's id and completion.
 */
import type { StoreApi } from 'zustand/vanilla'

export interface ActivityInfo {
  id: number
  label: string
  /** 0…1, or null while it is not known yet */
  fraction: number | null
  detail: string
  startedAt: number
  cancelling: boolean
}

export interface ActivityState {
  current: ActivityInfo | null
  queue: Array<{ id: number; label: string }>
}

export interface ActivitySlice {
  activity: ActivityState
}

export const createActivitySlice = (): ActivitySlice => ({ activity: { current: null, queue: [] } })

/** What a run gets: its progress reporter and the signal that says it was cancelled. */
export interface RunControl {
  readonly id: number
  readonly signal: AbortSignal
  progress(fraction: number | null, detail?: string): void
}

export type RunWork = (ctl: RunControl) => Promise<void>

interface Pending {
  id: number
  label: string
  key: string | undefined
  work: RunWork
  done: () => void
  promise: Promise<void>
}

let store: StoreApi<ActivitySlice> | null = null
let nextId = 1
const queued: Pending[] = []
let running: { id: number; key: string | undefined; promise: Promise<void>; controller: AbortController } | null = null

/** The store holding the slice (store.ts binds it; kept apart so that this module has no cycle). */
export function bindActivityStore(s: StoreApi<ActivitySlice>) {
  store = s
}

const get = () => store!.getState().activity
const set = (patch: Partial<ActivityState>) => store!.setState((s) => ({ activity: { ...s.activity, ...patch } }))
const publishQueue = () => set({ queue: queued.map(({ id, label }) => ({ id, label })) })

/**
 * Run `work` now, or after the runs before it. Resolves when it has finished (or was
 * cancelled, or taken out of the queue); the work reports its own errors in its own slice.
 */
export function submitRun(label: string, work: RunWork, key?: string): Promise<void> {
  return enqueueRun(label, work, key).done
}

/**
 * `submitRun` that also gives the run's id (to cancel it, or take it out of the queue, later).
 * `key`: the same key as the run going or one waiting makes this the same run (not queued again).
 */
export function enqueueRun(label: string, work: RunWork, key?: string): { id: number; done: Promise<void> } {
  if (key !== undefined) {
    const same = running?.key === key ? running : queued.find((q) => q.key === key)
    if (same) return { id: same.id, done: same.promise }
  }
  const id = nextId++
  let resolve!: () => void
  const done = new Promise<void>((r) => (resolve = r))
  queued.push({ id, label, key, work, done: resolve, promise: done })
  publishQueue()
  pump()
  return { id, done }
}

function pump() {
  if (running || !queued.length) return
  const job = queued.shift()!
  publishQueue()
  const controller = new AbortController()
  running = { id: job.id, key: job.key, promise: job.promise, controller }
  set({ current: { id: job.id, label: job.label, fraction: null, detail: '', startedAt: performance.now(), cancelling: false } })
  const ctl: RunControl = {
    id: job.id,
    signal: controller.signal,
    progress: (fraction, detail) => {
      const cur = get().current
      if (cur?.id === job.id) set({ current: { ...cur, fraction: fraction === null ? null : Math.max(0, Math.min(1, fraction)), detail: detail ?? cur.detail } })
    },
  }
  const finish = () => {
    running = null
    set({ current: null })
    job.done()
    pump()
  }
  job.work(ctl).then(finish, finish)
}

/** Cancel the running action (`id` omitted or its id) or take a queued one out of the queue. */
export function cancelActivity(id?: number) {
  if (running && (id === undefined || id === running.id)) {
    const cur = get().current
    if (cur) set({ current: { ...cur, cancelling: true } })
    running.controller.abort()
    return
  }
  const k = queued.findIndex((q) => q.id === id)
  if (k < 0) return
  const [job] = queued.splice(k, 1)
  publishQueue()
  job.done()
}

/** Is a run going (or waiting)? Buttons say their action will be queued. */
export const busyWith = (s: ActivitySlice): string | null => s.activity.current?.label ?? null

/** The time left, from the time so far and the fraction done; null until it means something. */
export function timeLeft(elapsedMs: number, fraction: number | null): number | null {
  if (fraction === null || fraction < 0.02 || fraction >= 1 || elapsedMs < 500) return null
  return (elapsedMs / fraction) * (1 - fraction)
}
