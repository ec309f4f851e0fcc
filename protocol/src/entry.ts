import { z } from 'zod'
import { datasetMetadataSchema } from './dataset.js'
import { useCaseSchema } from './use-case.js'
import { peerIdSchema, sha256HexSchema, slugSchema } from './identifiers.js'

// A catalog entry is a signed statement "publisher P, in its seq-th act,
// sets dataset D to this metadata (or deletes it)" — or, with kind
// "usecase", sets its use case D (datasets and use cases of a publisher
// share one id space). Sequence numbers are per
// publisher and gap-free; prevHash chains each entry to the publisher's
// previous one, so two different entries signed for one seq are evidence of
// equivocation rather than an ambiguity.

export const ENTRY_VERSION = 1
/** Upper bound on a compact JWS entry, checked before any parsing. */
export const MAX_ENTRY_BYTES = 256 * 1024

export const entryPayloadSchema = z
  .strictObject({
    v: z.literal(ENTRY_VERSION),
    publisher: peerIdSchema,
    datasetId: slugSchema,
    seq: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
    prevHash: sha256HexSchema.nullable(),
    issuedAt: z.iso.datetime({ offset: false }),
    tombstone: z.boolean(),
    /** Absent for datasets (the entries before use cases had none). */
    kind: z.literal('usecase').optional(),
    dataset: datasetMetadataSchema.optional(),
    useCase: useCaseSchema.optional()
  })
  .superRefine((e, ctx) => {
    if ((e.seq === 1) !== (e.prevHash === null)) {
      ctx.addIssue({ code: 'custom', path: ['prevHash'], message: 'prevHash is null exactly for seq 1' })
    }
    const body = e.kind === 'usecase' ? 'useCase' : 'dataset'
    const other = e.kind === 'usecase' ? 'dataset' : 'useCase'
    if (e[other] !== undefined) ctx.addIssue({ code: 'custom', path: [other], message: `not in a ${e.kind ?? 'dataset'} entry` })
    if (e.tombstone && e[body] !== undefined) {
      ctx.addIssue({ code: 'custom', path: [body], message: `a tombstone carries no ${body}` })
    }
    if (!e.tombstone && e[body] === undefined) {
      ctx.addIssue({ code: 'custom', path: [body], message: 'required unless tombstone' })
    }
    const id = e[body]?.id
    if (id !== undefined && id !== e.datasetId) {
      ctx.addIssue({ code: 'custom', path: [body, 'id'], message: 'must equal datasetId' })
    }
  })

export type EntryPayload = z.infer<typeof entryPayloadSchema>

/** A verified entry: the exact bytes that travel, their hash, and the decoded payload. */
export interface SignedEntry {
  /** Compact JWS; its bytes are the entry's one wire form. */
  jws: string
  /** Lower-case hex SHA-256 of the JWS string (UTF-8, which is ASCII here). */
  hash: string
  payload: EntryPayload
}

/**
 * Every kind of entry a log holds. A new kind is added here first: the
 * lifecycle test (tests/sync/lifecycle.test.ts) then fails until the kind
 * has its row there — publish, update, tombstone, relay, revocation, key
 * rotation, quota, equivocation, mirror, backup/restore, import/export.
 */
export const ENTRY_KINDS = ['dataset', 'usecase'] as const
export type EntryKind = (typeof ENTRY_KINDS)[number]

/** An entry's kind ("dataset" for the entries before kinds, which carry none). */
export const entryKindOf = (p: Pick<EntryPayload, 'kind'>): EntryKind => p.kind ?? 'dataset'

/** The files an entry pins by hash, of every kind: a dataset's distributions, a use case's images. */
export function filesOfEntry(p: Pick<EntryPayload, 'dataset' | 'useCase'>): Array<{ sha256: string; byteSize: number }> {
  const files = [...(p.dataset?.distributions ?? []), ...(p.useCase?.images ?? [])]
  return files.flatMap(f => (f.sha256 !== undefined && f.byteSize !== undefined ? [{ sha256: f.sha256, byteSize: f.byteSize }] : []))
}
