/**
 * A real redis-server for the queue tests: on a free 127.0.0.1 port, its data (an
 * append-only file, fsync'd on every write, so a restart keeps every job) in a temporary
 * folder; `restart()` stops it (SIGTERM, a clean shutdown) and starts it again on the same
 * port and data; `stop()` ends it. The binary comes from ensureRedisServer (apt-get when
 * missing, or one line saying what to install).
 */
import type { ChildProcess } from 'node:child_process'
import { spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ensureRedisServer } from '../../ensure-redis.mjs'

export interface RedisServer {
  url: string
  port: number
  restart(): Promise<void>
  stop(): Promise<void>
}

/** A port nobody listens on now (the server binds it right after). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.on('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => resolve(port))
    })
  })
}

function launch(bin: string, port: number, dir: string): Promise<ChildProcess> {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', '', '--daemonize', 'no', '--loglevel', 'notice']
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  return new Promise((resolve, reject) => {
    let log = ''
    const onData = (d: Buffer) => {
      log += d.toString()
      if (log.includes('Ready to accept connections')) {
        child.stdout!.off('data', onData)
        child.stdout!.resume()
        resolve(child)
      }
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', (d: Buffer) => (log += d.toString()))
    child.on('error', reject)
    child.on('exit', (code) => reject(new Error(`redis-server exited (${code}) before it was ready:\n${log.slice(-2000)}`)))
  })
}

function end(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    child.once('exit', () => resolve())
    child.kill('SIGTERM')
  })
}

export async function startRedis(): Promise<RedisServer> {
  const bin = ensureRedisServer((line) => console.error(`ensure-redis: ${line}`))
  const dir = mkdtempSync(join(tmpdir(), 'redis-test-'))
  const port = await freePort()
  let child = await launch(bin, port, dir)
  return {
    url: `redis://127.0.0.1:${port}/0`,
    port,
    async restart() {
      await end(child)
      child = await launch(bin, port, dir)
    },
    stop: () => end(child),
  }
}
