/** The words of the app, explained once (shown by `Term` and the glossary panel, Glossary.tsx). */
import type { MarginCheck, Method, SearchKind } from '../../cert/index.ts'
import { METHOD_LABELS, METHOD_SHORT } from '../../cert/index.ts'

/** Each method in plain words (a method the certifier adds later falls back to its own label). */
const METHOD_WORDS: Partial<Record<Method, string>> = {
  certrnn: 'the tightest planes around each nonlinearity (the paper’s method)',
  deepz: 'the standard planes of earlier verifiers (looser)',
  interval: 'boxes only: fastest, loosest',
  tight: 'Cert-RNN’s planes over narrower input ranges (two ways of bounding combined): tightest, slowest',
}

export const methodName = (m: Method): string => METHOD_SHORT[m] ?? m
export const methodWords = (m: Method): string => METHOD_WORDS[m] ?? METHOD_LABELS[m] ?? m

/** The margin checks in words: the settings' options (`long`) and the results' provenance lines (`short`). */
export const MARGIN_WORDS: Record<MarginCheck, { long: string; short: string }> = {
  diff: { long: 'the two classes compared directly (what they share cancels)', short: 'classes compared directly' },
  paper: { long: 'the paper’s check (each class’s range on its own)', short: 'the paper’s margin check' },
}

/** The bound searches in words. */
export const SEARCH_WORDS: Record<SearchKind, { long: string; short: string }> = {
  fast: { long: 'fast (adaptive, to within 2⁻¹³ ≈ 0.00012)', short: 'fast search' },
  paper: { long: 'the paper’s Algorithm 1 (13 steps)', short: 'the paper’s search' },
}
/** The searches in the order the menus offer them (the fast one first). */
export const SEARCH_KINDS = Object.keys(SEARCH_WORDS) as SearchKind[]

export const GLOSSARY = {
  eps: {
    term: 'ε (epsilon)',
    text: 'How far each input value may move: the radius of the ℓ∞ ball. For images, a pixel (0 = black, 1 = white) may change by up to ε. For text, ε is a distance in the embedding space: each perturbed word is the whole ball of radius ε around its embedding vector (every coordinate ± ε), not a list of other words.',
  },
  ball: {
    term: 'ℓ∞ ball',
    text: 'All inputs whose values each differ from the original by at most ε (a box around the input). The threat model says which frames (image rows, or tokens) are perturbed.',
  },
  zonotope: {
    term: 'zonotope',
    text: 'A shape c + G·η with every noise symbol η between −1 and 1: a centre plus a sum of segments. Zonotopes keep the correlations between neurons, so they are much tighter than boxes (intervals) and every layer can be pushed through them exactly or with a sound over-approximation.',
  },
  noise: {
    term: 'noise symbol',
    text: 'One of the η ∈ [−1, 1] a zonotope is made of. The input gets one per perturbed value; every nonlinearity adds a fresh one for its approximation error. Shared symbols are what make two neurons move together.',
  },
  plane: {
    term: 'bounding planes',
    text: 'A nonlinearity such as tanh or σ(x)·tanh(y) is not affine, so over a box of its inputs it is enclosed between two parallel planes (lines in 1-D). The gap between them becomes a fresh noise symbol. Cert-RNN chooses tighter planes than DeepZ; interval bounds use flat ones.',
  },
  margin: {
    term: 'certified margin',
    text: 'The smallest difference, over the whole ε-ball, between the predicted class’s score and any other class’s score, as the method can prove it. Above 0: certified (no input in the ball changes the prediction). At or below 0: not proven (the method is not tight enough, or an adversarial input exists).',
  },
  bound: {
    term: 'certified bound (robustness bound ε*)',
    text: 'The largest ε at which the method still certifies the prediction, found by searching ε down to 2⁻¹³ ≈ 0.000122. Every input within ε* keeps the prediction: a proof, not a test. 0 means not certified at any ε the search tries.',
  },
  attack: {
    term: 'attack radius',
    text: 'The smallest ε at which PGD (a gradient attack) found an input that changes the prediction. The true robustness radius lies between the certified bound (below) and the attack radius (above).',
  },
  split: {
    term: 'splitting the input',
    text: 'A way to tighten a certificate: cut the box of inputs in two along one input value and certify each half on its own. Smaller boxes give tighter lines around every nonlinearity, so a half can be certified where the whole was not. The input is certified when every part is; the parts with the smallest margin are cut again until all are certified or the runs allowed are spent.',
  },
} as const

export type TermId = keyof typeof GLOSSARY
