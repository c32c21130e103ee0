/**
 * The benchmark's models: fixed-seed random-weight networks with the paper's shapes, their
 * seeded inputs, and a cost model that decides how many samples (and, for the largest
 * models, which frames) the default run can afford.
 */
import type { CellType, RandomNetworkSpec, SampleInput } from '../../src/cert/index.ts'
import { hashSeed, randomFrames, Rng } from '../../src/cert/index.ts'
/**
 * Weight scale passed to randomNetwork (multiplies its Glorot-like std √(2/(in+out))).
 * Checked 0.25, 0.5, 1, 2, 4 on RNN/LSTM/GRU-7-32 (and 0.25/1 on T = 1…28, h up to 128):
 * with 1, every Cert-RNN and DeepZ per-frame bound lies in about (5e-4, 0.3) — never 0,
 * never near the cap 1 − 2⁻¹³ — as in the paper's trained models. Smaller scales make the
 * nets nearly linear (Cert-RNN ≈ DeepZ) and push early-frame bounds to the cap; larger ones
 * push bounds towards the 2⁻¹³ resolution. The interval method's sample bound is 0 (below
 * 2⁻¹³) on most multi-frame RNN/GRU models at any scale ≥ 0.5: its boxes blow up over the
 * steps after an early frame. The report therefore also compares last-frame bounds.
 */
export const WEIGHT_SCALE = 1

/** Pixels of an MNIST-like image, split into T frames of 784/T values. */
export const PIXELS = 784

export interface BenchModel {
  name: string
  family: 'rnn' | 'lstm' | 'gru' | 'gru-ra' | 'lstm2l' | 'text'
  spec: RandomNetworkSpec
  /** sequence length (frames or tokens) */
  T: number
  /** values per frame (embedding dimension for the text model) */
  frameSize: number
  hidden: number[]
  /** seed of the inputs (the network's seed is spec.seed) */
  inputSeed: number
}

/** A model's seed depends on its name only, so --models never changes the nets. */
export const nameSeed = hashSeed

function model(name: string, family: BenchModel['family'], cell: CellType, T: number, hidden: number[], text = false): BenchModel {
  const frameSize = text ? 32 : PIXELS / T
  const seed = nameSeed(name)
  const spec: RandomNetworkSpec = {
    cell,
    hidden,
    frameSize,
    classes: text ? 2 : 10,
    seed,
    scale: WEIGHT_SCALE,
    ...(text ? { vocab: 1000 } : {}),
  }
  return { name, family, spec, T, frameSize, hidden, inputSeed: nameSeed(`${name}/inputs`) }
}

export const TS = [1, 2, 4, 7, 14, 28]
export const HS = [32, 64, 128]

export function allModels(): BenchModel[] {
  const out: BenchModel[] = []
  for (const [family, cell] of [['rnn', 'simpleRnn'], ['lstm', 'lstm']] as const) {
    for (const T of TS) for (const h of HS) out.push(model(`${family}-${T}-${h}`, family, cell, T, [h]))
  }
  out.push(model('gru-7-32', 'gru', 'gru', 7, [32]))
  out.push(model('gru-ra-7-32', 'gru-ra', 'gruResetAfter', 7, [32]))
  out.push(model('lstm2l-7-32', 'lstm2l', 'lstm', 7, [32, 32]))
  out.push(model('text-lstm-25-32', 'text', 'lstm', 25, [32], true))
  return out
}

/** The models of --quick (plus the targets, which always run). */
export const QUICK_MODELS = ['rnn-4-32', 'rnn-7-32', 'lstm-7-32', 'gru-7-32']

/**
 * Select models by a comma list of names or regular expressions (each matched against the
 * whole name): `rnn-7-32,lstm-7-32`, `lstm-.*-32`, `.*-7-32`.
 */
export function selectModels(models: BenchModel[], pattern: string): BenchModel[] {
  const parts = pattern.split(',').map((p) => p.trim()).filter(Boolean)
  const res = parts.map((p) => {
    try {
      return new RegExp(`^(?:${p})$`)
    } catch {
      throw new Error(`--models: "${p}" is neither a model name nor a valid regular expression`)
    }
  })
  const picked = models.filter((m) => res.some((r) => r.test(m.name)))
  if (picked.length === 0) throw new Error(`--models "${pattern}" matches no model; models are: ${models.map((m) => m.name).join(', ')}`)
  return picked
}

/** Seeded inputs: sample k is the same whatever the number of samples asked for. */
export function sampleInputs(m: BenchModel, count: number): SampleInput[] {
  const rng = new Rng(m.inputSeed)
  const out: SampleInput[] = []
  for (let k = 0; k < count; k++) {
    if (m.family === 'text') out.push({ tokens: Array.from({ length: m.T }, () => rng.int(m.spec.vocab!)) })
    else out.push({ x: randomFrames(rng, m.T, m.frameSize) })
  }
  return out
}

// ---------------------------------------------------------------------------------------
// Cost model: the Cert-RNN zonotope of a single-frame threat at frame t starts with F
// symbols (the frame) and gains ~k·h fresh symbols per step (one per neuron per
// nonlinearity), so step s (s = 1 … T − t) costs ≈ G·h·h·(F + k·h·s) multiply-adds in the
// recurrent affine map (G gates), plus G·h·F·F for the perturbed frame itself. Summed over
// all frames this is one "round" (one evaluation per frame); the paper's search does 13
// rounds. Calibrated on this machine's JS (≈ 1 GMAC/s incl. the elementwise work): within
// ±30 % of the measured round of RNN/LSTM-T-h for T ≥ 2.

const GATES: Record<BenchModel['family'], number> = { rnn: 1, lstm: 4, gru: 3, 'gru-ra': 3, lstm2l: 4, text: 4 }
const NEW_SYMBOLS: Record<BenchModel['family'], number> = { rnn: 1, lstm: 3, gru: 3, 'gru-ra': 3, lstm2l: 3, text: 3 }

/** Estimated multiply-adds of one Cert-RNN evaluation with frame t perturbed. */
export function evalWork(m: BenchModel, t: number): number {
  const G = GATES[m.family]
  const k = NEW_SYMBOLS[m.family]
  const F = m.frameSize
  const L = m.T - t
  let work = 0
  let growth = 0 // fresh symbols per step of the layers so far
  let width = F // input width of the layer
  m.hidden.forEach((h, layer) => {
    const growthIn = growth
    growth += k * h
    for (let s = 1; s <= L; s++) {
      // layer 1 sees the perturbed frame at its first step only; higher layers see the
      // states below, which carry every symbol created so far
      const inSymbols = layer === 0 ? (s === 1 ? F : 0) : F + growthIn * s
      work += G * h * width * inSymbols + G * h * h * (F + growth * (s - 1))
    }
    width = h
  })
  return work
}

/** Seconds per multiply-add of the estimate (deliberately a constant: plans do not depend on the machine). */
export const SECONDS_PER_MAC = 0.7e-9
/** Paper search: 13 evaluations per frame (Algorithm 1; the located search usually needs 3–5, so the plans are conservative). */
export const PAPER_EVALS = 13
/**
 * All measurements of one sample cost ≈ this many Cert-RNN paper searches:
 * Cert-RNN paper 1 + Cert-RNN fast ≈ 0.8 + DeepZ ≈ 1.1 + interval ≈ 0.3–1.5 (dense boxes)
 * + tight ≈ 2 (a Cert-RNN run at every probe, the tight run where Cert-RNN fails).
 */
export const RUNS_PER_SAMPLE = 5.8

export function estimateSeconds(m: BenchModel, frames: number[]): number {
  const work = frames.reduce((s, t) => s + evalWork(m, t), 0)
  return work * SECONDS_PER_MAC * PAPER_EVALS * RUNS_PER_SAMPLE
}

export interface Plan {
  samples: number
  /** frames searched (single-frame threat); all frames unless the model is too big */
  frames: number[]
  allFrames: boolean
  /** estimated seconds for all methods and samples */
  estSeconds: number
  /** why the plan is smaller than asked, if it is */
  note: string
}

/**
 * Samples: as many as asked while the model's estimate stays within the budget (at least
 * one). Frames: all (always for the text model, whose per-token bounds are a target),
 * unless one sample over all frames exceeds 2.5 budgets; then the last
 * frames only (the cheapest ones, and on these random nets the ones with the smallest
 * bound: see the "argmin frame" column of the full-frame models).
 */
export function planModel(m: BenchModel, samples: number, budgetSeconds: number, limits: boolean): Plan {
  const all = Array.from({ length: m.T }, (_, t) => t)
  const perSample = estimateSeconds(m, all)
  if (!limits) return { samples, frames: all, allFrames: true, estSeconds: perSample * samples, note: '' }
  // the text model's per-token bounds are a target: always all 25 tokens
  if (perSample <= budgetSeconds * 2.5 || m.T === 1 || m.family === 'text') {
    const n = Math.max(1, Math.min(samples, Math.floor(budgetSeconds / perSample)))
    const note = n < samples ? `samples reduced to ${n} (est. ${perSample.toFixed(0)} s per sample)` : ''
    return { samples: n, frames: all, allFrames: true, estSeconds: perSample * n, note }
  }
  // last frames only, as many as one budget allows
  const frames: number[] = []
  let est = 0
  for (let t = m.T - 1; t >= 0; t--) {
    const next = est + estimateSeconds(m, [t])
    if (frames.length > 0 && next > budgetSeconds) break
    frames.unshift(t)
    est = next
  }
  return {
    samples: 1,
    frames,
    allFrames: false,
    estSeconds: est,
    note: `1 sample, frames ${frames[0]}…${m.T - 1} of 0…${m.T - 1} only (all frames: est. ${perSample.toFixed(0)} s per sample for the four searches)`,
  }
}
