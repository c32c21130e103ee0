/**
 * The layering of the code base, checked on the import graph of every source file (src,
 * scripts, e2e; static imports, re-exports and dynamic import()):
 *   - src/cert is reached only through src/cert/index.ts; src/cert imports no package and
 *     nothing outside itself (it stays pure);
 *   - test helpers (`testing/` folders) are imported by tests and other helpers only;
 *   - the libraries below the app never import the app or the workers; src/tf (the TF.js
 *     domains and params) imports neither src/attack nor src/train, and src/attack does not
 *     import src/train;
 *   - there are no import cycles.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

const ROOT = resolve(dirname(new URL(import.meta.url).pathname), '..')
const SOURCE = /\.(ts|tsx|mts)$/

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) walk(p, out)
    else if (SOURCE.test(name) && !name.endsWith('.d.ts') && !name.endsWith('.d.mts')) out.push(p)
  }
  return out
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g

/** Every file's imports: relative ones resolved to repository paths, packages by name. */
function importsOf(file: string): { local: string[]; packages: string[] } {
  const text = readFileSync(file, 'utf8')
  const local: string[] = []
  const packages: string[] = []
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2]
    if (spec.startsWith('.')) local.push(relative(ROOT, resolve(dirname(file), spec.replace(/\?.*$/, ''))))
    else packages.push(spec)
  }
  return { local, packages }
}

const files = ['src', 'scripts', 'e2e'].flatMap((d) => walk(join(ROOT, d))).map((f) => relative(ROOT, f))
const graph = new Map(files.map((f) => [f, importsOf(join(ROOT, f))]))
const isTest = (f: string) => /\.(test|spec)\.tsx?$/.test(f) || f.startsWith('e2e/')
const isTesting = (f: string) => f.split('/').includes('testing')
/** scripts that make test fixtures (documented, not run by CI) may use the test helpers */
const isFixtureMaker = (f: string) => /^scripts\/make-[^/]*\.ts$/.test(f)
const edges = [...graph].flatMap(([from, { local }]) => local.map((to) => ({ from, to })))

describe('architecture', () => {
  it('reads the whole code base', () => {
    expect(files.length).toBeGreaterThan(150)
    expect(edges.length).toBeGreaterThan(500)
  })

  it('src/cert is imported from outside only through its index', () => {
    const bad = edges.filter(({ from, to }) => !from.startsWith('src/cert/') && to.startsWith('src/cert/') && to !== 'src/cert/index.ts' && !(isTesting(to) && (isTest(from) || isTesting(from))))
    expect(bad.map((e) => `${e.from} → ${e.to}`)).toEqual([])
  })

  it('src/cert is pure: no packages, nothing outside itself', () => {
    const mine = [...graph].filter(([f]) => f.startsWith('src/cert/') && !isTest(f))
    const bad = mine.flatMap(([f, { local, packages }]) => [...packages, ...local.filter((t) => !t.startsWith('src/cert/'))].map((t) => `${f} → ${t}`))
    expect(bad).toEqual([])
  })

  it('no production file imports a test helper', () => {
    const bad = edges.filter(({ from, to }) => !isTest(from) && !isTesting(from) && !isFixtureMaker(from) && isTesting(to))
    expect(bad.map((e) => `${e.from} → ${e.to}`)).toEqual([])
  })

  it('the libraries never import the app or the workers; src/tf imports neither src/attack nor src/train; src/attack does not import src/train', () => {
    const lib = /^src\/(cert|model|tf|attack|train)\//
    const bad = edges.filter(
      ({ from, to }) =>
        (lib.test(from) && /^src\/(app|worker)\//.test(to)) ||
        (from.startsWith('src/attack/') && to.startsWith('src/train/')) ||
        (from.startsWith('src/tf/') && !isTest(from) && /^src\/(attack|train)\//.test(to)),
    )
    expect(bad.map((e) => `${e.from} → ${e.to}`)).toEqual([])
  })

  it('has no import cycles', () => {
    const cycles: string[] = []
    const state = new Map<string, 'open' | 'done'>()
    const stack: string[] = []
    const visit = (f: string) => {
      state.set(f, 'open')
      stack.push(f)
      for (const to of graph.get(f)?.local ?? []) {
        if (!graph.has(to)) continue
        if (state.get(to) === 'open') cycles.push([...stack.slice(stack.indexOf(to)), to].join(' → '))
        else if (!state.has(to)) visit(to)
      }
      stack.pop()
      state.set(f, 'done')
    }
    for (const f of files) if (!state.has(f)) visit(f)
    expect(cycles).toEqual([])
  })
})
