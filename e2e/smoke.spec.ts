import { expect, test } from '@playwright/test'

test('landing page loads and the engine self-check passes', async ({ page }) => {
  const errors: string[] = []
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console: ${msg.text()}`)
  })
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`))

  await page.goto('/')

  await expect(page).toHaveTitle('Cert-RNN Studio')
  await expect(page.getByRole('heading', { level: 1, name: 'Cert-RNN Studio' })).toBeVisible()
  // the developer's self-check lives in the About / health panel, not on every page
  await expect(page.getByTestId('self-check')).toHaveCount(0)
  await page.getByTestId('open-about').click()
  const selfCheck = page.getByTestId('self-check')
  await expect(selfCheck).toBeVisible()
  await expect(selfCheck).toHaveAttribute('data-ok', 'true')

  expect(errors).toEqual([])
})
