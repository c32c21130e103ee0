/**
 * npm run evaluate --queue with npm run worker processes, on a real redis-server (started on
 * a free 127.0.0.1 port, installed by ensure-redis when missing): the results of the queue
 * are the files of a local run, whatever happens to workers, Redis and evaluate itself.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Queue } from 'bullmq'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { evaluationFiles, mnistInputs } from './lib/testing/evaluationFiles.ts'
import type { RedisServer } from './lib/testing/redisServer.ts'
import { startRedis } from './lib/testing/redisServer.ts'
import { runScript, startScript, stopAll, until } from './lib/testing/scripts.ts'

const EVALUATE = 'scripts/evaluate.ts'
const WORKER = 'scripts/worker.ts'
const MODEL = 'public/models/rnn-2-32'

describe('npm run evaluate --queue redis://… with npm run worker processes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'queue-'))
  const inputs = mnistInputs(join(dir, 'inputs.json'), 30, 2)
  const run = ['--model', MODEL, '--inputs', inputs, '--methods', 'certrnn', '--search', 'fast', '--eps-list', '0,0.005,0.01,0.02']
  // a dead worker's job is found within about 3.5 s (the default is 30 s)
  const quick = ['--lock-ms', '3000', '--stalled-check-ms', '500']
  let redis: RedisServer
  let client: Redis
  let expected: ReturnType<typeof evaluationFiles>

  beforeAll(async () => {
    redis = await startRedis()
    client = new Redis(redis.url, { maxRetriesPerRequest: null })
    client.on('error', () => {}) // while Redis restarts: the commands wait for it
    const local = await runScript(EVALUATE, [...run, '--out', join(dir, 'local')])
    expect(local.status).toBe(0)
    expected = evaluationFiles(join(dir, 'local'))
    expect(expected.samples).toHaveLength(1 + 30)
  }, 900_000)

  afterAll(async () => {
    await stopAll()
    client?.disconnect()
    await redis?.stop()
  })

  const worker = (queue: string, name: string, extra: string[] = []) => startScript(WORKER, ['--queue', redis.url, '--queue-name', queue, '--name', name, ...quick, ...extra])
  const evaluate = (queue: string, out: string, extra: string[] = []) => startScript(EVALUATE, [...run, '--queue', redis.url, '--queue-name', queue, '--out', out, ...extra])
  const key = (queue: string, what: string) => `bull:${queue}:${what}`

  it('three workers, one killed in the middle of a job: another takes the job over, and the files are those of a local run', async () => {
    const q = 'killed'
    const out = join(dir, 'killed')
    const ev = evaluate(q, out)
    const workers = ['w1', 'w2', 'w3'].map((name) => worker(q, name))
    const w1 = workers[0]
    // catch w1 holding a job: freeze it, let its last commands land, look; kill it if it holds one, else let it go on
    let victim: string | undefined
    await until('w1 to be caught in the middle of a job', async () => {
      if (!(await client.lrange(key(q, 'active'), 0, -1)).length) return false
      w1.signal('SIGSTOP')
      await new Promise((r) => setTimeout(r, 200))
      const active = await client.lrange(key(q, 'active'), 0, -1)
      const owners = await Promise.all(active.map((id) => client.hget(key(q, id), 'pb')))
      victim = active.find((_id, k) => owners[k] === 'w1')
      if (victim) w1.signal('SIGKILL')
      else w1.signal('SIGCONT')
      return victim !== undefined
    })
    expect(await w1.exited).toBeNull() // killed
    expect(await ev.exited).toBe(0)
    expect(ev.stderr()).not.toMatch(/failed|error/i)
    expect(evaluationFiles(out)).toEqual(expected)
    // the job was taken over after its lock ran out, done once more, and counted once
    expect(await client.lrange(key(q, 'active'), 0, -1)).toEqual([])
    expect(await client.zcard(key(q, 'completed'))).toBe(30)
    expect(['w2', 'w3']).toContain(await client.hget(key(q, victim!), 'pb'))
    expect(workers[1].stdout() + workers[2].stdout()).toContain(`job ${victim} stalled`)

    // jobs that cannot succeed fail at once, with their message: a bad input, and data that is no task at all
    const queue = new Queue(q, { connection: { host: '127.0.0.1', port: redis.port } })
    try {
      const made = JSON.parse((await client.hget(key(q, victim!), 'data'))!)
      const task = { index: 7, method: 'certrnn', input: { x: [[0.5, 0.5, 0.5]], label: 3 } }
      await queue.add('certrnn', { ...made, task }, { jobId: 'bad-input', attempts: 3 })
      await queue.add('certrnn', { hello: 'world' }, { jobId: 'not-a-task', attempts: 3 })
      await until('the two jobs to fail', async () => (await client.zscore(key(q, 'failed'), 'bad-input')) !== null && (await client.zscore(key(q, 'failed'), 'not-a-task')) !== null)
      const [reason, attempts] = await client.hmget(key(q, 'bad-input'), 'failedReason', 'atm')
      expect(reason).toMatch(/^input 7: frame 0 has 3 values, the model expects 392\b/)
      expect(attempts).toBe('1')
      expect(await client.hmget(key(q, 'not-a-task'), 'failedReason', 'atm')).toEqual(['job not-a-task is not an evaluation task of npm run evaluate (was it added by another program?)', '1'])
    } finally {
      await queue.close()
    }
  })

  it('Redis restarted mid-run, evaluate killed and started again: the run resumes, each job done once, and the files are those of a local run', async () => {
    const q = 'restarted'
    const out = join(dir, 'restarted')
    const first = evaluate(q, out)
    worker(q, 'w4')
    worker(q, 'w5')
    const done = () => client.zcard(key(q, 'completed'))
    await until('3 jobs done', async () => (await done()) >= 3)
    const before = await done()
    expect(before).toBeLessThan(30)
    await redis.restart()
    await until('3 more jobs done after the restart', async () => (await done()) >= Math.min(30, before + 3))
    first.signal('SIGKILL')
    await first.exited
    expect(existsSync(join(out, 'samples.csv'))).toBe(false)
    const second = evaluate(q, out)
    expect(await second.exited).toBe(0)
    expect(evaluationFiles(out)).toEqual(expected)
    // the second evaluate found the first one's jobs: 30 jobs in all, every one done
    expect(await done()).toBe(30)
    expect((await client.keys(key(q, '*-certrnn-*'))).length).toBe(30)
    // a third, with no worker left, finds everything done
    await stopAll()
    const third = await runScript(EVALUATE, [...run, '--queue', redis.url, '--queue-name', q, '--out', join(dir, 'third')])
    expect(third.status).toBe(0)
    expect(evaluationFiles(join(dir, 'third'))).toEqual(expected)
  })

  it('a worker reading a different model fails the jobs with a message saying so; evaluate reports them and writes nothing', async () => {
    const q = 'other-model'
    const other = join(dir, 'rnn-2-32')
    cpSync(MODEL, other, { recursive: true })
    const weights = readFileSync(join(other, 'weights.bin'))
    weights[0] ^= 1
    writeFileSync(join(other, 'weights.bin'), weights)
    worker(q, 'w6', ['--model', other])
    const r = await runScript(EVALUATE, [...run, '--n', '2', '--queue', redis.url, '--queue-name', q, '--out', join(dir, 'other-out')])
    expect(r.status).toBe(1)
    const lines = r.stderr.trim().split('\n')
    const message = (index: number) =>
      new RegExp(`^job certrnn of input ${index} failed: the model at ${other} on worker \\S+ has content hash [0-9a-f]{12}…, but the job was made for [0-9a-f]{12}…: every worker must see the same model files \\(model\\.json and its weights\\) as the evaluate command$`)
    const failures = lines.filter((l) => l.startsWith('job '))
    expect(failures).toHaveLength(2)
    expect(failures).toEqual(expect.arrayContaining([expect.stringMatching(message(0)), expect.stringMatching(message(1))]))
    expect(lines.at(-1)).toBe('evaluate: 2 of 2 jobs failed (messages above); nothing was written. Jobs done are kept: run the same command again to retry the failed ones')
    expect(existsSync(join(dir, 'other-out'))).toBe(false)
  })

  it('an unreachable Redis or a bad URL: one line, nothing run', async () => {
    const r = await runScript(EVALUATE, [...run, '--queue', 'redis://127.0.0.1:1/0'])
    expect(r.status).toBe(1)
    expect(r.stderr.trim()).toBe('evaluate: cannot reach Redis at redis://127.0.0.1:1/0 (connect ECONNREFUSED 127.0.0.1:1): is redis-server running there, and the URL right?')
    const bad = await runScript(WORKER, ['--queue', 'http://127.0.0.1:1'])
    expect(bad.status).toBe(2)
    expect(bad.stderr.split('\n')[0]).toBe('worker: --queue http://127.0.0.1:1: give a redis:// or rediss:// URL (e.g. redis://127.0.0.1:6379/0), not http:')
  })
})
