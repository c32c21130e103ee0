/** Start-up: configuration from the URL hash, the worker, the zoo, and hash updates. */
import { createBrowserWorker } from '../worker/browserWorker.ts'
import { predict } from './model/predict.ts'
import { fetchManifest, selectZooModel } from './model/zoo.ts'
import { configureServices } from './state/services.ts'
import { appStore, applyConfig, configOf, setManifest } from './state/store.ts'
import { configToHash, hashToConfig } from './state/urlState.ts'

export async function boot(): Promise<string[]> {
  const { config, problems } = hashToConfig(window.location.hash)
  applyConfig(config)
  configureServices({ certWorker: createBrowserWorker, predictor: predict })
  appStore.subscribe((s) => {
    const hash = configToHash(configOf(s))
    if (hash !== window.location.hash) window.history.replaceState(null, '', hash)
  })
  // a hash edited by hand or a link opened in this tab: apply it (replaceState above fires no hashchange)
  window.addEventListener('hashchange', () => {
    const next = hashToConfig(window.location.hash).config
    applyConfig(next)
    const s = appStore.getState()
    const entry = next.model && s.manifest?.models.find((m) => m.id === next.model)
    if (entry && s.model?.id !== entry.id) void selectZooModel(entry)
  })
  let manifest
  try {
    manifest = await fetchManifest()
    setManifest(manifest)
  } catch (e) {
    setManifest(null, (e as Error).message)
    return problems
  }
  const wanted = config.model ? manifest.models.find((m) => m.id === config.model) : undefined
  if (config.model && !wanted) problems.push(`model ${config.model} is not in the bundled zoo; showing ${manifest.models[0]?.id} instead`)
  const entry = wanted ?? manifest.models[0]
  if (entry) await selectZooModel(entry)
  return problems
}
