import { useCaseSchema, type DatasetMetadata, type UseCase, type UseCaseDataset } from '@swf/protocol'
import { NotFoundError, ValidationError } from '../errors.js'
import type { CatalogService, PublishResult } from './catalog-service.js'
import type { KommuneOf, RegionalCatalog } from './regional-catalog.js'
import type { SearchService } from './search-service.js'
import type { UseCaseFilter, UseCaseRecord, UseCaseStore } from './use-case-store.js'

// Use cases as people read them: which datasets they use (and which of those
// this node does not know: dangling), who took them over, and for a Kommune
// that has not, which of its own datasets would fill each role.

export const MAX_USE_CASE_PAGE = 100
/** Datasets looked at per role and criterion (theme, format) when a Kommune's fit is computed. */
export const MAX_FIT_CANDIDATES = 50

export interface UsedDataset extends UseCaseDataset {
  title: string | null
  kommune: string | null
  /** The catalog holds no live dataset under this reference. */
  dangling: boolean
}

export interface UseCaseView {
  publisher: string
  kommune: string | null
  useCase: UseCase
  entry: UseCaseRecord['entry']
  datasets: UsedDataset[]
  takesOver: { publisher: string; kommune: string | null; id: string; title: string | null; dangling: boolean } | null
  /** The Kommunen that run it: the take-overs held. */
  takenOverBy: Array<{ publisher: string; kommune: string | null; id: string; status: string; datasets: UsedDataset[] }>
}

export interface RoleFit {
  role: string
  /** What the original uses for the role. */
  original: UsedDataset[]
  /** The Kommune's own datasets sharing a theme or format with it, best first. */
  candidates: Array<{ datasetId: string; title: string; themes: string[]; formats: string[]; matches: string[] }>
  missing: boolean
}

export class UseCaseService {
  constructor(
    private readonly store: UseCaseStore,
    private readonly catalog: CatalogService,
    private readonly regional: RegionalCatalog,
    private readonly search: SearchService,
    private readonly kommuneOf: KommuneOf
  ) {}

  list(filter: UseCaseFilter, limit: number, offset: number): { items: UseCaseView[]; total: number } {
    const page = this.store.list(filter, Math.min(Math.max(1, limit), MAX_USE_CASE_PAGE), offset)
    return { items: page.items.map(r => this.#view(r)), total: page.total }
  }

  /** The Kommunen that publish use cases (the list's facet), with their counts. */
  publishers(): Array<{ peerId: string; name: string; count: number }> {
    return this.store
      .countsByPublisher()
      .map(p => ({ peerId: p.publisher, name: this.kommuneOf(p.publisher) ?? p.publisher, count: p.count }))
  }

  get(publisher: string, id: string): UseCaseView {
    const r = this.store.get(publisher, id)
    if (r === undefined) throw new NotFoundError(`no use case "${id}" of ${publisher}`)
    return this.#view(r)
  }

  /** Live use cases (originals and take-overs) that name this dataset. */
  usingDataset(publisher: string, datasetId: string): UseCaseView[] {
    return this.store.usingDataset(publisher, datasetId).map(r => this.#view(r))
  }

  async create(input: unknown): Promise<PublishResult> {
    return this.catalog.publishUseCase(this.#parse(input), 'create', u => {
      this.#check(u)
    })
  }

  async update(id: string, input: unknown): Promise<PublishResult> {
    if (typeof input === 'object' && input !== null && 'id' in input && input.id !== id) {
      throw new ValidationError('id', `must be "${id}" (the id in the path) or left out`)
    }
    const current = this.store.get(this.catalog.publisher, id)
    const body = { images: current?.useCase.images, ...(input as object), id }
    return this.catalog.publishUseCase(this.#parse(body), 'update', u => {
      this.#check(u)
    })
  }

  /**
   * For a Kommune that does not run the use case yet: per role of the
   * original, its own datasets that share a theme or a format with what
   * the original uses (or, for a dangling one, with what the use case needs).
   */
  fit(publisher: string, id: string, kommune: string): RoleFit[] {
    const original = this.get(publisher, id)
    const roles = [...new Set(original.datasets.map(d => d.role))]
    return roles.map(role => {
      const uses = original.datasets.filter(d => d.role === role)
      const wanted = { themes: new Set<string>(), formats: new Set<string>() }
      for (const u of uses) {
        const d = this.#dataset(u.publisher, u.datasetId)
        for (const t of d?.themes ?? original.useCase.needs.themes) wanted.themes.add(t)
        for (const f of d?.distributions.map(x => x.format) ?? original.useCase.needs.formats) wanted.formats.add(f)
      }
      // From the search index: the Kommune's datasets with one of the themes, and those with one of the formats (bounded).
      const found = new Map<string, DatasetMetadata>()
      for (const [kind, values] of [
        ['theme', [...wanted.themes]],
        ['format', [...wanted.formats]]
      ] as const) {
        if (values.length === 0) continue
        const hits = this.search.search({ publisher: [kommune], [kind]: values, limit: MAX_FIT_CANDIDATES }, false)
        for (const h of hits.items) found.set(h.dataset.id, h.dataset)
      }
      const candidates = [...found.values()]
        .map(d => {
          const formats = [...new Set(d.distributions.map(x => x.format))]
          const matches = [
            ...d.themes.filter(t => wanted.themes.has(t)).map(t => `theme:${t}`),
            ...formats.filter(f => wanted.formats.has(f)).map(f => `format:${f}`)
          ]
          return { datasetId: d.id, title: d.title, themes: d.themes, formats, matches }
        })
        .filter(c => c.matches.length > 0)
        .sort((a, b) => b.matches.length - a.matches.length || a.title.localeCompare(b.title, 'de'))
      return { role, original: uses, candidates, missing: candidates.length === 0 }
    })
  }

  #parse(input: unknown): UseCase {
    const r = useCaseSchema.safeParse(input)
    if (!r.success) throw ValidationError.fromZod(r.error)
    return r.data
  }

  /**
   * What the region knows and a schema cannot: a take-over points to a use
   * case held here, of another Kommune, and names only this Kommune's own
   * datasets, each for a role the original has.
   */
  #check(u: UseCase): void {
    const self = this.catalog.publisher
    if (u.takesOver === undefined) return
    const { publisher, useCaseId } = u.takesOver
    if (publisher === self) throw new ValidationError('takesOver.publisher', 'a Kommune does not take over its own use case')
    const original = this.store.get(publisher, useCaseId)
    if (original === undefined) throw new ValidationError('takesOver', `no use case "${useCaseId}" of ${publisher} is held here`)
    const roles = new Set(original.useCase.datasets.map(d => d.role))
    u.datasets.forEach((d, i) => {
      if (d.publisher !== self) {
        throw new ValidationError(
          `datasets.${i}.publisher`,
          `a take-over names this Kommune's own datasets; "${d.datasetId}" is ${this.kommuneOf(d.publisher) ?? d.publisher}'s`
        )
      }
      if (!roles.has(d.role))
        throw new ValidationError(`datasets.${i}.role`, `the original has no role "${d.role}" (it has ${[...roles].join(', ')})`)
    })
  }

  #dataset(publisher: string, id: string): DatasetMetadata | undefined {
    try {
      return this.regional.get(publisher, id).dataset
    } catch (err) {
      if (err instanceof NotFoundError) return undefined
      throw err
    }
  }

  #used(d: UseCaseDataset): UsedDataset {
    const dataset = this.#dataset(d.publisher, d.datasetId)
    return { ...d, title: dataset?.title ?? null, kommune: this.kommuneOf(d.publisher), dangling: dataset === undefined }
  }

  #view(r: UseCaseRecord): UseCaseView {
    const t = r.useCase.takesOver
    const original = t === undefined ? undefined : this.store.get(t.publisher, t.useCaseId)
    return {
      publisher: r.publisher,
      kommune: this.kommuneOf(r.publisher),
      useCase: r.useCase,
      entry: r.entry,
      datasets: r.useCase.datasets.map(d => this.#used(d)),
      takesOver:
        t === undefined
          ? null
          : {
              publisher: t.publisher,
              kommune: this.kommuneOf(t.publisher),
              id: t.useCaseId,
              title: original?.useCase.title ?? null,
              dangling: original === undefined
            },
      takenOverBy: this.store.takeOversOf(r.publisher, r.useCase.id).map(o => ({
        publisher: o.publisher,
        kommune: this.kommuneOf(o.publisher),
        id: o.useCase.id,
        status: o.useCase.status,
        datasets: o.useCase.datasets.map(d => this.#used(d))
      }))
    }
  }
}
