/** The text models' tokenizer: the documented normalisation cases, encoding rules, vocabulary building. */
import { describe, expect, it } from 'vitest'
import {
  buildVocabulary,
  decode,
  decodeEntities,
  encode,
  encodeDetailed,
  loadTokenizer,
  makeTokenizerSpec,
  normalize,
  PAD,
  splitTokens,
  TokenizerError,
  UNK,
  UNK_ID,
} from './tokenizer.ts'

const words = (s: string) => splitTokens(s, 'text-v1', 'word')
const chars = (s: string) => splitTokens(s, 'url-v1', 'char')

describe('text-v1 normaliser (word level)', () => {
  const cases: Array<[string, string[]]> = [
    ["It's a LOVELY film -- co-written, 21st-century!", ["it's", 'a', 'lovely', 'film', '-', 'co-written', ',', '21st-century', '!']],
    ['simplistic , silly and tedious .', ['simplistic', ',', 'silly', 'and', 'tedious', '.']],
    ['RT @user_123: check this https://t.co/AbC!!! and www.example.com/x', ['rt', '<user>', ':', 'check', 'this', '<url>', 'and', '<url>']],
    ['Soooo good!!! ....', ['soooo', 'good', '!', '.']],
    ['fish &amp; chips &lt;3 &#128514;&#128514; &#x41;', ['fish', '&', 'chips', '<', '3', '😂', 'a']],
    ['Don’t “quote” me', ["don't", '"', 'quote', '"', 'me']],
    ['ｆｕｌｌｗｉｄｔｈ ﬁne', ['fullwidth', 'fine']],
    ['#hashtag @a@b', ['#', 'hashtag', '<user>', '<user>']],
    ['   ', []],
  ]
  it.each(cases)('%s', (text, expected) => {
    expect(words(text)).toEqual(expected)
  })

  it('decodes entities in one pass and leaves unknown ones alone', () => {
    expect(decodeEntities('&amp;amp; &bogus; &#0; &#xD800;')).toBe('&amp; &bogus; &#0; &#xD800;')
  })

  it('is idempotent on its own output', () => {
    const once = normalize('RT @x: Great!!  &amp; “fun” https://a.b/c', 'text-v1')
    expect(normalize(once, 'text-v1')).toBe(once)
    expect(once).toBe('rt <user> : great! & "fun" <url>')
  })
})

describe('url-v1 normaliser (character level)', () => {
  it('drops the scheme and whitespace, keeps case', () => {
    expect(normalize('  HTTPS://Example.com/Path?q=1 ', 'url-v1')).toBe('Example.com/Path?q=1')
    expect(normalize('ftp://files.example.org/a b', 'url-v1')).toBe('files.example.org/ab')
    expect(normalize('www.example.com/index.html', 'url-v1')).toBe('www.example.com/index.html')
  })
  it('splits into code points', () => {
    expect(chars('http://a.jp/é😂')).toEqual(['a', '.', 'j', 'p', '/', 'é', '😂'])
  })
})

describe('encode / decode', () => {
  const spec = makeTokenizerSpec('word', 'text-v1', 5, [PAD, UNK, '.', 'the', 'film', 'good', 'is'])
  const tok = loadTokenizer(spec)

  it('maps tokens to ids, unknown words to [UNK], without padding', () => {
    expect(encode(tok, 'The film is good.')).toEqual([3, 4, 6, 5, 2])
    expect(encode(tok, 'the movie')).toEqual([3, UNK_ID])
    expect(encode(tok, '')).toEqual([])
  })

  it('truncates at the end (keeps the first maxLength tokens)', () => {
    const d = encodeDetailed(tok, 'the film is good . the film is bad .')
    expect(d.ids).toEqual([3, 4, 6, 5, 2])
    expect(d.truncated).toBe(5)
    expect(d.unknown).toBe(0)
    expect(encodeDetailed(tok, 'a movie').unknown).toBe(2)
  })

  it('round-trips: decode(encode(text)) gives the normalised tokens (in-vocabulary text)', () => {
    for (const text of ['The FILM is good.', 'good . the film', 'IS the film good']) {
      expect(decode(tok, encode(tok, text))).toEqual(words(text).slice(0, 5))
    }
    expect(decode(tok, encode(tok, 'the unknown'))).toEqual(['the', UNK])
    expect(() => decode(tok, [99])).toThrow(TokenizerError)
  })

  it('character level', () => {
    const c = loadTokenizer(makeTokenizerSpec('char', 'url-v1', 4, [PAD, UNK, 'a', 'b', '.']))
    expect(encode(c, 'https://ab.c')).toEqual([2, 3, 4, UNK_ID])
    expect(encode(c, 'ab.ab.ab')).toEqual([2, 3, 4, 2])
  })
})

describe('buildVocabulary', () => {
  it('orders by count, then by code point; applies minCount and maxSize', () => {
    const lists = [['b', 'a', 'c', 'c'], ['a', 'd', 'B'], ['c', 'e']]
    expect(buildVocabulary(lists, 100)).toEqual([PAD, UNK, 'c', 'a', 'B', 'b', 'd', 'e'])
    expect(buildVocabulary(lists, 100, 2)).toEqual([PAD, UNK, 'c', 'a'])
    expect(buildVocabulary(lists, 4)).toEqual([PAD, UNK, 'c', 'a'])
  })
  it('never includes the special tokens twice', () => {
    expect(buildVocabulary([[PAD, UNK, 'x']], 10)).toEqual([PAD, UNK, 'x'])
  })
})

describe('loadTokenizer validation', () => {
  const good = makeTokenizerSpec('word', 'text-v1', 8, [PAD, UNK, 'x'])
  const bad: Array<[string, Record<string, unknown>]> = [
    ['format', { format: 'other' }],
    ['version', { version: 2 }],
    ['level', { level: 'byte' }],
    ['normalizer', { normalizer: 'text-v9' }],
    ['maxLength', { maxLength: 0 }],
    ['truncation', { truncation: 'keep-end' }],
    ['padding', { padding: 'post' }],
    ['vocab', { vocab: ['x', PAD, UNK] }],
    ['vocab', { vocab: [PAD, UNK, 'x', 'x'] }],
  ]
  it.each(bad)('rejects a bad %s', (_what, change) => {
    expect(() => loadTokenizer({ ...good, ...change })).toThrow(TokenizerError)
  })
  it('accepts a good spec (also through JSON)', () => {
    expect(loadTokenizer(JSON.parse(JSON.stringify(good))).index.get('x')).toBe(2)
  })
})

describe('text that names Object.prototype properties', () => {
  const proto = ['constructor', '__proto__', 'tostring', 'hasownproperty', 'valueof', 'isprototypeof']

  it('entities named like them are left as they are', () => {
    expect(decodeEntities('&constructor; &__proto__; &toString; &hasOwnProperty; &valueOf;')).toBe('&constructor; &__proto__; &toString; &hasOwnProperty; &valueOf;')
    expect(decodeEntities('&constructor;&amp;')).toBe('&constructor;&')
    expect(words('a &constructor; b')).toEqual(['a', '&', 'constructor', ';', 'b'])
  })

  it('words named like them are [UNK] unless in the vocabulary, then their own ids', () => {
    const text = 'constructor __proto__ toString hasOwnProperty valueOf isPrototypeOf the'
    // '_' is punctuation to text-v1: __proto__ is '_' 'proto' '_'
    expect(words(text)).toEqual(['constructor', '_', 'proto', '_', 'tostring', 'hasownproperty', 'valueof', 'isprototypeof', 'the'])
    const without = loadTokenizer(makeTokenizerSpec('word', 'text-v1', 20, [PAD, UNK, 'the']))
    expect(encode(without, text)).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 2])
    const withThem = loadTokenizer(JSON.parse(JSON.stringify(makeTokenizerSpec('word', 'text-v1', 20, [PAD, UNK, ...proto, 'proto']))))
    expect(encode(withThem, text)).toEqual([2, 1, 8, 1, 4, 5, 6, 7, 1])
    expect(withThem.index.get('__proto__')).toBe(3)
    expect(decode(withThem, [2, 3])).toEqual(['constructor', '__proto__'])
    const chars = loadTokenizer(makeTokenizerSpec('char', 'url-v1', 20, [PAD, UNK, 'c']))
    expect(encode(chars, 'constructor')).toEqual([2, 1, 1, 1, 1, 1, 1, 2, 1, 1, 1])
  })
})

describe('tokenizer.json messages', () => {
  const good = makeTokenizerSpec('word', 'text-v1', 8, [PAD, UNK, 'x'])
  it('name the file once (tokenizer.json by default)', () => {
    expect(() => loadTokenizer({ ...good, vocab: 'nope' })).toThrow(/^tokenizer\.json: vocab must be a list of at least 3 non-empty strings$/)
    expect(() => loadTokenizer({ ...good, vocab: 'nope' }, 'vocab.json')).toThrow(/^vocab\.json: vocab must be a list of at least 3 non-empty strings$/)
  })
  it('a vocabulary above 2,000,000 tokens is refused', () => {
    const vocab = [PAD, UNK, ...Array.from({ length: 2_000_000 }, (_, k) => `t${k}`)]
    expect(() => loadTokenizer({ ...good, vocab })).toThrow(/^tokenizer\.json: the vocabulary has 2,000,002 tokens; the limit is 2,000,000$/)
  })
})
