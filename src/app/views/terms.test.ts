/** The words of the app: every method, margin check and search has plain words, without the jargon the issue lists. */
import { describe, expect, it } from 'vitest'
import { MARGIN_CHECKS, METHODS, SEARCHES } from '../../cert/index.ts'
import { JARGON } from '../testing/jargon.ts'
import { MARGIN_WORDS, methodName, methodWords, SEARCH_KINDS, SEARCH_WORDS } from './terms.ts'

describe('words', () => {
  it('every method, margin check and search in plain words', () => {
    for (const m of METHODS) {
      expect(methodName(m)).not.toBe(m)
      expect(methodWords(m)).not.toMatch(JARGON)
    }
    expect([...SEARCH_KINDS].sort()).toEqual([...SEARCHES].sort())
    for (const k of SEARCHES) expect(Object.values(SEARCH_WORDS[k]).join(' ')).not.toMatch(JARGON)
    for (const k of MARGIN_CHECKS) expect(Object.values(MARGIN_WORDS[k]).join(' ')).not.toMatch(JARGON)
  })
})
