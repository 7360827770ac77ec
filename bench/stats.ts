/** Small helpers for benchmarks: percentiles and the conditions figures were taken under. */
import os from 'node:os';
import { statfsSync } from 'node:fs';

export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index];
}

export function median(samples: number[]): number {
  return percentile(samples, 50);
}

export function conditions(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  return `node ${process.version}, ${os.cpus().length} × ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()}`;
}

export function ms(value: number): string {
  return `${value.toFixed(2)} ms`;
}

/** The file system type a directory lives on (fsync cost depends on it). */
export function filesystemOf(dir: string): string {
  const known: Record<number, string> = { 0xef53: 'ext4', 0x58465342: 'xfs', 0x9123683e: 'btrfs', 0x01021994: 'tmpfs', 0x794c7630: 'overlayfs' };
  try {
    const type = statfsSync(dir).type;
    return known[type] ?? `fs type 0x${type.toString(16)}`;
  } catch {
    return 'unknown file system';
  }
}
