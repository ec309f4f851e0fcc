import { eq } from 'drizzle-orm'
import type { NodeDb } from '../db/open.js'
import { importedDatasets } from '../db/schema.js'

export type ImportedDataset = typeof importedDatasets.$inferSelect

/** The `imported_datasets` table: which own datasets came from which import source (what --prune may delete). */
export class ImportedDatasets {
  constructor(private readonly db: NodeDb) {}

  get(datasetId: string): ImportedDataset | undefined {
    return this.db.select().from(importedDatasets).where(eq(importedDatasets.datasetId, datasetId)).get()
  }

  fromSource(source: string): ImportedDataset[] {
    return this.db.select().from(importedDatasets).where(eq(importedDatasets.source, source)).all()
  }

  record(datasetId: string, source: string, sourceIri: string): void {
    const importedAt = new Date().toISOString()
    this.db
      .insert(importedDatasets)
      .values({ datasetId, source, sourceIri, importedAt })
      .onConflictDoUpdate({ target: importedDatasets.datasetId, set: { source, sourceIri, importedAt } })
      .run()
  }

  forget(datasetId: string): void {
    this.db.delete(importedDatasets).where(eq(importedDatasets.datasetId, datasetId)).run()
  }
}
