import { spawnSync } from 'node:child_process'
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { findChromium } from './ensure-chromium.mjs'

describe('ensure-chromium (the browser for the end-to-end tests)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'chromium-'))
  const fake = join(dir, 'chromium-browser')
  writeFileSync(fake, '#!/bin/sh\n')
  chmodSync(fake, 0o755)

  it('takes CHROMIUM_PATH when it is executable, else looks on the PATH', () => {
    expect(findChromium({ CHROMIUM_PATH: fake })).toBe(fake)
    expect(findChromium({ CHROMIUM_PATH: join(dir, 'missing') })).toBeUndefined()
    const found = findChromium({ PATH: dir })
    expect(found === fake || found === '/usr/bin/chromium').toBe(true) // Debian's path is tried first
  })

  it('stops with one line when CHROMIUM_PATH is wrong', () => {
    const r = spawnSync(process.execPath, ['scripts/ensure-chromium.mjs'], { env: { ...process.env, CHROMIUM_PATH: join(dir, 'missing') }, encoding: 'utf8' })
    expect(r.status).toBe(1)
    expect(r.stderr.trim().split('\n')).toEqual([`ensure-chromium: CHROMIUM_PATH=${join(dir, 'missing')} is not an executable file: point it at a Chromium binary or unset it`])
  })
})
