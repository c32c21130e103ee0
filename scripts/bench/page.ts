/**
 * The page's speed targets (issue 14, "The page"), measured in Playwright's Chromium as the
 * e2e tests run it, against a production build served by `vite preview`:
 *
 *   npm run bench:page [-- --dist DIR[,DIR2…]] [--changes N] [--only abstraction,playground,defenses] [--out results/bench/page]
 *
 * (a) "See the abstraction": the time from changing the step (and, separately, the x
 *     variable) to the redrawn projection (every method's polygon changed, and the next frame
 *     painted), median and max over N changes, on lstm-7-32 and the text model toxic-lstm;
 *     and the longest main-thread task in the second after each change (the planes panels
 *     of the step redraw then too).
 * (b) The transformer playground opened cold (its tab clicked for the first time in a fresh
 *     page): the time to the first useful drawing (every method's panel with its numbers and
 *     a chart) and to the full drawing (the 3-D surfaces), and the longest main-thread task
 *     meanwhile (PerformanceObserver 'longtask', and the longest gap between animation frames).
 * (c) The Defenses tab's comparison with its defaults: the wall time from the click to "Done",
 *     and the CPU time the browser's processes spent meanwhile (from /proc: on a loaded
 *     machine the wall time says little; the CPU time ÷ 2 is the wall time on 2 idle cores at best).
 *
 * Several builds (`--dist before,after`) are measured in one run, workload by workload, so a
 * machine shared with other jobs slows them alike. Writes `<out>.md` and `<out>.json` with the
 * date, the machine's load (`uptime`) before and after, and the command. Not part of
 * `npm test`: timings are never asserted.
 */
import { chromium } from '@playwright/test'
import type { Browser, Page } from '@playwright/test'
import { execSync, spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import path from 'node:path'
import { median } from '../../src/cert/index.ts'
import { defineCli, list, option, positiveInt, runCli, text, UsageError } from '../lib/args.ts'
import { findChromium } from '../ensure-chromium.mjs'
import { fmtMs, mdTable, textTable } from './format.ts'

const WORKLOADS = ['abstraction', 'playground', 'defenses'] as const
type Workload = (typeof WORKLOADS)[number]

const cli = defineCli({
  name: 'bench/page',
  synopsis: 'npm run bench:page -- [options]',
  options: {
    dist: option('DIRS', 'builds to measure, comma-separated (default dist; built with `npm run build` when missing)', list(text)),
    changes: option('N', 'step changes and variable changes per model (default 10)', positiveInt),
    only: option('LIST', `workloads (default ${WORKLOADS.join(',')})`, list(text)),
    out: option('FILE', 'results without extension (default results/bench/page)', text),
  },
})

/** A free TCP port on 127.0.0.1. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolve(port))
    })
  })
}

/** `vite preview` of one build on a free port; resolves once it answers. */
async function serve(dist: string): Promise<{ origin: string; stop: () => void }> {
  const port = await freePort()
  const child: ChildProcess = spawn('npx', ['vite', 'preview', '--host', '127.0.0.1', '--port', String(port), '--strictPort', '--outDir', dist], { stdio: 'ignore', detached: true })
  const origin = `http://127.0.0.1:${port}`
  const stop = () => {
    try {
      process.kill(-child.pid!, 'SIGTERM')
    } catch {
      // already gone
    }
  }
  for (let k = 0; k < 300; k++) {
    try {
      const r = await fetch(origin)
      if (r.ok) return { origin, stop }
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  stop()
  throw new Error(`vite preview of ${dist} did not answer on ${origin}`)
}

/**
 * Page-side instruments, installed before any script of the page: every long task
 * (PerformanceObserver 'longtask'), and the gaps between animation frames.
 */
async function instrument(page: Page) {
  // tsx (esbuild, keepNames) wraps named functions in __name(…): give the page one
  await page.addInitScript({ content: 'globalThis.__name = (f) => f' })
  await page.addInitScript(() => {
    const w = window as unknown as { __longtasks: Array<{ start: number; end: number }>; __frames: number[] }
    w.__longtasks = []
    w.__frames = []
    try {
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) w.__longtasks.push({ start: e.startTime, end: e.startTime + e.duration })
      }).observe({ type: 'longtask', buffered: true })
    } catch {
      // no longtask support: the frame gaps still tell
    }
    const loop = (t: number) => {
      w.__frames.push(t)
      if (w.__frames.length > 20000) w.__frames.splice(0, 10000)
      requestAnimationFrame(loop)
    }
    requestAnimationFrame(loop)
  })
}

/** The longest long task and the longest gap between animation frames within [t0, t1] (page clock, ms). */
async function busyBetween(page: Page, t0: number, t1: number): Promise<{ longTask: number; frameGap: number }> {
  return page.evaluate(
    ([a, b]) => {
      const w = window as unknown as { __longtasks: Array<{ start: number; end: number }>; __frames: number[] }
      let longTask = 0
      for (const t of w.__longtasks) if (t.end > a && t.start < b) longTask = Math.max(longTask, Math.min(t.end, b) - Math.max(t.start, a))
      // the frames from a on: every gap that starts before b (the frame after b closes the last one)
      const fs = w.__frames.filter((f) => f >= a)
      let frameGap = fs.length ? fs[0] - a : performance.now() - a
      for (let k = 1; k < fs.length && fs[k - 1] < b; k++) frameGap = Math.max(frameGap, fs[k] - fs[k - 1])
      return { longTask, frameGap }
    },
    [t0, t1] as const,
  )
}

interface ChangeTiming {
  /** change → every polygon redrawn and the next frame painted (ms) */
  redraw: number
  /** the longest main-thread task in the second after the change (ms) */
  longTask: number
}

/**
 * Change a control (a range input's value or a select's option) and time it until every
 * method's polygon in the projection has changed and the next frame has been painted.
 */
async function timeChange(page: Page, testId: string, value: string): Promise<ChangeTiming> {
  const r = await page.evaluate(
    async ([id, v]) => {
      const polys = () => [...document.querySelectorAll('[data-testid=projection] [data-testid^=polygon-] path')].map((p) => p.getAttribute('d') ?? '')
      const before = polys()
      const el = document.querySelector(`[data-testid="${id}"]`) as HTMLInputElement | HTMLSelectElement
      const proto = el instanceof HTMLSelectElement ? HTMLSelectElement.prototype : HTMLInputElement.prototype
      const t0 = performance.now()
      Object.getOwnPropertyDescriptor(proto, 'value')!.set!.call(el, v)
      el.dispatchEvent(new Event(el instanceof HTMLSelectElement ? 'change' : 'input', { bubbles: true }))
      el.dispatchEvent(new Event('change', { bubbles: true }))
      const changed = () => {
        const now = polys()
        return now.length > 0 && now.length === before.length && now.every((d, k) => d !== before[k])
      }
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          obs.disconnect()
          reject(new Error(`the projection was not redrawn within 60 s after ${id} = ${v}`))
        }, 60_000)
        const obs = new MutationObserver(() => {
          if (!changed()) return
          obs.disconnect()
          clearTimeout(timer)
          resolve()
        })
        obs.observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['d'] })
        if (changed()) {
          obs.disconnect()
          clearTimeout(timer)
          resolve()
        }
      })
      // painted: the frame after the change
      await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)))
      return { t0, t1: performance.now() }
    },
    [testId, value] as const,
  )
  // the page after the redraw: let it settle (the step's planes panels) and look for long tasks
  await page.waitForTimeout(1000)
  const busy = await busyBetween(page, r.t0, r.t1 + 1000)
  return { redraw: r.t1 - r.t0, longTask: busy.longTask }
}

interface AbstractionResult {
  model: string
  traceMs: number
  step: ChangeTiming[]
  pair: ChangeTiming[]
}

const ABSTRACTION_MODELS: Array<{ model: string; hash: string }> = [
  { model: 'lstm-7-32', hash: '#view=abstraction&model=lstm-7-32&digit=0&threat=all&eps=0.01' },
  { model: 'toxic-lstm', hash: '#view=abstraction&model=toxic-lstm&text=you%20are%20a%20complete%20idiot%20and%20a%20liar&threat=all&eps=0.001' },
]

async function benchAbstraction(page: Page, origin: string, changes: number): Promise<AbstractionResult[]> {
  const out: AbstractionResult[] = []
  for (const { model, hash } of ABSTRACTION_MODELS) {
    await page.goto('about:blank')
    await page.goto(`${origin}/${hash}`)
    await page.locator('[data-testid=model-status][data-status=ready]').waitFor({ timeout: 120_000 })
    const t = Date.now()
    await page.getByTestId('run-trace').click()
    await page.getByTestId('projection').waitFor({ timeout: 600_000 })
    const traceMs = Date.now() - t
    await page.waitForTimeout(1500)
    const slider = page.getByTestId('step-slider')
    const max = Number(await slider.getAttribute('max'))
    // every step forward (not the one after the recurrence: another operation), then back
    const steps: number[] = []
    for (let k = 0; steps.length < changes; k++) {
      const period = 2 * Math.max(1, max - 1)
      const p = (k + 1) % period
      steps.push(p <= max - 1 ? p : period - p)
    }
    const step: ChangeTiming[] = []
    for (const s of steps) step.push(await timeChange(page, 'step-slider', String(s)))
    // the variable pair: x through the operation's variables (y stays)
    const values = await page.getByTestId('x-var').locator('option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value))
    const y = await page.getByTestId('y-var').inputValue()
    const xs = values.filter((v) => v !== y)
    const pair: ChangeTiming[] = []
    for (let k = 0; k < changes; k++) pair.push(await timeChange(page, 'x-var', xs[(k + 1) % xs.length]))
    out.push({ model, traceMs, step, pair })
  }
  return out
}

interface PlaygroundResult {
  /** tab click → every method's panel with its numbers and a chart (ms) */
  firstDrawing: number
  /** the longest task and frame gap from the click to a second after the first drawing (ms) */
  openLongTask: number
  openFrameGap: number
  /** whether the 3-D surfaces were off at first (and ticked on by the bench) */
  ticked: boolean
  /** tab click → the 3-D surfaces drawn (ms) */
  fullDrawing: number
  /** the longest task and frame gap from the click to a second after the 3-D surfaces were drawn (ms) */
  longTask: number
  frameGap: number
}

async function benchPlayground(browser: Browser, origin: string): Promise<PlaygroundResult> {
  // a fresh page (no chunk cached): the first visit's cost
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } })
  const page = await context.newPage()
  await instrument(page)
  try {
    await page.goto(`${origin}/#view=certify`)
    await page.locator('[data-testid=model-status][data-status=ready]').waitFor({ timeout: 120_000 })
    await page.waitForTimeout(2000)
    const t0 = await page.evaluate(() => performance.now())
    await page.getByTestId('tab-playground').click()
    const first = await page.waitForFunction(
      () => {
        const panels = ['certrnn', 'deepz', 'interval'].map((m) => document.querySelector(`[data-testid=planes-panel-${m}]`))
        const drawn = (p: Element | null) => !!p && !!p.querySelector('[data-testid^=plane-gap-]') && !!p.querySelector('svg path, canvas')
        return panels.every(drawn) ? performance.now() : false
      },
      undefined,
      { timeout: 120_000, polling: 'raf' },
    )
    const tFirst = (await first.jsonValue()) as number
    await page.waitForTimeout(1000)
    const open = await busyBetween(page, t0, tFirst + 1000)
    // the 3-D surfaces, ticked on where they start off (WebGL on the CPU)
    const box = page.getByTestId('planes-3d')
    const ticked = (await box.count()) > 0 && !(await box.isChecked())
    if (ticked) await box.check()
    const full = await page.waitForFunction(
      () => {
        const plots = document.querySelectorAll('[data-testid^=planes-plot-] .gl-container canvas, [data-testid^=planes-plot-] canvas')
        const panels = document.querySelectorAll('[data-testid^=planes-plot-]')
        return panels.length >= 3 && plots.length >= 3 && [...panels].every((p) => p.querySelector('.main-svg')) ? performance.now() : false
      },
      undefined,
      { timeout: 120_000, polling: 'raf' },
    )
    const tFull = (await full.jsonValue()) as number
    await page.waitForTimeout(1000)
    const busy = await busyBetween(page, t0, tFull + 1000)
    return { firstDrawing: tFirst - t0, openLongTask: open.longTask, openFrameGap: open.frameGap, ticked, fullDrawing: tFull - t0, ...busy }
  } finally {
    await context.close()
  }
}

interface DefensesResult {
  base: string
  n: number
  wallMs: number
  /** CPU time of the browser's processes (all of this script's child processes) during the run (ms) */
  cpuMs: number
  longTask: number
}

/** CPU time (user + system) of every process below this one, from /proc (ms); NaN where there is no /proc. */
function childrenCpuMs(): number {
  try {
    const tick = 1000 / (Number(execSync('getconf CLK_TCK').toString()) || 100)
    const procs: Array<{ pid: number; ppid: number; cpu: number }> = []
    for (const d of readdirSync('/proc')) {
      if (!/^\d+$/.test(d)) continue
      try {
        const st = readFileSync(`/proc/${d}/stat`, 'utf8')
        const f = st.slice(st.lastIndexOf(')') + 2).split(' ')
        procs.push({ pid: Number(d), ppid: Number(f[1]), cpu: (Number(f[11]) + Number(f[12])) * tick })
      } catch {
        // gone meanwhile
      }
    }
    let total = 0
    const below = new Set([process.pid])
    for (let grew = true; grew; ) {
      grew = false
      for (const p of procs) {
        if (below.has(p.ppid) && !below.has(p.pid)) {
          below.add(p.pid)
          total += p.cpu
          grew = true
        }
      }
    }
    return total
  } catch {
    return NaN
  }
}

async function benchDefenses(page: Page, origin: string): Promise<DefensesResult> {
  await page.goto('about:blank')
  await page.goto(`${origin}/#view=defenses`)
  await page.getByTestId('defense-run').waitFor({ timeout: 60_000 })
  const base = await page.getByTestId('defense-base').inputValue()
  const n = Number(await page.getByTestId('defense-n').inputValue())
  const cpu0 = childrenCpuMs()
  const t0 = await page.evaluate(() => performance.now())
  await page.getByTestId('defense-run').click()
  await page.locator('[data-testid=defense-progress][data-status=done]').waitFor({ timeout: 1_200_000 })
  const t1 = await page.evaluate(() => performance.now())
  const cpuMs = childrenCpuMs() - cpu0
  const busy = await busyBetween(page, t0, t1)
  return { base, n, wallMs: t1 - t0, cpuMs, longTask: busy.longTask }
}

interface BuildResult {
  dist: string
  abstraction?: AbstractionResult[]
  playground?: PlaygroundResult
  defenses?: DefensesResult
}

const uptime = () => execSync('uptime').toString().trim()
const stats = (xs: number[]) => ({ median: median(xs), max: Math.max(...xs) })

await runCli(cli, async ({ values }) => {
  const dists = values.dist ?? ['dist']
  const changes = values.changes ?? 10
  const only = (values.only ?? [...WORKLOADS]) as Workload[]
  for (const w of only) if (!WORKLOADS.includes(w)) throw new UsageError(`--only ${w}: not a workload (${WORKLOADS.join(', ')})`)
  const out = values.out ?? 'results/bench/page'
  if (dists.includes('dist') && !existsSync('dist/index.html')) {
    console.log('bench/page: dist/ is missing: npm run build')
    execSync('npm run build', { stdio: 'inherit' })
  }
  for (const d of dists) if (!existsSync(path.join(d, 'index.html'))) throw new UsageError(`--dist ${d}: no index.html there (build it with npm run build)`)

  const command = `npm run bench:page -- ${process.argv.slice(2).join(' ')}`.trim()
  const loadBefore = uptime()
  const started = new Date()
  console.log(`${started.toISOString()}  ${loadBefore}`)
  const results: BuildResult[] = dists.map((dist) => ({ dist }))
  const servers = await Promise.all(dists.map(serve))
  const browser = await chromium.launch({ executablePath: findChromium() ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] })
  try {
    // workload by workload, every build in turn: a loaded machine slows them alike
    for (const w of only) {
      for (let k = 0; k < dists.length; k++) {
        console.log(`${w}: ${dists[k]}`)
        if (w === 'playground') {
          results[k].playground = await benchPlayground(browser, servers[k].origin)
          continue
        }
        const context = await browser.newContext({ viewport: { width: 1440, height: 900 } })
        const page = await context.newPage()
        await instrument(page)
        try {
          if (w === 'abstraction') results[k].abstraction = await benchAbstraction(page, servers[k].origin, changes)
          else results[k].defenses = await benchDefenses(page, servers[k].origin)
        } finally {
          await context.close()
        }
      }
    }
  } finally {
    await browser.close()
    for (const s of servers) s.stop()
  }
  const loadAfter = uptime()

  const head = ['measure', ...dists]
  const rows: string[][] = []
  const row = (name: string, f: (r: BuildResult) => string) => rows.push([name, ...results.map(f)])
  const ms = (x: number | undefined) => (x === undefined ? '–' : fmtMs(x))
  if (only.includes('abstraction')) {
    for (const { model } of ABSTRACTION_MODELS) {
      const of = (r: BuildResult) => r.abstraction?.find((a) => a.model === model)
      row(`${model}: trace (ms)`, (r) => ms(of(r)?.traceMs))
      for (const kind of ['step', 'pair'] as const) {
        const what = kind === 'step' ? 'step change' : 'variable change'
        row(`${model}: ${what} → redrawn, median / max (ms)`, (r) => {
          const a = of(r)
          if (!a) return '–'
          const s = stats(a[kind].map((c) => c.redraw))
          return `${fmtMs(s.median)} / ${fmtMs(s.max)}`
        })
        row(`${model}: ${what}, longest task within 1 s, median / max (ms)`, (r) => {
          const a = of(r)
          if (!a) return '–'
          const s = stats(a[kind].map((c) => c.longTask))
          return `${fmtMs(s.median)} / ${fmtMs(s.max)}`
        })
      }
    }
  }
  if (only.includes('playground')) {
    row('playground: click → first useful drawing (ms)', (r) => ms(r.playground?.firstDrawing))
    row('playground opening (to 1 s after the first drawing): longest task / frame gap (ms)', (r) => (r.playground ? `${fmtMs(r.playground.openLongTask)} / ${fmtMs(r.playground.openFrameGap)}` : '–'))
    row('playground: click → 3-D surfaces drawn (ms)', (r) => (r.playground ? `${fmtMs(r.playground.fullDrawing)}${r.playground.ticked ? ' (ticked on)' : ''}` : '–'))
    row('playground to 1 s after the 3-D surfaces: longest task / frame gap (ms)', (r) => (r.playground ? `${fmtMs(r.playground.longTask)} / ${fmtMs(r.playground.frameGap)}` : '–'))
  }
  if (only.includes('defenses')) {
    row('defenses compare, defaults: wall (s)', (r) => (r.defenses ? (r.defenses.wallMs / 1000).toFixed(1) : '–'))
    row('defenses compare: CPU time of the browser (s)', (r) => (r.defenses ? (r.defenses.cpuMs / 1000).toFixed(1) : '–'))
    row('defenses compare: defaults', (r) => (r.defenses ? `${r.defenses.base}, ${r.defenses.n} inputs` : '–'))
    row('defenses compare: longest main-thread task (ms)', (r) => ms(r.defenses?.longTask))
  }
  console.log()
  console.log(textTable(head, rows))
  console.log(`\n${loadAfter}`)

  const md = [
    '# Page benchmark (issue 14, "The page")',
    '',
    `Command: \`${command}\``,
    `Date: ${started.toISOString()}; Chromium headless (Playwright, --disable-gpu: WebGL by SwiftShader, on the CPU), 1440×900.`,
    `Load before: \`${loadBefore}\``,
    `Load after: \`${loadAfter}\``,
    '',
    mdTable(head, rows),
    '',
    'Redrawn: every method\'s polygon of the projection changed and the next frame painted. Longest task: PerformanceObserver \'longtask\' (≥ 50 ms), in the second after each change. See docs/benchmark.md ("The page").',
    '',
  ].join('\n')
  mkdirSync(path.dirname(out), { recursive: true })
  writeFileSync(`${out}.md`, md)
  writeFileSync(`${out}.json`, JSON.stringify({ command, date: started.toISOString(), loadBefore, loadAfter, results }, null, 2) + '\n')
  console.log(`${out}.md, ${out}.json`)
})
