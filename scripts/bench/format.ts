/** Formatting helpers for the benchmark's tables (the statistics are src/cert/index.ts's). */

export function fmtBound(x: number): string {
  if (!Number.isFinite(x)) return '–'
  if (x === 0) return '0'
  return x < 1e-3 ? x.toExponential(2) : x.toFixed(5)
}

/** Milliseconds, no unit. */
export function fmtMs(x: number): string {
  if (!Number.isFinite(x)) return '–'
  if (x >= 100) return x.toFixed(0)
  if (x >= 10) return x.toFixed(1)
  return x.toFixed(2)
}

/** A duration with its unit: ms below 10 s, else s. */
export function fmtDur(ms: number): string {
  if (!Number.isFinite(ms)) return '–'
  return ms >= 1e4 ? `${(ms / 1000).toFixed(1)} s` : `${fmtMs(ms)} ms`
}

export function fmtRatio(x: number): string {
  if (x === Infinity) return '∞'
  return Number.isFinite(x) ? x.toFixed(2) : '–'
}

/** A plain-text table with right-aligned numeric columns. */
export function textTable(head: string[], rows: string[][], leftCols = 1): string {
  const w = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)))
  const line = (r: string[]) => r.map((v, c) => (c < leftCols ? v.padEnd(w[c]) : v.padStart(w[c]))).join('  ')
  return [line(head), w.map((n) => '-'.repeat(n)).join('  '), ...rows.map(line)].join('\n')
}

export function mdTable(head: string[], rows: string[][], leftCols = 1): string {
  const align = head.map((_, c) => (c < leftCols ? ':--' : '--:'))
  const esc = (v: string) => v.replace(/\|/g, '\\|')
  return [head, align, ...rows].map((r) => `| ${r.map(esc).join(' | ')} |`).join('\n')
}
