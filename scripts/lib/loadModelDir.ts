/** Load a TF.js Layers model directory (model.json + weight shards) from disk into the certifier IR. */
import { existsSync, readFileSync, statSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import type { NetworkIR } from '../../src/cert/network.ts'
import { ModelFileError, parseModelFiles } from '../../src/model/layersJson.ts'

/**
 * `dir` is a directory holding model.json (or the path of a model.json itself); the shards
 * are read from the paths the weights manifest gives, relative to model.json.
 */
export function loadModelDir(dir: string): NetworkIR {
  const path = resolve(dir)
  if (!existsSync(path)) throw new ModelFileError(`model directory '${dir}' does not exist`)
  const modelJson = statSync(path).isDirectory() ? join(path, 'model.json') : path
  if (!existsSync(modelJson)) throw new ModelFileError(`'${dir}' has no model.json (expected a TF.js Layers model saved with model.save)`)
  const base = dirname(modelJson)
  const text = readFileSync(modelJson, 'utf8')
  const files = new Map<string, ArrayBuffer>()
  // read the shards the manifest lists; parseModelFiles reports the missing ones
  let manifest: unknown
  try {
    manifest = (JSON.parse(text) as { weightsManifest?: unknown }).weightsManifest
  } catch {
    manifest = undefined // parseModelFiles gives the JSON error
  }
  if (Array.isArray(manifest)) {
    for (const group of manifest as Array<{ paths?: unknown }>) {
      if (!Array.isArray(group?.paths)) continue
      for (const p of group.paths) {
        // relative to model.json; else (e.g. an absolute URL) the file name next to model.json
        const file = [resolve(base, String(p)), join(base, basename(String(p)))].find((f) => existsSync(f) && statSync(f).isFile())
        if (!file) continue
        const buf = readFileSync(file)
        files.set(String(p), buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer)
      }
    }
  }
  return parseModelFiles(text, files)
}
