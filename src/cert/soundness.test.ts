/**
 * Whole-network soundness: for random small networks of every cell type (and stacked
 * layers, and a token model), every threat model and every method, thousands of inputs
 * sampled in the ε-ball plus a gradient attack must land inside the certified bounds
 * (output logits, logit differences, and every hidden state the trace records), and no
 * certified sample may be flipped.
 */
import { describe, expect, it } from 'vitest'
import type { TraceEntry } from './domains/zonotope.ts'
import type { PreparedSample } from './certify.ts'
import { certifyFrames, findBound, prepareSample } from './certify.ts'
import { Rng } from './rng.ts'
import type { CompiledNetwork } from './runtime.ts'
import type { ConcreteEntry } from './runtime.ts'
import { compileNetwork, forward } from './runtime.ts'
import type { MergeMode } from './network.ts'
import type { CellType, ExtraLayer } from './randomNetwork.ts'
import { randomFrames, randomNetwork } from './randomNetwork.ts'
import type { Clip } from './threat.ts'
import { METHODS } from './transformers/index.ts'

/** points sampled per ε when every frame is perturbed; regions of fewer frames get PART_SAMPLES */
const SAMPLES = 4_000
const PART_SAMPLES = 1_500
const TOL = 1e-9

interface Case {
  name: string
  cell: CellType
  hidden: number[]
  vocab?: number
  activation?: string
  head?: Array<{ units: number; activation: string }>
  hardSigmoidSlope?: number
  before?: ExtraLayer[]
  returnSequences?: boolean
  after?: ExtraLayer[]
  seqLen?: number
  bidirectional?: MergeMode
  maskZero?: boolean
  /** frames set to all zeros (token models: token 0), masked by a Masking(0) layer or mask_zero */
  zeroFrames?: number[]
}

const CASES: Case[] = [
  { name: 'SimpleRNN', cell: 'simpleRnn', hidden: [5] },
  { name: 'LSTM', cell: 'lstm', hidden: [4] },
  { name: 'GRU', cell: 'gru', hidden: [4] },
  { name: 'GRU reset_after', cell: 'gruResetAfter', hidden: [4] },
  { name: 'stacked LSTM', cell: 'lstm', hidden: [4, 3] },
  { name: 'stacked GRU', cell: 'gru', hidden: [3, 3] },
  { name: 'stacked SimpleRNN', cell: 'simpleRnn', hidden: [4, 4] },
  { name: 'token LSTM', cell: 'lstm', hidden: [4], vocab: 20 },
  { name: 'relu SimpleRNN', cell: 'simpleRnn', hidden: [5], activation: 'relu' },
  { name: 'LSTM, hard_sigmoid gates (0.2)', cell: 'lstm', hidden: [4], hardSigmoidSlope: 0.2 },
  { name: 'GRU reset_after, hard_sigmoid gates (1/6)', cell: 'gruResetAfter', hidden: [4], hardSigmoidSlope: 1 / 6 },
  { name: 'GRU, hard_sigmoid gates (0.2)', cell: 'gru', hidden: [4], hardSigmoidSlope: 0.2 },
  { name: 'LSTM with two relu Dense layers', cell: 'lstm', hidden: [4], head: [{ units: 6, activation: 'relu' }, { units: 5, activation: 'relu' }] },
  // the sequence pipeline: layers around the recurrence
  { name: 'Dropout + BatchNormalization + LSTM', cell: 'lstm', hidden: [4], before: [{ kind: 'identity', className: 'Dropout' }, { kind: 'batchNorm' }] },
  { name: 'Dense (relu) per frame + GRU', cell: 'gru', hidden: [4], before: [{ kind: 'dense', units: 4, activation: 'relu' }] },
  { name: 'LSTM sequences + GlobalAveragePooling1D', cell: 'lstm', hidden: [4], returnSequences: true, after: [{ kind: 'pool', mode: 'avg' }] },
  { name: 'LSTM sequences + GlobalMaxPooling1D', cell: 'lstm', hidden: [4], returnSequences: true, after: [{ kind: 'pool', mode: 'max' }] },
  {
    name: 'token GRU + SpatialDropout1D, sequences + GlobalMaxPooling1D + relu head (the toxic-comment shape, one direction)',
    cell: 'gru',
    hidden: [4],
    vocab: 20,
    before: [{ kind: 'identity', className: 'SpatialDropout1D' }],
    returnSequences: true,
    after: [{ kind: 'pool', mode: 'max' }],
    head: [{ units: 5, activation: 'relu' }],
  },
  // Conv1D: a perturbed frame reaches the outputs whose window covers it
  { name: 'Conv1D (same, relu) + GRU', cell: 'gru', hidden: [3], before: [{ kind: 'conv1d', filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }] },
  {
    name: 'Conv1D (causal, dilation 2, tanh) + LSTM sequences + Conv1D (valid) + average pool',
    cell: 'lstm',
    hidden: [3],
    before: [{ kind: 'conv1d', filters: 3, kernelSize: 2, dilation: 2, padding: 'causal', activation: 'tanh' }],
    returnSequences: true,
    after: [{ kind: 'conv1d', filters: 3, kernelSize: 2, padding: 'valid', activation: 'linear' }, { kind: 'pool', mode: 'avg' }],
  },
  // Bidirectional: a perturbed frame enters both directions with the same symbols
  { name: 'Bidirectional LSTM, concat', cell: 'lstm', hidden: [3], bidirectional: 'concat' },
  { name: 'Bidirectional GRU reset_after, sum', cell: 'gruResetAfter', hidden: [3], bidirectional: 'sum' },
  { name: 'stacked Bidirectional SimpleRNN, ave', cell: 'simpleRnn', hidden: [3, 3], bidirectional: 'ave' },
  { name: 'Bidirectional GRU sequences, mul + average pool', cell: 'gru', hidden: [3], bidirectional: 'mul', returnSequences: true, after: [{ kind: 'pool', mode: 'avg' }] },
  // PyTorch's out[:, -1] of a bidirectional layer (ONNX): the backward direction's first step
  { name: 'Bidirectional GRU reset_after sequences, concat + the last step', cell: 'gruResetAfter', hidden: [3], bidirectional: 'concat', returnSequences: true, after: [{ kind: 'pool', mode: 'last' }] },
  {
    name: 'the toxic-comment classifier: Embedding + SpatialDropout1D + Bidirectional LSTM (sequences, concat) + GlobalMaxPooling1D + relu head',
    cell: 'lstm',
    hidden: [3],
    vocab: 20,
    before: [{ kind: 'identity', className: 'SpatialDropout1D' }],
    bidirectional: 'concat',
    returnSequences: true,
    after: [{ kind: 'pool', mode: 'max' }],
    head: [{ units: 5, activation: 'relu' }],
  },
  {
    name: 'GRU reset_after sequences + TimeDistributed(Dense tanh) + Flatten',
    cell: 'gruResetAfter',
    hidden: [3],
    returnSequences: true,
    after: [{ kind: 'dense', units: 3, activation: 'tanh' }, { kind: 'flatten' }],
    seqLen: 4,
  },
  {
    name: 'token SimpleRNN + SpatialDropout1D, sequences + BatchNormalization + average pool + relu head',
    cell: 'simpleRnn',
    hidden: [4],
    vocab: 20,
    before: [{ kind: 'identity', className: 'SpatialDropout1D' }],
    returnSequences: true,
    after: [{ kind: 'batchNorm' }, { kind: 'pool', mode: 'avg' }],
    head: [{ units: 5, activation: 'relu' }],
  },
  // masking: frames 1 and 3 are all zero (masked); perturbed, their clipped ball holds the all-zero point, so their
  // mask may change (the join of skipped and processed); random frames with a feature beyond ε keep theirs
  {
    name: 'Masking(0) + Bidirectional LSTM sequences, ave + masked average pool (masked frames perturbed)',
    cell: 'lstm',
    hidden: [3],
    before: [{ kind: 'masking', value: 0 }],
    bidirectional: 'ave',
    returnSequences: true,
    after: [{ kind: 'pool', mode: 'avg' }],
    zeroFrames: [1, 3],
  },
  { name: 'token GRU, Embedding mask_zero (padding tokens perturbed)', cell: 'gru', hidden: [4], vocab: 20, maskZero: true, zeroFrames: [2, 3] },
]

const T = 4
const FRAME = 3
/** verdicts met by the suite: it must see both outcomes to mean anything */

type Region = { label: string; frames: number[] }
const REGIONS: Region[] = [
  { label: 'one frame', frames: [1] },
  { label: 'chosen frames', frames: [0, 2] },
  { label: 'all frames', frames: [0, 1, 2, 3] },
]

/** A random point of the ε-ball around the chosen frames (vertices half the time). */
function samplePoint(rng: Rng, prep: PreparedSample, frames: number[], eps: number, clip?: Clip): Float64Array[] {
  const vertex = rng.next() < 0.5
  return prep.frames.map((f, t) => {
    if (!frames.includes(t)) return f
    return f.map((v) => {
      let lo = v - eps
      let hi = v + eps
      if (clip) {
        lo = Math.max(lo, clip[0])
        hi = Math.min(hi, clip[1])
      }
      return vertex ? (rng.next() < 0.5 ? lo : hi) : rng.uniform(lo, hi)
    })
  })
}

function project(prep: PreparedSample, x: Float64Array[], frames: number[], eps: number, clip?: Clip) {
  for (const t of frames) {
    for (let i = 0; i < x[t].length; i++) {
      let lo = prep.frames[t][i] - eps
      let hi = prep.frames[t][i] + eps
      if (clip) {
        lo = Math.max(lo, clip[0])
        hi = Math.min(hi, clip[1])
      }
      x[t][i] = Math.min(hi, Math.max(lo, x[t][i]))
    }
  }
}

/** Margin of the predicted label against its strongest rival. */
function marginOf(cn: CompiledNetwork, x: Float64Array[], label: number, masks: readonly boolean[] | null = null): number {
  const l = forward(cn, x, undefined, masks).logits
  let m = Infinity
  for (let c = 0; c < l.length; c++) if (c !== label) m = Math.min(m, l[label] - l[c])
  return m
}

/** PGD on the margin with central finite-difference gradients (tiny networks). */
function pgdAttack(rng: Rng, prep: PreparedSample, frames: number[], eps: number, clip: Clip | undefined, restarts = 3, steps = 25): Float64Array[] {
  let best = prep.frames.map((f) => f.slice())
  let bestM = marginOf(prep.cn, best, prep.predicted, prep.concrete.masks)
  for (let r = 0; r < restarts; r++) {
    const x = samplePoint(rng, prep, frames, eps, clip).map((f) => f.slice())
    for (let s = 0; s < steps; s++) {
      const alpha = (2.5 * eps) / steps
      for (const t of frames) {
        const grad = new Float64Array(x[t].length)
        for (let i = 0; i < x[t].length; i++) {
          const h = 1e-6
          const v = x[t][i]
          x[t][i] = v + h
          const up = marginOf(prep.cn, x, prep.predicted, prep.concrete.masks)
          x[t][i] = v - h
          const down = marginOf(prep.cn, x, prep.predicted, prep.concrete.masks)
          x[t][i] = v
          grad[i] = (up - down) / (2 * h)
        }
        for (let i = 0; i < x[t].length; i++) x[t][i] -= alpha * Math.sign(grad[i])
      }
      project(prep, x, frames, eps, clip)
      const m = marginOf(prep.cn, x, prep.predicted, prep.concrete.masks)
      if (m < bestM) {
        bestM = m
        best = x.map((f) => f.slice())
      }
    }
  }
  return best
}

const maskStepsOf = new WeakMap<TraceEntry[], { maybe: Set<string>; unmatched: (e: TraceEntry) => boolean }>()
/** A trace's steps whose mask may change, and its entries without a concrete value (see checkInside). */
function maskSteps(trace: TraceEntry[]) {
  let r = maskStepsOf.get(trace)
  if (!r) {
    const maybe = new Set(trace.filter((e) => e.op.endsWith('mask state')).map((e) => `${e.layer}/${e.step}`))
    const maskedPool = new Set(trace.filter((e) => e.op === 'mask avg pool').map((e) => e.layer))
    r = { maybe, unmatched: (e) => e.op.startsWith('mask ') || e.op.includes(' mask ') || (e.op === 'avg pool' && maskedPool.has(e.layer)) }
    maskStepsOf.set(trace, r)
  }
  return r
}

/**
 * What a sample is checked against: the certified bounds and the trace, with each trace
 * entry's place in the concrete run found once (the concrete run records the same
 * operations in the same order for every input; checked per sample, searched again if not).
 */
interface Check {
  prep: PreparedSample
  result: ReturnType<typeof certifyFrames>
  trace: TraceEntry[]
  /** for each trace entry: the stage whose states hold it (h/c entries), or -1 */
  stageOf: number[]
  /** for each trace entry: its index in the concrete run's records */
  at: number[]
}

function makeCheck(prep: PreparedSample, result: ReturnType<typeof certifyFrames>, trace: TraceEntry[]): Check {
  const concrete: ConcreteEntry[] = []
  forward(prep.cn, prep.frames, concrete, prep.concrete.masks)
  const stageOf = trace.map((e) => (e.step === null || (e.op !== 'h' && e.op !== 'c') ? -1 : prep.cn.stages.findIndex((st) => st.layer === e.layer)))
  // the n-th traced entry of a (layer, step, op) is the n-th such record
  const seen = new Map<string, number>()
  const at = trace.map((e) => {
    const key = `${e.layer}/${e.step}/${e.op}`
    const nth = seen.get(key) ?? 0
    seen.set(key, nth + 1)
    let k = -1
    for (let m = 0; m <= nth && (m === 0 || k >= 0); m++) k = concrete.findIndex((r, j) => j > k && sameRecord(r, e))
    return k
  })
  return { prep, result, trace, stageOf, at }
}

const sameRecord = (r: ConcreteEntry | undefined, e: TraceEntry) => r !== undefined && r.layer === e.layer && r.step === e.step && r.op === e.op
const findRecord = (concrete: ConcreteEntry[], e: TraceEntry) => concrete.findIndex((r) => sameRecord(r, e))

function checkInside(where: string, check: Check, x: Float64Array[]) {
  const { prep, result, trace } = check
  const concrete: ConcreteEntry[] = []
  const run = forward(prep.cn, x, concrete, prep.concrete.masks)
  // masking: steps whose mask may change in the region (the trace joined skipped and processed there); a sample
  // that masks such a step skips its operations, so they have no concrete value; the joins ('mask …') and a masked
  // average's candidate means ('avg pool' beside 'mask avg pool') have none either: later steps and the logits check them
  const { maybe, unmatched } = maskSteps(trace)
  const l = run.logits
  for (let c = 0; c < l.length; c++) {
    if (l[c] < result.logitLo[c] - TOL || l[c] > result.logitHi[c] + TOL) {
      expect.fail(`${where}: logit ${c} = ${l[c]} outside [${result.logitLo[c]}, ${result.logitHi[c]}]`)
    }
    if (c !== prep.predicted && l[prep.predicted] - l[c] < result.margins[c] - TOL) {
      expect.fail(`${where}: margin against ${c} is ${l[prep.predicted] - l[c]}, below the certified ${result.margins[c]}`)
    }
  }
  for (let k = 0; k < trace.length; k++) {
    const e = trace[k]
    const uncertain = e.step !== null && maybe.has(`${e.layer}/${e.step}`)
    // hidden states (h, and c for LSTMs) after every step
    if (check.stageOf[k] >= 0 && !uncertain) {
      const state = run.states[check.stageOf[k]][e.step!][e.op === 'h' ? 0 : 1]
      for (let i = 0; i < state.length; i++) {
        if (state[i] < e.bounds.lo[i] - TOL || state[i] > e.bounds.hi[i] + TOL) {
          expect.fail(`${where}: layer ${e.layerName} step ${e.step} ${e.op}[${i}] = ${state[i]} outside [${e.bounds.lo[i]}, ${e.bounds.hi[i]}]`)
        }
      }
    }
    // every operation the trace bounds (pre-activations, gates, products, per-step Dense, pooling …)
    if (unmatched(e)) continue
    const record = sameRecord(concrete[check.at[k]], e) ? concrete[check.at[k]] : concrete[findRecord(concrete, e)]
    if (!record && uncertain) continue
    if (!record) expect.fail(`${where}: the concrete run has no ${e.layerName} step ${e.step} ${e.op}`)
    const v = record.values
    for (let i = 0; i < v.length; i++) {
      if (v[i] < e.bounds.lo[i] - TOL || v[i] > e.bounds.hi[i] + TOL) {
        expect.fail(`${where}: layer ${e.layerName} step ${e.step} ${e.op}[${i}] = ${v[i]} outside [${e.bounds.lo[i]}, ${e.bounds.hi[i]}]`)
      }
    }
  }
  if (result.certified && marginOf(prep.cn, x, prep.predicted, prep.concrete.masks) <= 0) expect.fail(`${where}: certified, yet this input flips the label`)
}

/** Each case's network and input: built the same way wherever they are needed (no shared state between tests). */
function caseSample(c: Case) {
  const net = randomNetwork({
    cell: c.cell,
    hidden: c.hidden,
    frameSize: FRAME,
    classes: 3,
    seed: 42 + c.hidden.length,
    vocab: c.vocab,
    activation: c.activation,
    head: c.head,
    hardSigmoidSlope: c.hardSigmoidSlope,
    before: c.before,
    returnSequences: c.returnSequences,
    after: c.after,
    seqLen: c.seqLen,
    bidirectional: c.bidirectional,
    maskZero: c.maskZero,
  })
  const cn = compileNetwork(net)
  const rng = new Rng(9)
  const input = c.vocab ? { tokens: Array.from({ length: T }, () => rng.int(c.vocab!)) } : { x: randomFrames(rng, T, FRAME) }
  for (const t of c.zeroFrames ?? []) {
    if (input.tokens) input.tokens[t] = 0
    else input.x![t] = input.x![t].map(() => 0)
  }
  return prepareSample(cn, input)
}
const EPSILONS = [0.02, 0.25] // one ε that certifies (when the method can) and one that does not
const clipOf = (c: Case): Clip | undefined => (c.vocab ? undefined : [0, 1])

describe.each(CASES)('$name: sampled inputs and PGD stay inside the certified bounds', (c) => {
  const prep = caseSample(c)

  REGIONS.forEach((region, ri) => {
    METHODS.forEach((method, mi) => {
      it(`${region.label}, ${method}`, () => {
        const rng = new Rng(1000 + CASES.indexOf(c) * 100 + ri * 10 + mi) // its own stream: runs alone or in any order
        for (const eps of EPSILONS) {
          const clip = clipOf(c)
          const trace: TraceEntry[] = []
          const result = certifyFrames(prep, region.frames, eps, { method, clip, trace: { sink: trace } })
          const where = `${c.name} ${region.label} ${method} ε=${eps}`
          const check = makeCheck(prep, result, trace)
          const n = region.frames.length === T ? SAMPLES : PART_SAMPLES
          for (let k = 0; k < n; k++) checkInside(where, check, samplePoint(rng, prep, region.frames, eps, clip))
          checkInside(`${where} (PGD)`, check, pgdAttack(rng, prep, region.frames, eps, clip))
        }
      })
    })
  })
})

describe('bounds are meaningful, not vacuous', () => {
  it('the suite above meets certified and uncertified regions in good numbers', () => {
    const verdicts: boolean[] = []
    for (const c of CASES) {
      const prep = caseSample(c)
      for (const region of REGIONS) for (const method of METHODS) for (const eps of EPSILONS) verdicts.push(certifyFrames(prep, region.frames, eps, { method, clip: clipOf(c) }).certified)
    }
    expect(verdicts.length).toBe(CASES.length * REGIONS.length * METHODS.length * 2)
    expect(verdicts.filter((v) => v).length).toBeGreaterThan(verdicts.length / 5)
    expect(verdicts.filter((v) => !v).length).toBeGreaterThan(verdicts.length / 5)
  })

  it('the masking case meets both paths: a perturbed masked frame joins skipped and processed, perturbed image frames keep their mask', () => {
    const c = CASES.find((k) => k.before?.some((e) => e.kind === 'masking'))!
    const prep = caseSample(c)
    const joins = (frames: number[]) => {
      const trace: TraceEntry[] = []
      certifyFrames(prep, frames, EPSILONS[0], { method: 'certrnn', clip: clipOf(c), trace: { sink: trace } })
      return trace.filter((e) => e.op.endsWith('mask state')).length
    }
    expect(joins([1])).toBeGreaterThan(0)
    expect(joins([0, 2])).toBe(0)
  })

  it('the max-pooling cases meet every bound of the max: exact (a dominating step), a step plus a one-sided symbol, a box', () => {
    const seen = new Set<string>()
    for (const c of CASES.filter((k) => k.after?.some((e) => e.kind === 'pool' && e.mode === 'max'))) {
      const prep = caseSample(c)
      for (const region of REGIONS) {
        for (const method of METHODS) {
          for (const eps of EPSILONS) {
            const trace: TraceEntry[] = []
            certifyFrames(prep, region.frames, eps, { method, clip: clipOf(c), trace: { sink: trace } })
            for (const e of trace) e.max?.choice.forEach((k) => seen.add(k))
          }
        }
      }
    }
    expect([...seen].sort()).toEqual(['box', 'exact', 'step'])
  })

  it('a small ε certifies and precision ranks Cert-RNN ≥ DeepZ ≥ interval on average', () => {
    const sums: Record<string, number> = { certrnn: 0, deepz: 0, interval: 0 }
    for (const cell of ['simpleRnn', 'lstm', 'gru'] as const) {
      const cn = compileNetwork(randomNetwork({ cell, hidden: [8], frameSize: 4, classes: 3, seed: 5 }))
      const rng = new Rng(3)
      for (let s = 0; s < 4; s++) {
        const prep = prepareSample(cn, { x: randomFrames(rng, 3, 4) })
        for (const method of METHODS) {
          const r = findBound(prep, { kind: 'all' }, { method, search: 'paper' })
          sums[method] += r.bound
        }
      }
    }
    expect(sums.certrnn).toBeGreaterThan(0)
    expect(sums.certrnn).toBeGreaterThanOrEqual(sums.deepz * 0.999)
    expect(sums.deepz).toBeGreaterThanOrEqual(sums.interval * 0.999)
  })
})
