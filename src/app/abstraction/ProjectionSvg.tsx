import type { ReactNode } from 'react'
import { useId } from 'react'
import type { Scene } from './scene.ts'
import { METHOD_COLORS } from '../theme.ts'

/** A projection scene: per method the polygon and its interval box, the sampled cloud and the input. */
export function ProjectionSvg({ scene, labels, testId, children }: { scene: Scene; labels: [string, string]; testId: string; children?: ReactNode }) {
  const clip = `clip${useId().replace(/[^a-zA-Z0-9_-]/g, '')}`
  return (
    <svg className="projection" data-testid={testId} viewBox={`0 0 ${scene.width} ${scene.height}`} width={scene.width} height={scene.height} role="img" aria-label="2-D projection of the zonotope">
      <defs>
        <clipPath id={clip}>
          <rect x={scene.plot.x} y={scene.plot.y} width={scene.plot.width} height={scene.plot.height} />
        </clipPath>
      </defs>
      <rect className="plot-frame" x={scene.plot.x} y={scene.plot.y} width={scene.plot.width} height={scene.plot.height} />
      {scene.xTicks.map((t) => (
        <text key={`x${t.x}`} x={t.x} y={scene.height - 18} textAnchor="middle" className="tick">
          {t.label}
        </text>
      ))}
      {scene.yTicks.map((t) => (
        <text key={`y${t.y}`} x={50} y={t.y + 4} textAnchor="end" className="tick">
          {t.label}
        </text>
      ))}
      {children}
      {scene.layers.map((l) => (
        <g key={l.method} data-testid={`polygon-${l.method}`} clipPath={`url(#${clip})`}>
          <rect x={l.box.x} y={l.box.y} width={l.box.width} height={l.box.height} fill="none" stroke={METHOD_COLORS[l.method]} strokeDasharray="4 3" strokeOpacity={0.7} />
          <path d={l.path} fill={METHOD_COLORS[l.method]} fillOpacity={0.15} stroke={METHOD_COLORS[l.method]} strokeWidth={1.5} />
        </g>
      ))}
      <g data-testid="cloud">
        {scene.points.slice(1).map(([a, b], k) => (
          <circle key={k} cx={a} cy={b} r={1.4} className="sample" />
        ))}
      </g>
      <circle cx={scene.original[0]} cy={scene.original[1]} r={4.5} className="original" data-testid="original-point" />
      <text x={scene.width / 2} y={scene.height - 2} textAnchor="middle" className="axis">
        {labels[0]}
      </text>
      <text x={12} y={scene.height / 2} textAnchor="middle" className="axis" transform={`rotate(-90 12 ${scene.height / 2})`}>
        {labels[1]}
      </text>
    </svg>
  )
}
