/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
import type { BBox } from '@swf/protocol'
import { GERMANY_BBOX, KOMMUNEN, KREISE, type Kommune } from '../spatial/suedwestfalen.js'

export interface MapItem {
  bbox: BBox
  label: string
  href?: string
}

/** Südwestfalen: the view of a map whose extents all lie in the region. */
const REGION: BBox = [7.4, 50.7, 8.95, 51.75]
/** Extents overlapping at least this much (intersection over union) are drawn as one cluster. */
const CLUSTER_OVERLAP = 0.5
const LABEL_PX = { char: 6.2, height: 13 }

type Point = [number, number]

/** Convex hull (Andrew's monotone chain), counter-clockwise. */
function hull(points: Point[]): Point[] {
  const p = [...points].sort((a, b) => a[0] - b[0] || a[1] - b[1])
  const cross = (o: Point, a: Point, b: Point): number => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])
  const half = (pts: Point[]): Point[] => {
    const out: Point[] = []
    for (const q of pts) {
      while (out.length >= 2 && cross(out[out.length - 2]!, out[out.length - 1]!, q) <= 0) out.pop()
      out.push(q)
    }
    return out.slice(0, -1)
  }
  return [...half(p), ...half(p.reverse())]
}

/** A Kreis drawn as the hull of its towns, pushed out by `pad` degrees: an outline for orientation, not a boundary. */
function kreisOutline(towns: Kommune[], pad = 0.06): Point[] {
  const pts = hull(towns.map(t => [t.lon, t.lat]))
  const cx = pts.reduce((s, q) => s + q[0], 0) / pts.length
  const cy = pts.reduce((s, q) => s + q[1], 0) / pts.length
  return pts.map(([x, y]) => {
    const d = Math.hypot(x - cx, y - cy) || 1
    return [x + ((x - cx) / d) * pad, y + ((y - cy) / d) * pad]
  })
}

const OUTLINES = KREISE.map(k => {
  const towns = KOMMUNEN.filter(t => t.ags.startsWith(k.prefix))
  return {
    name: k.name,
    outline: kreisOutline(towns),
    centre: [towns.reduce((s, t) => s + t.lon, 0) / towns.length, towns.reduce((s, t) => s + t.lat, 0) / towns.length] as Point
  }
})

const area = (b: BBox): number => Math.max(0, b[2] - b[0]) * Math.max(0, b[3] - b[1])
function overlap(a: BBox, b: BBox): number {
  const i: BBox = [Math.max(a[0], b[0]), Math.max(a[1], b[1]), Math.min(a[2], b[2]), Math.min(a[3], b[3])]
  if (i[2] < i[0] || i[3] < i[1]) return 0
  const inter = area(i)
  const union = area(a) + area(b) - inter
  // Points and lines (no area) overlap when they coincide.
  return union === 0 ? (a.every((v, k) => Math.abs(v - b[k]!) < 1e-6) ? 1 : 0) : inter / union
}

/**
 * A plain lon/lat projection of a box, padded by a fraction of its size (at
 * least `minPad` degrees), x scaled by cos(latitude), `width` pixels wide.
 */
function projection(box: BBox, width: number, padFraction: number, minPad: number) {
  let [w, s, e, n] = box
  const padX = Math.max((e - w) * padFraction, minPad)
  const padY = Math.max((n - s) * padFraction, minPad)
  w -= padX
  e += padX
  s -= padY
  n += padY
  const k = Math.cos((((s + n) / 2) * Math.PI) / 180)
  const scale = width / ((e - w) * k)
  return {
    scale,
    height: Math.round((n - s) * scale),
    x: (lon: number): number => (lon - w) * k * scale,
    y: (lat: number): number => (n - lat) * scale
  }
}

export interface Cluster {
  bbox: BBox
  items: MapItem[]
}

/** Groups extents that mostly cover the same area (50 datasets of one town are one box, not 50). */
export function clusterExtents(items: MapItem[]): Cluster[] {
  const clusters: Cluster[] = []
  for (const item of items) {
    const c = clusters.find(k => overlap(k.bbox, item.bbox) >= CLUSTER_OVERLAP)
    if (c === undefined) clusters.push({ bbox: item.bbox, items: [item] })
    else c.items.push(item)
  }
  return clusters
}

/**
 * Dataset extents over Südwestfalen's Kreise and Kommunen, drawn as SVG in a
 * plain lon/lat projection (x scaled by cos(latitude)): no tile server, works
 * offline. Overlapping extents are one cluster (linked to a catalog search of
 * its area); labels that would overlap are left out (the box keeps a tooltip).
 */
export function ExtentMap({ items, width = 720 }: { items: MapItem[]; width?: number }) {
  const clusters = clusterExtents(items)
  const boxes = [REGION, ...items.map(i => i.bbox)]
  // The view: the region and every extent, but never beyond Germany.
  const { x, y, scale, height } = projection(
    [
      Math.max(GERMANY_BBOX[0], Math.min(...boxes.map(b => b[0]))),
      Math.max(GERMANY_BBOX[1], Math.min(...boxes.map(b => b[1]))),
      Math.min(GERMANY_BBOX[2], Math.max(...boxes.map(b => b[2]))),
      Math.min(GERMANY_BBOX[3], Math.max(...boxes.map(b => b[3])))
    ],
    width,
    0.04,
    0.02
  )
  const townLabels = scale > 250 // names only when the region is large enough to read them

  const placed: Array<[number, number, number, number]> = []
  const free = (x0: number, y0: number, x1: number, y1: number): boolean => {
    if (placed.some(([a, b, c, d]) => x0 < c && x1 > a && y0 < d && y1 > b)) return false
    placed.push([x0, y0, x1, y1])
    return true
  }
  const label = (c: Cluster): string => (c.items.length === 1 ? c.items[0]!.label.slice(0, 40) : `${c.items.length} Datensätze`)
  const href = (c: Cluster): string | undefined => (c.items.length === 1 ? c.items[0]!.href : `/?bbox=${c.bbox.join(',')}`)
  // Dataset labels first, then town names where they still fit: nothing is written over anything.
  const clusterLabels = clusters.map(c => {
    const text = label(c)
    const lx = x(c.bbox[0]) + 3
    const ly = y(c.bbox[3]) + 12
    return free(lx, ly - LABEL_PX.height + 2, lx + text.length * LABEL_PX.char, ly + 2) ? (
      <text x={lx.toFixed(1)} y={ly.toFixed(1)}>
        {text}
      </text>
    ) : null
  })
  const townNames = townLabels
    ? KOMMUNEN.map(t => {
        const tx = x(t.lon) + 3
        const ty = y(t.lat) - 3
        return free(tx, ty - 9, tx + t.name.length * 5, ty + 1) ? (
          <text x={tx.toFixed(1)} y={ty.toFixed(1)}>
            {t.name}
          </text>
        ) : null
      })
    : []

  return (
    <svg
      class="karte"
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      aria-label="Karte: Kreise und Kommunen Südwestfalens mit der räumlichen Ausdehnung der Datensätze"
    >
      <g class="kreise">
        {OUTLINES.map(o => (
          <polygon points={o.outline.map(([lon, lat]) => `${x(lon).toFixed(1)},${y(lat).toFixed(1)}`).join(' ')}>
            <title>{o.name}</title>
          </polygon>
        ))}
      </g>
      <g class="kommunen">
        {KOMMUNEN.map(t => (
          <circle cx={x(t.lon).toFixed(1)} cy={y(t.lat).toFixed(1)} r="2">
            <title>
              {t.name} ({t.ags})
            </title>
          </circle>
        ))}
        {townNames}
      </g>
      <g class="ausdehnung">
        {clusters.map(c => {
          const rect = (
            <rect
              class={c.items.length > 1 ? 'gruppe' : undefined}
              x={x(c.bbox[0]).toFixed(1)}
              y={y(c.bbox[3]).toFixed(1)}
              width={Math.max(4, x(c.bbox[2]) - x(c.bbox[0])).toFixed(1)}
              height={Math.max(4, y(c.bbox[1]) - y(c.bbox[3])).toFixed(1)}
            >
              <title>{c.items.map(i => i.label).join('\n')}</title>
            </rect>
          )
          const link = href(c)
          return link === undefined ? rect : <a href={link}>{rect}</a>
        })}
      </g>
      <g class="beschriftung">{clusterLabels}</g>
    </svg>
  )
}

interface Geometry {
  type: string
  coordinates?: unknown
  geometries?: unknown
}

/** Every position list of a geometry, by how it is drawn. */
function shapesOf(
  g: Geometry | null,
  out: { points: Point[]; lines: Point[][]; areas: Point[][][] } = { points: [], lines: [], areas: [] }
) {
  if (g === null) return out
  const c = g.coordinates as never
  if (g.type === 'Point') out.points.push(c)
  else if (g.type === 'MultiPoint') out.points.push(...(c as Point[]))
  else if (g.type === 'LineString') out.lines.push(c)
  else if (g.type === 'MultiLineString') out.lines.push(...(c as Point[][]))
  else if (g.type === 'Polygon') out.areas.push(c)
  else if (g.type === 'MultiPolygon') out.areas.push(...(c as Point[][][]))
  else if (g.type === 'GeometryCollection' && Array.isArray(g.geometries))
    for (const inner of g.geometries as Geometry[]) shapesOf(inner, out)
  return out
}

export interface MapFeature {
  geometry: Geometry | null
  /** A feature's tooltip: its first properties. */
  label: string
}

/**
 * A file's features drawn as SVG over the outline of the Kommune's Kreis and
 * the Kommune itself (lon/lat, x scaled by cos(latitude)): no tile server,
 * no script, works offline.
 */
export function FeatureMap({ features, ags, width = 720 }: { features: MapFeature[]; ags?: string; width?: number }) {
  const town = KOMMUNEN.find(k => k.ags === ags)
  const kreis = town === undefined ? undefined : OUTLINES.find(o => KREISE.find(k => k.name === o.name)?.prefix === town.ags.slice(0, 5))
  const shapes = features.map(f => ({ label: f.label, ...shapesOf(f.geometry) }))
  const all: Point[] = shapes
    .flatMap(s => [...s.points, ...s.lines.flat(), ...s.areas.flat(2)])
    .filter(p => Number.isFinite(p[0]) && Number.isFinite(p[1]))
  if (town !== undefined) all.push([town.lon, town.lat])
  if (all.length === 0) return null
  const view = projection(
    [Math.min(...all.map(p => p[0])), Math.min(...all.map(p => p[1])), Math.max(...all.map(p => p[0])), Math.max(...all.map(p => p[1]))],
    width,
    0.06,
    0.005
  )
  const height = Math.max(120, Math.min(900, view.height))
  const x = (lon: number): string => view.x(lon).toFixed(1)
  const y = (lat: number): string => view.y(lat).toFixed(1)
  const pts = (line: Point[]): string => line.map(([lon, lat]) => `${x(lon)},${y(lat)}`).join(' ')
  const ring = (r: Point[]): string => `M${r.map(([lon, lat]) => `${x(lon)},${y(lat)}`).join('L')}Z`
  return (
    <svg
      class="karte features"
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      aria-label={`Karte: ${features.length} Features${town === undefined ? '' : ` in ${town.name}`}`}
    >
      {kreis === undefined ? null : (
        <g class="kreise">
          <polygon points={pts(kreis.outline)}>
            <title>{kreis.name}</title>
          </polygon>
        </g>
      )}
      {town === undefined ? null : (
        <g class="kommunen">
          <circle cx={x(town.lon)} cy={y(town.lat)} r="4">
            <title>{town.name}</title>
          </circle>
          <text x={(Number(x(town.lon)) + 6).toFixed(1)} y={(Number(y(town.lat)) - 6).toFixed(1)}>
            {town.name}
          </text>
        </g>
      )}
      <g class="merkmale">
        {shapes.map(f => (
          <g class="merkmal">
            <title>{f.label}</title>
            {f.areas.map(a => (
              <path d={a.map(ring).join(' ')} fill-rule="evenodd" />
            ))}
            {f.lines.map(l => (
              <polyline points={pts(l)} />
            ))}
            {f.points.map(([lon, lat]) => (
              <circle cx={x(lon)} cy={y(lat)} r="3" />
            ))}
          </g>
        ))}
      </g>
    </svg>
  )
}

/** Südwestfalen's Kreise and Kommunen, the highlighted ones (by AGS) marked and named. */
export function KommunenMap({ highlight, label, width = 560 }: { highlight: string[]; label: string; width?: number }) {
  const { x, y, height } = projection(REGION, width, 0.02, 0.02)
  const marked = new Set(highlight)
  const pts = (line: Point[]): string => line.map(([lon, lat]) => `${x(lon).toFixed(1)},${y(lat).toFixed(1)}`).join(' ')
  return (
    <svg class="karte kommunen-karte" viewBox={`0 0 ${width} ${height}`} role="img" aria-label={label}>
      <g class="kreise">
        {OUTLINES.map(o => (
          <polygon points={pts(o.outline)}>
            <title>{o.name}</title>
          </polygon>
        ))}
      </g>
      <g class="kommunen">
        {KOMMUNEN.map(t => (
          <circle
            class={marked.has(t.ags) ? 'markiert' : undefined}
            cx={x(t.lon).toFixed(1)}
            cy={y(t.lat).toFixed(1)}
            r={marked.has(t.ags) ? '6' : '2'}
          >
            <title>{t.name}</title>
          </circle>
        ))}
        {KOMMUNEN.filter(t => marked.has(t.ags)).map(t => (
          <text class="markiert" x={(x(t.lon) + 8).toFixed(1)} y={(y(t.lat) + 4).toFixed(1)}>
            {t.name}
          </text>
        ))}
      </g>
    </svg>
  )
}
