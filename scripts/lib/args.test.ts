import { afterEach, describe, expect, it, vi } from 'vitest'
import { UnsupportedModelError } from '../../src/cert/index.ts'
import { choice, clipRange, defineCli, epsValue, flag, InputError, list, option, positiveInt, reportError, UsageError } from './args.ts'

const cli = defineCli({
  name: 'demo',
  synopsis: 'demo [options]',
  options: {
    eps: option('E', 'ε', epsValue),
    n: option('N', 'count', positiveInt),
    clip: option('lo,hi', 'clip', clipRange),
    kinds: option('K,...', 'kinds', list(choice(['a', 'b'] as const), 'kinds')),
    json: flag('json', { short: 'j' }),
  },
})

describe('argument parsing', () => {
  it('takes a value that starts with a minus sign as the value (and checks it)', () => {
    expect(cli.parse(['--eps', '0.5'])!.values.eps).toBe(0.5)
    expect(() => cli.parse(['--eps', '-0.1'])).toThrow('--eps -0.1: ε must be a positive number')
    expect(cli.parse(['--clip', '-1,1'])!.values.clip).toEqual([-1, 1])
    expect(cli.parse(['--clip=-1,1', '-j'])!.values).toMatchObject({ clip: [-1, 1], json: true })
  })

  it('--help wins over any error; defaults are undefined or false', () => {
    expect(cli.parse(['--bogus', '--help'])).toBeNull()
    expect(cli.parse(['-h'])).toBeNull()
    expect(cli.parse([])!.values).toEqual({ eps: undefined, n: undefined, clip: undefined, kinds: undefined, json: false })
  })

  it('refuses what it does not know, with the flag named', () => {
    expect(() => cli.parse(['--bogus'])).toThrow('unknown option --bogus')
    expect(() => cli.parse(['-x'])).toThrow('unknown option -x')
    expect(() => cli.parse(['--eps'])).toThrow('--eps needs a value (E)')
    expect(() => cli.parse(['--kinds', 'a,c'])).toThrow('--kinds a,c: "c": use one of a, b')
    expect(() => cli.parse(['--kinds', 'a,,b'])).toThrow('give comma-separated kinds with none empty')
    expect(() => cli.parse(['--n', '1e400'])).toThrow('--n 1e400: give a positive whole number')
  })

  it('lists every visible option in the usage', () => {
    for (const o of ['--eps E', '--n N', '--clip lo,hi', '--kinds K,...', '-j, --json', '-h, --help']) expect(cli.usage).toContain(o)
  })
})

describe('error reports', () => {
  const lines: string[] = []
  const spy = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')))
  afterEach(() => {
    lines.length = 0
    delete process.env.CERT_RNN_DEBUG
  })

  it('usage errors: exit 2 with the usage; bad input: exit 1, the message only, no repeated prefix', () => {
    expect(reportError(cli, new UsageError('--n 0: give a positive whole number'))).toBe(2)
    expect(lines[0]).toBe(`demo: --n 0: give a positive whole number\n\n${cli.usage}`)
    lines.length = 0
    expect(reportError(cli, new InputError('demo: input 3 is null'))).toBe(1)
    expect(reportError(cli, new UnsupportedModelError('layer "x": unsupported'))).toBe(1)
    expect(lines).toEqual(['demo: input 3 is null', 'demo: layer "x": unsupported'])
  })

  it('an unexpected error is one line, its stack only with CERT_RNN_DEBUG=1', () => {
    const e = new TypeError('cannot read properties of undefined\nmore detail')
    expect(reportError(cli, e)).toBe(1)
    expect(lines).toEqual(['demo: internal error: cannot read properties of undefined (set CERT_RNN_DEBUG=1 for the stack trace)'])
    lines.length = 0
    process.env.CERT_RNN_DEBUG = '1'
    reportError(cli, e)
    expect(lines[0]).toMatch(/^demo: internal error: cannot read properties of undefined\nTypeError/)
    expect(lines[0]).toMatch(/^\s+at /m)
    spy.mockClear()
  })
})
