/**
 * The command-line scripts as child processes of a test: run to the end (`runScript`), or
 * started and controlled (`startScript`: its own process group, so that a kill reaches the
 * worker's child processes as losing a machine would; output gathered; `exited` resolves
 * with the exit code). Everything started is ended by `stopAll`.
 */
import type { ChildProcess } from 'node:child_process'
import { spawn } from 'node:child_process'

export interface Started {
  child: ChildProcess
  stdout: () => string
  stderr: () => string
  /** resolves with the exit code (null: killed by a signal) */
  exited: Promise<number | null>
  /** a signal to the whole process group (the script and its children) */
  signal(sig: NodeJS.Signals): void
}

const started = new Set<Started>()

export function startScript(script: string, args: string[]): Started {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()))
  const s: Started = {
    child,
    stdout: () => out,
    stderr: () => err,
    exited: new Promise((resolve) => child.on('exit', (code) => resolve(code))),
    signal(sig) {
      try {
        process.kill(-child.pid!, sig)
      } catch {
        // already gone
      }
    },
  }
  started.add(s)
  void s.exited.then(() => started.delete(s))
  return s
}

/** Run a script to its end. */
export async function runScript(script: string, args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const s = startScript(script, args)
  const status = await s.exited
  return { status, stdout: s.stdout(), stderr: s.stderr() }
}

/** Wait until `check` is true (polled; the timeout only guards against a hang). */
export async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 240_000, everyMs = 50): Promise<void> {
  const t0 = Date.now()
  while (!(await check())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, everyMs))
  }
}

/** Kill every script still running (and its children). */
export async function stopAll(): Promise<void> {
  const all = [...started]
  for (const s of all) s.signal('SIGKILL')
  await Promise.all(all.map((s) => s.exited))
}
