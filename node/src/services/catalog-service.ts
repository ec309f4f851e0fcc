import { EventEmitter } from 'node:events'
import {
  datasetMetadataSchema,
  distributionSchema,
  FORMAT_BY_MEDIA_TYPE,
  jwsPayloadOf,
  MAX_USE_CASE_IMAGE_BYTES,
  slugify,
  slugSchema,
  useCaseSchema,
  type DatasetMetadata,
  type UseCase,
  type Distribution,
  type EntryPayload,
  type EntrySigner,
  type SignedEntry
} from '@swf/protocol'
import type { BlobStore, StoredBlob } from '../blob-store.js'
import type { NodeDb } from '../db/open.js'
import type { DatasetRow } from '../db/schema.js'
import { BlobIndex } from './blob-index.js'
import type { EntryStore } from './entry-store.js'
import { UseCaseStore } from './use-case-store.js'
import { ConflictError, NotFoundError, ValidationError, type FieldProblem } from '../errors.js'
import { fileNameOf, servedMediaType } from '../file-names.js'
import { bboxProblem, regionalAgsProblem } from '../spatial/suedwestfalen.js'
import { Mutex } from '../mutex.js'

export interface EntryInfo {
  publisher: string
  seq: number
  hash: string
  issuedAt: string
  tombstone: boolean
}

export interface DatasetView {
  dataset: DatasetMetadata
  entry: EntryInfo
}

export interface Page<T> {
  items: T[]
  nextCursor: string | null
}

export interface CatalogEvents {
  'entry:published': [entry: SignedEntry]
}

export interface PublishResult {
  dataset: DatasetMetadata | null
  /** For a use-case entry: the use case as signed (null for its tombstone). */
  useCase?: UseCase | null
  /** When the change came with a file: the distribution that describes it. */
  distribution?: Distribution
  entry: EntryInfo
}

export interface UploadOptions {
  title?: string
  format?: string
  mediaType?: string
  license?: string
  maxBytes: number
}

/** A file published with a change of a dataset: checked, then stored, then signed in the same entry. */
export interface FileUpload extends UploadOptions {
  body: AsyncIterable<Uint8Array>
  /** The distribution it becomes (added, or replacing the one of this id); default: from the file name. */
  distributionId?: string
  /** The file's own name ("Bäume 2026.csv"): the distribution's title unless `title` names another. */
  fileName?: string
  /** The size when known before a byte is read (a form's file, a Content-Length): 0 is refused with every other problem. */
  size?: number
}

export interface ResolvedFile {
  sha256: string
  byteSize: number
  mediaType: string
  fileName: string
}

export const MAX_PAGE_SIZE = 500

/**
 * The node's own catalog: validates metadata, signs each change as the next
 * entry of this publisher and stores entry and dataset state in one
 * transaction.
 */
export class CatalogService {
  readonly #signer: EntrySigner
  readonly #blobs: BlobStore
  readonly #blobIndex: BlobIndex
  readonly #publisherName: string
  readonly #entries: EntryStore
  readonly #lock = new Mutex()
  /** `entry:published` after each own entry is committed (the node gossips it); any number of listeners. */
  readonly events = new EventEmitter<CatalogEvents>()

  /** Every use case held, own and synced (read-only here; entries write them). */
  readonly useCases: UseCaseStore

  constructor(db: NodeDb, signer: EntrySigner, blobStore: BlobStore, entryStore: EntryStore, publisherName: string) {
    this.useCases = new UseCaseStore(db)
    this.#signer = signer
    this.#blobs = blobStore
    this.#blobIndex = new BlobIndex(db)
    this.#entries = entryStore
    this.#publisherName = publisherName
  }

  get publisher(): string {
    return this.#signer.peerId
  }

  listOwn(limit = 50, cursor?: string): Page<DatasetView> {
    const n = Math.min(Math.max(1, limit), MAX_PAGE_SIZE)
    const rows = this.#entries.liveDatasetRows(this.publisher, n + 1, cursor)
    const items = rows.slice(0, n).map(toView)
    return { items, nextCursor: rows.length > n ? items[items.length - 1]!.dataset.id : null }
  }

  countOwn(): number {
    return this.#entries.countLiveDatasets(this.publisher)
  }

  getOwn(id: string): DatasetView {
    return toView(this.#liveRow(id))
  }

  /** The raw signed entry behind the current state of an own dataset (also for tombstones). */
  getOwnEntry(id: string): SignedEntry {
    const row = this.#row(id)
    if (row === undefined) throw new NotFoundError(`no dataset "${id}"`)
    const entry = this.#entries.entryByHash(row.entryHash)
    if (entry === undefined) throw new NotFoundError(`no entry for dataset "${id}"`)
    return { jws: entry.jws, hash: entry.hash, payload: payloadOf(entry.jws) }
  }

  /** The newest own entry: sequence number and hash, or seq 0 before the first. */
  head(): { seq: number; hash: string | null } {
    return this.#entries.headOf(this.publisher)
  }

  /**
   * After a key rotation: re-publishes, under this node's (new) key, every
   * live entry of every kind the old key published that this key has not —
   * datasets with their metadata and files as they are, use cases with their
   * references to the old key's datasets moved to the new key. Returns how many.
   */
  async adoptFrom(oldPublisher: string): Promise<number> {
    return this.#lock.run(async () => {
      let adopted = 0
      for (const row of this.#entries.liveDatasetRows(oldPublisher)) {
        const mine = this.#row(row.datasetId)
        if (mine !== undefined && !mine.tombstone) continue
        await this.#publish(row.datasetId, row.metadata as DatasetMetadata)
        adopted++
      }
      for (const { useCase } of this.useCases.liveOf(oldPublisher)) {
        if (this.useCases.get(this.publisher, useCase.id) !== undefined) continue
        const datasets = useCase.datasets.map(d => (d.publisher === oldPublisher ? { ...d, publisher: this.publisher } : d))
        await this.#sign({ datasetId: useCase.id, tombstone: false, kind: 'usecase', useCase: { ...useCase, datasets } })
        adopted++
      }
      return adopted
    })
  }

  /**
   * Creates a dataset, with a file or without: metadata, the file's
   * distribution and the id are checked before a byte of the file is read,
   * the file is stored (hashed while streaming), then one entry names both.
   * A refusal at any step signs nothing, so the same request can be sent again.
   */
  async create(input: unknown, file?: FileUpload): Promise<PublishResult> {
    // The id is derived from the title; without a title a stand-in id lets the schema name
    // what is missing (the title) with every other problem.
    const withId =
      isRecord(input) && input.id === undefined
        ? { ...input, id: typeof input.title === 'string' ? slugify(input.title) : 'untitled' }
        : input
    const { metadata, draft } = this.#checked(() => this.#validate(withId), file)
    this.#checkCreatable(metadata.id)
    const stored = await this.#store(file)
    return this.#lock.run(async () => {
      this.#checkCreatable(metadata.id)
      return this.#publishWith(metadata.id, metadata, undefined, draft, stored)
    })
  }

  /** Replaces the metadata; distributions are kept when the input leaves them out. A file comes in the same entry (as for create). */
  async update(id: string, input: unknown, file?: FileUpload): Promise<PublishResult> {
    checkId(id)
    if (isRecord(input) && input.id !== undefined && input.id !== id) {
      throw new ValidationError('id', `must be "${id}" (the id in the path) or left out`)
    }
    const nextOf = (current: DatasetMetadata): DatasetMetadata => {
      const next = this.#validate(isRecord(input) ? { ...input, id } : input)
      if (!(isRecord(input) && 'distributions' in input)) next.distributions = current.distributions
      return next
    }
    const { draft } = this.#checked(() => nextOf(this.#current(id)), file)
    const stored = await this.#store(file)
    return this.#lock.run(async () => {
      const current = this.#current(id)
      return this.#publishWith(id, nextOf(current), current, draft, stored)
    })
  }

  async remove(id: string): Promise<PublishResult> {
    return this.#lock.run(async () => {
      this.#liveRow(id)
      return this.#publish(id, null)
    })
  }

  /**
   * Stores a file and adds (or replaces) the distribution that points to it.
   * The dataset and the distribution are checked before the body is read and again under the lock.
   */
  async putDistributionFile(
    id: string,
    distId: string,
    body: AsyncIterable<Uint8Array>,
    opts: UploadOptions & Pick<FileUpload, 'size'>
  ): Promise<PublishResult & { dataset: DatasetMetadata; distribution: Distribution }> {
    const file: FileUpload = { ...opts, body, distributionId: distId }
    const { draft } = this.#checked(() => this.#current(id), file)
    const stored = await this.#store(file)
    return this.#lock.run(async () => {
      const current = this.#current(id)
      const result = await this.#publishWith(id, { ...current, modified: undefined }, current, draft, stored)
      return { ...result, dataset: result.dataset!, distribution: result.distribution! }
    })
  }

  async removeDistribution(id: string, distId: string): Promise<PublishResult> {
    return this.#lock.run(async () => {
      const current = toView(this.#liveRow(id)).dataset
      if (!current.distributions.some(d => d.id === distId)) throw new NotFoundError(`dataset "${id}" has no distribution "${distId}"`)
      const next = { ...current, distributions: current.distributions.filter(d => d.id !== distId), modified: undefined }
      return this.#publish(id, this.#withDefaults(this.#validate(next), current))
    })
  }

  /** Where the bytes of an own distribution are. */
  resolveFile(id: string, distId: string): ResolvedFile {
    const dataset = toView(this.#liveRow(id)).dataset
    const dist = dataset.distributions.find(d => d.id === distId)
    if (dist === undefined) throw new NotFoundError(`dataset "${id}" has no distribution "${distId}"`)
    if (dist.sha256 === undefined || dist.byteSize === undefined) {
      throw new NotFoundError(
        `distribution "${distId}" is an external link (${dist.accessURL ?? dist.downloadURL ?? 'no URL'}), not a file on this node`
      )
    }
    return { sha256: dist.sha256, byteSize: dist.byteSize, mediaType: servedMediaType(dist), fileName: fileNameOf(dist) }
  }

  /** A stored file by content hash, if this node holds it. */
  resolveBlob(sha256: string): ResolvedFile {
    const row = this.#blobIndex.get(sha256)
    if (row === undefined) throw new NotFoundError(`no file with sha256 ${sha256}`)
    return { sha256, byteSize: row.byteSize, mediaType: 'application/octet-stream', fileName: sha256 }
  }

  /** The schema, then what a schema cannot know: a German extent, a Südwestfalen AGS that exists. Every problem at once. */
  #validate(input: unknown): DatasetMetadata {
    const r = datasetMetadataSchema.safeParse(input)
    const problems = r.success ? [] : ValidationError.fromZod(r.error).problems
    const spatial = (isRecord(input) && isRecord(input.spatial) ? input.spatial : {}) as { bbox?: unknown; ags?: unknown }
    const bbox =
      Array.isArray(spatial.bbox) && spatial.bbox.length === 4 && spatial.bbox.every(n => typeof n === 'number')
        ? bboxProblem(spatial.bbox)
        : undefined
    if (bbox !== undefined) problems.push({ field: 'spatial.bbox', message: bbox })
    const ags = typeof spatial.ags === 'string' ? regionalAgsProblem(spatial.ags) : undefined
    if (ags !== undefined) problems.push({ field: 'spatial.ags', message: ags })
    const [first, ...more] = problems
    if (first !== undefined || !r.success) throw new ValidationError(first?.field, first?.message ?? 'invalid input', more)
    return r.data
  }

  #withDefaults(metadata: DatasetMetadata, previous: DatasetMetadata | undefined): DatasetMetadata {
    const now = new Date().toISOString()
    return {
      ...metadata,
      publisher: metadata.publisher ?? { name: this.#publisherName },
      issued: metadata.issued ?? previous?.issued ?? now,
      modified: metadata.modified ?? now
    }
  }

  #row(id: string): DatasetRow | undefined {
    return this.#entries.datasetRow(this.publisher, checkId(id))
  }

  #liveRow(id: string): DatasetRow {
    const row = this.#row(id)
    if (row === undefined || row.tombstone) throw new NotFoundError(`no dataset "${id}"`)
    return row
  }

  /** The metadata of a live own dataset. */
  #current(id: string): DatasetMetadata {
    return toView(this.#liveRow(id)).dataset
  }

  /** Refuses a create whose id is taken (a live dataset, or a use case of this Kommune). */
  #checkCreatable(id: string): void {
    this.#checkIdFree(id, 'dataset', 'create')
    const existing = this.#row(id)
    if (existing !== undefined && !existing.tombstone) {
      throw new ConflictError(`dataset "${id}" exists already; update it with PUT`, 'id')
    }
  }

  /**
   * The change and the file's distribution, checked together before a byte of
   * the file is read: every problem of both at once (the file's size and hash
   * are all that is left to learn).
   */
  #checked(next: () => DatasetMetadata, file: FileUpload | undefined): { metadata: DatasetMetadata; draft: Distribution | undefined } {
    const problems: FieldProblem[] = []
    const metadata = collecting(problems, next)
    const draft = file === undefined ? undefined : collecting(problems, () => fileDraft(file, metadata))
    // With the file: still at most MAX_DISTRIBUTIONS, still a valid dataset.
    if (metadata !== undefined && draft !== undefined) collecting(problems, () => this.#validate(withDistribution(metadata, draft)))
    const [first, ...more] = problems
    if (first !== undefined) throw new ValidationError(first.field, first.message, more)
    return { metadata: metadata!, draft }
  }

  /**
   * Streams the file into the blob store (tmp/, hashed, fsynced, renamed).
   * Should signing fail after this, the stored file stays unreferenced:
   * content-addressed, it harms nothing and serves the next attempt.
   */
  async #store(file: FileUpload | undefined): Promise<StoredBlob | undefined> {
    if (file === undefined) return undefined
    const stored = await this.#blobs.write(file.body, file.maxBytes)
    if (stored.byteSize === 0) throw new ValidationError('file', EMPTY_FILE)
    return stored
  }

  /** Must run under #lock: the change, with the file's distribution when a file came (its size and hash now known), as one entry. */
  async #publishWith(
    id: string,
    next: DatasetMetadata,
    previous: DatasetMetadata | undefined,
    draft: Distribution | undefined,
    stored: StoredBlob | undefined
  ): Promise<PublishResult> {
    if (draft === undefined || stored === undefined) return this.#publish(id, this.#withDefaults(next, previous))
    const distribution: Distribution = { ...draft, byteSize: stored.byteSize, sha256: stored.sha256, modified: new Date().toISOString() }
    const dataset = this.#validate(withDistribution(next, distribution))
    return { ...(await this.#publish(id, this.#withDefaults(dataset, previous), stored)), distribution }
  }

  /** Must run under #lock: reads the head, signs the next entry, commits. */
  async #publish(datasetId: string, dataset: DatasetMetadata | null, blob?: StoredBlob): Promise<PublishResult> {
    return this.#sign({ datasetId, tombstone: dataset === null, ...(dataset === null ? {} : { dataset }) }, blob)
  }

  /** Must run under #lock: the next entry with this body (a dataset's or a use case's), signed and committed. */
  async #sign(
    body: Pick<EntryPayload, 'datasetId' | 'tombstone' | 'kind' | 'dataset' | 'useCase'>,
    blob?: StoredBlob
  ): Promise<PublishResult> {
    const head = this.head()
    const payload: EntryPayload = {
      v: 1,
      publisher: this.publisher,
      seq: head.seq + 1,
      prevHash: head.hash,
      issuedAt: new Date().toISOString(),
      ...body
    }
    const signed = await this.#signer.sign(payload)
    const [outcome] = this.#entries.store([signed], tx => {
      if (blob !== undefined) {
        this.#blobIndex.record(blob.sha256, blob.byteSize, tx)
      }
    })
    // Only possible if another writer took this seq: never sign over it.
    if (outcome !== 'stored') throw new ConflictError(`sequence ${payload.seq} is taken (${outcome}); retry`)
    this.events.emit('entry:published', signed)
    const p = signed.payload
    return {
      dataset: p.dataset ?? null,
      ...(p.kind === 'usecase' ? { useCase: p.useCase ?? null } : {}),
      entry: { publisher: p.publisher, seq: p.seq, hash: signed.hash, issuedAt: p.issuedAt, tombstone: p.tombstone }
    }
  }

  /**
   * Publishes an own use case (a new one or a new version) as the next entry
   * of this publisher: `check` (what only the region knows: the use case it
   * takes over, whose datasets are named) runs under the lock before signing.
   */
  async publishUseCase(useCase: UseCase, mode: 'create' | 'update', check: (u: UseCase) => void): Promise<PublishResult> {
    return this.#lock.run(async () => {
      this.#checkIdFree(useCase.id, 'usecase', mode)
      check(useCase)
      return this.#sign({ datasetId: useCase.id, tombstone: false, kind: 'usecase', useCase })
    })
  }

  /** Deletes an own use case: a signed tombstone. */
  async removeUseCase(id: string): Promise<PublishResult> {
    return this.#lock.run(async () => {
      if (this.useCases.get(this.publisher, checkId(id)) === undefined) throw new NotFoundError(`no use case "${id}"`)
      return this.#sign({ datasetId: id, tombstone: true, kind: 'usecase' })
    })
  }

  /** Adds an image (PNG, JPEG, WebP) to an own use case; the body is refused beyond MAX_USE_CASE_IMAGE_BYTES (413, nothing stored). */
  async addUseCaseImage(id: string, body: AsyncIterable<Uint8Array>, opts: { mediaType: string; title: string }): Promise<PublishResult> {
    const current = this.useCases.get(this.publisher, checkId(id))
    if (current === undefined) throw new NotFoundError(`no use case "${id}"`)
    const mediaType = opts.mediaType.split(';')[0]!.trim().toLowerCase()
    const draft = { sha256: '0'.repeat(64), byteSize: 1, mediaType, title: opts.title }
    const probe = useCaseSchema.safeParse({ ...current.useCase, images: [...current.useCase.images, draft] })
    if (!probe.success) throw ValidationError.fromZod(probe.error)
    const stored = await this.#blobs.write(body, MAX_USE_CASE_IMAGE_BYTES)
    if (stored.byteSize === 0) throw new ValidationError('file', 'the image is empty (0 bytes)')
    return this.#lock.run(async () => {
      const latest = this.useCases.get(this.publisher, id)
      if (latest === undefined) throw new NotFoundError(`no use case "${id}"`)
      const useCase = useCaseSchema.parse({
        ...latest.useCase,
        images: [...latest.useCase.images, { ...draft, sha256: stored.sha256, byteSize: stored.byteSize }]
      })
      return this.#sign({ datasetId: id, tombstone: false, kind: 'usecase', useCase }, stored)
    })
  }

  /** Datasets and use cases share this publisher's ids: a live one of the other kind (or, on create, of the same) takes the id. */
  #checkIdFree(id: string, kind: 'dataset' | 'usecase', mode: 'create' | 'update'): void {
    const dataset = this.#row(id)
    const useCase = this.useCases.exists(this.publisher, id)
    const liveDataset = dataset !== undefined && !dataset.tombstone
    const liveUseCase = useCase !== undefined && !useCase.tombstone
    if (kind === 'usecase') {
      if (liveDataset) throw new ConflictError(`"${id}" is a dataset of this Kommune; a use case needs another id`, 'id')
      if (mode === 'create' && liveUseCase) throw new ConflictError(`use case "${id}" exists already; update it with PUT`, 'id')
      if (mode === 'update' && !liveUseCase) throw new NotFoundError(`no use case "${id}"`)
    } else if (liveUseCase) {
      throw new ConflictError(`"${id}" is a use case of this Kommune; a dataset needs another id`, 'id')
    }
  }
}

function toView(row: DatasetRow): DatasetView {
  return {
    dataset: row.metadata as DatasetMetadata,
    entry: { publisher: row.publisher, seq: row.seq, hash: row.entryHash, issuedAt: row.issuedAt, tombstone: row.tombstone }
  }
}

/** The payload of an entry held (verified when it was stored). */
const payloadOf = (jws: string): EntryPayload => jwsPayloadOf(jws) as EntryPayload

const EMPTY_FILE = 'the file is empty (0 bytes): nothing to publish'

/** A distribution id from a file name: "Bäume 2026.csv" → "baeume-2026-csv". */
export function distributionIdOf(fileName: string): string {
  const dot = fileName.lastIndexOf('.')
  return slugify(dot > 0 ? `${fileName.slice(0, dot)}-${fileName.slice(dot + 1)}` : fileName)
}

/**
 * The distribution a file becomes, checked in everything but size and hash:
 * its id, title, media type, a format named or known for the media type,
 * its licence (the dataset's unless named). Defaults come from the
 * distribution it replaces.
 */
function fileDraft(file: FileUpload, dataset: DatasetMetadata | undefined): Distribution {
  const distId = checkSlug(file.distributionId ?? distributionIdOf(file.fileName ?? ''), 'distributionId')
  const previous = dataset?.distributions.find(d => d.id === distId)
  const mediaType = (file.mediaType ?? previous?.mediaType ?? 'application/octet-stream').split(';')[0]!.trim().toLowerCase()
  const format = file.format ?? FORMAT_BY_MEDIA_TYPE[mediaType] ?? previous?.format
  const problems: FieldProblem[] = []
  if (format === undefined) problems.push({ field: 'format', message: `no EU file-type code known for ${mediaType}; pass format` })
  if (file.size === 0) problems.push({ field: 'file', message: EMPTY_FILE })
  const draft = {
    ...previous,
    id: distId,
    title: file.title ?? file.fileName ?? previous?.title ?? distId,
    // A stand-in where the problem is reported already (no format) or elsewhere (the dataset's licence).
    format: format ?? 'BIN',
    mediaType,
    license: file.license ?? previous?.license ?? dataset?.license ?? 'cc-zero',
    byteSize: 0,
    sha256: '0'.repeat(64)
  }
  const checked = distributionSchema.safeParse(draft)
  if (!checked.success) problems.push(...ValidationError.fromZod(checked.error).problems)
  const [first, ...more] = problems
  if (first !== undefined || !checked.success) throw new ValidationError(first?.field, first?.message ?? 'invalid input', more)
  return checked.data
}

/** The dataset with `dist` added, or in place of the distribution of its id. */
function withDistribution(dataset: DatasetMetadata, dist: Distribution): DatasetMetadata {
  const distributions = dataset.distributions.some(d => d.id === dist.id)
    ? dataset.distributions.map(d => (d.id === dist.id ? dist : d))
    : [...dataset.distributions, dist]
  return { ...dataset, distributions }
}

/** Runs a check; its validation problems are added to `problems` (undefined returned), anything else is thrown. */
function collecting<T>(problems: FieldProblem[], check: () => T): T | undefined {
  try {
    return check()
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err
    problems.push(...err.problems)
    return undefined
  }
}

function checkSlug(value: string, field: string): string {
  const r = slugSchema.safeParse(value)
  if (!r.success) throw ValidationError.fromZod(r.error, field)
  return value
}

const checkId = (id: string): string => checkSlug(id, 'id')

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
