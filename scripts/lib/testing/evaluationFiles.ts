/**
 * The output files of `npm run evaluate` without what may differ between two runs of the
 * same evaluation: the times (`ms`, `msPerSample`), the date and the command line.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

function csvWithout(text: string, drop: string): string[][] {
  const [head, ...rows] = text.trim().split('\n').map((l) => l.split(','))
  const k = head.indexOf(drop)
  const keep = (r: string[]) => r.filter((_x, j) => j !== k)
  return [keep(head), ...rows.map(keep)]
}

export function evaluationFiles(dir: string) {
  const json = JSON.parse(readFileSync(join(dir, 'evaluation.json'), 'utf8'))
  delete json.date
  delete json.command
  for (const s of json.samples) delete s.ms
  for (const s of json.summary) delete s.msPerSample
  return {
    samples: csvWithout(readFileSync(join(dir, 'samples.csv'), 'utf8'), 'ms'),
    summary: csvWithout(readFileSync(join(dir, 'summary.csv'), 'utf8'), 'msPerSample'),
    verifiedAccuracy: readFileSync(join(dir, 'verified-accuracy.csv'), 'utf8'),
    json,
  }
}

/**
 * `n` MNIST test digits (the bundled 100 of public/models/mnist-examples.json) as an inputs
 * file for a model reading `frames` frames: pixel / 255, consecutive pixels per frame.
 */
export function mnistInputs(path: string, n: number, frames: number): string {
  const { images, labels } = JSON.parse(readFileSync('public/models/mnist-examples.json', 'utf8')) as { images: number[][]; labels: number[] }
  const width = 784 / frames
  const examples = images.slice(0, n).map((img, k) => ({ x: Array.from({ length: frames }, (_f, t) => img.slice(t * width, (t + 1) * width).map((p) => p / 255)), label: labels[k] }))
  writeFileSync(path, JSON.stringify(examples))
  return path
}
