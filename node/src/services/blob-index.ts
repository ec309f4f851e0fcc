import { eq } from 'drizzle-orm'
import type { NodeDb } from '../db/open.js'
import { blobs, type BlobRow } from '../db/schema.js'

type Writer = Pick<NodeDb, 'insert'>

/** The `blobs` table: which files this node holds and their sizes (the bytes are in BlobStore). */
export class BlobIndex {
  constructor(private readonly db: NodeDb) {}

  get(sha256: string): BlobRow | undefined {
    return this.db.select().from(blobs).where(eq(blobs.sha256, sha256)).get()
  }

  /** Records a held file; `tx` when it belongs to the transaction that publishes it. */
  record(sha256: string, byteSize: number, tx: Writer = this.db): void {
    tx.insert(blobs).values({ sha256, byteSize, storedAt: new Date().toISOString() }).onConflictDoNothing().run()
  }
}
