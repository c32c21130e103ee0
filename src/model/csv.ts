/**
 * CSV, read and written with d3-dsv (RFC 4180 quoting) for every table the project exports
 * or reads: the evaluation's exports (CLI and app), the reproduction tables, the training
 * data.
 */
import { csvFormat, csvParse, csvParseRows } from 'd3-dsv'

/** CSV with a header row from the first object's keys (in their order); null and undefined are empty fields. */
export function toCsv(rows: ReadonlyArray<Record<string, unknown>>): string {
  if (!rows.length) return ''
  return csvFormat(rows as Array<Record<string, unknown>>, Object.keys(rows[0])) + '\n'
}

/** CSV with a header row → one object per row, keyed by the header (values as text). */
export function parseCsv(text: string): Array<Record<string, string>> {
  return csvParse(text.replace(/^\uFEFF/, '')).map((r) => ({ ...r }) as Record<string, string>)
}

/** CSV → rows of fields, as they are (no header handling; rows may differ in length). */
export function parseCsvRows(text: string): string[][] {
  return csvParseRows(text.replace(/^\uFEFF/, ''))
}
