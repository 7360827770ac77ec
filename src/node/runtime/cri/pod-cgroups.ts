/**
 * A cgroup per pod for containerd's pods, as the kubelet makes one
 * (kubepods/…/pod<uid>): the sandbox's `cgroup_parent`, under which runc
 * puts the pause process's and each container's cgroups. With it,
 * containerd answers PodSandboxStats — the pod's cpu, memory and network
 * as a whole, pause included — and the pod is one subtree of the node's
 * cgroups.
 *
 * Only with the cgroupfs driver, and only where skiff knows the driver
 * (its own containerd): the path is `/skiff/pod<uid>`, which runc makes
 * under every hierarchy it uses. With systemd's driver containerd wants a
 * slice name instead, and with a containerd of someone else's the driver is
 * unknown (containerd 1.6 cannot be asked): no parent then, as before.
 *
 * runc removes a container's own cgroup, not its parents: the pod's are
 * removed with the sandbox, and any left by an agent that stopped are
 * swept (empty ones only) before the first sandbox.
 */
import { readdirSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';

/** Where the pods' cgroups go, below each hierarchy's root. */
export const podCgroupsDir = 'skiff';

/** The cgroup parent of a pod's sandbox (cgroupfs form). */
export function podCgroupParent(podUid: string): string {
  // A uid is [0-9a-f-]; anything else cannot name a path here.
  if (!/^[A-Za-z0-9-]+$/.test(podUid)) throw new Error(`pod uid ${JSON.stringify(podUid)}: not usable in a cgroup path`);
  return `/${podCgroupsDir}/pod${podUid}`;
}

/** The hierarchies under the cgroup root: v1's one per controller (and named ones), or v2's single tree. */
function hierarchies(root: string): string[] {
  try {
    const entries = readdirSync(root, { withFileTypes: true });
    // cgroup v2: the root itself holds the tree (cgroup.controllers is there).
    if (entries.some((entry) => entry.name === 'cgroup.controllers')) return [root];
    return entries.filter((entry) => entry.isDirectory()).map((entry) => join(root, entry.name));
  } catch {
    return [];
  }
}

/**
 * Removes a pod's cgroup from every hierarchy, once runc has removed the
 * cgroups inside it (a cgroup with children or processes cannot be
 * removed: left as it is).
 */
export function removePodCgroup(podUid: string, root = '/sys/fs/cgroup'): void {
  const relative = podCgroupParent(podUid).slice(1);
  for (const hierarchy of hierarchies(root)) {
    try {
      rmdirSync(join(hierarchy, relative));
    } catch {
      /* not there, or still in use */
    }
  }
}

/** Removes every empty pod cgroup (a stopped agent's leftovers); the pods' uids it removed. */
export function sweepPodCgroups(root = '/sys/fs/cgroup'): string[] {
  const removed = new Set<string>();
  for (const hierarchy of hierarchies(root)) {
    const dir = join(hierarchy, podCgroupsDir);
    let pods: string[];
    try {
      // pod<uid> only (a uid is a UUID): skiff/pod-shims is the process runtime's.
      pods = readdirSync(dir).filter((name) => /^pod[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(name));
    } catch {
      continue;
    }
    for (const pod of pods) {
      try {
        rmdirSync(join(dir, pod));
        removed.add(pod.slice('pod'.length));
      } catch {
        /* in use: a pod that runs */
      }
    }
  }
  return [...removed];
}
