/**
 * The process a container of an image runs, as the kubelet and containerd
 * work it out together: the command from the pod and the image's
 * ENTRYPOINT/CMD, the environment (defaults, then the image's, then the
 * pod's), the working directory, and the user — `runAsUser`/`runAsGroup`
 * or the image's USER, names looked up in the image's /etc/passwd and
 * /etc/group, with the groups the user is a member of, `supplementalGroups`
 * and `fsGroup`.
 */
import type { ImageConfig } from '../../images/types.js';

/** What containerd puts in every container's environment before the image's. */
export const defaultPath = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface ImageProcessInput {
  image: ImageConfig;
  command?: string[];
  args?: string[];
  /** The pod's environment for the container (already expanded). */
  env: Record<string, string>;
  workingDir?: string;
  runAsUser?: number;
  runAsGroup?: number;
  supplementalGroups?: number[];
  fsGroup?: number;
  /** The image's /etc/passwd and /etc/group, as text (undefined when the image has none). */
  passwd?: string;
  group?: string;
}

export interface ImageProcess {
  argv: string[];
  env: Record<string, string>;
  workingDir: string;
  user: { uid: number; gid: number; groups: number[] };
}

/** Why a container cannot be made (upstream's CreateContainerConfigError / CreateContainerError). */
export class ContainerConfigError extends Error {}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
}

function parseColonFile(text: string | undefined): string[][] {
  return (text ?? '').split('\n').filter((line) => line && !line.startsWith('#')).map((line) => line.split(':'));
}

function passwdEntries(text: string | undefined): PasswdEntry[] {
  return parseColonFile(text).filter((f) => f.length >= 4 && /^\d+$/.test(f[2]) && /^\d+$/.test(f[3])).map((f) => ({ name: f[0], uid: Number(f[2]), gid: Number(f[3]) }));
}

function groupEntries(text: string | undefined): { name: string; gid: number; members: string[] }[] {
  return parseColonFile(text).filter((f) => f.length >= 3 && /^\d+$/.test(f[2])).map((f) => ({ name: f[0], gid: Number(f[2]), members: (f[3] ?? '').split(',').filter(Boolean) }));
}

const numeric = (text: string) => /^\d+$/.test(text);

/** uid and primary gid for the image's USER (`name`, `uid`, `name:group`, `uid:gid`; empty is root). */
function imageUser(user: string | undefined, passwd: string | undefined, group: string | undefined): { uid: number; gid: number; name?: string } {
  if (!user) return { uid: 0, gid: 0, name: 'root' };
  const [userPart, groupPart] = user.split(':', 2);
  const users = passwdEntries(passwd);
  let uid: number;
  let gid: number;
  let name: string | undefined;
  if (numeric(userPart)) {
    uid = Number(userPart);
    const entry = users.find((u) => u.uid === uid);
    gid = entry?.gid ?? 0;
    name = entry?.name;
  } else {
    const entry = users.find((u) => u.name === userPart);
    if (!entry) throw new ContainerConfigError(`unable to find user ${userPart}: no matching entries in passwd file`);
    ({ uid, gid, name } = entry);
  }
  if (groupPart !== undefined) {
    if (numeric(groupPart)) gid = Number(groupPart);
    else {
      const entry = groupEntries(group).find((g) => g.name === groupPart);
      if (!entry) throw new ContainerConfigError(`unable to find group ${groupPart}: no matching entries in group file`);
      gid = entry.gid;
    }
  }
  return { uid, gid, name };
}

export function imageProcess(input: ImageProcessInput): ImageProcess {
  // The pod's command replaces ENTRYPOINT (and then CMD is not used); its args replace CMD.
  const argv = input.command?.length ? [...input.command, ...(input.args ?? [])] : [...(input.image.entrypoint ?? []), ...(input.args?.length ? input.args : (input.image.cmd ?? []))];
  if (argv.length === 0) throw new ContainerConfigError('no command specified');

  const env: Record<string, string> = { PATH: defaultPath };
  for (const entry of input.image.env ?? []) {
    const eq = entry.indexOf('=');
    if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  Object.assign(env, input.env);

  let { uid, gid, name } = imageUser(input.image.user, input.passwd, input.group);
  if (input.runAsUser !== undefined) {
    // runAsUser replaces the image's user; its primary group comes from the image's passwd when it has the uid.
    uid = input.runAsUser;
    const entry = passwdEntries(input.passwd).find((u) => u.uid === uid);
    gid = entry?.gid ?? 0;
    name = entry?.name;
  }
  if (input.runAsGroup !== undefined) gid = input.runAsGroup;
  const memberOf = name ? groupEntries(input.group).filter((g) => g.members.includes(name!)).map((g) => g.gid) : [];
  const groups = [...new Set([...memberOf, ...(input.supplementalGroups ?? []), ...(input.fsGroup !== undefined ? [input.fsGroup] : [])])].filter((g) => g !== gid);

  return { argv, env, workingDir: input.workingDir || input.image.workingDir || '/', user: { uid, gid, groups } };
}
