/**
 * Which kind of Keras file some bytes are, by their signature (not their name): a Keras 3
 * `.keras` file is a zip, a legacy `.h5` an HDF5 file. Tiny and dependency-free, so that the
 * app can tell without loading the readers of src/model/kerasFile.ts (loaded on demand).
 */
export type KerasFileKind = 'keras' | 'h5'

const ZIP = [0x50, 0x4b, 0x03, 0x04]
const HDF5 = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]

function startsWith(bytes: Uint8Array, sig: number[]): boolean {
  return bytes.length >= sig.length && sig.every((b, k) => bytes[k] === b)
}

export function kerasFileKind(bytes: Uint8Array): KerasFileKind | null {
  if (startsWith(bytes, ZIP)) return 'keras'
  if (startsWith(bytes, HDF5)) return 'h5'
  return null
}

/** A file name a Keras model file goes by. */
export function hasKerasFileName(name: string): boolean {
  return /\.(keras|h5|hdf5)$/i.test(name)
}
