/**
 * The tokenizer of the bundled text models (public/models/<id>/tokenizer.json).
 *
 * One module for training (scripts/train), the certify CLI and the app, so that text is
 * turned into token ids exactly as it was when the model was trained. Pure TypeScript, no
 * dependencies; deterministic (no locale-dependent calls).
 *
 * Pipeline: `normalize` (a named, versioned normaliser) → `split` into tokens (words or
 * characters) → look every token up in the vocabulary ([UNK] when absent) → keep the first
 * `maxLength` ids (truncation at the end). Sequences are NOT padded: the models take any
 * length from 1 to maxLength (batch input shape [null, null]) and were trained on batches
 * of equal-length sequences, so the certifier never perturbs padding. Id 0 ([PAD]) is
 * reserved and never produced by `encode`; id 1 is [UNK].
 *
 * Normalisers
 * - `text-v1` (word level; sentiment and toxic comments):
 *   1. decode HTML entities: &amp; &lt; &gt; &quot; &apos; &nbsp; and numeric &#NNN; &#xHH;
 *      (one pass);
 *   2. Unicode NFKC, then lower case (String.prototype.toLowerCase, locale independent);
 *      curly quotes ‘ ’ ‛ ′ → ' and “ ” „ ″ → ";
 *   3. web addresses (http://…, https://…, www.…) → the token <url>; @mentions → <user>;
 *   4. a run of the same punctuation or symbol character (`!!!`, `....`, `😂😂`) → one;
 *   5. tokens: <url>, <user>, runs of letters/digits possibly joined by ' or - inside a
 *      word (it's, co-writer, 21st), and every other non-space character alone (, . ! ? # …
 *      and each emoji code point).
 * - `url-v1` (character level; URLs): trim; drop a leading scheme (`http://`, `https://`,
 *   any `scheme://`, case-insensitive) because the training URLs have none; whitespace
 *   removed; case kept; tokens are the Unicode code points.
 */

import { formatCount, LIMITS } from './limits.ts'

export const PAD = '[PAD]'
export const UNK = '[UNK]'
export const PAD_ID = 0
export const UNK_ID = 1

export type NormalizerName = 'text-v1' | 'url-v1'
export const NORMALIZERS: readonly NormalizerName[] = ['text-v1', 'url-v1']

export interface TokenizerSpec {
  format: 'cert-rnn-tokenizer'
  version: 1
  /** word-level or character-level */
  level: 'word' | 'char'
  normalizer: NormalizerName
  /** longest sequence the model was trained on; longer inputs keep their first maxLength tokens */
  maxLength: number
  truncation: 'keep-start'
  /** sequences are not padded (the models accept any length 1..maxLength) */
  padding: 'none'
  padId: 0
  unkId: 1
  /** id → token; vocab[0] = [PAD], vocab[1] = [UNK] */
  vocab: string[]
  /** free-form notes (how the vocabulary was built) */
  notes?: string
}

export interface Tokenizer {
  spec: TokenizerSpec
  /** token → id */
  index: Map<string, number>
}

export class TokenizerError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'TokenizerError'
  }
}

// ---------------------------------------------------------------------------------------
// Normalisers

/** a Map: the keys come from the text (no inherited '&constructor;') */
const NAMED_ENTITIES = new Map<string, string>([
  ['amp', '&'],
  ['lt', '<'],
  ['gt', '>'],
  ['quot', '"'],
  ['apos', "'"],
  ['nbsp', ' '],
])

/** One pass of HTML entity decoding (named: amp lt gt quot apos nbsp; numeric decimal and hex). */
export function decodeEntities(s: string): string {
  return s.replace(/&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z]+);/g, (whole, body: string) => {
    if (body[0] === '#') {
      const code = body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10)
      if (!Number.isFinite(code) || code <= 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return whole
      return String.fromCodePoint(code)
    }
    const named = NAMED_ENTITIES.get(body.toLowerCase())
    return named ?? whole
  })
}

const URL_RE = /(?:https?:\/\/|www\.)[^\s]+/giu
const MENTION_RE = /@[\p{L}\p{N}_]+/gu
const REPEAT_RE = /([^\p{L}\p{N}\s])\1+/gu
const WORD_TOKEN_RE = /<url>|<user>|[\p{L}\p{N}]+(?:['-][\p{L}\p{N}]+)*|\S/gu

function normalizeText(text: string): string {
  let s = decodeEntities(text).normalize('NFKC').toLowerCase()
  s = s.replace(/[‘’‛′]/g, "'").replace(/[“”„″]/g, '"')
  s = s.replace(URL_RE, ' <url> ').replace(MENTION_RE, ' <user> ')
  s = s.replace(REPEAT_RE, '$1')
  return s.replace(/\s+/g, ' ').trim()
}

function normalizeUrl(text: string): string {
  return text
    .trim()
    .replace(/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//, '')
    .replace(/\s+/g, '')
}

/** The normalised string (step 1 of the pipeline). */
export function normalize(text: string, normalizer: NormalizerName): string {
  switch (normalizer) {
    case 'text-v1':
      return normalizeText(text)
    case 'url-v1':
      return normalizeUrl(text)
    default:
      throw new TokenizerError(`unknown normaliser '${String(normalizer)}' (known: ${NORMALIZERS.join(', ')})`)
  }
}

/** Normalise and split into tokens (strings), before the vocabulary lookup and truncation. */
export function splitTokens(text: string, normalizer: NormalizerName, level: 'word' | 'char'): string[] {
  const s = normalize(text, normalizer)
  if (level === 'char') return Array.from(s)
  return s.match(WORD_TOKEN_RE) ?? []
}

// ---------------------------------------------------------------------------------------
// Tokenizer

/** Validate a parsed tokenizer.json and build the lookup table; `file` names it in messages. */
export function loadTokenizer(json: unknown, file = 'tokenizer.json'): Tokenizer {
  const fail = (why: string): never => {
    throw new TokenizerError(`${file}: ${why}`)
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) fail('not a JSON object')
  const j = json as Record<string, unknown>
  if (j.format !== 'cert-rnn-tokenizer') fail(`format is ${JSON.stringify(j.format)}, expected "cert-rnn-tokenizer"`)
  if (j.version !== 1) fail(`version ${JSON.stringify(j.version)} is not supported (expected 1)`)
  if (j.level !== 'word' && j.level !== 'char') fail(`level must be "word" or "char"`)
  if (!NORMALIZERS.includes(j.normalizer as NormalizerName)) fail(`unknown normalizer ${JSON.stringify(j.normalizer)}`)
  if (typeof j.maxLength !== 'number' || !Number.isInteger(j.maxLength) || j.maxLength < 1) fail('maxLength must be a positive integer')
  if (j.truncation !== 'keep-start') fail('truncation must be "keep-start"')
  if (j.padding !== 'none') fail('padding must be "none"')
  if (j.padId !== PAD_ID || j.unkId !== UNK_ID) fail(`padId must be ${PAD_ID} and unkId ${UNK_ID}`)
  const vocab = j.vocab
  if (!Array.isArray(vocab) || vocab.length < 3 || !vocab.every((t) => typeof t === 'string' && t.length > 0)) {
    fail('vocab must be a list of at least 3 non-empty strings')
  }
  const v = vocab as string[]
  if (v.length > LIMITS.vocabulary) fail(`the vocabulary has ${formatCount(v.length)} tokens; the limit is ${formatCount(LIMITS.vocabulary)}`)
  if (v[PAD_ID] !== PAD || v[UNK_ID] !== UNK) fail(`vocab must start with ${PAD} and ${UNK}`)
  const index = new Map<string, number>()
  v.forEach((t, i) => {
    if (index.has(t)) fail(`token ${JSON.stringify(t)} appears twice (ids ${index.get(t)} and ${i})`)
    index.set(t, i)
  })
  return { spec: j as unknown as TokenizerSpec, index }
}

export interface Encoded {
  /** token ids, unpadded, at most maxLength of them */
  ids: number[]
  /** the tokens that were kept (after truncation), as strings before the lookup */
  tokens: string[]
  /** how many tokens were dropped by truncation */
  truncated: number
  /** how many kept tokens are not in the vocabulary ([UNK]) */
  unknown: number
}

/** Text → ids with details (the tokens, truncation, unknown count). */
export function encodeDetailed(tok: Tokenizer, text: string): Encoded {
  const { spec, index } = tok
  const all = splitTokens(text, spec.normalizer, spec.level)
  const tokens = all.slice(0, spec.maxLength)
  let unknown = 0
  const ids = tokens.map((t) => {
    const id = index.get(t)
    if (id === undefined) {
      unknown++
      return UNK_ID
    }
    return id
  })
  return { ids, tokens, truncated: all.length - tokens.length, unknown }
}

/** Text → token ids (unpadded; may be empty for text with no tokens). */
export function encode(tok: Tokenizer, text: string): number[] {
  return encodeDetailed(tok, text).ids
}

/** Ids → their tokens (strings), e.g. to label the frames of a certified sentence. */
export function decode(tok: Tokenizer, ids: readonly number[]): string[] {
  return ids.map((id) => {
    const t = tok.spec.vocab[id]
    if (t === undefined) throw new TokenizerError(`token id ${id} is outside the vocabulary of ${tok.spec.vocab.length}`)
    return t
  })
}

/**
 * Deterministic vocabulary: tokens of the training texts counted, those seen at least
 * `minCount` times kept, sorted by count (descending) then by code points (ascending),
 * cut to `maxSize` entries including [PAD] and [UNK].
 */
export function buildVocabulary(tokenLists: Iterable<readonly string[]>, maxSize: number, minCount = 1): string[] {
  const counts = new Map<string, number>()
  for (const list of tokenLists) for (const t of list) counts.set(t, (counts.get(t) ?? 0) + 1)
  counts.delete(PAD)
  counts.delete(UNK)
  const kept = [...counts].filter(([, c]) => c >= minCount)
  kept.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
  return [PAD, UNK, ...kept.slice(0, Math.max(0, maxSize - 2)).map(([t]) => t)]
}

/** A TokenizerSpec with the fixed fields filled in. */
export function makeTokenizerSpec(level: 'word' | 'char', normalizer: NormalizerName, maxLength: number, vocab: string[], notes?: string): TokenizerSpec {
  const spec: TokenizerSpec = { format: 'cert-rnn-tokenizer', version: 1, level, normalizer, maxLength, truncation: 'keep-start', padding: 'none', padId: PAD_ID, unkId: UNK_ID, vocab }
  if (notes) spec.notes = notes
  return spec
}
