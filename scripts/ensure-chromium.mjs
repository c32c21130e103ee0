#!/usr/bin/env node
/**
 * Run before the end-to-end tests (`npm test`, `npm run test:e2e`): makes sure a Chromium
 * exists for Playwright, which cannot download its own browsers on these machines.
 *
 * Looks for $CHROMIUM_PATH, then Debian's /usr/bin/chromium, then chromium / chromium-browser
 * / google-chrome on the PATH. When none exists and this is a Debian-like machine where we are
 * root, installs Debian's `chromium` package with apt-get; otherwise stops with one line saying
 * exactly what to install. playwright.config.ts uses the same lookup (findChromium). apt-get's
 * output goes to a log file in the temporary folder (its last lines are shown if it fails).
 *
 * Plain Node (no dependencies): it runs before anything else could be set up.
 */
import { spawnSync } from 'node:child_process'
import { accessSync, closeSync, constants, existsSync, mkdtempSync, openSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { pathToFileURL } from 'node:url'

const DEBIAN_PATH = '/usr/bin/chromium'
const NAMES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable']

function executable(path) {
  try {
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

/** The Chromium to use, or undefined. An explicit CHROMIUM_PATH wins (and must exist). */
export function findChromium(env = process.env) {
  if (env.CHROMIUM_PATH) return executable(env.CHROMIUM_PATH) ? env.CHROMIUM_PATH : undefined
  if (executable(DEBIAN_PATH)) return DEBIAN_PATH
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue
    for (const name of NAMES) if (executable(join(dir, name))) return join(dir, name)
  }
  return undefined
}

function fail(line) {
  console.error(`ensure-chromium: ${line}`)
  process.exit(1)
}

function main() {
  if (process.env.CHROMIUM_PATH && !executable(process.env.CHROMIUM_PATH)) {
    fail(`CHROMIUM_PATH=${process.env.CHROMIUM_PATH} is not an executable file: point it at a Chromium binary or unset it`)
  }
  const found = findChromium()
  if (found) {
    console.log(`ensure-chromium: using ${found}`)
    return
  }
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0
  const hasApt = existsSync('/usr/bin/apt-get')
  if (!hasApt) fail('no Chromium found: install Chromium and set CHROMIUM_PATH to its binary (the end-to-end tests need it)')
  if (!isRoot) fail('no Chromium found: install it with `sudo apt-get install -y chromium` (the end-to-end tests need it), or set CHROMIUM_PATH')
  console.error('ensure-chromium: no Chromium found: installing Debian\'s chromium package (apt-get, about a minute)')
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  const logPath = join(mkdtempSync(join(tmpdir(), 'ensure-chromium-')), 'apt.log')
  const log = openSync(logPath, 'w')
  const t0 = Date.now()
  // wait for another apt-get or dpkg (an unattended upgrade, a second test run) instead of failing on its lock
  const wait = ['-o', 'DPkg::Lock::Timeout=600']
  for (const args of [['update', ...wait], ['install', '-y', ...wait, 'chromium']]) {
    const r = spawnSync('apt-get', args, { stdio: ['ignore', log, log], env })
    if (r.status !== 0 && findChromium()) break // installed meanwhile by someone else
    if (r.status !== 0) {
      closeSync(log)
      const tail = readFileSync(logPath, 'utf8').trim().split('\n').slice(-5).join('\n')
      console.error(tail)
      fail(`\`apt-get ${args.join(' ')}\` failed (exit ${r.status ?? r.signal}; log in ${logPath}): install Chromium by hand (apt-get install -y chromium) or set CHROMIUM_PATH`)
    }
  }
  closeSync(log)
  const installed = findChromium()
  if (!installed) fail('apt-get installed chromium but no binary was found at /usr/bin/chromium: set CHROMIUM_PATH')
  console.log(`ensure-chromium: installed ${installed} in ${Math.round((Date.now() - t0) / 1000)} s (apt-get log: ${logPath})`)
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) main()
