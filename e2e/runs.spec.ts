import { expect, test } from '@playwright/test'
import { join } from 'node:path'
import { modelReady, slowComparisonSetup, trackErrors } from './helpers.ts'

const fixtures = join(import.meta.dirname, 'fixtures')

test('compare methods shows progress, the time left and Cancel; an action clicked meanwhile waits in the queue (once, even double-clicked) and then runs', async ({ page }) => {
  const errors = trackErrors(page)
  await slowComparisonSetup(page)
  await page.getByTestId('run-compare').click()
  const activity = page.getByTestId('activity')
  await expect(activity.getByTestId('progress')).toHaveAttribute('data-label', 'Compare methods')
  // an estimate of the time left once part of the work is done
  await expect(activity.getByTestId('activity-eta')).toHaveText(/about .* left/, { timeout: 60_000 })
  // the other buttons stay live: a click queues its action, visibly, instead of dropping it
  await expect(page.getByTestId('busy-note')).toContainText('Compare methods')
  // double clicks queue each action once: the comparison going is not queued again, the certification once
  await page.getByTestId('run-compare').dblclick()
  await page.getByTestId('run-certify').dblclick()
  await expect(activity.getByTestId('queued')).toHaveText([/next: Certify at ε = 0\.01/])
  await activity.getByTestId('cancel').click()
  // the queued certification starts once the comparison has stopped, and finishes
  await expect(page.getByTestId('verdict')).toBeVisible({ timeout: 60_000 })
  await expect(activity).toHaveCount(0)
  expect(errors).toEqual([])
})

test('the PGD attack shows progress and can be cancelled', async ({ page }) => {
  const errors = trackErrors(page)
  await page.goto('/#model=lstm-4-32&digit=1')
  await modelReady(page)
  await page.getByTestId('run-bound').click()
  await expect(page.getByTestId('bound-value')).toBeVisible({ timeout: 60_000 })
  await page.getByTestId('run-attack').click()
  const progress = page.getByTestId('activity').getByTestId('progress')
  await expect(progress).toHaveAttribute('data-label', 'Attack (PGD)')
  await expect(progress).toContainText('attack')
  await expect(progress.getByTestId('activity-eta')).toHaveText(/about .* left/, { timeout: 30_000 })
  await progress.getByTestId('cancel').click()
  await expect(page.getByTestId('attack')).toContainText('The attack was cancelled', { timeout: 30_000 })
  // and it can be run again to the end
  await page.getByTestId('run-attack').click()
  await expect(page.getByTestId('attack-result')).toBeVisible({ timeout: 90_000 })
  expect(errors).toEqual([])
})

test('results are marked out of date when the input or ε changes; a link to a missing digit says so', async ({ page }) => {
  const errors = trackErrors(page)
  await page.goto('/#model=toxic-lstm')
  await modelReady(page)
  await page.getByTestId('text-input').fill('you are a wonderful person')
  await page.getByTestId('run-certify').click()
  await expect(page.getByTestId('verdict')).toBeVisible({ timeout: 60_000 })
  await expect(page.getByTestId('result')).toHaveAttribute('data-stale', 'false')
  await page.getByTestId('text-input').fill('you are a terrible person')
  await expect(page.getByTestId('stale')).toHaveText(/Out of date: the text changed/)
  await expect(page.getByTestId('result')).toHaveAttribute('data-stale', 'true')
  await page.getByTestId('text-input').fill('you are a wonderful person')
  await expect(page.getByTestId('stale')).toHaveCount(0)
  await page.getByTestId('eps-input').fill('0.05')
  await page.getByTestId('eps-input').press('Enter')
  await expect(page.getByTestId('stale')).toHaveText(/ε changed/)

  // a link edited by hand to a digit that does not exist
  await page.goto('/#model=lstm-4-32&digit=3')
  await modelReady(page)
  await page.getByTestId('run-certify').click()
  await expect(page.getByTestId('verdict')).toBeVisible({ timeout: 60_000 })
  await page.evaluate(() => (window.location.hash = window.location.hash.replace('digit=3', 'digit=999')))
  await expect(page.getByTestId('blocker')).toHaveText(/there is no example 999: this model has \d+ bundled examples \(0 to \d+\)/)
  await expect(page.getByTestId('result')).toHaveAttribute('data-stale', 'true')
  await expect(page.getByTestId('stale')).toContainText('the digit')
  expect(errors).toEqual([])
})

test('an upload error clears when a later model loads', async ({ page }) => {
  await page.goto('/#model=rnn-2-32')
  await modelReady(page)
  await page.getByTestId('upload-input').setInputFiles([join(fixtures, 'tiny-lstm', 'model.json')])
  await expect(page.getByTestId('upload-error')).toHaveText(/weights\.bin/)
  await page.getByTestId('model-picker').selectOption('rnn-4-32')
  await modelReady(page)
  await expect(page.getByTestId('upload-error')).toHaveCount(0)
})
