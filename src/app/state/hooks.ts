import { useMemo } from 'react'
import { useStore } from 'zustand'
import { useShallow } from 'zustand/react/shallow'
import type { AppState } from './store.ts'
import { appStore, currentInput } from './store.ts'

export const useApp = <T,>(selector: (s: AppState) => T): T => useStore(appStore, selector)
export const useAppShallow = <T,>(selector: (s: AppState) => T): T => useStore(appStore, useShallow(selector))

/** The current sample, recomputed only when the model or the input changes. */
export function useCurrentInput() {
  const { model, digit, drawn, text } = useAppShallow((s) => ({ model: s.model, digit: s.digit, drawn: s.drawn, text: s.text }))
  return useMemo(() => currentInput({ model, digit, drawn, text }), [model, digit, drawn, text])
}
