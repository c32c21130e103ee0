/**
 * A queue worker of `npm run evaluate -- --queue …`: `npm run worker -- --queue redis://host:port/db
 *   [--queue-name NAME] [--concurrency N] [--model DIR] [--name NAME] [--lock-ms MS] [--stalled-check-ms MS]`
 *
 * Takes the evaluation jobs of the queue, certifies them with the same code as a local run
 * (each job in a child process) and stores the results in Redis; runs until stopped
 * (Ctrl-C / SIGTERM: the running jobs finish first). Start any number, on any machines that
 * reach Redis and read the model at the path the jobs carry (docs/scale-out.md).
 */
import { defineCli, option, positiveInt, runCli, text, UsageError, wholeNumber } from './lib/args.ts'
import { DEFAULT_QUEUE_NAME, defaultWorkerName, queueName, redisUrl, shownUrl, startWorker } from './lib/queue.ts'

const cli = defineCli({
  name: 'worker',
  synopsis: 'npm run worker -- --queue redis://host:port/db [options]',
  options: {
    queue: option('URL', 'the Redis of the queue (redis://host:port/db), as given to evaluate --queue', redisUrl),
    'queue-name': option('NAME', `the queue (default ${DEFAULT_QUEUE_NAME}), as given to evaluate --queue-name`, queueName),
    concurrency: option('N', 'jobs at a time, each in its own process (default 1; at most the cores)', positiveInt),
    model: option('DIR', "read the model from DIR instead of the path in the jobs (e.g. mounted\nelsewhere on this machine); its files must hash as the evaluate command's", text),
    name: option('NAME', "this worker's name in the queue (default host:pid)", text),
    'lock-ms': option('MS', "how long a job stays this worker's without a sign of life (default 30000):\na killed worker's job is retried elsewhere after about this", wholeNumber(100)),
    'stalled-check-ms': option('MS', 'how often to look for jobs of dead workers (default 30000)', wholeNumber(100)),
  },
  epilog: 'Runs until stopped (Ctrl-C or SIGTERM: the running jobs finish first).\nexit code: 0 stopped; 1 Redis unreachable; 2 a bad option.',
})

async function main({ values }: NonNullable<ReturnType<typeof cli.parse>>) {
  if (!values.queue) throw new UsageError('--queue redis://host:port/db is required')
  const name = values['queue-name'] ?? DEFAULT_QUEUE_NAME
  const workerName = values.name ?? defaultWorkerName()
  const log = (line: string) => console.log(`worker ${workerName}: ${line}`)
  const worker = await startWorker({
    url: values.queue,
    name,
    concurrency: values.concurrency ?? 1,
    model: values.model,
    lockMs: values['lock-ms'] ?? 30_000,
    stalledCheckMs: values['stalled-check-ms'] ?? 30_000,
    workerName,
    log,
  })
  log(`taking jobs of queue ${name} at ${shownUrl(values.queue)}`)
  await new Promise<void>((done) => {
    const stop = (signal: string) => {
      log(`${signal}: finishing the running jobs, then stopping`)
      void worker.close().then(done)
    }
    process.once('SIGINT', () => stop('SIGINT'))
    process.once('SIGTERM', () => stop('SIGTERM'))
  })
  log('stopped')
}

void runCli(cli, main, { exit: true })
