/** CommonJS bundles (plotly, react-plotly.js) come through Vite's interop wrapped once or twice: unwrap the default. */
type Unwrap = { default?: unknown }
export const unwrapDefault = <T,>(mod: unknown): T => {
  let m = mod as Unwrap
  while (m && typeof m === 'object' && 'default' in m && m.default) m = m.default as Unwrap
  return m as T
}
