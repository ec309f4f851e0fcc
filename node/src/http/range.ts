export interface ByteRange {
  start: number
  /** Inclusive. */
  end: number
}

/**
 * Parses a single-range `Range: bytes=…` header (RFC 9110 §14.1.2).
 * Returns null when the header should be ignored (absent, malformed or a
 * multi-range request: the whole file is served) and 'unsatisfiable' when
 * the range lies outside the file (416).
 */
export function parseRange(header: string | undefined, size: number): ByteRange | 'unsatisfiable' | null {
  if (header === undefined) return null
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim())
  if (m === null) return null
  const [, first, last] = m as unknown as [string, string, string]
  if (first === '' && last === '') return null
  if (first === '') {
    const suffix = Number(last)
    // A suffix of an empty file selects nothing (bytes=-5 on 0 bytes once answered 500).
    if (suffix === 0 || size === 0) return 'unsatisfiable'
    return { start: Math.max(0, size - suffix), end: size - 1 }
  }
  const start = Number(first)
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1)
  if (start >= size) return 'unsatisfiable'
  if (end < start) return null
  return { start, end }
}
