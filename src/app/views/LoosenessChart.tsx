/**
 * Where the looseness comes from, drawn: per method a bar from the input's own margin (ring)
 * down to its certified margin (dot), in pieces by where they come from (the input's own
 * part, then each step's lines), 0 as a line; below, a table of each part's size and share
 * per method.
 */
import type { Method } from '../../cert/index.ts'
import { METHOD_COLORS } from '../theme.ts'
import type { LooseBars } from './looseness.ts'
import { methodName } from './terms.ts'

export interface LooseRow {
  method: Method
  bars: LooseBars
}

const fmt = (v: number) => (Math.abs(v) >= 0.01 || v === 0 ? v.toFixed(3) : v.toExponential(1))

export function LoosenessChart({ rows, testId = 'loose', table = true }: { rows: LooseRow[]; testId?: string; table?: boolean }) {
  const values = rows.flatMap((r) => [r.bars.concrete, r.bars.margin])
  // 0 is drawn when some margin reaches it (else the bars of a small ε would be specks)
  const withZero = values.some((v) => v <= 0)
  const lo = Math.min(...values, ...(withZero ? [0] : []))
  const hi = Math.max(...values)
  const w = 460
  const left = 80
  const rowH = 30
  const h = rowH * rows.length + 28
  const x = (v: number) => left + ((v - lo) / (hi - lo || 1)) * (w - left - 16)
  // the parts' words in the order they first appear (the input first)
  const words: string[] = []
  for (const r of rows) for (const p of r.bars.parts) if (!words.includes(p.words)) words.push(p.words)
  const colorOf = (word: string) => rows.flatMap((r) => r.bars.parts).find((p) => p.words === word)?.color
  return (
    <figure className="looseness" data-testid={testId}>
      <svg width={w} height={h} viewBox={`0 0 ${w} ${h}`} className="margin-chart" role="img" aria-label="the gap between the input's margin and the certified margin, split by where it comes from, per method">
        {withZero && (
          <>
            <line x1={x(0)} x2={x(0)} y1={0} y2={h - 20} className="zero" />
            <text x={x(0)} y={h - 6} textAnchor="middle">
              0
            </text>
          </>
        )}
        <text x={x(lo)} y={h - 6} textAnchor="start">
          {withZero ? '' : fmt(lo)}
        </text>
        <text x={x(hi)} y={h - 6} textAnchor="end">
          {fmt(hi)}
        </text>
        {rows.map((r, k) => {
          const y = 8 + rowH * k
          let at = r.bars.concrete
          return (
            <g key={r.method} data-testid={`${testId}-row-${r.method}`}>
              <text x={left - 6} y={y + 13} textAnchor="end" fill={METHOD_COLORS[r.method]}>
                {methodName(r.method)}
              </text>
              {r.bars.parts.map((p, j) => {
                // the parts that widened the range or moved its middle down, leftwards from the ring
                if (p.loss < 0) return null
                const from = at
                at -= p.loss
                return (
                  <rect key={p.key} x={x(at)} width={Math.max(0.5, x(from) - x(at))} y={y + 2} height={16} fill={p.color} stroke="var(--bg)" strokeWidth={0.5} data-testid={`${testId}-seg-${r.method}-${j}`}>
                    <title>
                      {p.words}: {fmt(p.loss)} ({Math.round(p.share * 100)}%)
                    </title>
                  </rect>
                )
              })}
              {r.bars.parts.map((p, j) => {
                // a part that moved the middle up gives some back: a thin piece below, rightwards to the dot
                if (p.loss >= 0) return null
                const from = at
                at -= p.loss
                return (
                  <rect key={p.key} x={x(from)} width={Math.max(0.5, x(at) - x(from))} y={y + 19} height={4} fill={p.color} data-testid={`${testId}-seg-${r.method}-${j}`}>
                    <title>
                      {p.words}: {fmt(p.loss)} (moved the middle up)
                    </title>
                  </rect>
                )
              })}
              <circle cx={x(r.bars.concrete)} cy={y + 10} r={4} fill="none" stroke="currentColor" />
              <circle cx={x(r.bars.margin)} cy={y + 10} r={3.5} fill={METHOD_COLORS[r.method]} />
            </g>
          )
        })}
      </svg>
      <figcaption className="muted">
        Ring: the input&apos;s own margin. Each bar runs from it down to the method&apos;s certified margin (dot), in pieces by where they come from: how much each widened the range, plus how
        far it moved the middle of the range (a thin piece below gives back what a part moved the middle up). The dashed line is 0, when it is in view.
      </figcaption>
      {table && (
      <table className="loose-table" data-testid={`${testId}-table`}>
        <thead>
          <tr>
            <th scope="col">where from</th>
            {rows.map((r) => (
              <th key={r.method} scope="col" style={{ color: METHOD_COLORS[r.method] }}>
                {methodName(r.method)}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {words.map((word) => (
            <tr key={word}>
              <th scope="row">
                <span style={{ color: colorOf(word) }}>■</span> {word}
              </th>
              {rows.map((r) => {
                const p = r.bars.parts.find((q) => q.words === word)
                return <td key={r.method}>{p ? `${fmt(p.loss)} (${Math.round(p.share * 100)}%)` : '—'}</td>
              })}
            </tr>
          ))}
          <tr>
            <th scope="row">certified margin</th>
            {rows.map((r) => (
              <td key={r.method}>{fmt(r.bars.margin)}</td>
            ))}
          </tr>
        </tbody>
      </table>
      )}
    </figure>
  )
}
