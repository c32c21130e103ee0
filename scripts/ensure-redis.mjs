#!/usr/bin/env node
/**
 * The redis-server the job-queue tests start (scripts/queue.test.ts calls ensureRedisServer
 * before anything else; `node scripts/ensure-redis.mjs` does the same from a shell).
 *
 * Looks for $REDIS_SERVER_PATH, then Debian's /usr/bin/redis-server, then redis-server on the
 * PATH. When none exists and this is a Debian-like machine where we are root, installs
 * Debian's `redis-server` package with apt-get (waiting for another apt-get's lock);
 * otherwise stops with one line saying exactly what to install (ensure-debian-package.mjs,
 * shared with ensure-chromium.mjs). The package's own service is not used: the tests start
 * their own server on a free loopback port.
 *
 * Plain Node (no dependencies).
 */
import { pathToFileURL } from 'node:url'
import { ensureDebianPackage, ensureMain, findExecutable } from './ensure-debian-package.mjs'

const REDIS = {
  tool: 'redis-server',
  pkg: 'redis-server',
  envVar: 'REDIS_SERVER_PATH',
  debianPath: '/usr/bin/redis-server',
  names: ['redis-server'],
  purpose: 'the job-queue tests need it',
}

/** The redis-server to use, or undefined. */
export function findRedisServer(env = process.env) {
  return findExecutable(REDIS, env)
}

/** The redis-server's path, installed with apt-get when missing; throws an EnsureError (one line) when it cannot be. */
export function ensureRedisServer(log) {
  return ensureDebianPackage(REDIS, log)
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) ensureMain('ensure-redis', REDIS)
