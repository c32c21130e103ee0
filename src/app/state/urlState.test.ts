import { describe, expect, it } from 'vitest'
import { configToHash, DEFAULT_CONFIG, hashToConfig } from './urlState.ts'

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
})
