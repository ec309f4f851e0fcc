import proj4 from 'proj4'

// The coordinate reference systems the node reads and serves (OGC API –
// Features Part 2). Data is indexed in CRS84 (lon/lat, WGS 84); files in
// ETRS89 / UTM 32N (Rechtswert/Hochwert, the survey CRS of NRW) are
// transformed on the way in, and answers on the way out when asked.

export const CRS84 = 'http://www.opengis.net/def/crs/OGC/1.3/CRS84'
export const EPSG_4326 = 'http://www.opengis.net/def/crs/EPSG/0/4326'
export const EPSG_25832 = 'http://www.opengis.net/def/crs/EPSG/0/25832'
export const EPSG_3857 = 'http://www.opengis.net/def/crs/EPSG/0/3857'

/** Every CRS a collection can be read in, CRS84 first (the default). */
export const SUPPORTED_CRS = [CRS84, EPSG_4326, EPSG_25832, EPSG_3857] as const
export type Crs = (typeof SUPPORTED_CRS)[number]

proj4.defs('EPSG:25832', '+proj=utm +zone=32 +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs +type=crs')

const PROJ: Record<Crs, string> = { [CRS84]: 'WGS84', [EPSG_4326]: 'WGS84', [EPSG_25832]: 'EPSG:25832', [EPSG_3857]: 'EPSG:3857' }

/** A CRS as clients name it (URI, `EPSG:25832`, `[EPSG:25832]` CURIE); undefined when not one we serve. */
export function crsOf(name: string): Crs | undefined {
  const n = name.trim().replace(/^\[(.*)\]$/, '$1')
  const epsg = /^(?:EPSG:|urn:ogc:def:crs:EPSG::|https?:\/\/www\.opengis\.net\/def\/crs\/EPSG\/0\/)(\d+)$/i.exec(n)
  if (epsg !== null) return SUPPORTED_CRS.find(c => c.endsWith(`/EPSG/0/${epsg[1]}`))
  if (/^(?:OGC:CRS84|urn:ogc:def:crs:OGC:1\.3:CRS84|https?:\/\/www\.opengis\.net\/def\/crs\/OGC\/1\.3\/CRS84)$/i.test(n)) return CRS84
  return undefined
}

/** Whether a CRS's first axis is latitude (EPSG:4326 as its authority defines it). */
const latFirst = (crs: Crs): boolean => crs === EPSG_4326

type Converter = (xy: [number, number]) => [number, number]
const converters = new Map<string, Converter>()

/** A function from one CRS to another, axis order included. */
export function transformer(from: Crs, to: Crs): Converter {
  const key = `${from}>${to}`
  let fn = converters.get(key)
  if (fn === undefined) {
    const same = PROJ[from] === PROJ[to]
    const p = same ? undefined : proj4(PROJ[from], PROJ[to])
    const swapIn = latFirst(from)
    const swapOut = latFirst(to)
    fn = ([a, b]) => {
      const xy: [number, number] = swapIn ? [b, a] : [a, b]
      const out: [number, number] = p === undefined ? xy : p.forward(xy)
      return swapOut ? [out[1], out[0]] : out
    }
    converters.set(key, fn)
  }
  return fn
}

/** Every position of a GeoJSON geometry's coordinates, converted (a new array; the input is not changed). */
export function transformCoordinates(coords: unknown, fn: Converter, depth = 0): unknown {
  if (!Array.isArray(coords) || depth > 6) return coords
  if (typeof coords[0] === 'number' && typeof coords[1] === 'number') {
    const [x, y] = fn([coords[0], coords[1]])
    return coords.length > 2 ? [x, y, ...(coords.slice(2) as unknown[])] : [x, y]
  }
  return coords.map(c => transformCoordinates(c, fn, depth + 1))
}

/** A box given in `crs` as CRS84 [minLon, minLat, maxLon, maxLat] (corners converted, then re-ordered). */
export function bboxToCrs84(box: [number, number, number, number], crs: Crs): [number, number, number, number] {
  if (crs === CRS84) return box
  const fn = transformer(crs, CRS84)
  const corners = [fn([box[0], box[1]]), fn([box[2], box[3]]), fn([box[0], box[3]]), fn([box[2], box[1]])]
  const xs = corners.map(c => c[0])
  const ys = corners.map(c => c[1])
  return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)]
}
