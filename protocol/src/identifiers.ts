import { z } from 'zod'

// Ids appear in URLs and file names of other implementations, so they are
// kept to a CKAN-compatible slug: lower-case letters, digits, '-' and '_'.
// That rules out path traversal ('..', '/') and anything needing escaping.
export const SLUG_PATTERN = /^[a-z0-9][a-z0-9_-]{0,99}$/
export const MAX_SLUG_LENGTH = 100

export const slugSchema = z
  .string()
  .max(MAX_SLUG_LENGTH, { message: `at most ${MAX_SLUG_LENGTH} characters` })
  .regex(SLUG_PATTERN, { message: 'lower-case letters, digits, "-" and "_" only, starting with a letter or digit' })

/** Amtlicher Gemeindeschlüssel: 8 digits, e.g. 05958004 (Arnsberg). */
/**
 * Amtlicher Gemeindeschlüssel: 8 digits — Land (01–16), Regierungsbezirk,
 * Kreis, Gemeinde. Only the Land and a non-empty Kreis part are checked here;
 * the node checks Südwestfalen's keys against the list of its 59 Kommunen.
 */
export const agsSchema = z
  .string()
  .regex(/^\d{8}$/, { message: 'AGS must be 8 digits, e.g. 05974040' })
  .refine(a => /^(0[1-9]|1[0-6])/.test(a), { message: 'not a German AGS: the first two digits name the Land, 01–16' })
  .refine(a => a.slice(2, 5) !== '000' || a === '11000000' || a === '02000000', {
    message: 'not a municipality key: digits 3–5 name the Kreis'
  })

export const sha256HexSchema = z.string().regex(/^[0-9a-f]{64}$/, { message: 'lower-case hex SHA-256 (64 characters)' })

/** libp2p peer id string of an Ed25519 key (base58btc identity multihash). */
export const peerIdSchema = z.string().regex(/^12D3KooW[1-9A-HJ-NP-Za-km-z]{44}$/, { message: 'Ed25519 libp2p peer id' })

const UMLAUTS: Record<string, string> = { ä: 'ae', ö: 'oe', ü: 'ue', ß: 'ss' }

/** A slug from a German title: "Straßenschäden 2026" → "strassenschaeden-2026". */
export function slugify(text: string): string {
  const slug = text
    .toLowerCase()
    .replace(/[äöüß]/g, ch => UMLAUTS[ch] ?? ch)
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, MAX_SLUG_LENGTH)
    .replace(/-+$/, '')
  return slug === '' ? 'dataset' : slug
}
