/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
import type { BBox } from '../../../protocol/src/index.js'

export interface MapItem { bbox: BBox, label: string, href?: string }

/** Südwestfalen, for an empty map. */
const REGION: BBox = [7.4, 50.7, 8.8, 51.75]

/**
 * Dataset extents drawn as SVG rectangles in a plain lon/lat projection
 * (x scaled by cos(latitude)): no tile server, works offline.
 */
export function ExtentMap ({ items, width = 720 }: { items: MapItem[], width?: number }) {
  const all = items.length === 0 ? [REGION] : items.map(i => i.bbox)
  let [w, s, e, n] = [Math.min(...all.map(b => b[0])), Math.min(...all.map(b => b[1])), Math.max(...all.map(b => b[2])), Math.max(...all.map(b => b[3]))]
  const padX = Math.max((e - w) * 0.08, 0.02)
  const padY = Math.max((n - s) * 0.08, 0.02)
  w -= padX; e += padX; s -= padY; n += padY
  const k = Math.cos(((s + n) / 2) * Math.PI / 180)
  const scale = width / ((e - w) * k)
  const height = Math.round((n - s) * scale)
  const x = (lon: number): number => (lon - w) * k * scale
  const y = (lat: number): number => (n - lat) * scale
  return (
    <svg class='karte' viewBox={`0 0 ${width} ${height}`} role='img' aria-label='Karte der räumlichen Ausdehnung'>
      {items.map(i => {
        const rect = <rect x={x(i.bbox[0]).toFixed(1)} y={y(i.bbox[3]).toFixed(1)} width={Math.max(2, x(i.bbox[2]) - x(i.bbox[0])).toFixed(1)} height={Math.max(2, y(i.bbox[1]) - y(i.bbox[3])).toFixed(1)}><title>{i.label}</title></rect>
        return i.href === undefined ? rect : <a href={i.href}>{rect}</a>
      })}
      {items.slice(0, 40).map(i => <text x={(x(i.bbox[0]) + 3).toFixed(1)} y={(y(i.bbox[3]) + 12).toFixed(1)}>{i.label.slice(0, 30)}</text>)}
    </svg>
  )
}
