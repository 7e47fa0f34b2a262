/**
 * Browser helpers for files the person saves: plain DOM, no React, so that both the main-thread
 * state and the UI can use them (they used to live in ui/).
 */

/** Saves `text` as a file through the browser's download (no server involved). */
export function downloadText(fileName: string, text: string, mimeType: string): void {
  downloadBlob(fileName, new Blob([text], { type: mimeType }));
}

/** Saves binary data as a file, e.g. a model's weights. */
export function downloadBinary(fileName: string, data: ArrayBuffer): void {
  downloadBlob(fileName, new Blob([data], { type: 'application/octet-stream' }));
}

function downloadBlob(fileName: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.click();
  // The click has started the download; the object URL can go once it has been handed over.
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

/** "2026-11-25T22-40-00" for file names. */
export function fileTimestamp(date: Date): string {
  return date.toISOString().slice(0, 19).replaceAll(':', '-');
}
