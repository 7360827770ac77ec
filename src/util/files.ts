/** Writing files so that a crash never leaves half a file behind. */
import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';

/**
 * Writes the file beside its destination, syncs it, and renames it into
 * place: a reader (or the next start after a crash) sees the old file or
 * the new one, never a mix, and the new file is created with `mode` from
 * the start (a private key is never readable by others, not even for a
 * moment).
 */
export function writeFileAtomic(path: string, data: string | Buffer, mode: number): void {
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = openSync(temporary, 'wx', mode);
  try {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, path);
}

/** Syncs a file written elsewhere (a download) and renames it into place. */
export function syncAndRename(from: string, to: string): void {
  const fd = openSync(from, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(from, to);
}
