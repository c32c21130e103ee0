/**
 * The playground's box fields: typed text to a box, or every problem with it. Pure.
 */
import type { PlaneBox, TransformerKind } from '../../cert/index.ts'
import { boxProblem, isUnary } from './planeData.ts'

export type BoxField = keyof PlaneBox
export type BoxText = Record<BoxField, string>

export const DEFAULT_BOX: PlaneBox = { lx: -1, ux: 1.5, ly: -0.5, uy: 2 }

export const BOX_PRESETS: ReadonlyArray<{ name: string; box: PlaneBox }> = [
  { name: 'straddling 0', box: DEFAULT_BOX },
  { name: 'symmetric [−1, 1]²', box: { lx: -1, ux: 1, ly: -1, uy: 1 } },
  { name: 'saturated', box: { lx: 2, ux: 5, ly: 1.5, uy: 4 } },
  { name: 'wide', box: { lx: -4, ux: 4, ly: -3, uy: 3 } },
  { name: 'thin', box: { lx: 0.5, ux: 0.8, ly: -2, uy: 2 } },
]

export const boxText = (b: PlaneBox): BoxText => ({ lx: String(b.lx), ux: String(b.ux), ly: String(b.ly), uy: String(b.uy) })

/** The fields a kind uses (unary kinds have no y). */
export const boxFields = (kind: TransformerKind): BoxField[] => (isUnary(kind) ? ['lx', 'ux'] : ['lx', 'ux', 'ly', 'uy'])

/** A typed number, or why it is not one. */
export function parseNumber(name: string, text: string): { value: number } | { error: string } {
  const s = text.trim()
  if (s === '') return { error: `${name} is empty: type a number` }
  const v = Number(s)
  if (Number.isNaN(v)) return { error: `${name}: “${s}” is not a number` }
  if (!Number.isFinite(v)) return { error: `${name} must be finite` }
  return { value: v }
}

/** The box the fields describe for this kind (y = 0 for unary kinds), or every problem. */
export function parseBox(kind: TransformerKind, text: BoxText): { box: PlaneBox; errors: [] } | { box: null; errors: string[] } {
  const box: PlaneBox = { lx: 0, ux: 0, ly: 0, uy: 0 }
  const errors: string[] = []
  for (const f of boxFields(kind)) {
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

const OTHER_END: Record<BoxField, BoxField> = { lx: 'ux', ux: 'lx', ly: 'uy', uy: 'ly' }

/** A slider's value for a field, kept on its side of the interval's other end. */
export function slideValue(field: BoxField, value: number, text: BoxText): number {
  const r = parseNumber(field, text[OTHER_END[field]])
  if ('error' in r) return value
  return field.startsWith('l') ? Math.min(value, r.value) : Math.max(value, r.value)
}
