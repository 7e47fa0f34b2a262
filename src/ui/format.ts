/** Display helpers; numbers in, text out. */

const integerFormat = new Intl.NumberFormat('en-US');

export function formatInteger(value: number): string {
  return integerFormat.format(value);
}

export function formatPercent(fraction: number): string {
  return `${(fraction * 100).toFixed(1)}%`;
}

export function formatLoss(loss: number): string {
  return loss.toFixed(3);
}

export function formatDuration(milliseconds: number): string {
  const totalSeconds = Math.round(milliseconds / 1000);
  if (totalSeconds < 60) return `${totalSeconds} s`;
  const minutes = Math.floor(totalSeconds / 60);
  const seconds = totalSeconds % 60;
  if (minutes < 60) return `${minutes} min ${seconds} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

export function formatRate(perSecond: number): string {
  return perSecond >= 100 ? formatInteger(Math.round(perSecond)) : perSecond.toFixed(1);
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}
