import { z } from 'zod'
import { contactPointSchema, linkSchema, text } from './dataset.js'
import { peerIdSchema, sha256HexSchema, slugSchema } from './identifiers.js'
import { DATA_THEMES } from './vocabularies.js'

// A use case (Anwendungsfall): what one Kommune built on open data — an app,
// a sensor network, a survey — published as a signed catalog entry in the
// same log as its datasets, so that others find it and take it over. A
// take-over is a use case of its own that points to the original and names
// the taking Kommune's own datasets for the original's roles.

export const USE_CASE_STATUSES = ['idea', 'pilot', 'in-operation'] as const
export const USE_CASE_LINK_KINDS = ['source', 'app-store', 'documentation', 'website'] as const
export const MAX_USE_CASE_DATASETS = 50
export const MAX_USE_CASE_IMAGES = 6
/** An image of a use case is a file of at most this size (a screenshot, a photo). */
export const MAX_USE_CASE_IMAGE_BYTES = 2 * 1024 * 1024

/** A dataset a use case uses, by its publisher and id, in a named role ("Radrouten", "Zählstellen"). */
export const useCaseDatasetSchema = z.strictObject({
  role: text(100),
  publisher: peerIdSchema,
  datasetId: slugSchema
})
export type UseCaseDataset = z.infer<typeof useCaseDatasetSchema>

export const useCaseSchema = z
  .strictObject({
    id: slugSchema,
    title: text(500),
    description: text(20_000),
    /** The problem it solves, in the words of the Kommune. */
    problem: text(5_000),
    status: z.enum(USE_CASE_STATUSES, { message: `one of ${USE_CASE_STATUSES.join(', ')}` }),
    datasets: z.array(useCaseDatasetSchema).max(MAX_USE_CASE_DATASETS).default([]),
    /** What data it needs, for a Kommune that wants to run it: themes, formats, the expected schema. */
    needs: z
      .strictObject({
        themes: z
          .array(z.enum(DATA_THEMES, { message: `EU data theme, one of ${DATA_THEMES.join(', ')}` }))
          .max(13)
          .default([]),
        formats: z
          .array(z.string().regex(/^[A-Z0-9_]{1,30}$/, { message: 'EU file-type code in upper case, e.g. CSV, GEOJSON' }))
          .max(20)
          .default([]),
        schema: text(5_000).optional()
      })
      .default({ themes: [], formats: [] }),
    links: z
      .array(z.strictObject({ kind: z.enum(USE_CASE_LINK_KINDS), url: linkSchema, title: text(200).optional() }))
      .max(20)
      .default([]),
    /** The software's licence (an SPDX id such as EUPL-1.2, or a name). */
    softwareLicense: text(200).optional(),
    contactPoint: contactPointSchema.optional(),
    images: z
      .array(
        z.strictObject({
          sha256: sha256HexSchema,
          byteSize: z.number().int().positive().max(MAX_USE_CASE_IMAGE_BYTES),
          mediaType: z.enum(['image/png', 'image/jpeg', 'image/webp']),
          title: text(200)
        })
      )
      .max(MAX_USE_CASE_IMAGES)
      .default([]),
    /** Set when this entry says "we use this too": the original use case. */
    takesOver: z.strictObject({ publisher: peerIdSchema, useCaseId: slugSchema }).optional()
  })
  .superRefine((u, ctx) => {
    const roles = new Set<string>()
    u.datasets.forEach((d, i) => {
      const key = `${d.role}\u0000${d.publisher}\u0000${d.datasetId}`
      if (roles.has(key)) ctx.addIssue({ code: 'custom', message: 'listed twice', path: ['datasets', i] })
      roles.add(key)
    })
  })

/** A use case as signed (defaults applied). */
export type UseCase = z.infer<typeof useCaseSchema>
/** A use case as a client may send it. */
export type UseCaseInput = z.input<typeof useCaseSchema>
