import { describe, expect, it } from 'vitest'
import type { AppConfig } from './urlState.ts'
import { configToHash, DEFAULT_CONFIG, hashToConfig, URL_KEYS } from './urlState.ts'

describe('URL hash state', () => {
  it('round-trips every field', () => {
    const c = { ...DEFAULT_CONFIG, model: 'lstm-4-64', digit: 7, text: 'you are a genius & a saint', eps: 0.0123, threat: { kind: 'frames' as const, frames: [0, 3] }, method: 'deepz' as const, margin: 'paper' as const, search: 'paper' as const, clip: false }
    const back = hashToConfig(configToHash(c))
    expect(back.problems).toEqual([])
    expect(back.config).toEqual(c)
  })
  it('falls back to defaults for bad values and says which', () => {
    const { config, problems } = hashToConfig('#model=../../etc&eps=-3&threat=frames=x&method=popqorn&clip=maybe&digit=-1&search=slow&margin=x')
    expect(config).toEqual({ ...DEFAULT_CONFIG })
    expect(problems).toHaveLength(8)
    expect(problems.join('\n')).toMatch(/eps=-3 is outside/)
    expect(problems.join('\n')).toMatch(/method=popqorn is not one of certrnn, deepz, interval/)
  })
  it('carries the view and the walkthrough step', () => {
    const back = hashToConfig(configToHash({ ...DEFAULT_CONFIG, view: 'walkthrough', step: 5 }))
    expect(back.config).toMatchObject({ view: 'walkthrough', step: 5 })
    expect(hashToConfig('#view=nowhere&step=x').problems).toHaveLength(2)
  })
  it('an empty hash is the default configuration', () => {
    expect(hashToConfig('')).toEqual({ config: DEFAULT_CONFIG, problems: [] })
  })
  it('keeps the hash format of existing links', () => {
    const link = '#view=walkthrough&step=3&model=lstm-4-64&digit=2&eps=0.02&threat=frames%3D0%2C3&method=deepz&margin=paper&search=paper&clip=0'
    const { config, problems } = hashToConfig(link)
    expect(problems).toEqual([])
    expect(configToHash(config)).toBe(link)
    expect(configToHash(DEFAULT_CONFIG)).toBe('#digit=0&eps=0.01&threat=single&method=certrnn&margin=diff&search=fast&clip=1')
  })
})

describe('the URL key table', () => {
  /** a value other than the default for every key */
  const other: AppConfig = { view: 'walkthrough', step: 7, model: 'gru-7-32', digit: 4, text: 'a b & c = d', eps: 0.25, threat: { kind: 'all' }, method: 'interval', margin: 'paper', search: 'paper', clip: false }
  /** a value the key refuses (text takes any string) */
  const bad: Partial<Record<keyof AppConfig, string>> = { view: 'x', step: '-1', model: '../x', digit: '1.5', eps: '2', threat: 'some', method: 'x', margin: 'x', search: 'x', clip: 'yes' }
  const keys = Object.keys(URL_KEYS) as Array<keyof AppConfig>

  it('declares every configuration key, with the default configuration as defaults', () => {
    expect(keys).toEqual(Object.keys(DEFAULT_CONFIG))
    for (const k of keys) expect(URL_KEYS[k].default).toEqual(DEFAULT_CONFIG[k])
  })

  it.each(keys)('%s round-trips through the hash on its own', (k) => {
    expect(other[k]).not.toEqual(DEFAULT_CONFIG[k])
    // the step is kept only in the walkthrough
    const c = { ...DEFAULT_CONFIG, [k]: other[k], ...(k === 'step' ? { view: 'walkthrough' as const } : {}) }
    const back = hashToConfig(configToHash(c))
    expect(back.problems).toEqual([])
    expect(back.config).toEqual(c)
  })

  it.each(keys.filter((k) => bad[k] !== undefined))('a bad %s falls back to its default with a problem', (k) => {
    const { config, problems } = hashToConfig(`#${k}=${encodeURIComponent(bad[k]!)}`)
    expect(config).toEqual(DEFAULT_CONFIG)
    expect(problems).toHaveLength(1)
    expect(problems[0]).toMatch(k === 'threat' ? /threat|some/ : new RegExp(`^${k}=`))
  })
})
