import { expect, test } from '@playwright/test'
import { preserveWebGLPixels, trackErrors, withoutWebGL } from './helpers.ts'

test('projection: polygons and sampled points are drawn, stepping time changes them', async ({ page }) => {
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  await page.goto('/#view=abstraction&model=rnn-7-32&threat=frames=2,3&eps=0.02')
  await expect(page.getByTestId('model-status')).toHaveAttribute('data-status', 'ready', { timeout: 20_000 })
  await page.getByTestId('run-trace').click()
  const projection = page.getByTestId('projection')
  await expect(projection).toBeVisible({ timeout: 30_000 })
  // zonotopes project to many-sided polygons; interval bounds to a box
  for (const [m, sides] of [['certrnn', 8], ['tight', 8], ['deepz', 8], ['interval', 4]] as const) {
    const d = await page.getByTestId(`polygon-${m}`).locator('path').getAttribute('d')
    expect(d!.split('L').length).toBeGreaterThanOrEqual(sides)
  }
  await expect(page.getByTestId('cloud').locator('circle')).toHaveCount(399)
  await expect(page.getByTestId('inside-check')).toHaveAttribute('data-outside', '0')
  await expect(page.getByTestId('step-label')).toHaveText('step 2')
  const before = await page.getByTestId('polygon-certrnn').locator('path').getAttribute('d')
  // arrow key → next time step
  await page.getByTestId('step-slider').focus()
  await page.keyboard.press('ArrowRight')
  await expect(page.getByTestId('step-label')).toHaveText('step 3')
  await expect.poll(async () => page.getByTestId('polygon-certrnn').locator('path').getAttribute('d')).not.toBe(before)
  await expect(page.getByTestId('inside-check')).toHaveAttribute('data-outside', '0')
  // the logits, as a logit difference against a class
  await page.getByTestId('step-slider').fill('6')
  await expect(page.getByTestId('step-label')).toHaveText('after the recurrence')
  await expect(page.getByTestId('op-select')).toHaveValue(/logits/)
  await expect(page.getByTestId('margin-view')).toBeVisible()
  await expect(page.getByTestId('margin-certrnn')).toHaveText(/Cert-RNN: (not )?certified/)
  expect(errors).toEqual([])
})

test('toxic-bilstm: the model card lists every layer; the trace shows both directions, the merge, the max pool and the relu head', async ({ page }) => {
  const errors = trackErrors(page)
  await withoutWebGL(page)
  await page.goto('/#view=abstraction&model=toxic-bilstm&text=you%20are%20a%20complete%20idiot&threat=frames=2&eps=0.01')
  await expect(page.getByTestId('model-status')).toHaveAttribute('data-status', 'ready', { timeout: 20_000 })
  await expect(page.getByTestId('model-status')).toContainText('Bidirectional(LSTM) → GlobalMaxPooling1D → Dense (relu) → Dense')
  const card = page.getByTestId('model-card')
  await card.locator('summary').click()
  await expect(card.locator('li')).toHaveText([/^Embedding/, /^SpatialDropout1D spatial_dropout1d: ignored at inference/, /^Bidirectional\(LSTM\) .*merge mode concat/, /^GlobalMaxPooling1D/, /^Dense dense_hidden: hidden layer .*relu/, /^Dense dense: output layer/])
  await page.getByTestId('run-trace').click()
  await expect(page.getByTestId('projection')).toBeVisible({ timeout: 30_000 })
  // the backward direction runs from the perturbed token down to the first: step 0 has a backward step
  await expect(page.getByTestId('step-label')).toHaveText('step 0')
  const ops = page.getByTestId('op-select')
  await expect(ops.locator('option')).toContainText([/backward direction: gates i, f, g, o/, /backward direction: hidden state h/, /merge of the two directions \(concat\)/])
  await expect(page.getByTestId('inside-check')).toHaveAttribute('data-outside', '0')
  // the planes' axes name the neuron's two inputs (here the 2-D slices: x below, f at the side)
  await expect(page.getByTestId('planes-view').first().locator('.axis-label').first()).toHaveText(/^[a-z]\[\d+\] (before|\(previous\))/)
  // after the recurrence: the max pool (how each method bounded it) and the relu head
  await page.getByTestId('step-slider').fill('5')
  await expect(page.getByTestId('step-label')).toHaveText('after the recurrence')
  await expect(ops.locator('option')).toContainText([/max pool over the steps/, /W·x \+ b/, /relu output/, /logits/])
  await ops.selectOption('2/max pool')
  await expect(page.getByTestId('max-choice-interval')).toContainText(/^.*Interval \(IBP\): 64 a box/)
  await expect(page.getByTestId('max-choice-certrnn')).toContainText(/exact/)
  await expect(page.getByTestId('inside-check')).toHaveAttribute('data-outside', '0')
  await expect(page.getByTestId('planes-op')).toContainText('relu output · relu(x)')
  expect(errors).toEqual([])
})

test('walkthrough: forward and back, linkable steps, final verdict certified', async ({ page }) => {
  await page.goto('/#view=walkthrough')
  await expect(page.getByTestId('wt-step')).toHaveAttribute('data-step', '0')
  await page.getByTestId('wt-back').isDisabled()
  for (let k = 1; k <= 7; k++) {
    await page.getByTestId('wt-next').click()
    await expect(page.getByTestId('wt-step')).toHaveAttribute('data-step', String(k))
    await expect.poll(() => page.url()).toContain(`step=${k}`)
  }
  await expect(page.getByTestId('wt-verdict-certrnn')).toHaveText(/Cert-RNN: margin ≥ 0\.\d+ → certified/)
  await expect(page.getByTestId('wt-verdict-deepz')).toHaveText(/not certified/)
  // the last step: where the looseness comes from (e2e/looseness.spec.ts)
  await page.getByTestId('wt-next').click()
  await expect(page.getByTestId('wt-step')).toHaveAttribute('data-step', '8')
  await expect(page.getByTestId('wt-next')).toBeDisabled()
  await page.getByTestId('wt-back').click()
  await page.getByTestId('wt-back').click()
  await expect(page.getByTestId('wt-step')).toHaveAttribute('data-step', '6')
  await expect(page.getByTestId('wt-plot')).toBeVisible()
  await expect(page.getByTestId('wt-decision')).toBeVisible()
  // a step is a link
  await page.goto('/#view=walkthrough&step=3')
  await page.reload()
  await expect(page.getByTestId('wt-step')).toHaveAttribute('data-step', '3')
  await expect(page.getByTestId('wt-tanh-0').locator('path')).toHaveCount(1)
})

test('bounding planes of a traced step: three panels drawn (or the 2-D fallback)', async ({ page }) => {
  await preserveWebGLPixels(page)
  await page.goto('/#view=abstraction&model=lstm-2-32&threat=all&eps=0.01')
  await expect(page.getByTestId('model-status')).toHaveAttribute('data-status', 'ready', { timeout: 20_000 })
  await page.getByTestId('run-trace').click()
  await expect(page.getByTestId('step-planes')).toBeVisible({ timeout: 30_000 })
  // it opens on the widest input box of the step, and says which box it shows
  await expect(page.getByTestId('planes-box')).toHaveAttribute('data-widest', 'true')
  await expect(page.getByTestId('planes-box')).toContainText(/neuron \d+ \(the widest input box of this step\): box \[/)
  await expect(page.getByTestId('planes-op')).toContainText('f ⊙ c')
  // at step 0 the cell state is 0, so f⊙c is exact: look at i⊙g
  await page.getByTestId('planes-op').selectOption({ label: 'lstm: i ⊙ g: what the cell writes · σ(x)·tanh(y)' })
  for (const m of ['certrnn', 'deepz', 'interval']) await expect(page.getByTestId(`planes-panel-${m}`)).toBeVisible({ timeout: 30_000 })
  const gap = await page.getByTestId('plane-gap-certrnn').textContent()
  expect(gap).toMatch(/\d/)
  // stepping through time draws 2-D slices; the 3-D surfaces when asked for
  await expect(page.getByTestId('planes-fallback')).toContainText('the 3-D surfaces are off')
  await page.getByTestId('planes-3d').check()
  // something was drawn: a non-blank WebGL canvas, or the SVG fallback's paths
  await expect
    .poll(async () =>
      page.evaluate(() => {
        if (document.querySelector('[data-testid=planes-fallback]')) return document.querySelectorAll('[data-testid=planes-view] svg path').length > 3
        const canvases = [...document.querySelectorAll('[data-testid=planes-panel-certrnn] canvas')] as HTMLCanvasElement[]
        return canvases.some((c) => {
          const blank = document.createElement('canvas')
          blank.width = c.width
          blank.height = c.height
          return c.width > 0 && c.toDataURL() !== blank.toDataURL()
        })
      }),
    { timeout: 30_000 },
    )
    .toBe(true)
  // another neuron, another box
  await page.getByTestId('planes-neuron').fill('3')
  await expect.poll(async () => page.getByTestId('plane-gap-certrnn').textContent()).not.toBe(gap)
})

test('walkthrough: every weight as a labelled matrix, a picture at every step, ε and the weights editable', async ({ page }) => {
  await page.goto('/#view=walkthrough&step=0')
  for (const w of ['W', 'U', 'b', 'V', 'c']) await expect(page.getByTestId('wt-step').getByTestId(`wt-${w}`)).toBeVisible()
  // a picture at every step (the first: the weights; then plots, curves, the margin chart)
  for (let k = 1; k <= 7; k++) {
    await page.getByTestId('wt-next').click()
    await expect(page.getByTestId('wt-step')).toHaveAttribute('data-step', String(k))
    await expect(page.getByTestId('wt-step').locator('svg').first()).toBeVisible()
    await expect(page.getByTestId('wt-step')).not.toContainText(' 0 inputs sampled')
  }
  await expect(page.getByTestId('wt-margin')).toBeVisible()
  await expect(page.getByTestId('wt-verdict-deepz')).toHaveText(/not certified/)
  // a smaller ε: DeepZ certifies too, recomputed live
  await page.getByTestId('wt-params').locator('summary').click()
  await page.getByTestId('wt-eps').fill('0.1')
  await expect(page.getByTestId('wt-verdict-deepz')).toHaveText(/→ certified/)
  // a weight changed: the verdict follows (V's sign flipped: the prediction changes class)
  await page.getByTestId('wt-eps').fill('1')
  await expect(page.getByTestId('wt-verdict-deepz')).toHaveText(/not certified/)
  await page.getByTestId('wt-V-0-0').fill('3')
  await expect(page.getByTestId('wt-verdict-deepz')).not.toHaveText(/margin ≥ -1\.07/)
  await page.getByTestId('wt-back').click()
  await page.getByTestId('wt-back').click()
  await expect(page.getByTestId('wt-step')).toHaveAttribute('data-step', '5')
})
