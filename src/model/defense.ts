/**
 * Defended zoo models: variants of an original model fine-tuned with a defense (FGSM or PGD
 * adversarial training, IBP or Cert-RNN verified training). The manifest records each one's
 * defense, training ε and original ("base") model; manifest.ts's defenseGroups groups them for the
 * app's defenses view and the reproduction's Table 7.
 */
/** A training defense: none, FGSM-AT, PGD-AT, IBP-VT or Cert-RNN-VT (src/train implements them). */
export type Defense = 'none' | 'fgsm' | 'pgd' | 'ibp' | 'certrnn'
export const DEFENSES: readonly Defense[] = ['none', 'fgsm', 'pgd', 'ibp', 'certrnn']

/** Long names, with their papers. */
export const DEFENSE_LABELS: Record<Defense, string> = {
  none: 'clean training',
  fgsm: 'FGSM adversarial training (Goodfellow et al. 2015)',
  pgd: 'PGD adversarial training (Madry et al. 2018)',
  ibp: 'IBP verified training (Gowal et al. 2019)',
  certrnn: 'Cert-RNN verified training (zonotope bounds)',
}

/** The defenses a zoo variant can be trained with (all but 'none'). */
export type DefenseMethod = Exclude<Defense, 'none'>
export const DEFENSE_METHODS: readonly DefenseMethod[] = ['fgsm', 'pgd', 'ibp', 'certrnn']

/** Short names, as the paper's tables give them. */
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
