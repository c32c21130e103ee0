import { expect, test } from '@playwright/test'
import { readFileSync } from 'node:fs'
import { trackErrors } from './helpers.ts'

test('train a tiny model with IBP-VT for one epoch in the page, then certify and download it', async ({ page }) => {
  const errors = trackErrors(page)
  await page.goto('/#view=defenses')
  const panel = page.getByTestId('live-training')
  await expect(panel).toBeVisible({ timeout: 20_000 })
  await page.getByTestId('train-hidden').fill('8')
  await page.getByTestId('train-defense').selectOption('ibp')
  await page.getByTestId('train-eps').fill('0.01')
  await page.getByTestId('train-epochs').fill('1')
  await page.getByTestId('train-trainSize').fill('256')
  await page.getByTestId('train-start').click()
  const progress = page.getByTestId('train-progress')
  await expect(progress).toHaveAttribute('data-status', 'done', { timeout: 90_000 })
  await expect(page.getByTestId('train-progress-text')).toHaveText(/Done: 1 epoch, test accuracy \d+\.\d %/)
  await expect(page.getByTestId('train-history').locator('tbody tr')).toHaveCount(1)
  await expect(page.getByTestId('train-test-acc-1')).toHaveText(/\d+\.\d %/)
  await expect(page.getByTestId('train-bound-1-0')).toHaveText(/^(\d|wrong)/)
  await expect(page.getByTestId('train-chart').locator('.scatterlayer .trace')).toHaveCount(5, { timeout: 30_000 })

  // download: model.json and weights.bin
  const downloads: string[] = []
  page.on('download', (d) => downloads.push(d.suggestedFilename()))
  const first = page.waitForEvent('download')
  await page.getByTestId('train-download').click()
  const modelJson = JSON.parse(readFileSync((await (await first).path())!, 'utf8'))
  expect(modelJson.format).toBe('layers-model')
  expect(modelJson.weightsManifest[0].paths).toEqual(['weights.bin'])
  await expect.poll(() => downloads.sort()).toEqual(['model.json', 'weights.bin'])

  // certify it like any other model
  await page.getByTestId('train-certify').click()
  await expect(page.getByTestId('tab-certify')).toHaveAttribute('aria-selected', 'true')
  await expect(page.getByTestId('model-status')).toHaveAttribute('data-status', 'ready', { timeout: 20_000 })
  await page.getByTestId('digit-1').click()
  await page.getByTestId('run-bound').click()
  const bound = page.getByTestId('bound-value')
  await expect(bound).toBeVisible({ timeout: 30_000 })
  expect(Number(await bound.getAttribute('data-bound'))).toBeGreaterThanOrEqual(0)
  expect(errors).toEqual([])
})

test('live training refuses a bad ε, and can be paused and cancelled', async ({ page }) => {
  await page.goto('/#view=defenses')
  await expect(page.getByTestId('live-training')).toBeVisible({ timeout: 20_000 })
  await page.getByTestId('train-defense').selectOption('pgd')
  await page.getByTestId('train-eps').fill('0')
  await page.getByTestId('train-start').click()
  await expect(page.getByTestId('train-error')).toHaveText(/ε must be in \(0, 0\.3\] for pgd training/)
  await page.getByTestId('train-eps').fill('0.02')
  await page.getByTestId('train-epochs').fill('20')
  await page.getByTestId('train-start').click()
  await expect(page.getByTestId('train-pause')).toBeVisible({ timeout: 30_000 })
  await expect(page.getByTestId('train-progress-text')).toHaveText(/Training: epoch 1 of 20, batch \d+/, { timeout: 30_000 })
  // the activity bar: the run with its time left
  await expect(page.getByTestId('activity').getByTestId('activity-eta')).toHaveText(/about .* left/, { timeout: 30_000 })
  await page.getByTestId('train-pause').click()
  await expect(page.getByTestId('train-progress')).toHaveAttribute('data-status', 'paused')
  await expect(page.getByTestId('train-progress-text')).toHaveText(/Paused at epoch/)
  await page.getByTestId('train-resume').click()
  await expect(page.getByTestId('train-progress')).toHaveAttribute('data-status', 'running')
  await page.getByTestId('train-cancel').click()
  await expect(page.getByTestId('train-progress')).toHaveAttribute('data-status', 'cancelled')
  await expect(page.getByTestId('train-start')).toBeEnabled()
})

test('compare an original model with its defended variants on the same inputs', async ({ page }) => {
  test.slow() // 5 models × 1 input of bound searches and attacks: a minute or more on a loaded 2-core machine
  const errors = trackErrors(page)
  await page.goto('/#view=defenses')
  await expect(page.getByTestId('defenses')).toBeVisible({ timeout: 20_000 })
  await page.getByTestId('defense-base').selectOption('rnn-4-32')
  await page.getByTestId('defense-n').fill('1')
  // a run shows its progress with the time left in the activity bar, and Cancel stops it
  await page.getByTestId('defense-run').click()
  const activity = page.getByTestId('activity')
  await expect(activity.getByTestId('progress')).toHaveAttribute('data-label', 'Compare defenses of rnn-4-32')
  await expect(activity.getByTestId('activity-eta')).toHaveText(/about .* left/, { timeout: 60_000 })
  await page.getByTestId('defense-cancel').click()
  await expect(page.getByTestId('defense-progress')).toHaveAttribute('data-status', 'cancelled')
  await expect(activity).toHaveCount(0, { timeout: 30_000 })
  // then once to the end
  await page.getByTestId('defense-run').click()
  await expect(page.getByTestId('defense-progress')).toHaveAttribute('data-status', 'done', { timeout: 300_000 })
  const rows = page.getByTestId('defense-table').locator('tbody tr')
  await expect(rows).toHaveCount(5)
  for (const id of ['rnn-4-32', 'rnn-4-32-fgsm', 'rnn-4-32-pgd', 'rnn-4-32-ibp', 'rnn-4-32-certrnn']) {
    await expect(page.getByTestId(`defense-row-${id}`)).toHaveAttribute('data-status', 'done')
    await expect(page.getByTestId(`defense-bound-${id}`)).toHaveText(/^(\d|–)/)
  }
  // bars for the certified bound and the attack radius, markers for accuracy
  await expect(page.getByTestId('defense-chart').locator('.barlayer .trace')).toHaveCount(2, { timeout: 30_000 })
  expect(errors).toEqual([])
})
