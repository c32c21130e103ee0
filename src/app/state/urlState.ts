/**
 * The shareable configuration, declared once and kept in the URL hash
 * (#model=lstm-4-64&digit=3&eps=0.01&threat=single&method=certrnn&margin=diff&search=fast&clip=1).
 * Parsing never throws: a bad or missing value falls back to its default and is reported.
 */
import type { MarginCheck, Method, SearchKind, Threat } from '../../cert/index.ts'
import { MARGIN_CHECKS, METHODS, parseThreat, SEARCHES, threatLabel } from '../../cert/index.ts'
export type View = 'certify' | 'abstraction' | 'evaluate' | 'defenses' | 'playground' | 'walkthrough'
export const VIEWS: readonly View[] = ['certify', 'abstraction', 'evaluate', 'defenses', 'playground', 'walkthrough']

export interface AppConfig {
  view: View
  /** the walkthrough's step */
  step: number
  /** zoo model id (uploaded models cannot be shared by link) */
  model: string | null
  /** MNIST: index of a bundled digit, or null for a drawn one */
  digit: number | null
  /** text models: the sentence or URL */
  text: string | null
  eps: number
  threat: Threat
  method: Method
  margin: MarginCheck
  search: SearchKind
  /** clip the ball to the input domain when the model has one */
  clip: boolean
}

export const DEFAULT_CONFIG: AppConfig = {
  view: 'certify',
  step: 0,
  model: null,
  digit: 0,
  text: null,
  eps: 0.01,
  threat: { kind: 'single' },
  method: 'certrnn',
  margin: 'diff',
  search: 'fast',
  clip: true,
}

export const EPS_MIN = 1e-5
export const EPS_MAX = 1

export function configToHash(c: AppConfig): string {
  const p = new URLSearchParams()
  if (c.view !== 'certify') p.set('view', c.view)
  if (c.view === 'walkthrough') p.set('step', String(c.step))
  if (c.model) p.set('model', c.model)
  if (c.digit !== null) p.set('digit', String(c.digit))
  if (c.text !== null) p.set('text', c.text)
  p.set('eps', String(c.eps))
  p.set('threat', threatLabel(c.threat))
  p.set('method', c.method)
  p.set('margin', c.margin)
  p.set('search', c.search)
  p.set('clip', c.clip ? '1' : '0')
  return '#' + p.toString()
}

export interface ParsedHash {
  config: AppConfig
  /** values that were present but unusable, with what was used instead */
  problems: string[]
}

export function hashToConfig(hash: string): ParsedHash {
  const p = new URLSearchParams(hash.replace(/^#/, ''))
  const c: AppConfig = { ...DEFAULT_CONFIG }
  const problems: string[] = []
  const pick = <T extends string>(key: string, allowed: readonly T[], set: (v: T) => void) => {
    const v = p.get(key)
    if (v === null) return
    if (allowed.includes(v as T)) set(v as T)
    else problems.push(`${key}=${v} is not one of ${allowed.join(', ')}`)
  }
  pick('view', VIEWS, (v) => (c.view = v))
  const step = p.get('step')
  if (step !== null) {
    const k = Number(step)
    if (Number.isInteger(k) && k >= 0 && k < 100) c.step = k
    else problems.push(`step=${step} is not a walkthrough step`)
  }
  const model = p.get('model')
  if (model !== null) {
    if (/^[a-z0-9][a-z0-9._-]{0,63}$/i.test(model)) c.model = model
    else problems.push(`model=${model} is not a model id`)
  }
  const digit = p.get('digit')
  if (digit !== null) {
    const d = Number(digit)
    if (digit === 'drawn') c.digit = null
    else if (Number.isInteger(d) && d >= 0) c.digit = d
    else problems.push(`digit=${digit} is not an example index`)
  }
  const text = p.get('text')
  if (text !== null) c.text = text.slice(0, 2000)
  const eps = p.get('eps')
  if (eps !== null) {
    const e = Number(eps)
    if (Number.isFinite(e) && e >= EPS_MIN && e <= EPS_MAX) c.eps = e
    else problems.push(`eps=${eps} is outside [${EPS_MIN}, ${EPS_MAX}]`)
  }
  const threat = p.get('threat')
  if (threat !== null) {
    try {
      c.threat = parseThreat(threat)
    } catch (e) {
      problems.push((e as Error).message)
    }
  }
  pick('method', METHODS, (v) => (c.method = v))
  pick('margin', MARGIN_CHECKS, (v) => (c.margin = v))
  pick('search', SEARCHES, (v) => (c.search = v))
  const clip = p.get('clip')
  if (clip !== null) {
    if (clip === '1' || clip === '0') c.clip = clip === '1'
    else problems.push(`clip=${clip} is not 0 or 1`)
  }
  return { config: c, problems }
}
