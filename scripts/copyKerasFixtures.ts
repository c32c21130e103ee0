/**
 * Copy the Keras 3 fixtures the tests use from the shared fixture folder (real Keras 3.15.1
 * models converted by tensorflowjs 4.22; see its README.md) into
 * src/model/testing/fixtures/keras3/. Not run by CI: the copies are committed.
 *
 *   npx tsx scripts/copyKerasFixtures.ts [/path/to/fixtures/keras3]
 *
 * Models the certifier supports: everything (model.json + shard, the original .h5 and
 * .keras, inputs, Keras's logits, source.txt). Models with layers it refuses: model.json
 * (refused before the weights are read), plus the shard where the refusal comes after
 * reading them (activations), and one .h5 for the refusal of a file read directly.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs'
import { join, resolve } from 'node:path'

const from = resolve(process.argv[2] ?? '../shared/fixtures/keras3')
const to = resolve('src/model/testing/fixtures/keras3')

const SUPPORTED = [
  'dotkeras-lstm',
  'dotkeras-gru-resetafter',
  'dotkeras-text-lstm',
  'qfloat16-lstm',
  'stacked-gru-lstm',
  // the sequence pipeline (issue 13)
  'spatialdropout-bn-lstm',
  'gru-seq-globalavg',
  'timedistributed-dense-pool',
  'reshape-784-lstm',
  'lstm-seq-globalmax',
  'bidir-lstm-concat',
  'bidir-gru-sum',
  'toxic-classic',
  'conv1d-gru',
  // masking (issue 13)
  'masking-lstm',
  'text-maskzero-gru',
]
const WITH_SHARD = ['simplernn-relu', 'lstm-hardsigmoid', 'gru-hardsigmoid', 'lstm-relu-head']
const WITH_H5: string[] = []
const JSON_ONLY: string[] = []

function copy(name: string, files: string[]) {
  mkdirSync(join(to, name), { recursive: true })
  for (const f of files) {
    const src = join(from, name, f)
    if (existsSync(src)) copyFileSync(src, join(to, name, f))
  }
}

for (const name of SUPPORTED) copy(name, readdirSync(join(from, name)).filter((f) => f !== 'vocab.json'))
for (const name of WITH_SHARD) copy(name, ['model.json', 'group1-shard1of1.bin'])
for (const name of WITH_H5) copy(name, ['model.json', `${name}.h5`])
for (const name of JSON_ONLY) copy(name, ['model.json'])
console.log(`copied ${SUPPORTED.length + WITH_SHARD.length + WITH_H5.length + JSON_ONLY.length} fixtures to ${to}`)
