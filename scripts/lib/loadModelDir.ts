/**
 * Load a TF.js Layers model directory (model.json + weight shards), or a Keras `.keras` /
 * `.h5` file (read directly, src/model/kerasFile.ts), from disk into the certifier IR. Nothing outside the model folder is ever read: the shard paths of the
 * weights manifest must be plain paths inside the folder holding model.json (no URLs,
 * absolute paths or '..' leading out, no symbolic links to files outside it, only regular
 * files), and nothing is read whose size the manifest does not declare. An .onnx file (its
 * path, or a folder holding model.onnx and no model.json) is read under the same rules: a
 * regular file, its size checked before it is read (src/model/onnx.ts parses it).
 */
import type { Stats } from 'node:fs'
import { createHash } from 'node:crypto'
import { closeSync, existsSync, lstatSync, openSync, readFileSync, readSync, realpathSync, statSync } from 'node:fs'
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path'
import type { NetworkIR } from '../../src/cert/index.ts'
import { MAX_WEIGHTS_H5_BYTES, parseKerasFile } from '../../src/model/kerasFile.ts'
import { hasKerasFileName, kerasFileKind } from '../../src/model/kerasFileKind.ts'
import { ModelFileError, parseLayersModel, parseModelJson } from '../../src/model/layersJson.ts'
import { formatBytes, formatBytesOver, LIMITS } from '../../src/model/limits.ts'
import { parseOnnxModel } from '../../src/model/onnx.ts'
import type { Tokenizer } from '../../src/model/tokenizer.ts'
import { loadTokenizer } from '../../src/model/tokenizer.ts'

/** what a non-regular file is, for the message */
function kind(st: Stats): string {
  if (st.isDirectory()) return 'a directory'
  if (st.isFIFO()) return 'a named pipe (FIFO)'
  if (st.isCharacterDevice()) return 'a character device'
  if (st.isBlockDevice()) return 'a block device'
  if (st.isSocket()) return 'a socket'
  return 'not a regular file'
}

/** `file` is `folder` or inside it (both absolute, normalised) */
function inside(folder: string, file: string): boolean {
  const rel = relative(folder, file)
  return !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel)
}

/** A URL scheme ('http:', 'file:', 'data:', …), also a Windows drive letter ('C:'). */
const SCHEME = /^[a-zA-Z][a-zA-Z0-9+.-]*:/

/**
 * The real path of the shard a manifest path names, or undefined if there is no such file
 * (parseLayersModel then reports it missing, if a layer needs it). Refuses every path that
 * would read anything but a regular file inside the folder.
 */
function shardFile(base: string, realBase: string, p: string): string | undefined {
  const refuse = (why: string): never => {
    throw new ModelFileError(`model.json: the weights manifest names the shard '${p}', which ${why}; shards are read only from the folder holding model.json`)
  }
  if (p.includes('\0')) refuse('contains a NUL character')
  if (SCHEME.test(p)) refuse(`is a URL; put the file next to model.json and give its name relative to model.json (e.g. '${p.split(/[\\/]/).pop()}')`)
  if (isAbsolute(p) || p.startsWith('/') || p.startsWith('\\')) refuse('is an absolute path')
  const target = resolve(base, p)
  if (!inside(base, target)) refuse(`leads outside the model folder (through '..')`)
  let link: Stats
  try {
    link = lstatSync(target)
  } catch {
    return undefined // missing
  }
  let real: string
  try {
    real = realpathSync(target)
  } catch {
    if (link.isSymbolicLink()) refuse('is a symbolic link to a file that does not exist')
    return undefined
  }
  if (!inside(realBase, real)) refuse(`is a symbolic link to '${real}', outside the model folder`)
  const st = statSync(real)
  if (!st.isFile()) refuse(`is ${kind(st)}, not a regular file`)
  return real
}

/**
 * The real path of a JSON file of the model folder (model.json, tokenizer.json): a regular
 * file inside the folder, at most LIMITS.jsonBytes long. `shown` names it in messages.
 */
function jsonFileIn(realBase: string, file: string, shown: string, label: 'model.json' | 'tokenizer.json' | '.onnx file'): string {
  const real = realpathSync(file)
  if (!inside(realBase, real)) throw new ModelFileError(`'${shown}' is a symbolic link to '${real}', outside the model folder; copy the model into one folder`)
  const st = statSync(real)
  if (!st.isFile()) throw new ModelFileError(`'${shown}' is ${kind(st)}, not a regular file`)
  const limit = label === '.onnx file' ? LIMITS.onnxBytes : LIMITS.jsonBytes
  if (st.size > limit) {
    throw new ModelFileError(`'${shown}' is ${formatBytesOver(st.size, limit)}; a ${label} may be at most ${formatBytes(limit)}${label === 'model.json' ? ' (the weights belong in the shard files)' : ''}`)
  }
  return real
}

const isOnnx = (path: string) => path.toLowerCase().endsWith('.onnx')

/** Sees every file a model is made of as it is read: its name (relative to the model) and bytes. */
export type OnRead = (name: string, bytes: Uint8Array) => void

/** An .onnx model (weights inside it), read under the rules of loadModelDir. */
function loadOnnxFile(file: string, shown: string, onRead?: OnRead): NetworkIR {
  const real = jsonFileIn(realpathSync(dirname(file)), file, shown, '.onnx file')
  const bytes = readFileSync(real)
  onRead?.(basename(file), bytes)
  return parseOnnxModel(bytes, `'${shown}'`)
}

/**
 * The tokenizer.json of a model folder (null if it has none), read under the rules of
 * loadModelDir: a regular file inside the folder, its size and nesting checked first, and
 * every message naming the file.
 */
export function loadModelTokenizer(dir: string): Tokenizer | null {
  const path = resolve(dir)
  const isFile = existsSync(path) && !statSync(path).isDirectory() // the path of model.json
  const base = isFile ? dirname(path) : path
  const file = join(base, 'tokenizer.json')
  if (!existsSync(file)) return null
  const shown = join(isFile ? dirname(dir) : dir, 'tokenizer.json')
  const real = jsonFileIn(realpathSync(base), file, shown, 'tokenizer.json')
  return loadTokenizer(parseModelJson(readFileSync(real, 'utf8'), shown), shown)
}

/** The largest .keras / .h5 file read: its weights (with an optimizer's state) and its config. */
const MAX_KERAS_FILE_BYTES = MAX_WEIGHTS_H5_BYTES + LIMITS.jsonBytes

/** A .keras / .h5 file (by name, or by its first bytes whatever its name), or null. */
function kerasFile(path: string, shown: string, onRead?: OnRead): NetworkIR | null {
  const st = statSync(path)
  if (!st.isFile()) return null
  let kind = hasKerasFileName(path)
  if (!kind) {
    const head = Buffer.alloc(8)
    const fd = openSync(path, 'r')
    try {
      readSync(fd, head, 0, 8, 0)
    } finally {
      closeSync(fd)
    }
    kind = kerasFileKind(head) !== null
  }
  if (!kind) return null
  if (st.size > MAX_KERAS_FILE_BYTES) throw new ModelFileError(`'${shown}' is ${formatBytesOver(st.size, MAX_KERAS_FILE_BYTES)}; the limit is ${formatBytes(MAX_KERAS_FILE_BYTES)}`)
  const bytes = new Uint8Array(readFileSync(path))
  onRead?.(basename(path), bytes)
  return parseKerasFile(bytes, shown).net
}

/**
 * `dir` is a directory holding model.json (or the path of a model.json itself, or of a Keras
 * .keras / .h5 file); the shards are read from the paths the weights manifest gives,
 * relative to model.json. Or an .onnx file (or a directory holding model.onnx).
 */
export function loadModelDir(dir: string, onRead?: OnRead): NetworkIR {
  const path = resolve(dir)
  if (!existsSync(path)) throw new ModelFileError(`model directory '${dir}' does not exist`)
  const keras = kerasFile(path, dir, onRead)
  if (keras) return keras
  const isDir = statSync(path).isDirectory()
  if (!isDir && isOnnx(path)) return loadOnnxFile(path, dir, onRead)
  if (isDir && !existsSync(join(path, 'model.json')) && existsSync(join(path, 'model.onnx'))) return loadOnnxFile(join(path, 'model.onnx'), join(dir, 'model.onnx'), onRead)
  const modelJson = isDir ? join(path, 'model.json') : path
  const shown = isDir ? join(dir, 'model.json') : dir
  if (!existsSync(modelJson)) throw new ModelFileError(`'${dir}' has no model.json (expected a TF.js Layers model saved with model.save, or model.onnx)`)
  const base = dirname(modelJson)
  const realBase = realpathSync(base)
  const realModel = jsonFileIn(realBase, modelJson, shown, 'model.json')
  const jsonBytes = readFileSync(realModel)
  onRead?.('model.json', jsonBytes)
  const json = parseModelJson(jsonBytes.toString('utf8'))

  // every shard path the manifest names, checked before anything is read
  const files = new Map<string, string>()
  const manifest = typeof json === 'object' && json !== null ? (json as { weightsManifest?: unknown }).weightsManifest : undefined
  if (Array.isArray(manifest)) {
    for (const group of manifest as Array<{ paths?: unknown }>) {
      if (!Array.isArray(group?.paths)) continue // parseLayersModel says what is wrong
      for (const p of group.paths) {
        if (typeof p !== 'string' || p === '' || files.has(p)) continue // parseLayersModel refuses these
        const file = shardFile(base, realBase, p)
        if (file) files.set(p, file)
      }
    }
  }
  // read on demand, after the sizes: parseLayersModel refuses a group whose files do not add up to what the manifest declares
  return parseLayersModel(json, {
    size: (p) => {
      const file = files.get(p)
      return file === undefined ? undefined : statSync(file).size
    },
    read: (p) => {
      const buf = readFileSync(files.get(p)!)
      onRead?.(p, buf)
      return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer
    },
  })
}

/**
 * A model and its content hash (SHA-256 over the name and bytes of every file read: model.json
 * and its weight shards, or the .keras / .h5 / .onnx file), so that the machines of a
 * distributed evaluation can check that they certify the same model.
 */
export function loadModelHashed(dir: string): { net: NetworkIR; hash: string } {
  const h = createHash('sha256')
  const net = loadModelDir(dir, (name, bytes) => {
    h.update(`${name}\0${bytes.byteLength}\0`)
    h.update(bytes)
  })
  return { net, hash: h.digest('hex') }
}
