/**
 * Defended zoo models: variants of an original model fine-tuned with a defense (FGSM or PGD
 * adversarial training, IBP or Cert-RNN verified training). The manifest records each one's
 * defense, training ε and original ("base") model; this module groups them for the app's
 * defenses view and the reproduction's Table 7.
 */
import type { Defense } from '../train/defenses.ts'
import type { Manifest, ManifestModel } from './manifest.ts'

/** The defenses a zoo variant can be trained with (src/train's, without 'none'). */
export type DefenseMethod = Exclude<Defense, 'none'>
export const DEFENSE_METHODS: readonly DefenseMethod[] = ['fgsm', 'pgd', 'ibp', 'certrnn']

/** Short names, as the paper's tables give them (src/train's DEFENSE_LABELS are the long ones). */
export const DEFENSE_SHORT: Record<Defense, string> = {
  none: 'original',
  fgsm: 'FGSM-AT',
  pgd: 'PGD-AT',
  ibp: 'IBP-VT',
  certrnn: 'Cert-RNN-VT',
}

export interface DefenseInfo {
  method: DefenseMethod
  /** the ℓ∞ radius trained against (embedding or pixel space) */
  eps: number
  /** the id of the original model it was fine-tuned from */
  base: string
}

export const defenseOf = (m: object): DefenseInfo | null => (m as { defense?: DefenseInfo }).defense ?? null

export interface DefenseGroup {
  base: ManifestModel
  /** the original first, then its defended variants in DEFENSE_METHODS order */
  variants: ManifestModel[]
}

export function defenseGroups(manifest: Manifest): DefenseGroup[] {
  const defended = manifest.models.filter((m) => defenseOf(m))
  const bases = [...new Set(defended.map((m) => defenseOf(m)!.base))]
  return bases.flatMap((id) => {
    const base = manifest.models.find((m) => m.id === id)
    if (!base) return []
    const mine = defended.filter((m) => defenseOf(m)!.base === id)
    return [{ base, variants: [base, ...DEFENSE_METHODS.flatMap((d) => mine.filter((m) => defenseOf(m)!.method === d))] }]
  })
}
