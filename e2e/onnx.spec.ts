/** A PyTorch model exported to ONNX, dropped in the page: certified, predicted by ONNX Runtime from the app's own origin. */
import { expect, test } from '@playwright/test'
import { join } from 'node:path'
import { drawStroke, trackErrors } from './helpers.ts'

const onnxFixtures = join(import.meta.dirname, '..', 'src', 'model', 'testing', 'fixtures', 'onnx')

// 7 frames of 112 pixels; 784 pixels that the graph reshapes itself (x.view(-1, 28, 28): ONNX Runtime is fed one flat row)
for (const fixture of ['mnist_gru_7x112', 'mnist_gru_flat784']) {
  test(`an MNIST-shaped .onnx model (${fixture}): draw a digit, certify, ONNX Runtime predicts; nothing fetched from elsewhere`, async ({ page, baseURL }) => {
    const errors = trackErrors(page)
    const foreign: string[] = []
    page.on('request', (r) => {
      const url = r.url()
      if (!url.startsWith(baseURL ?? 'http://127.0.0.1') && !url.startsWith('data:') && !url.startsWith('blob:')) foreign.push(url)
    })
    await page.goto('/')
    await expect(page.getByTestId('model-status')).toHaveAttribute('data-status', 'ready', { timeout: 20_000 })
    await page.getByTestId('upload-input').setInputFiles([join(onnxFixtures, fixture, 'model.onnx')])
    await expect(page.getByTestId('model-picker')).toHaveValue('__upload', { timeout: 20_000 })
    await expect(page.getByTestId('model-status')).toHaveAttribute('data-status', 'ready', { timeout: 20_000 })
    await drawStroke(page)
    await page.getByTestId('run-certify').click()
    await expect(page.getByTestId('verdict')).toBeVisible({ timeout: 60_000 })
    await expect(page.getByTestId('prediction')).toContainText('(ONNX Runtime)', { timeout: 30_000 })
    expect(foreign).toEqual([])
    expect(errors).toEqual([])
  })
}

test('an unsupported .onnx model is refused by node', async ({ page }) => {
  await page.goto('/')
  await page.getByTestId('upload-input').setInputFiles([join(onnxFixtures, 'gru_sum', 'model.onnx')])
  await expect(page.getByTestId('upload-error')).toContainText("node '/ReduceSum' (op ReduceSum): this op is not supported")
})
