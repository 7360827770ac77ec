/** Where a cluster's state is: `--data-dir`, else $SKIFF_DATA_DIR, else ~/.skiff — one rule for every command. */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export function resolveDataDir(flag: string | undefined): string {
  return resolve(flag ?? process.env.SKIFF_DATA_DIR ?? join(homedir(), '.skiff'));
}
