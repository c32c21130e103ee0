/** The redis-server the queue tests use ($REDIS_SERVER_PATH, /usr/bin/redis-server, the PATH), or undefined. */
export function findRedisServer(env?: NodeJS.ProcessEnv): string | undefined
/** The redis-server's path, installed with apt-get (as root, on Debian) when missing; throws an EnsureError whose message is one line saying what to install. */
export function ensureRedisServer(log?: (line: string) => void): string
