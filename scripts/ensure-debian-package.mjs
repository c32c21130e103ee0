/**
 * Make sure a program the tests need exists, installing its Debian package when it does not:
 * shared by `ensure-chromium.mjs` (the end-to-end tests' browser) and `ensure-redis.mjs` (the
 * job queue tests' redis-server).
 *
 * `findExecutable` looks for $ENV_VAR (which must then be executable), the Debian path, then
 * the names on the PATH. `ensureDebianPackage` returns the program's path; when it is missing
 * and this is a Debian-like machine where we are root, it installs the package with apt-get
 * (waiting for another apt-get's or dpkg's lock instead of failing on it; the output goes to a
 * log file in the temporary folder, its last lines shown if it fails); otherwise it throws an
 * EnsureError whose message is the one line saying exactly what to install.
 *
 * Plain Node (no dependencies): it runs before anything else could be set up.
 */
import { spawnSync } from 'node:child_process'
import { accessSync, closeSync, constants, existsSync, mkdtempSync, openSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'

export class EnsureError extends Error {
  constructor(message) {
    super(message)
    this.name = 'EnsureError'
  }
}

export function executable(path) {
  try {
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

/** The program: an explicit $envVar wins (and must exist), then debianPath, then `names` on the PATH; or undefined. */
export function findExecutable({ envVar, debianPath, names }, env = process.env) {
  if (env[envVar]) return executable(env[envVar]) ? env[envVar] : undefined
  if (executable(debianPath)) return debianPath
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue
    for (const name of names) if (executable(join(dir, name))) return join(dir, name)
  }
  return undefined
}

/**
 * The program's path, installing Debian's `pkg` when it is missing (see the file comment).
 * spec: { tool (its name in messages), pkg, envVar, debianPath, names, purpose ('the end-to-end tests need it'), minutes }
 * log: where progress lines go (stderr by default).
 */
export function ensureDebianPackage(spec, log = (line) => console.error(line)) {
  const { tool, pkg, envVar, purpose } = spec
  if (process.env[envVar] && !executable(process.env[envVar])) {
    throw new EnsureError(`${envVar}=${process.env[envVar]} is not an executable file: point it at a ${tool} binary or unset it`)
  }
  const found = findExecutable(spec)
  if (found) return found
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0
  if (!existsSync('/usr/bin/apt-get')) throw new EnsureError(`no ${tool} found: install ${tool} and set ${envVar} to its binary (${purpose})`)
  if (!isRoot) throw new EnsureError(`no ${tool} found: install it with \`sudo apt-get install -y ${pkg}\` (${purpose}), or set ${envVar}`)
  log(`no ${tool} found: installing Debian's ${pkg} package (apt-get, about ${spec.minutes ?? 1} minute${(spec.minutes ?? 1) === 1 ? '' : 's'})`)
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  const logPath = join(mkdtempSync(join(tmpdir(), `ensure-${pkg}-`)), 'apt.log')
  const out = openSync(logPath, 'w')
  // wait for another apt-get or dpkg (an unattended upgrade, a second test run) instead of failing on its lock
  const wait = ['-o', 'DPkg::Lock::Timeout=600']
  try {
    for (const args of [['update', ...wait], ['install', '-y', ...wait, pkg]]) {
      const r = spawnSync('apt-get', args, { stdio: ['ignore', out, out], env })
      if (r.status !== 0 && findExecutable(spec)) break // installed meanwhile by someone else
      if (r.status !== 0) {
        const tail = readFileSync(logPath, 'utf8').trim().split('\n').slice(-5).join('\n')
        log(tail)
        throw new EnsureError(`\`apt-get ${args.join(' ')}\` failed (exit ${r.status ?? r.signal}; log in ${logPath}): install ${tool} by hand (apt-get install -y ${pkg}) or set ${envVar}`)
      }
    }
  } finally {
    closeSync(out)
  }
  const installed = findExecutable(spec)
  if (!installed) throw new EnsureError(`apt-get installed ${pkg} but no binary was found at ${spec.debianPath}: set ${envVar}`)
  log(`installed ${installed} (apt-get log: ${logPath})`)
  return installed
}

/** The command-line form: print the path (prefixed by `name: `), or the one line and exit 1. */
export function ensureMain(name, spec) {
  try {
    const path = ensureDebianPackage(spec, (line) => console.error(`${name}: ${line}`))
    console.log(`${name}: using ${path}`)
  } catch (e) {
    if (!(e instanceof EnsureError)) throw e
    console.error(`${name}: ${e.message}`)
    process.exit(1)
  }
}
