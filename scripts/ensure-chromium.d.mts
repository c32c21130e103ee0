/** The Chromium the end-to-end tests use ($CHROMIUM_PATH, /usr/bin/chromium, the PATH), or undefined. */
export function findChromium(env?: NodeJS.ProcessEnv): string | undefined
