import { describe, expect, it } from 'vitest'
import { parseCsv, parseCsvRows, toCsv } from './csv.ts'

describe('CSV (d3-dsv)', () => {
  it('writes a header from the first row, quotes commas, quotes and newlines, keeps the column order', () => {
    expect(toCsv([{ a: 'x,y', b: 'say "hi"', c: 1 }, { a: null, b: 2, c: undefined }])).toBe('a,b,c\n"x,y","say ""hi""",1\n,2,\n')
    expect(toCsv([{ t: 'two\nlines' }])).toBe('t\n"two\nlines"\n')
    expect(toCsv([])).toBe('')
  })

  it('reads back what it writes, and a byte-order mark does not enter the first column name', () => {
    const rows = [{ text: 'a, "quoted" one', label: '1' }, { text: 'line\nbreak', label: '0' }]
    expect(parseCsv(toCsv(rows))).toEqual(rows)
    expect(parseCsv('\uFEFFtext,label\nhi,1\n')).toEqual([{ text: 'hi', label: '1' }])
  })

  it('reads raw rows, quoted newlines and short rows included', () => {
    expect(parseCsvRows('a,b\n"x\ny",2\nshort\n')).toEqual([['a', 'b'], ['x\ny', '2'], ['short']])
  })
})
