/** The bundled model zoo, fetched from the app's own origin (public/models/). */
import type { Manifest, ManifestModel } from '../../model/manifest.ts'
import { modelFailed, modelLoading, setModel } from '../state/store.ts'
import { validateManifest } from '../../model/manifest.ts'
import { parseModelFiles } from '../../model/layersJson.ts'
import { loadTokenizer } from '../../model/tokenizer.ts'
import type { Example, LoadedModel } from './loaded.ts'
import { classNamesFor, imageShape } from './loaded.ts'

export const MODELS_BASE = `${import.meta.env?.BASE_URL ?? '/'}models/`

/** fetch from the app's origin, with the URL in every error. */
export async function fetchOk(url: string): Promise<Response> {
  let r: Response
  try {
    r = await fetch(url)
  } catch (e) {
    throw new Error(`could not fetch ${url}: ${(e as Error).message}`)
  }
  if (!r.ok) throw new Error(`could not fetch ${url}: HTTP ${r.status}`)
  return r
}

export async function fetchManifest(base = MODELS_BASE): Promise<Manifest> {
  const r = await fetchOk(`${base}manifest.json`)
  return validateManifest(await r.json())
}

function readExamples(json: unknown): Example[] {
  const list = Array.isArray(json) ? json : (json as { examples?: unknown })?.examples
  return Array.isArray(list) ? (list as Example[]) : []
}

export async function loadZooModel(entry: ManifestModel, base = MODELS_BASE): Promise<LoadedModel> {
  const dir = `${base}${entry.path}/`
  const modelText = await (await fetchOk(`${dir}model.json`)).text()
  const modelJson = JSON.parse(modelText) as { weightsManifest?: Array<{ paths: string[] }> }
  const paths = (modelJson.weightsManifest ?? []).flatMap((g) => g.paths)
  const shards = new Map<string, ArrayBuffer>()
  await Promise.all(paths.map(async (p) => shards.set(p, await (await fetchOk(`${dir}${p}`)).arrayBuffer())))
  const net = parseModelFiles(modelText, shards)
  const tokenizer = entry.input.kind === 'tokens' ? loadTokenizer(await (await fetchOk(`${dir}${entry.input.tokenizer}`)).json()) : null
  const examples = readExamples(await (await fetchOk(`${dir}examples.json`)).json())
  return {
    key: `zoo:${entry.id}`,
    source: 'zoo',
    id: entry.id,
    title: entry.title,
    entry,
    net,
    tokenizer,
    examples,
    classNames: classNamesFor(net, entry.classes),
    domain: entry.input.kind === 'frames' ? entry.input.domain : null,
    inputKind: entry.input.kind,
    frameSize: entry.input.kind === 'frames' ? entry.input.frameSize : entry.input.embeddingDim,
    image: entry.input.kind === 'frames' ? imageShape(net, entry.input.frames) : null,
    modelJson,
    shards,
  }
}

/** Load a bundled model and make it current (the picker and start-up use this). */
export async function selectZooModel(entry: ManifestModel) {
  modelLoading(entry.id)
  try {
    await setModel(await loadZooModel(entry))
  } catch (e) {
    modelFailed(`could not load ${entry.id}: ${(e as Error).message}`)
  }
}

