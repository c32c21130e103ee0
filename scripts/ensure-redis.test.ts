import { spawnSync } from 'node:child_process'
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { findRedisServer } from './ensure-redis.mjs'

describe('ensure-redis (the redis-server of the queue tests)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'redis-bin-'))
  const fake = join(dir, 'redis-server')
  writeFileSync(fake, '#!/bin/sh\n')
  chmodSync(fake, 0o755)

  it('takes REDIS_SERVER_PATH when it is executable, else looks on the PATH', () => {
    expect(findRedisServer({ REDIS_SERVER_PATH: fake })).toBe(fake)
    expect(findRedisServer({ REDIS_SERVER_PATH: join(dir, 'missing') })).toBeUndefined()
    const found = findRedisServer({ PATH: dir })
    expect(found === fake || found === '/usr/bin/redis-server').toBe(true) // Debian's path is tried first
  })

  it('stops with one line when REDIS_SERVER_PATH is wrong', () => {
    const r = spawnSync(process.execPath, ['scripts/ensure-redis.mjs'], { env: { ...process.env, REDIS_SERVER_PATH: join(dir, 'missing') }, encoding: 'utf8' })
    expect(r.status).toBe(1)
    expect(r.stderr.trim().split('\n')).toEqual([`ensure-redis: REDIS_SERVER_PATH=${join(dir, 'missing')} is not an executable file: point it at a redis-server binary or unset it`])
  })
})
