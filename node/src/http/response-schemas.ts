import { z } from 'zod'
import {
  dataMatchSchema,
  datasetMetadataSchema,
  distributionSchema,
  entryPayloadSchema,
  useCaseDatasetSchema,
  useCaseSchema
} from '@swf/protocol'

// What the node's JSON endpoints answer, for the OpenAPI document. The
// dataset itself is the protocol's schema; the rest describes the services'
// return values (tests/node/openapi.test.ts checks every GET answer against these).

const iso = z.string().describe('ISO 8601 date-time')
const peerId = z.string().describe('libp2p peer id of a participant (its Ed25519 key)')

export const entryInfoSchema = z.object({
  publisher: peerId,
  seq: z.number().int(),
  hash: z.string(),
  issuedAt: iso,
  tombstone: z.boolean()
})
export const ownDatasetSchema = z.object({ dataset: datasetMetadataSchema, entry: entryInfoSchema })
export const publishResultSchema = z.object({
  dataset: datasetMetadataSchema.nullable(),
  /** For a use-case entry: the use case as signed (null for its tombstone). */
  useCase: useCaseSchema.nullable().optional(),
  entry: entryInfoSchema
})
/** An uploaded file: the new signed version and the distribution that describes the file. */
export const uploadResultSchema = publishResultSchema.extend({ dataset: datasetMetadataSchema, distribution: distributionSchema })
export const ownPageSchema = z.object({ items: z.array(ownDatasetSchema), nextCursor: z.string().nullable() })
export const signedEntrySchema = z.object({
  jws: z.string().describe('compact JWS (EdDSA) of the entry'),
  hash: z.string(),
  payload: entryPayloadSchema
})

export const regionalDatasetSchema = z.object({
  dataset: datasetMetadataSchema,
  entry: z.object({ publisher: peerId, seq: z.number().int(), hash: z.string(), issuedAt: iso, receivedAt: iso }),
  publisher: z.object({ peerId, kommune: z.string().nullable() })
})
export const regionalPageSchema = z.object({ items: z.array(regionalDatasetSchema), nextCursor: z.string().nullable() })

const provenanceSchema = z.object({
  publisher: peerId,
  kommune: z.string().nullable(),
  seq: z.number().int(),
  entryHash: z.string(),
  signedAt: iso,
  receivedAt: iso.nullable(),
  publisherOnline: z.boolean()
})
const facetSchema = z.array(z.object({ value: z.string(), count: z.number().int(), label: z.string().nullable().optional() }))
const searchHitSchema = z.object({ dataset: datasetMetadataSchema, score: z.number().nullable(), provenance: provenanceSchema })
const nodeStatusSchema = z.object({
  peerId,
  kommune: z.string().nullable(),
  status: z.enum(['answered', 'timeout', 'error', 'local']),
  latencyMs: z.number(),
  hits: z.number().int(),
  error: z.string().optional()
})
export const searchResultSchema = z.union([
  z
    .object({
      items: z.array(searchHitSchema),
      total: z.number().int(),
      /** false: the query's words match more datasets than are ranked; total is a lower bound. */
      totalExact: z.boolean(),
      facets: z.object({ publisher: facetSchema, theme: facetSchema, license: facetSchema, format: facetSchema }),
      nextCursor: z.string().nullable()
    })
    .describe('scope=local'),
  z
    .object({
      scope: z.literal('federated'),
      items: z.array(searchHitSchema.extend({ foundAt: z.array(peerId) })),
      total: z.number().int(),
      nodes: z.array(nodeStatusSchema)
    })
    .describe('scope=federated')
])
export const dataQueryResultSchema = z.object({
  matches: z.array(
    dataMatchSchema.omit({ datasetId: true, distributionId: true }).extend({
      origin: z.object({ publisher: peerId, kommune: z.string().nullable(), datasetId: z.string(), distributionId: z.string() })
    })
  ),
  truncated: z.boolean(),
  nodes: z.array(nodeStatusSchema)
})

export const healthSchema = z.object({ status: z.literal('ok') })
export const nodeInfoSchema = z.object({
  peerId,
  publicKeyJwk: z.object({ kty: z.literal('OKP'), crv: z.literal('Ed25519'), x: z.string(), kid: z.string().optional() }),
  kommune: z.object({ name: z.string(), ags: z.string() }),
  version: z.string(),
  addresses: z.array(z.string())
})
const counters = z.record(z.string(), z.unknown()).nullable()
export const statusSchema = z.object({
  peerId,
  kommune: z.object({ name: z.string(), ags: z.string() }),
  version: z.string(),
  ownDatasets: z.number().int(),
  ownEntries: z.number().int(),
  headHash: z.string().nullable(),
  regionalEntries: z.number().int(),
  regionalDatasets: z.number().int(),
  /** Files of live entries the node should hold (its own, mirrored publishers') and lacks; null when it runs alone. */
  missingFiles: z.number().int().nullable(),
  registry: z
    .looseObject({
      listSerial: z.number().nullable(),
      participants: z.number().int(),
      stale: z.boolean().optional(),
      membership: z.object({ status: z.string(), reason: z.string().optional() }).nullable()
    })
    .nullable(),
  connectedPeers: z.number().int(),
  sync: z.array(
    z.object({
      publisher: peerId,
      kommune: z.string().nullable(),
      contiguousSeq: z.number().int(),
      maxSeq: z.number().int(),
      lag: z.number().int()
    })
  ),
  pulls: z.array(z.object({ peerId, expected: z.number().int().nullable(), received: z.number().int() })),
  equivocations: z.array(z.object({ publisher: peerId, kommune: z.string().nullable(), proofs: z.number().int() })),
  gossip: counters,
  accepted: counters,
  startedAt: iso,
  uptimeSeconds: z.number()
})
export const peersSchema = z.object({
  peers: z.array(
    z.object({
      peerId,
      connected: z.boolean(),
      connectedAt: iso.nullable(),
      lastSyncAt: iso.nullable(),
      entriesReceived: z.number().int(),
      rejected: z.number().int(),
      kommune: z.string().nullable(),
      ags: z.string().nullable()
    })
  )
})
export const importReportSchema = z.object({
  source: z.string(),
  pages: z.number().int(),
  created: z.number().int(),
  updated: z.number().int(),
  unchanged: z.number().int(),
  pruned: z.number().int(),
  skipped: z.array(z.object({ iri: z.string(), reason: z.string() })),
  warnings: z.array(z.object({ iri: z.string(), field: z.string(), message: z.string() })),
  failedPages: z.array(z.object({ url: z.string(), reason: z.string() })),
  complete: z.boolean()
})

/** CKAN's action API envelope (CKAN 2.10 ckan/views/api.py). */
export const ckanSuccessSchema = z.object({ help: z.string(), success: z.literal(true), result: z.unknown() })
export const ckanErrorSchema = z.object({
  help: z.string().optional(),
  success: z.literal(false),
  error: z
    .looseObject({ __type: z.string(), message: z.string().optional() })
    .describe('a Validation Error names each bad parameter as a key with a list of messages')
})
const usedDatasetSchema = useCaseDatasetSchema.extend({
  title: z.string().nullable(),
  kommune: z.string().nullable(),
  dangling: z.boolean().describe('the catalog holds no live dataset under this reference')
})
export const useCaseViewSchema = z.object({
  publisher: peerId,
  kommune: z.string().nullable(),
  useCase: useCaseSchema,
  entry: z.object({ seq: z.number().int(), hash: z.string(), issuedAt: iso }),
  datasets: z.array(usedDatasetSchema),
  takesOver: z
    .object({ publisher: peerId, kommune: z.string().nullable(), id: z.string(), title: z.string().nullable(), dangling: z.boolean() })
    .nullable(),
  takenOverBy: z.array(
    z.object({
      publisher: peerId,
      kommune: z.string().nullable(),
      id: z.string(),
      status: z.string(),
      datasets: z.array(usedDatasetSchema)
    })
  )
})
export const useCaseListSchema = z.object({ items: z.array(useCaseViewSchema), total: z.number().int() })
export const useCaseFitSchema = z.object({
  kommune: peerId,
  roles: z.array(
    z.object({
      role: z.string(),
      original: z.array(usedDatasetSchema),
      candidates: z.array(
        z.object({
          datasetId: z.string(),
          title: z.string(),
          themes: z.array(z.string()),
          formats: z.array(z.string()),
          matches: z.array(z.string())
        })
      ),
      missing: z.boolean()
    })
  )
})
export const dspVersionSchema = z.object({
  protocolVersions: z.array(z.object({ version: z.string(), path: z.string(), binding: z.string() }))
})

// The answers as types, for the API's own clients (the CLI, the demo): they read what the schemas promise.
export type OwnDataset = z.infer<typeof ownDatasetSchema>
export type OwnPage = z.infer<typeof ownPageSchema>
export type PublishAnswer = z.infer<typeof publishResultSchema>
export type UploadAnswer = z.infer<typeof uploadResultSchema>
export type RegionalDataset = z.infer<typeof regionalDatasetSchema>
export type RegionalPage = z.infer<typeof regionalPageSchema>
export type SearchAnswer = z.infer<typeof searchResultSchema>
export type FederatedSearchAnswer = Extract<SearchAnswer, { scope: 'federated' }>
export type LocalSearchAnswer = Exclude<SearchAnswer, { scope: 'federated' }>
export type NodeAnswerStatus = z.infer<typeof nodeStatusSchema>
export type DataQueryAnswer = z.infer<typeof dataQueryResultSchema>
export type StatusAnswer = z.infer<typeof statusSchema>
export type NodeInfoAnswer = z.infer<typeof nodeInfoSchema>
export type ImportReportAnswer = z.infer<typeof importReportSchema>
export type UseCaseAnswer = z.infer<typeof useCaseViewSchema>
export type UseCaseListAnswer = z.infer<typeof useCaseListSchema>
