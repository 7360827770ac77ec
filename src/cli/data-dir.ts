/** Where a cluster's state is: `--data-dir`, else $SKIFF_DATA_DIR, else ~/.skiff — one rule for every command. */
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export function resolveDataDir(flag: string | undefined): string {
  return resolve(flag ?? process.env.SKIFF_DATA_DIR ?? join(homedir(), '.skiff'));
}

/**
 * Why a data dir holds no cluster this user can reach, or undefined when its
 * kubeconfig is there: a data dir of another user (a root cluster, asked as
 * an ordinary user) is said as such, not as an empty one.
 */
export function unreachableCluster(dataDir: string, command: string): { message: string; permission: boolean } | undefined {
  if (existsSync(join(dataDir, 'kubeconfig.yaml'))) return undefined;
  try {
    if (existsSync(dataDir)) accessSync(dataDir, constants.R_OK | constants.X_OK);
  } catch {
    const owner = statSync(dataDir).uid;
    return { message: `${dataDir} belongs to ${owner === 0 ? 'root' : `user ${owner}`}, and this user may not read it: run skiff ${command} as ${owner === 0 ? 'root (sudo)' : 'that user'}`, permission: true };
  }
  return { message: `no cluster in ${dataDir} (no kubeconfig.yaml there): start one with skiff up`, permission: false };
}
