import { defineConfig } from '@playwright/test'
import { findChromium } from './scripts/ensure-chromium.mjs'

// Playwright cannot download its own browsers on these machines: `npm run test:e2e` first runs
// scripts/ensure-chromium.mjs, which finds Chromium (CHROMIUM_PATH, /usr/bin/chromium, the
// PATH) or installs Debian's package; this config uses the same lookup.
const executablePath = findChromium() ?? process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
// E2E_PORT lets two checkouts run their e2e tests side by side (default 4173, vite preview's)
const port = Number(process.env.E2E_PORT ?? 4173)
const origin = `http://127.0.0.1:${port}`

export default defineConfig({
  testDir: 'e2e',
  // generous: a loaded 2-core machine runs these several times slower than an idle one; nothing asserts time
  timeout: 120_000,
  fullyParallel: false,
  workers: 1,
  reporter: [['list']],
  use: {
    baseURL: origin,
    launchOptions: {
      executablePath,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
    },
  },
  webServer: {
    command: `npx vite preview --host 127.0.0.1 --port ${port} --strictPort`,
    url: origin,
    reuseExistingServer: false, // always the build just made, never a server left running from another checkout
    timeout: 60_000,
  },
})
