import type { StoreApi } from 'zustand'

/**
 * Resolves as soon as `predicate` holds for the store's state (checked now and on every
 * change): tests wait for an event ("the run has started") instead of sleeping.
 */
export function waitForState<S>(store: Pick<StoreApi<S>, 'getState' | 'subscribe'>, predicate: (s: S) => boolean): Promise<S> {
  return new Promise((resolve) => {
    if (predicate(store.getState())) return resolve(store.getState())
    const unsubscribe = store.subscribe((s) => {
      if (!predicate(s)) return
      unsubscribe()
      resolve(s)
    })
  })
}
