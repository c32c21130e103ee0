/**
 * The sensitive words of our toxic examples (toxic-lstm): per token, the certified bound of
 * Cert-RNN and of tight and the PGD attack radius (every token searched to the resolution),
 * the most sensitive words by each, how often the rankings agree (top-3 overlap, Spearman's
 * ρ over the tokens) and whether the bounds grow with the token's position (the "first
 * words look most sensitive" effect of the certifier's looseness).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Method } from '../../src/cert/index.ts'
import { compileNetwork, mean, prepareSample, smallestIndices, spearman, topOverlap } from '../../src/cert/index.ts'
import { toCsv } from '../../src/model/csv.ts'
import type { Manifest } from '../../src/model/manifest.ts'
import { decode, loadTokenizer } from '../../src/model/tokenizer.ts'
import type { AttackSummary, BoundSummary } from '../../src/worker/protocol.ts'
import { PER_FRAME_PGD } from '../../src/worker/protocol.ts'
import type { JobRunner } from '../lib/jobs.ts'
import { loadModelDir } from '../lib/loadModelDir.ts'
import { f4, headerLine, MODELS_ROOT, readExamples } from './common.ts'

export const WORDS_MODEL = 'toxic-lstm'
const METHODS_COMPARED = ['certrnn', 'tight'] as const satisfies readonly Method[]
const TOP = 3

/** One example's per-token bounds. */
export interface WordRow {
  text: string
  prediction: string
  words: string[]
  certrnn: number[]
  tight: number[]
  attack: number[]
}

/** What the file says about one example: the most sensitive words by each bound, agreement and position bias. */
export function wordStats(r: WordRow) {
  const positions = r.words.map((_, t) => t)
  const k = Math.min(TOP, r.words.length)
  return {
    top: { certrnn: smallestIndices(r.certrnn, k), tight: smallestIndices(r.tight, k), attack: smallestIndices(r.attack, k) },
    k,
    overlap: { certrnn: topOverlap(r.certrnn, r.attack, k), tight: topOverlap(r.tight, r.attack, k), methods: topOverlap(r.certrnn, r.tight, k) },
    rho: { certrnn: spearman(r.certrnn, r.attack), tight: spearman(r.tight, r.attack), methods: spearman(r.certrnn, r.tight) },
    /** ρ(position, bound) > 0: the bound grows along the sentence, i.e. the first words look most sensitive */
    position: { certrnn: spearman(positions, r.certrnn), tight: spearman(positions, r.tight), attack: spearman(positions, r.attack) },
    /** tokens whose certified bound (either method) is above their attack radius: a soundness bug */
    violations: positions.filter((t) => r.certrnn[t] > r.attack[t] || r.tight[t] > r.attack[t]),
  }
}

const radius = (a: number) => (Number.isFinite(a) ? f4(a) : '∞')
const rho = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '–')
/** mean over the examples where the value is defined */
const meanOf = (xs: number[]) => mean(xs.filter(Number.isFinite))

/** The markdown: a line per example and the summary. */
export function wordsMarkdown(rows: WordRow[], header: string): string {
  const stats = rows.map(wordStats)
  const words = (r: WordRow, top: number[], v: number[]) => top.map((t) => `${r.words[t]} (${radius(v[t])})`).join(', ')
  const n = rows.length
  const firstMost = (m: 'certrnn' | 'tight' | 'attack') => stats.filter((s) => s.top[m][0] === 0).length
  const same1 = (m: 'certrnn' | 'tight') => stats.filter((s) => s.top[m][0] === s.top.attack[0]).length
  const tokens = rows.reduce((a, r) => a + r.words.length, 0)
  const violations = stats.reduce((a, s) => a + s.violations.length, 0)
  return [
    `# Sensitive words (${WORDS_MODEL}): certified bounds (Cert-RNN, tight) and the PGD attack radius per token`,
    '',
    header,
    '',
    `Each token alone is perturbed (single-frame threat: ε is the radius of the ℓ∞ ball around its embedding vector). Certified bounds: fast search (resolution 2⁻¹³), diff margin check; smaller = more sensitive. Attack: PGD (${PER_FRAME_PGD.steps} steps, ${PER_FRAME_PGD.restarts} restarts, as the page's heatmap) on every token, each bisected to 2⁻¹³: an upper bound on the token's true robustness radius, which lies between the certified bound and the attack radius (∞: no adversarial input up to ε = 1).`,
    `Overlap: how many of the ${TOP} most sensitive tokens two rankings share. ρ: Spearman's rank correlation over the tokens. Position ρ: Spearman's correlation of the bound with the token's position (> 0: the bounds grow along the sentence, so the first words look most sensitive).`,
    '',
    `| text | prediction | ${TOP} most sensitive: Cert-RNN | tight | attack | overlap with the attack (Cert-RNN / tight) | ρ with the attack (Cert-RNN / tight) | position ρ (Cert-RNN / tight / attack) |`,
    '|---|---|---|---|---|--:|--:|--:|',
    ...rows.map((r, e) => {
      const s = stats[e]
      return `| ${r.text} | ${r.prediction} | ${words(r, s.top.certrnn, r.certrnn)} | ${words(r, s.top.tight, r.tight)} | ${words(r, s.top.attack, r.attack)} | ${s.overlap.certrnn}/${s.k} / ${s.overlap.tight}/${s.k} | ${rho(s.rho.certrnn)} / ${rho(s.rho.tight)} | ${rho(s.position.certrnn)} / ${rho(s.position.tight)} / ${rho(s.position.attack)} |`
    }),
    '',
    `## Summary (${n} examples, ${tokens} tokens)`,
    '',
    `- **Rankings**: the ${TOP} most sensitive tokens by the certified bound share on average ${meanOf(stats.map((s) => s.overlap.certrnn)).toFixed(2)} (Cert-RNN) / ${meanOf(stats.map((s) => s.overlap.tight)).toFixed(2)} (tight) tokens with the attack's ${TOP}; the most sensitive token is the attack's in ${same1('certrnn')} / ${same1('tight')} of ${n} examples; mean ρ with the attack ${rho(meanOf(stats.map((s) => s.rho.certrnn)))} (Cert-RNN) / ${rho(meanOf(stats.map((s) => s.rho.tight)))} (tight). Cert-RNN and tight rank alike: overlap ${meanOf(stats.map((s) => s.overlap.methods)).toFixed(2)} of ${TOP}, mean ρ ${rho(meanOf(stats.map((s) => s.rho.methods)))}.`,
    `- **Position bias**: mean ρ(position, bound) ${rho(meanOf(stats.map((s) => s.position.certrnn)))} (Cert-RNN), ${rho(meanOf(stats.map((s) => s.position.tight)))} (tight), ${rho(meanOf(stats.map((s) => s.position.attack)))} (attack); the first token is the most sensitive in ${firstMost('certrnn')} (Cert-RNN), ${firstMost('tight')} (tight) and ${firstMost('attack')} (attack) of ${n} examples.`,
    `- **Soundness**: ${violations === 0 ? `every token's certified bound (Cert-RNN and tight) is at most its attack radius (${tokens} tokens)` : `${violations} token(s) with a certified bound above the attack radius: a soundness bug`}.`,
    '',
  ].join('\n')
}

/**
 * Measure and write `sensitive-words.md` and `.csv` for the first `n` examples of toxic-lstm:
 * both methods' per-token bound searches, then the attack on every token (started from the
 * Cert-RNN bounds).
 */
export async function sensitiveWords({ manifest, n, out, command, runner }: { manifest: Manifest; n: number; out: string; command: string; runner: JobRunner }): Promise<void> {
  const t0 = performance.now()
  const m = manifest.models.find((x) => x.id === WORDS_MODEL)
  if (!m) throw new Error(`${WORDS_MODEL} is not in the zoo`)
  const net = loadModelDir(join(MODELS_ROOT, m.path))
  const cn = compileNetwork(net)
  const tok = loadTokenizer(JSON.parse(readFileSync(join(MODELS_ROOT, m.path, 'tokenizer.json'), 'utf8')))
  const examples = readExamples(m.path, n, { task: m.task })
  runner.models.set(m.id, net)
  const searches = examples.flatMap((input, e) => METHODS_COMPARED.map((method) => ({ e, method, input })))
  const bounds = await runner.run<BoundSummary>(
    searches.map(({ input, method }) => ({ model: m.id, job: { kind: 'bound', input, method, threat: { kind: 'single' }, margin: 'diff', search: 'fast' } })),
    { describe: (j) => `${m.id} example ${searches[j].e}, ${searches[j].method}` },
  )
  const perFrame = (e: number, method: Method) => bounds[searches.findIndex((s) => s.e === e && s.method === method)].result.perFrame!
  const attacks = await runner.run<AttackSummary>(
    examples.map((input, e) => ({ model: m.id, job: { kind: 'attack', input, threat: { kind: 'single' }, ...PER_FRAME_PGD, seed: e + 1, everyFrame: true, guess: perFrame(e, 'certrnn').map((b) => Math.max(b, 1e-3)) } })),
    { describe: (e) => `${m.id} example ${e}, attack on every token` },
  )
  const rows: WordRow[] = examples.map((ex, e) => {
    const words = decode(tok, ex.tokens!)
    return { text: ex.text ?? words.join(' '), prediction: m.classes[prepareSample(cn, ex).predicted], words, certrnn: perFrame(e, 'certrnn'), tight: perFrame(e, 'tight'), attack: attacks[e].perFrame! }
  })
  mkdirSync(out, { recursive: true })
  writeFileSync(join(out, 'sensitive-words.md'), wordsMarkdown(rows, headerLine(command, (performance.now() - t0) / 60000)))
  writeFileSync(
    join(out, 'sensitive-words.csv'),
    toCsv(rows.flatMap((r, e) => r.words.map((word, position) => ({ example: e, position, word, certrnn: r.certrnn[position], tight: r.tight[position], attack: r.attack[position] })))),
  )
}
