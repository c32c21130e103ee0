/**
 * The shareable configuration, declared once and kept in the URL hash
 * (#model=lstm-4-64&digit=3&eps=0.01&threat=single&method=certrnn&margin=diff&search=fast&clip=1).
 * Each key is declared once, in URL_KEYS (as TensorFlow Playground's state.ts does).
 * Parsing never throws: a bad or missing value falls back to its default and is reported.
 */
import type { MarginCheck, Method, SearchKind, Threat } from '../../cert/index.ts'
import { MARGIN_CHECKS, METHODS, parseThreat, SEARCHES, threatLabel } from '../../cert/index.ts'
export type View = 'certify' | 'abstraction' | 'evaluate' | 'defenses' | 'playground' | 'walkthrough'
export const VIEWS: readonly View[] = ['certify', 'abstraction', 'evaluate', 'defenses', 'playground', 'walkthrough']

/** The hash's verdict on one value: the value to use, or why the one given cannot be used. */
type Read<T> = { value: T } | { problem: string }

/** One key of the shareable configuration: its default, how it is read from and written to the hash. */
export interface UrlKey<T> {
  default: T
  /** the value of `raw` (the hash's text for this key), or why it is unusable */
  parse: (raw: string) => Read<T>
  /** the hash's text for `value`, or null to leave the key out (`config`: the whole configuration) */
  print: (value: T, config: { view: string }) => string | null
}

const key = <T,>(k: UrlKey<T>) => k
const oneOf = <T extends string>(name: string, allowed: readonly T[], fallback: T) =>
  key<T>({
    default: fallback,
    parse: (v) => (allowed.includes(v as T) ? { value: v as T } : { problem: `${name}=${v} is not one of ${allowed.join(', ')}` }),
    print: (v) => v,
  })

export const EPS_MIN = 1e-5
export const EPS_MAX = 1

/**
 * Every key of the shareable configuration, in the hash's order, declared once: its type
 * (from the default), default, parse and print. `AppConfig` and `DEFAULT_CONFIG` follow.
 */
export const URL_KEYS = {
  view: key<View>({ ...oneOf('view', VIEWS, 'certify'), print: (v) => (v === 'certify' ? null : v) }),
  /** the walkthrough's step */
  step: key<number>({
    default: 0,
    parse: (v) => {
      const k = Number(v)
      return Number.isInteger(k) && k >= 0 && k < 100 ? { value: k } : { problem: `step=${v} is not a walkthrough step` }
    },
    print: (v, c) => (c.view === 'walkthrough' ? String(v) : null),
  }),
  /** zoo model id (uploaded models cannot be shared by link) */
  model: key<string | null>({
    default: null,
    parse: (v) => (/^[a-z0-9][a-z0-9._-]{0,63}$/i.test(v) ? { value: v } : { problem: `model=${v} is not a model id` }),
    print: (v) => v || null,
  }),
  /** MNIST: index of a bundled digit, or null for a drawn one */
  digit: key<number | null>({
    default: 0,
    parse: (v) => {
      const d = Number(v)
      if (v === 'drawn') return { value: null }
      return Number.isInteger(d) && d >= 0 ? { value: d } : { problem: `digit=${v} is not an example index` }
    },
    print: (v) => (v === null ? null : String(v)),
  }),
  /** text models: the sentence or URL */
  text: key<string | null>({ default: null, parse: (v) => ({ value: v.slice(0, 2000) }), print: (v) => v }),
  eps: key<number>({
    default: 0.01,
    parse: (v) => {
      const e = Number(v)
      return Number.isFinite(e) && e >= EPS_MIN && e <= EPS_MAX ? { value: e } : { problem: `eps=${v} is outside [${EPS_MIN}, ${EPS_MAX}]` }
    },
    print: String,
  }),
  threat: key<Threat>({
    default: { kind: 'single' },
    parse: (v) => {
      try {
        return { value: parseThreat(v) }
      } catch (e) {
        return { problem: (e as Error).message }
      }
    },
    print: threatLabel,
  }),
  method: oneOf<Method>('method', METHODS, 'certrnn'),
  margin: oneOf<MarginCheck>('margin', MARGIN_CHECKS, 'diff'),
  search: oneOf<SearchKind>('search', SEARCHES, 'fast'),
  /** clip the ball to the input domain when the model has one */
  clip: key<boolean>({
    default: true,
    parse: (v) => (v === '1' || v === '0' ? { value: v === '1' } : { problem: `clip=${v} is not 0 or 1` }),
    print: (v) => (v ? '1' : '0'),
  }),
}

type Keys = typeof URL_KEYS
export type AppConfig = { [K in keyof Keys]: Keys[K] extends UrlKey<infer T> ? T : never }
const entries = Object.entries(URL_KEYS) as Array<[keyof AppConfig, UrlKey<unknown>]>

export const DEFAULT_CONFIG: AppConfig = Object.fromEntries(entries.map(([k, d]) => [k, d.default])) as AppConfig

export function configToHash(c: AppConfig): string {
  const p = new URLSearchParams()
  for (const [k, d] of entries) {
    const v = d.print(c[k], c)
    if (v !== null) p.set(k, v)
  }
  return '#' + p.toString()
}

export interface ParsedHash {
  config: AppConfig
  /** values that were present but unusable, with what was used instead */
  problems: string[]
}

/** Parsing never throws: a bad value keeps its default and is reported. */
export function hashToConfig(hash: string): ParsedHash {
  const p = new URLSearchParams(hash.replace(/^#/, ''))
  const c: Record<string, unknown> = { ...DEFAULT_CONFIG }
  const problems: string[] = []
  for (const [k, d] of entries) {
    const raw = p.get(k)
    if (raw === null) continue
    const r = d.parse(raw)
    if ('value' in r) c[k] = r.value
    else problems.push(r.problem)
  }
  return { config: c as AppConfig, problems }
}
