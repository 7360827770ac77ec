/**
 * A pod's `securityContext.fsGroup` on its volumes, as the kubelet applies
 * it: every file and directory of the volume is given the group fsGroup and
 * made readable by it (writable too, unless the volume is read-only), and
 * directories get the setgid bit, so what the pod creates there later
 * belongs to the group as well. The containers' processes have fsGroup
 * among their supplementary groups, whoever they run as.
 *
 * Volumes that get this: emptyDir, the generated ones (configMap, secret,
 * downwardAPI, projected — read-only) and local persistent volumes; never a
 * hostPath (the machine's files are not the pod's to change).
 *
 * With `fsGroupChangePolicy: OnRootMismatch` a volume whose top directory
 * already has the group and the permissions is left alone (a big volume is
 * not walked at each start).
 */
import { chmodSync, lchownSync, lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Group read and write; group read only; group search on directories; setgid. */
const readWrite = 0o660;
const readOnlyMask = 0o440;
const search = 0o110;
const setgid = 0o2000;

export interface FsGroupPolicy {
  fsGroup: number;
  /** `Always` (the default) or `OnRootMismatch`. */
  changePolicy?: string;
}

function maskFor(isDirectory: boolean, readOnly: boolean): number {
  return (readOnly ? readOnlyMask : readWrite) | (isDirectory ? search | setgid : 0);
}

/** Whether the volume's top directory shows fsGroup was applied already. */
function rootMatches(dir: string, fsGroup: number, readOnly: boolean): boolean {
  const stat = lstatSync(dir);
  const mask = maskFor(true, readOnly);
  return stat.gid === fsGroup && (stat.mode & mask) === mask;
}

/**
 * Applies fsGroup to everything under `dir` (itself included). Symbolic
 * links are changed themselves, never followed: the atomic writer's links
 * point within the volume, and a link a pod made must not reach outside it.
 */
export function applyFsGroup(dir: string, policy: FsGroupPolicy, readOnly: boolean): void {
  if (policy.changePolicy === 'OnRootMismatch' && rootMatches(dir, policy.fsGroup, readOnly)) return;
  const pending = [dir];
  while (pending.length) {
    const path = pending.pop()!;
    let stat;
    try {
      stat = lstatSync(path);
    } catch {
      continue; // removed meanwhile (a pod writes into its emptyDir as we walk)
    }
    lchownSync(path, -1, policy.fsGroup);
    if (stat.isSymbolicLink()) continue;
    chmodSync(path, (stat.mode & 0o7777) | maskFor(stat.isDirectory(), readOnly));
    if (stat.isDirectory()) {
      for (const name of readdirSync(path)) pending.push(join(path, name));
    }
  }
}
