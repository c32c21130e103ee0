import { expect } from '@playwright/test'
import type { Page } from '@playwright/test'
import { join } from 'node:path'

const fixtures = join(import.meta.dirname, 'fixtures')

export function trackErrors(page: Page) {
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text())
  })
  return errors
}

/**
 * plotly's gl3d keeps the drawing buffer only on mobile browsers (it decides from the user
 * agent; there is no config option), so pixels cannot be read back afterwards. For the test,
 * every WebGL context is created with preserveDrawingBuffer: true.
 */
export async function preserveWebGLPixels(page: Page) {
  await page.addInitScript(() => {
    const original = HTMLCanvasElement.prototype.getContext
    HTMLCanvasElement.prototype.getContext = function (this: HTMLCanvasElement, type: string, attrs?: Record<string, unknown>) {
      if (type === 'webgl' || type === 'webgl2' || type === 'experimental-webgl') attrs = { ...attrs, preserveDrawingBuffer: true }
      return (original as (this: HTMLCanvasElement, t: string, a?: unknown) => RenderingContext | null).call(this, type, attrs)
    } as typeof original
  })
}

/** No WebGL in this page: the planes panels draw their 2-D slices (fast; the 3-D panels have their own tests). */
export async function withoutWebGL(page: Page) {
  await page.addInitScript(() => {
    const original = HTMLCanvasElement.prototype.getContext
    HTMLCanvasElement.prototype.getContext = function (this: HTMLCanvasElement, type: string, attrs?: unknown) {
      if (type === 'webgl' || type === 'webgl2' || type === 'experimental-webgl') return null
      return (original as (this: HTMLCanvasElement, t: string, a?: unknown) => RenderingContext | null).call(this, type, attrs)
    } as typeof original
  })
}

/** Draw a vertical stroke (a '1') on the digit pad. */
export async function drawStroke(page: Page) {
  const box = (await page.getByTestId('draw-canvas').boundingBox())!
  await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.2)
  await page.mouse.down()
  await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.8, { steps: 12 })
  await page.mouse.up()
}

/** The model is loaded and ready (the worker has it). */
export async function modelReady(page: Page) {
  await expect(page.getByTestId('model-status')).toHaveAttribute('data-status', 'ready', { timeout: 30_000 })
}

/** Open the app and upload a fixture model (e2e/fixtures/<name>: model.json + weights.bin). */
export async function uploadFixture(page: Page, name: 'tiny-lstm' | 'slow-lstm') {
  await page.goto('/')
  await modelReady(page)
  await page.getByTestId('upload-input').setInputFiles([join(fixtures, name, 'model.json'), join(fixtures, name, 'weights.bin')])
  await modelReady(page)
  await expect(page.getByTestId('model-picker')).toHaveValue('__upload')
}

/** The slow fixture model with a horizontal stroke drawn and the paper's search: every comparison takes a while. */
export async function slowComparisonSetup(page: Page) {
  await uploadFixture(page, 'slow-lstm')
  const box = (await page.getByTestId('draw-canvas').boundingBox())!
  await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.5)
  await page.mouse.down()
  await page.mouse.move(box.x + box.width * 0.7, box.y + box.height * 0.5, { steps: 8 })
  await page.mouse.up()
  await page.getByTestId('search').selectOption('paper')
}
