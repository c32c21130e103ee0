/**
 * An uploaded file of inputs for data-set evaluation, in the CLI's JSON format, checked by
 * the one reader the command lines use too (src/model/inputs.ts): every item against the
 * model, the first problems reported by input index, so nothing runs on input the model
 * cannot read.
 */
import type { ParsedInputs } from '../../model/inputs.ts'
import { parseInputsText } from '../../model/inputs.ts'
import type { LoadedModel } from '../model/loaded.ts'

export type { ParsedInputs }

/** The app evaluates at most this many inputs at a time (the command line has no such limit). */
export const MAX_INPUTS = 2000

export function parseInputsFile(text: string, fileName: string, m: Pick<LoadedModel, 'net' | 'tokenizer' | 'classNames'>): ParsedInputs {
  return parseInputsText(text, fileName, { net: m.net, tokenizer: m.tokenizer, classes: m.classNames.length }, {
    maxInputs: MAX_INPUTS,
    maxInputsHint: 'use npm run evaluate for more',
    raiseWith: 'npm run evaluate -- --max-frames',
  })
}
