import { expect, test } from '@playwright/test'
import type { Page } from '@playwright/test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { drawStroke, slowComparisonSetup, trackErrors, uploadFixture } from './helpers.ts'

const fixtures = join(import.meta.dirname, 'fixtures')


async function ready(page: Page) {
  await expect(page.getByTestId('model-status')).toHaveAttribute('data-status', 'ready', { timeout: 20_000 })
}

test('MNIST: pick a model and a digit, certify at ε, then find the bound', async ({ page }) => {
  const errors = trackErrors(page)
  await page.goto('/#model=lstm-4-32')
  await ready(page)
  await page.getByTestId('digit-3').click()
  await page.getByTestId('eps-input').fill('0.001')
  await page.getByTestId('eps-input').press('Enter')
  await page.getByTestId('run-certify').click()
  const verdict = page.getByTestId('verdict')
  await expect(verdict).toBeVisible({ timeout: 30_000 })
  await expect(verdict).toHaveText(/Certified at ε = 1\.00e-3/)
  await expect(page.getByTestId('prediction')).toHaveText(/Prediction: \d · confidence [\d.]+ % \(TF\.js\)/)
  // the logit chart draws one certified interval per class
  await expect(page.getByTestId('logit-chart').locator('rect.interval')).toHaveCount(10)

  // the search runs in the worker (the certifier never runs on the page's thread; no timing asserted here)
  await page.getByTestId('run-bound').click()
  const bound = page.getByTestId('bound-value')
  await expect(bound).toBeVisible({ timeout: 60_000 })
  const value = Number(await bound.getAttribute('data-bound'))
  expect(value).toBeGreaterThan(0.001)
  await expect(page.getByTestId('frame-bounds').locator('li')).toHaveCount(4)
  // the attack gives the upper end: the true radius lies between the two
  await page.getByTestId('run-attack').click()
  const attack = page.getByTestId('attack-result')
  await expect(attack).toBeVisible({ timeout: 60_000 })
  await expect(attack).toContainText('The true robustness radius lies between')
  expect(Number(await attack.getAttribute('data-radius'))).toBeGreaterThanOrEqual(value)
  // and every frame its own: certified ≤ attack frame by frame
  for (const li of await page.getByTestId('frame-bounds').locator('li').all()) {
    expect(Number(await li.getAttribute('data-attack'))).toBeGreaterThanOrEqual(Number(await li.getAttribute('data-bound')))
  }
  expect(errors).toEqual([])
})

test('the paper search of one sample, split across the pool\'s workers: every frame\'s bound', async ({ page }) => {
  const errors = trackErrors(page)
  await page.goto('/#model=lstm-4-32&digit=3&search=paper')
  await ready(page)
  await page.getByTestId('run-bound').click()
  const bound = page.getByTestId('bound-value')
  await expect(bound).toBeVisible({ timeout: 60_000 })
  const split = Number(await bound.getAttribute('data-bound'))
  const frames = await page.getByTestId('frame-bounds').locator('li').allTextContents()
  expect(frames).toHaveLength(4)
  expect(split).toBeGreaterThan(0)
  expect(errors).toEqual([])
})

test('text: a typed sentence gets its tokens live and a per-token heatmap, one cell per token', async ({ page }) => {
  const errors = trackErrors(page)
  await page.goto('/#model=toxic-lstm')
  await ready(page)
  await page.getByTestId('text-input').fill('you are a wonderful person qzxv')
  const tokens = page.getByTestId('tokens').locator('.token')
  await expect(tokens).toHaveCount(6)
  await expect(page.getByTestId('tokens').locator('.token.unknown')).toContainText(['qzxv'])
  await page.getByTestId('run-bound').click()
  await expect(page.getByTestId('heatmap')).toBeVisible({ timeout: 60_000 })
  await expect(page.getByTestId('heatmap').locator('.heat-cell:not(.heat-labels)')).toHaveCount(6)
  await expect(page.getByTestId('sensitive')).toHaveText(/Most sensitive: “/)
  await expect(page.getByTestId('heat-caption')).toContainText("Colour: each number's own value")
  // the attack on every token gives the upper row: each token's true radius lies between the two
  await page.getByTestId('run-attack').click()
  await expect(page.getByTestId('heatmap')).toHaveAttribute('data-attacked', 'true', { timeout: 60_000 })
  for (let k = 0; k < 6; k++) {
    const cell = page.getByTestId(`heat-cell-${k}`)
    const certified = Number(await cell.getAttribute('data-bound'))
    const attack = Number(await cell.getAttribute('data-attack'))
    expect(certified).toBeGreaterThan(0)
    expect(attack).toBeGreaterThanOrEqual(certified)
    await expect(page.getByTestId(`heat-attack-${k}`)).toHaveText(/^(\d|> 1)/)
  }
  await expect(page.getByTestId('sensitive-attack')).toHaveText(/by the attack: “.*the two share \d of 1/)
  await expect(page.getByTestId('heat-violation')).toHaveCount(0)
  expect(errors).toEqual([])
})

test('upload a valid model, draw a digit, certify it', async ({ page }) => {
  const errors = trackErrors(page)
  await uploadFixture(page, 'tiny-lstm')
  // draw a stroke
  await drawStroke(page)
  await page.getByTestId('run-compare').click()
  await expect(page.getByTestId('compare-table')).toBeVisible({ timeout: 60_000 })
  await expect(page.getByTestId('compare-table').locator('tbody tr')).toHaveCount(3)
  expect(errors).toEqual([])
})

test('a Keras 3 .keras file dropped into the page is certified without conversion', async ({ page }) => {
  const errors = trackErrors(page)
  await page.goto('/#model=rnn-2-32')
  await ready(page)
  // a real drop on the drop zone (a GRU reset_after over 7 frames of 112 pixels, saved by Keras 3.15)
  const keras = readFileSync(join(import.meta.dirname, '..', 'src', 'model', 'testing', 'fixtures', 'keras3', 'dotkeras-gru-resetafter', 'dotkeras-gru-resetafter.keras'))
  const dataTransfer = await page.evaluateHandle((b64) => {
    const dt = new DataTransfer()
    dt.items.add(new File([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], 'dotkeras-gru-resetafter.keras'))
    return dt
  }, keras.toString('base64'))
  await page.getByTestId('upload-zone').dispatchEvent('drop', { dataTransfer })
  await expect(page.getByTestId('model-picker')).toHaveValue('__upload', { timeout: 20_000 })
  await ready(page)
  await expect(page.getByTestId('model-status')).toContainText('GRU → Dense · 10 classes')
  await expect(page.getByTestId('model-card').locator('li').first()).toContainText('reset_after')
  // 7 × 112 = 784: the bundled MNIST digits, cut into its frames
  await page.getByTestId('digit-0').click()
  await page.getByTestId('run-certify').click()
  await expect(page.getByTestId('verdict')).toBeVisible({ timeout: 30_000 })
  await expect(page.getByTestId('prediction')).toContainText('(float64 forward pass)')
  await expect(page.getByTestId('upload-error')).toHaveCount(0)
  expect(errors).toEqual([])
})

test('a broken upload says what is wrong and the app keeps working', async ({ page }) => {
  await page.goto('/#model=rnn-2-32')
  await ready(page)
  await page.getByTestId('upload-input').setInputFiles([join(fixtures, 'tiny-lstm', 'model.json')])
  await expect(page.getByTestId('upload-error')).toHaveText(/weights\.bin/)
  await page.getByTestId('upload-input').setInputFiles({ name: 'model.json', mimeType: 'application/json', buffer: Buffer.from('{"modelTopology": ') })
  await expect(page.getByTestId('upload-error')).toHaveText(/model\.json is not valid JSON/)
  // the previous model is still there and still certifies
  await expect(page.getByTestId('model-picker')).toHaveValue('rnn-2-32')
  // bad ε values get their own messages and stay in the field; the last good ε is kept
  for (const [value, message] of [['abc', /must be a number/], ['-1', /must be positive/], ['5', /larger than the 1/]] as const) {
    await page.getByTestId('eps-input').fill(value)
    await page.getByTestId('eps-input').press('Enter')
    await expect(page.getByTestId('eps-error')).toHaveText(message)
    await expect(page.getByTestId('eps-input')).toHaveValue(value)
  }
  await expect(page.getByTestId('run-certify')).toHaveText(/ε = 0\.01$/)
  await page.getByTestId('run-certify').click()
  await expect(page.getByTestId('verdict')).toBeVisible({ timeout: 30_000 })
})

test('cancel a long run', async ({ page }) => {
  await slowComparisonSetup(page)
  await page.getByTestId('run-compare').click()
  await expect(page.getByTestId('progress')).toBeVisible()
  await expect(page.getByTestId('progress')).toContainText(/compare: Cert-RNN/, { timeout: 60_000 })
  await page.getByTestId('cancel').click()
  // cooperative between certificates, or the worker is replaced (no timing asserted here)
  await expect(page.getByTestId('cancelled')).toBeVisible({ timeout: 30_000 })
  // still usable: certify the last frame alone
  await page.getByTestId('threat-frames').check()
  await page.getByTestId('frame-band-27').click()
  await page.getByTestId('run-certify').click()
  await expect(page.getByTestId('verdict')).toBeVisible({ timeout: 30_000 })

  // tracing every frame of this model takes a while: progress with the time left, and Cancel
  await page.getByTestId('threat-all').check()
  await page.getByTestId('tab-abstraction').click()
  await page.getByTestId('run-trace').click()
  const activity = page.getByTestId('activity')
  await expect(activity.getByTestId('progress')).toHaveAttribute('data-label', 'Trace the certification')
  await expect(activity.getByTestId('activity-eta')).toHaveText(/about .* left/, { timeout: 60_000 })
  await activity.getByTestId('cancel').click()
  await expect(activity).toHaveCount(0, { timeout: 30_000 })
  await expect(page.getByTestId('run-trace')).toHaveText('Trace the certification')
  await expect(page.getByTestId('projection')).toHaveCount(0)
})

test('a shared URL restores the same view after reload', async ({ page }) => {
  await page.goto('/#model=rnn-4-32&digit=5&eps=0.0042&threat=frames=1,3&method=deepz&margin=paper&search=paper&clip=0')
  await ready(page)
  await expect(page.getByTestId('model-picker')).toHaveValue('rnn-4-32')
  await expect(page.getByTestId('digit-5')).toHaveClass(/selected/)
  await expect(page.getByTestId('eps-input')).toHaveValue('0.0042')
  await expect(page.getByTestId('threat-frames')).toBeChecked()
  await expect(page.getByTestId('frame-band-1')).toHaveClass(/chosen/)
  await expect(page.getByTestId('frame-band-3')).toHaveClass(/chosen/)
  await expect(page.getByTestId('method')).toHaveValue('deepz')
  await expect(page.getByTestId('margin')).toHaveValue('paper')
  await expect(page.getByTestId('clip')).not.toBeChecked()
  // change something, reload: the hash carries it
  await page.getByTestId('digit-2').click()
  await page.getByTestId('frame-band-0').click()
  await page.reload()
  await ready(page)
  await expect(page.getByTestId('digit-2')).toHaveClass(/selected/)
  await expect(page.getByTestId('frame-band-0')).toHaveClass(/chosen/)
  expect(page.url()).toContain('threat=frames%3D0%2C1%2C3')
})
