/**
 * The model card's data: every layer of the model file in order, in the framework's words,
 * with what it does — including the layers dropped at inference (Dropout, SpatialDropout1D,
 * GaussianNoise …: `NetworkIR.dropped`), which the certifier reads as the identity.
 */
import type { LayerIR, NetworkIR, RecurrentLayer } from '../../cert/index.ts'

export interface CardRow {
  /** the layer's name in the file */
  name: string
  /** the framework's class, e.g. 'Bidirectional(LSTM)', 'GlobalMaxPooling1D' */
  kind: string
  /** its settings in words, e.g. '32 units each way, merged by concat (64 outputs)' */
  detail: string
  /** the role of a Dense layer in the head: 'hidden' or 'output' */
  role?: 'hidden' | 'output'
  /** a hidden Dense layer's activation */
  activation?: string
  /** dropped by the loader: the identity at inference */
  ignored?: true
}

const CELL_CLASS: Record<RecurrentLayer['type'], string> = { simpleRnn: 'SimpleRNN', lstm: 'LSTM', gru: 'GRU' }

function gates(l: RecurrentLayer): string {
  if (l.type === 'simpleRnn') return `activation ${l.activation}`
  const rec = l.recurrentActivation === 'hard_sigmoid' && l.hardSigmoidSlope !== undefined ? `hard_sigmoid (slope ${Number(l.hardSigmoidSlope.toPrecision(3))})` : l.recurrentActivation
  return `gates ${rec}, activation ${l.activation}${l.type === 'gru' && l.resetAfter ? ', reset_after' : ''}`
}

function recurrent(l: RecurrentLayer): string {
  return `${l.units} units, ${gates(l)}${l.returnSequences ? ', returns every step' : ', returns the last step'}`
}

const MERGE_WORDS = { concat: 'concatenated', sum: 'summed', ave: 'averaged', mul: 'multiplied' } as const

function row(l: LayerIR, onSequence: boolean, isLast: boolean): CardRow {
  switch (l.type) {
    case 'embedding':
      return { name: l.name, kind: 'Embedding', detail: `${l.embeddings.rows} tokens × ${l.embeddings.cols} dimensions (ε is a ball around each word's vector)${l.maskZero ? '; mask_zero: token 0 is padding, its steps are skipped' : ''}` }
    case 'masking':
      return { name: l.name, kind: 'Masking', detail: `a step whose every value is ${l.maskValue} is skipped by the recurrent layers (a perturbed step that may become one is bounded both ways)` }
    case 'simpleRnn':
    case 'lstm':
    case 'gru':
      return { name: l.name, kind: CELL_CLASS[l.type], detail: recurrent(l) }
    case 'bidirectional': {
      const width = l.merge === 'concat' ? l.forward.units + l.backward.units : l.forward.units
      return {
        name: l.name,
        kind: `Bidirectional(${CELL_CLASS[l.forward.type]})`,
        detail: `forward and backward, ${recurrent(l.forward)}; merge mode ${l.merge} (the two directions ${MERGE_WORDS[l.merge]}: ${width} outputs)`,
      }
    }
    case 'conv1d': {
      const extra = [l.strides !== 1 ? `stride ${l.strides}` : '', l.dilation !== 1 ? `dilation ${l.dilation}` : ''].filter(Boolean).join(', ')
      return { name: l.name, kind: 'Conv1D', detail: `${l.filters} filters, kernel ${l.taps.length}, padding ${l.padding}${extra ? `, ${extra}` : ''}, activation ${l.activation}` }
    }
    case 'dense': {
      const act = l.activation === 'linear' || l.activation === 'softmax' ? '' : `, activation ${l.activation}`
      if (onSequence) return { name: l.name, kind: 'TimeDistributed(Dense)', detail: `${l.units} units on every step${act}` }
      if (isLast) return { name: l.name, kind: 'Dense', role: 'output', detail: `output layer: ${l.units} logits, one per class${l.activation === 'softmax' ? ' (its softmax keeps their order and is left out: the certificate is on the logits)' : ''}` }
      return { name: l.name, kind: 'Dense', role: 'hidden', activation: l.activation, detail: `hidden layer of the head: ${l.units} units${act}` }
    }
    case 'batchNorm':
      return { name: l.name, kind: 'BatchNormalization', detail: `inference form, ${l.scale.length} features (a fixed scale and shift per feature)` }
    case 'pool':
      if (l.mode === 'last') return { name: l.name, kind: 'last step', detail: "the sequence's last step (PyTorch's out[:, -1])" }
      return { name: l.name, kind: l.mode === 'max' ? 'GlobalMaxPooling1D' : 'GlobalAveragePooling1D', detail: l.mode === 'max' ? 'the largest value of each feature over the steps' : 'the mean of each feature over the steps' }
    case 'flatten':
      return { name: l.name, kind: 'Flatten', detail: 'every step side by side in one vector' }
  }
}

/** Does this layer's output stay a sequence (one value per step)? */
function keepsSteps(l: LayerIR, onSequence: boolean): boolean {
  if (l.type === 'simpleRnn' || l.type === 'lstm' || l.type === 'gru' || l.type === 'bidirectional') return l.returnSequences
  if (l.type === 'pool' || l.type === 'flatten') return false
  return onSequence
}

/** The card's rows, in the file's order. */
export function modelCard(net: NetworkIR): CardRow[] {
  const rows: CardRow[] = []
  const dropped = net.dropped ?? []
  const droppedAt = (k: number) => {
    for (const d of dropped.filter((x) => x.at === k)) rows.push({ name: d.name, kind: d.className, detail: 'ignored at inference (the identity when the model predicts)', ignored: true })
  }
  if (net.input.kind === 'frames' && net.input.flatSize !== undefined) {
    rows.push({ name: 'reshape', kind: 'Reshape', detail: `${net.input.flatSize} values → ${net.input.seqLen} frames of ${net.input.frameSize}` })
  }
  let onSequence = true
  net.layers.forEach((l, k) => {
    droppedAt(k)
    rows.push(row(l, onSequence, k === net.layers.length - 1))
    onSequence = keepsSteps(l, onSequence)
  })
  droppedAt(net.layers.length)
  return rows
}

/** One line for the model picker: the main layers, e.g. 'Bidirectional(LSTM) → GlobalMaxPooling1D → Dense (relu) → Dense'. */
export function architectureLine(net: NetworkIR): string {
  return modelCard(net)
    .filter((r) => !r.ignored && r.kind !== 'Embedding' && r.kind !== 'Reshape')
    .map((r) => (r.role === 'hidden' ? `Dense (${r.activation})` : r.kind))
    .join(' → ')
}
