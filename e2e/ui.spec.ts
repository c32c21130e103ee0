import AxeBuilder from '@axe-core/playwright'
import { expect, test } from '@playwright/test'
import type { Page } from '@playwright/test'
import { modelReady, trackErrors, uploadFixture } from './helpers.ts'

const VIEWS = ['certify', 'abstraction', 'evaluate', 'defenses', 'playground', 'walkthrough'] as const

/** Each view's own element, to know it has rendered. */
const VIEW_MARK: Record<(typeof VIEWS)[number], string> = {
  certify: 'run-certify',
  abstraction: 'run-trace',
  evaluate: 'evaluation',
  defenses: 'defenses',
  playground: 'playground',
  walkthrough: 'wt-step',
}

async function noSideScroll(page: Page, where: string) {
  const { scroll, inner } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth }))
  expect(scroll, `${where}: the page is ${scroll} px wide in a ${inner} px window`).toBeLessThanOrEqual(inner)
}

test('390×844: the views are a menu and no tab scrolls sideways, also with results and a trace', async ({ page }) => {
  const errors = trackErrors(page)
  await page.setViewportSize({ width: 390, height: 844 })
  await page.goto('/#model=lstm-4-32&digit=1')
  await modelReady(page)
  await expect(page.getByTestId('tab-certify')).toBeHidden()
  const menu = page.getByTestId('view-menu')
  await expect(menu).toBeVisible()
  for (const v of VIEWS) {
    await menu.selectOption(v)
    await expect(page.getByTestId(VIEW_MARK[v]).first()).toBeVisible({ timeout: 30_000 })
    await noSideScroll(page, v)
  }
  // with results: a bound search's frame list and legend, the attack
  await menu.selectOption('certify')
  await page.getByTestId('run-bound').click()
  await expect(page.getByTestId('bound-value')).toBeVisible({ timeout: 60_000 })
  await noSideScroll(page, 'certify with a bound')
  // a trace, its projection and the bounding planes
  await menu.selectOption('abstraction')
  await page.getByTestId('run-trace').click()
  await expect(page.getByTestId('projection')).toBeVisible({ timeout: 60_000 })
  await noSideScroll(page, 'abstraction with a trace')
  // the trace survives a trip to another tab
  await menu.selectOption('certify')
  await menu.selectOption('abstraction')
  // kept in the store: no new trace (the projection is asked of the worker again)
  await expect(page.getByTestId('step-planes')).toBeVisible()
  await expect(page.getByTestId('projection')).toBeVisible({ timeout: 60_000 })
  expect(errors).toEqual([])
})

test('no serious or critical accessibility violations on any tab (axe-core)', async ({ page }) => {
  await page.goto('/#model=lstm-4-32&digit=1')
  await modelReady(page)
  for (const v of VIEWS) {
    await page.getByTestId(`tab-${v}`).click()
    await expect(page.getByTestId(VIEW_MARK[v]).first()).toBeVisible({ timeout: 30_000 })
    const { violations } = await new AxeBuilder({ page }).analyze()
    const bad = violations.filter((x) => x.impact === 'serious' || x.impact === 'critical').map((x) => `${x.id}: ${x.help} (${x.nodes.map((n) => n.target.join(' ')).slice(0, 3).join('; ')})`)
    expect(bad, v).toEqual([])
  }
})

test('keyboard only: tab to the model, ε and Certify, and read the result', async ({ page }) => {
  await page.goto('/#model=lstm-4-32&digit=1')
  await modelReady(page)
  const tabTo = async (testId: string) => {
    for (let k = 0; k < 80; k++) {
      if (await page.getByTestId(testId).evaluate((el) => el === document.activeElement)) return
      await page.keyboard.press('Tab')
    }
    throw new Error(`Tab never reached ${testId}`)
  }
  await tabTo('model-picker')
  await tabTo('eps-input')
  await page.keyboard.press('ControlOrMeta+a')
  await page.keyboard.type('0.002')
  await page.keyboard.press('Enter')
  await tabTo('run-certify')
  await expect(page.getByTestId('run-certify')).toHaveText(/ε = 2\.00e-3/)
  await page.keyboard.press('Enter')
  await expect(page.getByTestId('verdict')).toBeVisible({ timeout: 60_000 })
  await expect(page.getByTestId('verdict')).toHaveText(/ertified at ε = 2\.00e-3/)
})

test('the glossary is reachable from a term where it appears, and explains ε for words', async ({ page }) => {
  await page.goto('/#model=toxic-lstm')
  await modelReady(page)
  await page.getByTestId('term-eps').first().click()
  await expect(page.getByTestId('term-pop-eps')).toContainText('embedding')
  // the settings in words a teacher understands (no 'difference zonotope', no method ids)
  await expect(page.getByTestId('margin').locator('option')).toHaveText(['the two classes compared directly (what they share cancels)', 'the paper’s check (each class’s range on its own)'])
  await expect(page.getByTestId('method').locator('option').first()).not.toContainText(/certrnn|secant|residual/)
  await page.getByTestId('term-pop-eps').getByRole('button', { name: 'all terms' }).click()
  const glossary = page.getByTestId('panel-glossary')
  await expect(glossary).toBeVisible()
  for (const id of ['eps', 'ball', 'zonotope', 'noise', 'plane', 'margin', 'bound', 'attack']) await expect(glossary.getByTestId(`glossary-${id}`)).toBeVisible()
  // the header opens it too
  await page.getByTestId('open-glossary').click()
  await expect(glossary).toHaveCount(0)
  await page.getByTestId('open-glossary').click()
  await expect(glossary).toBeVisible()
})

test('an uploaded 4×196 model gets the bundled MNIST digits cut into its frames', async ({ page }) => {
  const errors = trackErrors(page)
  await uploadFixture(page, 'tiny-lstm')
  await expect(page.getByTestId('inputs-note')).toContainText('bundled MNIST test digits, as 4 frames of 196 pixels')
  await expect(page.getByTestId('digit-strip').locator('.thumb')).toHaveCount(20)
  await page.getByTestId('digit-3').click()
  await page.getByTestId('run-certify').click()
  await expect(page.getByTestId('verdict')).toBeVisible({ timeout: 60_000 })
  expect(errors).toEqual([])
})

test('token heatmaps share one colour scale per model, with a legend', async ({ page }) => {
  await page.goto('/#model=toxic-lstm')
  await modelReady(page)
  const legends: Array<string | null> = []
  for (const text of ['you are a wonderful person', 'what a stupid idea']) {
    await page.getByTestId('text-input').fill(text)
    await page.getByTestId('run-bound').click()
    await expect(page.getByTestId('result')).toHaveAttribute('data-status', 'done', { timeout: 90_000 })
    await expect(page.getByTestId('result')).toHaveAttribute('data-stale', 'false')
    const legend = page.getByTestId('heat-legend')
    await expect(legend).toBeVisible()
    await expect(legend).toContainText('the same for every input of this model')
    legends.push(`${await legend.getAttribute('data-lo')}…${await legend.getAttribute('data-hi')}`)
    await expect(page.getByTestId('heatmap')).toBeVisible()
  }
  expect(legends[0]).toEqual(legends[1])
  await expect(page.getByTestId('result')).toContainText('per-token')
  await expect(page.getByTestId('result')).not.toContainText('per-frame')
})
