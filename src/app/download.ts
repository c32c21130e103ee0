/** Save a file from the page (an object URL clicked through a temporary link). */
export function downloadBlob(name: string, blob: Blob) {
  const url = URL.createObjectURL(blob)
  const a = document.createElement('a')
  a.href = url
  a.download = name
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 1000)
}

export const downloadText = (name: string, text: string, type: string) => downloadBlob(name, new Blob([text], { type }))
