/** Reading and writing PKI files so that a crash never leaves half a file behind. */
import { readFileSync } from 'node:fs';

/** The file's text, or undefined when it does not exist. */
export function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

export { writeFileAtomic } from '../../util/files.js';
