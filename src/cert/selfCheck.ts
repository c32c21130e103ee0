// TEMPORARY stub: the certifier engineer replaces this with the real engine self-check.
export function selfCheck(): { ok: boolean; message: string } {
  return { ok: true, message: 'engine self-check pending' }
}
