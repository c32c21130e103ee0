import { expect, test } from '@playwright/test'
import { JARGON } from '../src/app/testing/jargon.ts'

test('walkthrough: the last step shows where the looseness comes from, per method, and follows ε', async ({ page }) => {
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  // reachable from the verdict with Next
  await page.goto('/#view=walkthrough&step=7')
  await page.getByTestId('wt-next').click()
  await expect(page.getByTestId('wt-step')).toHaveAttribute('data-step', '8')
  await expect(page.getByTestId('wt-title')).toHaveText('Where the looseness comes from')
  const chart = page.getByTestId('wt-loose')
  await expect(chart).toBeVisible()
  // one bar per method, each in three parts: the input, tanh at step 0, tanh at step 1
  for (const m of ['certrnn', 'tight', 'deepz']) {
    await expect(chart.getByTestId(`wt-loose-row-${m}`)).toBeVisible()
    for (let k = 0; k < 3; k++) await expect(chart.getByTestId(`wt-loose-seg-${m}-${k}`)).toBeAttached()
  }
  const table = page.getByTestId('wt-loose-table')
  await expect(table.locator('tbody tr')).toHaveCount(4)
  await expect(table).toContainText("the input's own spread")
  await expect(table).toContainText('tanh at step 0')
  await expect(table).toContainText('tanh at step 1')
  await expect(table.locator('tbody tr').first().locator('td').first()).toHaveText(/^\d\.\d{3} \(\d+%\)$/)
  const sentence = page.getByTestId('wt-loose-sentence')
  await expect(sentence).toContainText('comes from tanh at step 1: tighter lines there would help most')
  expect(await sentence.textContent()).not.toMatch(JARGON)
  // a step is a link, and a smaller ε recomputes the split (every part shrinks)
  const before = await table.locator('tbody tr').first().locator('td').first().textContent()
  await page.getByTestId('wt-params').locator('summary').click()
  await page.getByTestId('wt-eps').fill('0.1')
  await expect.poll(() => table.locator('tbody tr').first().locator('td').first().textContent()).not.toBe(before)
  await page.goto('/#view=walkthrough&step=8')
  await page.reload()
  await expect(page.getByTestId('wt-loose')).toBeVisible()
  expect(errors).toEqual([])
})

test('see the abstraction: "where the looseness comes from" lists each method\'s largest parts for the traced input, and "split the input into parts" lists the tight method\'s parts with the verdict', async ({ page }) => {
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  // ε just above where tight certifies this digit in one run (0.01765 does, 0.0177 not: margin −0.0103), below where a split of 8 extra runs does (+0.0026)
  await page.goto('/#view=abstraction&model=lstm-2-32&threat=all&eps=0.0177')
  await expect(page.getByTestId('model-status')).toHaveAttribute('data-status', 'ready', { timeout: 20_000 })
  await page.getByTestId('run-trace').click()
  await expect(page.getByTestId('projection')).toBeVisible({ timeout: 30_000 })
  const panel = page.getByTestId('looseness-panel')
  await panel.locator('summary').click()
  for (const m of ['certrnn', 'tight', 'deepz']) {
    const top = panel.getByTestId(`looseness-top-${m}`).locator('li')
    await expect(top.first()).toBeVisible({ timeout: 30_000 })
    expect(await top.count()).toBeGreaterThanOrEqual(2)
    expect(await top.count()).toBeLessThanOrEqual(5)
    await expect(top.first()).toHaveText(/: -?\d+%$/)
  }
  // an LSTM's parts name the product and the step
  await expect(panel.getByTestId('looseness-top-certrnn')).toContainText(/σ·tanh at step [01]/)
  const sentence = await panel.getByTestId('looseness-sentence').textContent()
  expect(sentence).toMatch(/comes from .+ at step [01]/)
  expect(sentence).not.toMatch(JARGON)
  await expect(panel.getByTestId('looseness-row-certrnn')).toBeVisible()
  // "split the input into parts": the tight method's parts of the same input, with the verdict
  const split = page.getByTestId('split-panel')
  await split.locator('summary').click()
  await split.getByTestId('split-budget').fill('0')
  await expect(split.getByTestId('split-run')).toBeDisabled()
  await expect(split).toContainText('whole number from 1 to 64')
  await split.getByTestId('split-budget').fill('8')
  await split.getByTestId('split-run').click()
  const parts = split.getByTestId('split-parts').locator('li')
  await expect(parts.first()).toBeVisible({ timeout: 30_000 })
  await expect(parts.first()).toHaveText(/^ ?part 1: pixel \d+ of frame \d+ in \[0\.\d+, 0\.\d+\].* · margin \+\d\.\d+ · certified$/)
  const n = await parts.count()
  expect(n).toBeGreaterThan(1)
  await expect(split.getByTestId('split-sentence')).toContainText(`certified: all ${n} parts are`)
  const verdict = (await split.getByTestId('split-sentence').textContent())!
  expect(verdict).not.toMatch(JARGON)
  expect(errors).toEqual([])
})
