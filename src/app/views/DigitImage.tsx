import { useEffect, useRef } from 'react'

interface Props {
  /** 784 values in [0, 1], row-major */
  pixels: number[]
  size: number
  /** draw frame bands (T frames of 784/T pixels, i.e. 28/T rows each) */
  frames?: number
  chosen?: number[]
  /** per-frame colours (sensitivity) */
  bandColors?: string[]
  bandLabels?: string[]
  onFrame?: (t: number) => void
}

/** A 28×28 image on a canvas, with optional clickable, colourable frame bands over it. */
export function DigitImage({ pixels, size, frames, chosen = [], bandColors, bandLabels, onFrame }: Props) {
  const ref = useRef<HTMLCanvasElement>(null)
  useEffect(() => {
    const ctx = ref.current?.getContext('2d')
    if (!ctx) return
    const img = ctx.createImageData(28, 28)
    for (let k = 0; k < 784; k++) {
      const g = Math.round(Math.max(0, Math.min(1, pixels[k] ?? 0)) * 255)
      img.data.set([g, g, g, 255], k * 4)
    }
    ctx.putImageData(img, 0, 0)
  }, [pixels])
  const rowsPerFrame = frames ? 28 / frames : 0
  return (
    <div className="digit" style={{ width: size, height: size }}>
      <canvas ref={ref} width={28} height={28} style={{ width: size, height: size, imageRendering: 'pixelated' }} />
      {frames && frames > 1 && (
        <svg className="bands" width={size} height={size} viewBox="0 0 28 28" preserveAspectRatio="none">
          {Array.from({ length: frames }, (_, t) => (
            <rect
              key={t}
              data-testid={`frame-band-${t}`}
              x={0}
              y={t * rowsPerFrame}
              width={28}
              height={rowsPerFrame}
              className={`band${chosen.includes(t) ? ' chosen' : ''}${onFrame ? ' clickable' : ''}`}
              style={bandColors ? { fill: bandColors[t], fillOpacity: 0.45 } : undefined}
              onClick={onFrame ? () => onFrame(t) : undefined}
            >
              <title>{bandLabels?.[t] ?? `frame ${t}`}</title>
            </rect>
          ))}
        </svg>
      )}
    </div>
  )
}
