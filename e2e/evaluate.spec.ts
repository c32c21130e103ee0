import { expect, test } from '@playwright/test'
import type { Page } from '@playwright/test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { trackErrors } from './helpers.ts'

const examples = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'public', 'models', 'rnn-7-32', 'examples.json'), 'utf8')).examples as Array<{ x: number[][]; label: number }>

async function ready(page: Page) {
  await expect(page.getByTestId('model-status')).toHaveAttribute('data-status', 'ready', { timeout: 20_000 })
}

test('evaluate N bundled digits with three methods on a worker pool: progress, summary, charts, per-input bounds, CSV', async ({ page }) => {
  const errors = trackErrors(page)
  await page.goto('/#model=rnn-7-32&view=evaluate')
  await ready(page)
  await page.getByTestId('eval-n').fill('6')
  await expect(page.getByTestId('eval-run')).toHaveText('Evaluate 6 inputs × 3 methods')
  const cores = await page.evaluate(() => Math.min(8, navigator.hardwareConcurrency || 2))
  await page.getByTestId('eval-run').click()
  const progress = page.getByTestId('eval-progress')
  await expect(progress).toBeVisible()
  await expect(progress).toHaveAttribute('data-status', 'done', { timeout: 60_000 })
  await expect(page.getByTestId('eval-progress-text')).toHaveText(new RegExp(`Done: 18 of 18 jobs \\(6 inputs × 3 methods\\) on ${Math.min(cores, 18)} workers?`))
  // summary: one row per method, accuracy and bounds
  for (const m of ['certrnn', 'deepz', 'interval']) await expect(page.getByTestId(`eval-summary-${m}`)).toHaveText(/\d+\.\d %.*±/)
  // per-input bounds: 6 rows, every cell a number
  const cells = page.getByTestId('eval-samples').locator('tbody tr')
  await expect(cells).toHaveCount(6)
  // the charts: three step curves and three violins
  await expect(page.getByTestId('eval-accuracy-chart').locator('.scatterlayer .trace')).toHaveCount(3, { timeout: 30_000 })
  await expect(page.getByTestId('eval-bounds-chart').locator('.violinlayer .trace')).toHaveCount(3)
  // CSV export: the rows the table shows
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('eval-export-samples').click()])
  expect(download.suggestedFilename()).toMatch(/^evaluation-.*-samples\.csv$/)
  const csv = readFileSync((await download.path())!, 'utf8').trim().split('\n')
  expect(csv[0]).toBe('index,label,predicted,correct,method,bound,attack,ms,perFrame')
  expect(csv).toHaveLength(19)
  const certrnn = csv.slice(1).filter((l) => l.split(',')[4] === 'certrnn')
  expect(certrnn).toHaveLength(6)
  for (const l of certrnn) expect(Number(l.split(',')[5])).toBeGreaterThan(0)
  const [json] = await Promise.all([page.waitForEvent('download'), page.getByTestId('eval-export-json').click()])
  const j = JSON.parse(readFileSync((await json.path())!, 'utf8'))
  expect(j.summary).toHaveLength(3)
  expect(j.run).toMatchObject({ n: 6, threat: 'single' })
  expect(errors).toEqual([])
})

test('evaluate an uploaded inputs file; a bad file is refused with a specific message', async ({ page }) => {
  const errors = trackErrors(page)
  await page.goto('/#model=rnn-7-32&view=evaluate')
  await ready(page)
  const input = page.getByTestId('eval-file')
  await input.setInputFiles({ name: 'bad.json', mimeType: 'application/json', buffer: Buffer.from('[{"x": [[0.1, 0.2]], "label": 3}]') })
  await expect(page.getByTestId('eval-file-error')).toHaveText(/bad\.json: input 0: frame 0 has \d+ values, the model expects 112/)
  await input.setInputFiles({ name: 'broken.json', mimeType: 'application/json', buffer: Buffer.from('{"examples": [') })
  await expect(page.getByTestId('eval-file-error')).toHaveText(/broken\.json: not valid JSON/)
  const mine = [examples[3], { x: examples[5].x }]
  await input.setInputFiles({ name: 'mine.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(mine)) })
  await expect(page.getByTestId('eval-file-status')).toHaveText(/mine\.json: 2 inputs/)
  await expect(page.getByTestId('eval-file-error')).toHaveCount(0)
  await page.getByTestId('eval-method-interval').uncheck()
  await page.getByTestId('eval-attack').check()
  await expect(page.getByTestId('eval-run')).toHaveText('Evaluate 2 inputs × 2 methods + PGD attack')
  await page.getByTestId('eval-run').click()
  await expect(page.getByTestId('eval-progress')).toHaveAttribute('data-status', 'done', { timeout: 60_000 })
  await expect(page.getByTestId('eval-samples').locator('tbody tr')).toHaveCount(2)
  // the attack radius per input: an upper bound on the true radius, above the certified ones
  await expect(page.getByTestId('eval-attack-0')).toHaveText(/^\d|none found/)
  await expect(page.getByTestId('eval-error')).toHaveCount(0)
  await expect(page.getByTestId('eval-summary-certrnn')).toBeVisible()
  await expect(page.getByTestId('eval-summary-interval')).toHaveCount(0)
  expect(errors).toEqual([])
})

test('a running evaluation can be cancelled and keeps what finished', async ({ page }) => {
  await page.goto('/#model=lstm-7-32&view=evaluate')
  await ready(page)
  await page.getByTestId('eval-n').fill('20')
  await page.getByTestId('eval-run').click()
  await expect(page.getByTestId('eval-workers')).toBeVisible()
  await page.getByTestId('eval-cancel').click()
  await expect(page.getByTestId('eval-progress')).toHaveAttribute('data-status', 'cancelled', { timeout: 10_000 })
  await expect(page.getByTestId('eval-progress-text')).toHaveText(/Cancelled: \d+ of 60 jobs/)
  await expect(page.getByTestId('eval-run')).toBeEnabled()
})

test('a hash typed into the address bar switches the view and the model', async ({ page }) => {
  await page.goto('/#model=rnn-2-32')
  await ready(page)
  await page.evaluate(() => (window.location.hash = '#view=evaluate&model=lstm-1-32'))
  await expect(page.getByTestId('tab-evaluate')).toHaveAttribute('aria-selected', 'true')
  await ready(page)
  await expect(page.getByTestId('eval-run')).toHaveText(/Evaluate 10 inputs/)
  await expect.poll(() => page.evaluate(() => window.location.hash)).toContain('model=lstm-1-32')
})
