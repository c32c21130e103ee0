import { describe, expect, it } from 'vitest'
import { randomNetwork } from '../cert/index.ts'
import type { InputsModel } from './inputs.ts'
import { InputsError, parseInputsData, parseInputsText } from './inputs.ts'
import { loadTokenizer, makeTokenizerSpec } from './tokenizer.ts'

const frames: InputsModel = { net: randomNetwork({ cell: 'lstm', hidden: [3], frameSize: 2, classes: 3, seed: 1 }), tokenizer: null, classes: 3 }
const tokenizer = loadTokenizer(makeTokenizerSpec('word', 'text-v1', 4, ['[PAD]', '[UNK]', 'good', 'bad', 'film']))
const tokens: InputsModel = { net: randomNetwork({ cell: 'gru', hidden: [3], frameSize: 2, classes: 2, seed: 2, vocab: 5 }), tokenizer, classes: 2 }

const problem = (data: unknown, m: InputsModel, opts = {}) => {
  try {
    parseInputsData(data, 'in.json', m, opts)
  } catch (e) {
    expect(e).toBeInstanceOf(InputsError)
    return (e as Error).message
  }
  throw new Error('not refused')
}

describe('inputs files (one reader for the command lines and the app)', () => {
  it('reads frames, tokens and text, with labels, and unwraps {"examples": [...]}', () => {
    const r = parseInputsData({ examples: [{ x: [[0, 1], [2, 3]], label: 2 }] }, 'in.json', frames)
    expect(r.inputs).toEqual([{ x: [[0, 1], [2, 3]], label: 2 }])
    const t = parseInputsText('[{"tokens": [2, 4], "label": 1}, {"text": "Good film, bad film!"}]', 'in.json', tokens)
    // "good film , bad film !" is 6 tokens: the model reads the first 4, and the reader says so
    expect(t.inputs).toEqual([{ tokens: [2, 4], label: 1 }, { tokens: [2, 4, 1, 3], label: undefined }])
    expect(t.texts).toEqual([null, 'Good film, bad film!'])
    expect(t.truncated).toEqual([{ index: 1, tokens: 6, kept: 4 }])
  })

  it('names each problem by its input index, several at once, and runs nothing', () => {
    expect(problem([null, { x: [[0, 1, 2]] }, { x: [[0, 'a']] }], frames)).toBe(
      'in.json: input 0 is null, not an object {"x": [[...]]}; input 1: frame 0 has 3 values, the model expects 2; input 2: frame 0 value 1 is the text "a", not a finite number. Nothing was run.',
    )
    expect(problem([{ x: [[0, 1]], label: 3 }], frames)).toMatch(/input 0: label 3 is not a class index \(0…2\)/)
    expect(problem([{ x: [[0, 1]], tokens: [1] }], frames)).toMatch(/input 0 has both "x" and "tokens"; give one/)
    expect(problem([{ tokens: [1] }], frames)).toMatch(/input 0: this model reads frames: give "x"/)
    expect(problem([{ label: 1 }], frames)).toMatch(/input 0 has neither "x" \(frames\) nor "tokens"/)
    expect(problem([{ x: [[0, 1]] }], tokens)).toMatch(/input 0: this model reads tokens: give "tokens" \(token ids\) or "text", not "x"/)
    expect(problem([{ tokens: [1, 5] }], tokens)).toMatch(/input 0: token 1 is 5, outside the vocabulary of 5 entries/)
    expect(problem([{ tokens: [1, -1] }], tokens)).toMatch(/input 0: token 1 is -1, not a token id/)
    expect(problem([{ text: '!!! ???' }], { ...tokens, tokenizer: null })).toMatch(/input 0: this model has no tokenizer: give "tokens"/)
    expect(problem([{ text: 42 }], tokens)).toMatch(/input 0: "text" must be a string, got 42/)
    expect(problem(Array.from({ length: 9 }, () => null), frames)).toMatch(/input 4 is null, not an object \{"x": \[\[\.\.\.\]\]\}; and more\. Nothing was run\.$/)
  })

  it('refuses the file as a whole: not JSON, too deep, not a list, empty, too many', () => {
    expect(() => parseInputsText('{', 'in.json', frames)).toThrow(/^in.json: not valid JSON/)
    expect(() => parseInputsText('['.repeat(70) + ']'.repeat(70), 'in.json', frames)).toThrow(/in.json nests objects and lists more than 64 deep/)
    expect(problem({ a: 1 }, frames)).toMatch(/in.json: expected a JSON array of \{"x": \[\[\.\.\.\]\]\} objects .*, got an object/)
    expect(problem([], frames)).toBe('in.json holds no inputs (an empty list)')
    expect(problem([{ x: [[0, 1]] }, { x: [[0, 1]] }], frames, { maxInputs: 1, maxInputsHint: 'use the CLI' })).toBe('in.json has 2 inputs; at most 1 are read at a time (use the CLI)')
  })

  it('refuses inputs over the frame cap with an estimate, and takes a raised cap', () => {
    const long = [{ x: Array.from({ length: 300 }, () => [0, 1]) }]
    expect(problem(long, frames, { raiseWith: '--max-frames' })).toMatch(/input 0 has 300 frames; the certifier's cap is 256 frames \(.*estimated .* for this input\); raise the cap with --max-frames 300/)
    expect(parseInputsData(long, 'in.json', frames, { maxFrames: 300 }).inputs).toHaveLength(1)
    expect(problem([{ tokens: [2, 3, 4] }], tokens, { maxFrames: 2 })).toMatch(/input 0 has 3 tokens; the certifier's cap is 2 tokens/)
  })
})
