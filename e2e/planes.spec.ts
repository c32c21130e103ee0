import { expect, test } from '@playwright/test'
import type { Page } from '@playwright/test'
import { preserveWebGLPixels, trackErrors, withoutWebGL } from './helpers.ts'

const METHODS = ['certrnn', 'deepz', 'interval'] as const


/** The plot of one panel: its graph div holds data, and one of its canvases shows a picture. */
async function plotDrawn(page: Page, method: string) {
  return page.getByTestId(`planes-panel-${method}`).evaluate((panel) => {
    const gd = panel.querySelector('.js-plotly-plot') as (HTMLElement & { data?: unknown[] }) | null
    if (!gd || !Array.isArray(gd.data) || gd.data.length < 3) return { ok: false, why: 'no plotly graph with data' }
    let best = { colors: 0, differs: false }
    for (const c of gd.querySelectorAll('canvas')) {
      if (c.width === 0 || c.height === 0) continue
      const blank = document.createElement('canvas')
      blank.width = c.width
      blank.height = c.height
      const differs = c.toDataURL() !== blank.toDataURL()
      // count distinct colours on a coarse grid of the canvas's pixels
      const copy = document.createElement('canvas')
      copy.width = c.width
      copy.height = c.height
      const ctx = copy.getContext('2d')!
      ctx.drawImage(c, 0, 0)
      const px = ctx.getImageData(0, 0, c.width, c.height).data
      const seen = new Set<number>()
      for (let y = 0; y < c.height; y += 4) for (let x = 0; x < c.width; x += 4) {
        const k = (y * c.width + x) * 4
        seen.add((px[k] << 24) ^ (px[k + 1] << 16) ^ (px[k + 2] << 8) ^ px[k + 3])
      }
      if (seen.size > best.colors) best = { colors: seen.size, differs }
    }
    return { ok: best.differs && best.colors > 20, why: `best canvas: differs from blank ${best.differs}, ${best.colors} colours` }
  })
}

/**
 * The 3-D surfaces, ticked on when they are off. Where WebGL runs on the CPU (this headless
 * Chromium: SwiftShader) the playground opens on the 2-D slices and draws no surface until asked.
 */
async function showSurfaces(page: Page) {
  const box = page.getByTestId('planes-3d')
  await expect(box).toBeVisible()
  if (!(await box.isChecked())) await box.check()
}

async function expectPanelsDrawn(page: Page) {
  await expect(page.getByTestId('planes-view')).toBeVisible()
  for (const m of METHODS) await expect(page.getByTestId(`planes-panel-${m}`)).toBeVisible()
  const view = page.getByTestId('planes-view')
  await expect(view).toHaveAttribute('data-mode', /^(3d|slices)$/, { timeout: 20_000 })
  if ((await view.getAttribute('data-mode')) === 'slices') {
    await expect(page.getByTestId('planes-fallback')).toBeVisible()
    for (const m of METHODS) {
      const paths = page.getByTestId(`planes-slices-${m}`).locator('path.curve-f')
      expect(await paths.count()).toBeGreaterThan(0)
      expect((await paths.first().getAttribute('d'))!.length).toBeGreaterThan(20)
    }
    return 'slices'
  }
  for (const m of METHODS) {
    await expect(page.getByTestId(`planes-plot-${m}`).locator('canvas').first()).toBeAttached({ timeout: 30_000 })
    await expect.poll(() => plotDrawn(page, m), { timeout: 20_000 }).toMatchObject({ ok: true })
  }
  return '3d'
}

test('planes: σ(x)·tanh(y) draws three panels, the gap follows the box, tanh draws a curve', async ({ page }) => {
  const errors = trackErrors(page)
  await preserveWebGLPixels(page)
  await page.goto('/#view=playground')
  await expect(page.getByTestId('playground')).toBeVisible()
  await expect(page.getByTestId('pg-kind')).toHaveValue('sigmoidTanh')
  if (process.env.PLANES_EXPECT_FALLBACK !== '1') await showSurfaces(page)
  const mode = await expectPanelsDrawn(page)
  // this machine's headless Chromium has (software) WebGL: the 3-D view must be the one shown
  if (process.env.PLANES_EXPECT_FALLBACK !== '1') expect(mode).toBe('3d')

  // each panel prints its slopes and a positive gap
  for (const m of METHODS) {
    await expect(page.getByTestId(`plane-a-${m}`)).toHaveText(/^-?[\d.e+-]+$/)
    await expect(page.getByTestId(`plane-b-${m}`)).toHaveText(/^-?[\d.e+-]+$/)
    expect(Number(await page.getByTestId(`plane-gap-${m}`).textContent())).toBeGreaterThan(0)
  }
  // Cert-RNN's planes are tighter than DeepZ's and interval's on this box
  const gap = async (m: string) => Number(await page.getByTestId(`planes-panel-${m}`).getAttribute('data-gap'))
  expect(await gap('certrnn')).toBeLessThan(await gap('deepz'))

  // typing a new ux changes the printed gap
  const before = await page.getByTestId('plane-gap-certrnn').textContent()
  await page.getByTestId('pg-ux').fill('3')
  await expect(page.getByTestId('plane-gap-certrnn')).not.toHaveText(before!)
  // so does dragging the slider
  const afterTyping = await page.getByTestId('plane-gap-certrnn').textContent()
  await page.getByTestId('pg-ux-range').fill('0.5')
  await expect(page.getByTestId('pg-ux')).toHaveValue('0.5')
  await expect(page.getByTestId('plane-gap-certrnn')).not.toHaveText(afterTyping!)
  // the plots redraw after the change
  if (mode === '3d') for (const m of METHODS) await expect.poll(() => plotDrawn(page, m), { timeout: 20_000 }).toMatchObject({ ok: true })

  // invalid boxes get a message, and the last valid planes stay
  const shown = await page.getByTestId('plane-gap-certrnn').textContent()
  await page.getByTestId('pg-lx').fill('2')
  await expect(page.getByTestId('pg-error')).toContainText('lx must not exceed ux')
  await page.getByTestId('pg-lx').fill('abc')
  await expect(page.getByTestId('pg-error')).toContainText('is not a number')
  await expect(page.getByTestId('plane-gap-certrnn')).toHaveText(shown!)
  await page.getByTestId('pg-lx').fill('-1')
  await expect(page.getByTestId('pg-error')).toHaveCount(0)

  // tanh: y fields hidden, each panel an SVG curve with its two lines and the extremes
  await page.getByTestId('pg-kind').selectOption('tanh')
  await expect(page.getByTestId('pg-ly')).toHaveCount(0)
  await expect(page.getByTestId('planes-view')).toHaveAttribute('data-mode', 'curve')
  for (const m of METHODS) {
    const svg = page.getByTestId(`planes-curve-${m}`)
    await expect(svg).toBeVisible()
    for (const cls of ['curve-f', 'plane-lo', 'plane-hi']) expect((await svg.locator(`path.${cls}`).getAttribute('d'))!.length).toBeGreaterThan(20)
    await expect(svg.locator('.extreme-min circle, .extreme-max circle')).toHaveCount(2)
    await expect(page.getByTestId(`plane-b-${m}`)).toHaveCount(0)
  }
  // Cert-RNN's secant planes beat DeepZ's on this box too
  expect(await gap('certrnn')).toBeLessThan(await gap('deepz'))

  expect(errors).toEqual([])
})

test('planes: without WebGL the surfaces fall back to 2-D slices, never a blank panel', async ({ page }) => {
  const errors = trackErrors(page)
  await withoutWebGL(page)
  await page.goto('/#view=playground')
  await expect(page.getByTestId('planes-fallback')).toBeVisible()
  await expect(page.getByTestId('planes-fallback')).toContainText('WebGL is not available')
  expect(await expectPanelsDrawn(page)).toBe('slices')
  for (const m of METHODS) {
    const svg = page.getByTestId(`planes-slices-${m}`)
    await expect(svg.locator('path.curve-f')).toHaveCount(3)
    await expect(svg.locator('path.plane-lo')).toHaveCount(3)
    await expect(svg.locator('.extreme-min circle, .extreme-max circle')).toHaveCount(2)
  }
  // plotly was never loaded
  expect(await page.evaluate(() => performance.getEntriesByType('resource').some((r) => /Surface3D/.test(r.name)))).toBe(false)
  const before = await page.getByTestId('plane-gap-deepz').textContent()
  await page.getByTestId('pg-uy').fill('4')
  await expect(page.getByTestId('plane-gap-deepz')).not.toHaveText(before!)
  expect(errors).toEqual([])
})

test('planes: when plotly cannot be loaded, the surfaces fall back to 2-D slices', async ({ page }) => {
  await page.route(/Surface3D-[^/]*\.js$/, (route) => route.abort())
  await page.goto('/#view=playground')
  await showSurfaces(page)
  await expect(page.getByTestId('planes-fallback')).toContainText('the 3-D view failed')
  expect(await expectPanelsDrawn(page)).toBe('slices')
})

test('planes: plotly is a chunk of its own, loaded only when a 3-D view is shown', async ({ page }) => {
  await page.goto('/')
  await expect(page.getByRole('heading', { level: 1, name: 'Cert-RNN Studio' })).toBeVisible()
  const plotlyLoaded = () => page.evaluate(() => performance.getEntriesByType('resource').some((r) => /Surface3D/.test(r.name)))
  expect(await plotlyLoaded()).toBe(false)
  await page.goto('/#view=playground')
  await page.reload()
  // the panels print their planes whether or not plotly has arrived yet
  await expect(page.getByTestId('plane-gap-certrnn')).toHaveText(/\d/)
  const box = page.getByTestId('planes-3d')
  if (!(await box.isChecked())) {
    // WebGL on the CPU: the playground opens on the 2-D slices (a drawing at once) and loads no plotly
    await expect(page.getByTestId('planes-fallback')).toContainText('the 3-D surfaces are off')
    for (const m of METHODS) await expect(page.getByTestId(`planes-slices-${m}`).locator('path.curve-f')).toHaveCount(3)
    expect(await plotlyLoaded()).toBe(false)
    await box.check()
  }
  // every panel keeps a drawing while its 3-D plot waits its turn: the slices, then the plot
  for (const m of METHODS) await expect(page.getByTestId(`planes-panel-${m}`).locator('svg path.curve-f, canvas').first()).toBeAttached()
  await expect(page.getByTestId('planes-plot-certrnn').locator('canvas').first()).toBeAttached({ timeout: 30_000 })
  expect(await plotlyLoaded()).toBe(true)
  // the page answers while the plots draw one by one: a preset click is handled, the planes follow
  const gap = await page.getByTestId('plane-gap-certrnn').textContent()
  await page.locator('.pg-presets button').last().click()
  await expect(page.getByTestId('plane-gap-certrnn')).not.toHaveText(gap!)
  for (const m of METHODS) await expect(page.getByTestId(`planes-plot-${m}`).locator('canvas').first()).toBeAttached({ timeout: 60_000 })
})
