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
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} days ${hours % 24} h`;
}

export function formatRate(perSecond: number): string {
  return perSecond >= 100 ? formatInteger(Math.round(perSecond)) : perSecond.toFixed(1);
}

/** SI units, like the memory estimate: 1 MB = 10⁶ bytes. */
export function formatBytes(bytes: number): string {
  if (bytes === 0) return '0';
  if (bytes < 1e6) return `${(bytes / 1e3).toFixed(0)} KB`;
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/** 33 868 800 → "33.9 M"; 1 234 → "1.2 k". */
export function formatMultiplyAdds(count: number): string {
  if (count >= 1e9) return `${(count / 1e9).toFixed(2)} G`;
  if (count >= 1e6) return `${(count / 1e6).toFixed(1)} M`;
  if (count >= 1e3) return `${(count / 1e3).toFixed(1)} k`;
  return String(count);
}
