#!/usr/bin/env node
/**
 * Run before the end-to-end tests (`npm test`, `npm run test:e2e`): makes sure a Chromium
 * exists for Playwright, which cannot download its own browsers on these machines.
 *
 * Looks for $CHROMIUM_PATH, then Debian's /usr/bin/chromium, then chromium / chromium-browser
 * / google-chrome on the PATH. When none exists and this is a Debian-like machine where we are
 * root, installs Debian's `chromium` package with apt-get; otherwise stops with one line saying
 * exactly what to install (ensure-debian-package.mjs, shared with ensure-redis.mjs).
 * playwright.config.ts uses the same lookup (findChromium).
 *
 * Plain Node (no dependencies): it runs before anything else could be set up.
 */
import { pathToFileURL } from 'node:url'
import { ensureMain, findExecutable } from './ensure-debian-package.mjs'

const CHROMIUM = {
  tool: 'Chromium',
  pkg: 'chromium',
  envVar: 'CHROMIUM_PATH',
  debianPath: '/usr/bin/chromium',
  names: ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'],
  purpose: 'the end-to-end tests need it',
}

/** The Chromium to use, or undefined. An explicit CHROMIUM_PATH wins (and must exist). */
export function findChromium(env = process.env) {
  return findExecutable(CHROMIUM, env)
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) ensureMain('ensure-chromium', CHROMIUM)
