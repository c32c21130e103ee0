import { useEffect, useMemo, useState } from 'react'
import { useStore } from 'zustand'
import { useShallow } from 'zustand/react/shallow'
import type { AppState, NestedSlice } from './store.ts'
import { appStore, currentInput } from './store.ts'

export const useApp = <T,>(selector: (s: AppState) => T): T => useStore(appStore, selector)
export const useAppShallow = <T,>(selector: (s: AppState) => T): T => useStore(appStore, useShallow(selector))
/** A selection from one nested slice (evaluation, defenses, training), compared shallowly. */
export const useSlice = <K extends NestedSlice, T>(key: K, selector: (s: AppState[K]) => T): T => useStore(appStore, useShallow((s: AppState) => selector(s[key])))

/** The current sample, recomputed only when the model or the input changes. */
export function useCurrentInput() {
  const { model, digit, drawn, text } = useAppShallow((s) => ({ model: s.model, digit: s.digit, drawn: s.drawn, text: s.text }))
  return useMemo(() => currentInput({ model, digit, drawn, text }), [model, digit, drawn, text])
}

/** The time now, re-read every half second while `active` (elapsed times and estimates). */
export function useNow(active: boolean): number {
  const [now, setNow] = useState(() => performance.now())
  useEffect(() => {
    if (!active) return
    const t = setInterval(() => setNow(performance.now()), 500)
    return () => clearInterval(t)
  }, [active])
  return now
}
