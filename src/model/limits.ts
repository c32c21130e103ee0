/**
 * Resource limits for model files, shared by the CLI's loader, the app's upload and the
 * workers: what a model.json may declare before anything is allocated or read. The bundled
 * zoo is far inside them (its largest model.json is 3 KB, nests 8 deep, has 4 layers and
 * 470,000 parameters). Pure: no DOM, no Node.
 */

export const LIMITS = {
  /** model.json (and tokenizer.json) text */
  jsonBytes: 64e6,
  /** nesting of JSON objects and lists (Keras 3 model.json files nest about 12 deep) */
  jsonDepth: 64,
  /** layers in the topology */
  layers: 1000,
  /** entries in the weights manifest, and shard files it lists */
  weights: 10_000,
  shards: 10_000,
  /** values in one weight array (256 MB as the certifier's float64) */
  arrayValues: 32e6,
  /** values of all weights together (400 MB as float64; 200 MB of float32 shards) */
  parameters: 50e6,
  /** an .onnx file (weights inside it: the largest model the parameter limit allows, in float32, and its graph) */
  onnxBytes: 250e6,
  /** nodes of an ONNX graph (PyTorch emits a few dozen per recurrent layer) */
  nodes: 100_000,
  /** tokens in a tokenizer's vocabulary */
  vocabulary: 2e6,
} as const

/** Bytes as people read them: 512 bytes, 3.2 KB, 209.7 MB, 128 TB (decimal units, one decimal). */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return 'more bytes than a number can hold'
  if (n < 1000) return `${n} bytes`
  const units = ['KB', 'MB', 'GB', 'TB', 'PB', 'EB']
  let v = n
  let u = -1
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000
    u++
  }
  const s = v.toFixed(1).replace(/\.0$/, '')
  return `${s} ${units[u]}`
}

/** `n` bytes, above `limit`: precise enough not to read as the limit itself ('64,000,001 bytes', not '64 MB'). */
export function formatBytesOver(n: number, limit: number): string {
  const short = formatBytes(n)
  return short === formatBytes(limit) ? `${formatCount(n)} bytes` : short
}

/** An integer with thousands separators (1,000,000), locale independent; huge ones as 1.6e+13. */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return 'infinitely many'
  if (Math.abs(n) >= 1e15) return n.toExponential(1)
  return Math.round(n)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ',')
}

/**
 * Why JSON text is refused before JSON.parse (too long, or nested too deep), or null. One
 * linear scan without recursion; `what` names the file in the message.
 */
export function jsonTextProblem(text: string, what: string): string | null {
  if (text.length > LIMITS.jsonBytes) {
    return `${what} is ${formatBytesOver(text.length, LIMITS.jsonBytes)}; the limit is ${formatBytes(LIMITS.jsonBytes)}`
  }
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 92) i++ // backslash: skip the escaped character
      else if (c === 34) inString = false
    } else if (c === 34) inString = true
    else if (c === 123 || c === 91) {
      // { [
      if (++depth > LIMITS.jsonDepth) {
        return `${what} nests objects and lists more than ${LIMITS.jsonDepth} deep (at character ${i}); model files nest about 12 deep, the limit is ${LIMITS.jsonDepth}`
      }
    } else if (c === 125 || c === 93) depth--
  }
  return null
}

/** Why a file of this many bytes is refused before it is read, by `limit` (null when it may be read). */
export function fileSizeProblem(what: string, bytes: number, limit: number): string | null {
  return bytes > limit ? `${what} is ${formatBytesOver(bytes, limit)}; the limit is ${formatBytes(limit)}` : null
}

/** Why a JSON file of this many bytes is refused before it is read (null when it may be read). */
export function jsonFileSizeProblem(what: string, bytes: number): string | null {
  return fileSizeProblem(what, bytes, LIMITS.jsonBytes)
}
