import type { OriginMatch } from '../region/federated-data-query.js'
import { collectionId } from './feature-collections.js'
import { featureOfRow, type Feature } from './feature-file.js'

/**
 * A data query's matches (CSV rows and GeoJSON features of many Kommunen) as
 * one list of GeoJSON features: rows become points, and every feature names
 * where it comes from, in its properties (what GIS tools show) and as
 * `origin`.
 */
export function matchesAsFeatures(
  matches: OriginMatch[],
  nameOf: (peerId: string) => string
): Array<Feature & { origin: OriginMatch['origin'] }> {
  const out: Array<Feature & { origin: OriginMatch['origin'] }> = []
  matches.forEach((m, i) => {
    const collection = collectionId(nameOf(m.origin.publisher), m.origin.datasetId, m.origin.distributionId)
    const id = `${collection}.${i + 1}`
    const base =
      m.format === 'CSV'
        ? m.row === undefined
          ? undefined
          : featureOfRow(m.row, id)
        : m.feature === undefined
          ? undefined
          : ({
              type: 'Feature',
              id,
              geometry: (m.feature.geometry ?? null) as Feature['geometry'],
              properties:
                typeof m.feature.properties === 'object' && m.feature.properties !== null
                  ? (m.feature.properties as Record<string, unknown>)
                  : {}
            } satisfies Feature)
    if (base === undefined) return
    out.push({
      ...base,
      properties: { ...base.properties, herkunft_kommune: m.origin.kommune, herkunft_collection: collection },
      origin: m.origin
    })
  })
  return out
}
