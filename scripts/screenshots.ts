/**
 * Screenshots of the app for the docs (not a test): a served build (`npm run build && npx
 * vite preview --port 4201`) is visited in Chromium at 1440×900 and 390×844 and each view
 * is saved as docs/screenshots/<tag>-<name>.png.
 *
 *   npx tsx scripts/screenshots.ts --url http://127.0.0.1:4201 --tag after [--out docs/screenshots]
 *
 * Every wait is on a state of the page, never on time; a view whose state never comes (an
 * older build without that element) is still shot, as it is, after a bounded wait.
 */
import { chromium } from '@playwright/test'
import type { Page } from '@playwright/test'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { findChromium } from './ensure-chromium.mjs'

function flag(name: string, fallback?: string): string {
  const k = process.argv.indexOf(`--${name}`)
  const v = k >= 0 ? process.argv[k + 1] : fallback
  if (v === undefined) {
    console.error(`screenshots: --${name} is required (e.g. --url http://127.0.0.1:4201 --tag after)`)
    process.exit(2)
  }
  return v
}

const url = flag('url').replace(/\/$/, '')
const tag = flag('tag')
const out = flag('out', 'docs/screenshots')
mkdirSync(out, { recursive: true })

/** Wait for a test id (visible), at most `ms`; false when it never came. */
async function waitFor(page: Page, testId: string, ms = 90_000): Promise<boolean> {
  try {
    await page.getByTestId(testId).first().waitFor({ state: 'visible', timeout: ms })
    return true
  } catch {
    return false
  }
}

async function ready(page: Page) {
  await page.locator('[data-testid=model-status][data-status=ready]').waitFor({ timeout: 60_000 })
}

/** A fresh load of `hash` (a new document: nothing of the previous view carries over). */
async function open(page: Page, hash: string) {
  await page.goto('about:blank')
  await page.goto(`${url}/${hash}`)
}

async function shot(page: Page, name: string, fullPage = true) {
  const file = join(out, `${tag}-${name}.png`)
  await page.screenshot({ path: file, fullPage })
  console.log(file)
}

const browser = await chromium.launch({ executablePath: findChromium() ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] })
try {
  const desk = await browser.newPage({ viewport: { width: 1440, height: 900 } })
  // text: a per-token heatmap
  await open(desk, `#model=toxic-lstm&text=${encodeURIComponent('you are a wonderful person, thank you')}`)
  await ready(desk)
  await desk.getByTestId('run-bound').click()
  await waitFor(desk, 'heatmap')
  await shot(desk, 'certify-text')
  // MNIST: the bound per frame on the digit, then a comparison running
  await open(desk, `#model=lstm-4-32&digit=3`)
  await ready(desk)
  await desk.getByTestId('run-bound').click()
  await waitFor(desk, 'frame-bounds')
  await shot(desk, 'certify-mnist')
  await open(desk, `#model=lstm-7-32&digit=1&search=paper`)
  await ready(desk)
  await desk.getByTestId('run-compare').click()
  await waitFor(desk, 'progress')
  await desk.getByTestId('run-certify').click()
  await waitFor(desk, 'queued', 5_000)
  await shot(desk, 'certify-running', false)
  // See the abstraction: a trace with its projection and planes
  await open(desk, `#view=abstraction&model=lstm-2-32&threat=all&eps=0.01`)
  await ready(desk)
  await desk.getByTestId('run-trace').click()
  await waitFor(desk, 'step-planes')
  await waitFor(desk, 'planes-panel-certrnn')
  // the 3-D panels (plotly loads with them) or their 2-D fallback
  await desk
    .locator('[data-testid=planes-panel-certrnn] canvas, [data-testid=planes-fallback]')
    .first()
    .waitFor({ timeout: 60_000 })
    .catch(() => undefined)
  await shot(desk, 'abstraction')
  // the classic toxic shape: its model card, both directions of the Bidirectional layer, the max pool
  await open(desk, `#view=abstraction&model=toxic-bilstm&text=${encodeURIComponent('you are a complete idiot')}&threat=frames=2&eps=0.01`)
  await ready(desk)
  await desk.getByTestId('model-card').locator('summary').click()
  await desk.getByTestId('run-trace').click()
  if (await waitFor(desk, 'projection')) {
    await desk.getByTestId('op-select').selectOption({ index: 2 })
    await waitFor(desk, 'step-planes')
  }
  await shot(desk, 'abstraction-bilstm')
  // the walkthrough's verdict
  await open(desk, `#view=walkthrough&step=7`)
  await waitFor(desk, 'wt-step')
  await shot(desk, 'walkthrough-verdict')
  await desk.close()

  const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2 })
  await open(phone, `#model=lstm-4-32&digit=3`)
  await ready(phone)
  await shot(phone, 'phone-certify', false)
  await open(phone, `#view=abstraction&model=lstm-4-32&digit=3`)
  await ready(phone)
  await phone.getByTestId('run-trace').click()
  await waitFor(phone, 'projection')
  await phone.getByTestId('projection').scrollIntoViewIfNeeded()
  await shot(phone, 'phone-abstraction', false)
  await phone.close()
} finally {
  await browser.close()
}
