/**
 * Whether this browser can give a WebGL context (plotly's gl3d needs one). Checked once,
 * on a throw-away canvas whose context is released at once.
 */
let cached: boolean | null = null

export function hasWebGL(): boolean {
  if (cached !== null) return cached
  try {
    const canvas = document.createElement('canvas')
    const gl = (canvas.getContext('webgl2') ?? canvas.getContext('webgl')) as WebGLRenderingContext | WebGL2RenderingContext | null
    cached = gl !== null
    gl?.getExtension('WEBGL_lose_context')?.loseContext()
  } catch {
    cached = false
  }
  return cached
}

let software: boolean | null = null

/**
 * Whether this browser draws WebGL on the CPU (SwiftShader, llvmpipe, Microsoft's Basic Render
 * Driver: no GPU, or the GPU turned off, as in headless Chromium). There a gl3d plot takes the
 * main thread seconds to draw, so the 3-D surfaces wait until asked for.
 */
export function softwareWebGL(): boolean {
  if (software !== null) return software
  software = false
  try {
    const canvas = document.createElement('canvas')
    const gl = (canvas.getContext('webgl2') ?? canvas.getContext('webgl')) as WebGLRenderingContext | WebGL2RenderingContext | null
    if (gl) {
      const info = gl.getExtension('WEBGL_debug_renderer_info')
      const renderer = String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER) ?? '')
      software = /swiftshader|llvmpipe|softpipe|software|basic render/i.test(renderer)
      gl.getExtension('WEBGL_lose_context')?.loseContext()
    }
  } catch {
    software = false
  }
  return software
}
