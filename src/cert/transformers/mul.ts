/**
 * z = x·y. No fused plane in the paper: DeepZ's bilinear rule
 * x·y ∈ cy·x + cx·y − cx·cy ± rx·ry serves both DeepZ and Cert-RNN.
 */
import type { BinaryPlaneFn, TransformerModule } from './plane.ts'
import { bilinearPlane, cornerPlane } from './plane.ts'

export const mulBilinear: BinaryPlaneFn = (lx, ux, ly, uy) =>
  bilinearPlane({ lx, ux, ly, uy }, { a: 1, b: 0, c1: 0, c2: 0 }, { a: 0, b: 1, c1: 0, c2: 0 })

export const mulInterval: BinaryPlaneFn = (lx, ux, ly, uy) => cornerPlane((x, y) => x * y, lx, ux, ly, uy)

export const mulPlanes: TransformerModule<BinaryPlaneFn> = {
  interval: mulInterval,
  deepz: mulBilinear,
  certrnn: mulBilinear,
}
