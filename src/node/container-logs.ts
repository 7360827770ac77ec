/**
 * Where containers' logs go, in the kubelet's layout, so log shippers that
 * tail a kubelet's files (Fluent Bit, Vector, Promtail) work unchanged:
 *
 *   <podLogsDir>/<namespace>_<pod>_<uid>/<container>/<restart count>.log
 *   <containersDir>/<pod>_<namespace>_<container>-<container id>.log  → the file above
 *
 * The agent decides the paths (as the kubelet does, passing them to the
 * runtime through the CRI), keeps the log of the previous attempt for
 * `kubectl logs --previous` and removes older ones, and removes a pod's
 * directory and links once the pod is gone.
 */
import { mkdirSync, readdirSync, readlinkSync, rmSync, symlinkSync, unlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface ContainerLogLayout {
  /** The kubelet's podLogsDir (/var/log/pods on a kubelet node). */
  podLogsDir: string;
  /** Where the flat links go (/var/log/containers on a kubelet node). */
  containersDir: string;
}

/** The layout under one log root: `<root>/pods` and `<root>/containers`, as /var/log holds them. */
export function logLayoutUnder(root: string): ContainerLogLayout {
  return { podLogsDir: join(root, 'pods'), containersDir: join(root, 'containers') };
}

/** The layout for a given podLogsDir: the links go beside it, in `containers` (as /var/log/pods and /var/log/containers). */
export function logLayoutFor(podLogsDir: string): ContainerLogLayout {
  return { podLogsDir, containersDir: join(dirname(podLogsDir), 'containers') };
}

export interface PodLogIdentity {
  namespace: string;
  name: string;
  uid: string;
}

export function podLogDirectory(layout: ContainerLogLayout, pod: PodLogIdentity): string {
  return join(layout.podLogsDir, `${pod.namespace}_${pod.name}_${pod.uid}`);
}

/** The log file of one attempt of a container: numbered by the container's restart count. */
export function containerLogPath(layout: ContainerLogLayout, pod: PodLogIdentity, container: string, restartCount: number): string {
  return join(podLogDirectory(layout, pod), container, `${restartCount}.log`);
}

function linkPath(layout: ContainerLogLayout, pod: PodLogIdentity, container: string, containerId: string): string {
  return join(layout.containersDir, `${pod.name}_${pod.namespace}_${container}-${containerId}.log`);
}

/**
 * Links a new attempt's log into the flat directory, and removes what only
 * an attempt before the previous one used: its file (rotated parts too) and
 * its link — the kubelet keeps one dead container per container.
 */
export function linkContainerLog(layout: ContainerLogLayout, pod: PodLogIdentity, container: string, containerId: string, restartCount: number): void {
  const target = containerLogPath(layout, pod, container, restartCount);
  mkdirSync(dirname(target), { recursive: true });
  mkdirSync(layout.containersDir, { recursive: true });
  const link = linkPath(layout, pod, container, containerId);
  try {
    symlinkSync(target, link);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  // The kubelet keeps one dead container per container: the previous attempt's log stays, older ones go.
  const keep = new Set([containerLogPath(layout, pod, container, restartCount), containerLogPath(layout, pod, container, restartCount - 1)]);
  for (const file of readdirSync(dirname(target))) {
    if (/^\d+\.log/.test(file) && !keep.has(join(dirname(target), file.replace(/^(\d+\.log).*$/, '$1')))) rmSync(join(dirname(target), file), { force: true });
  }
  removeLinks(layout, `${pod.name}_${pod.namespace}_${container}-`, (name) => !keep.has(linkTarget(join(layout.containersDir, name)) ?? ''));
}

function linkTarget(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}

/** The pod is gone: its log directory and every link of its containers go too. */
export function removePodLogs(layout: ContainerLogLayout, pod: PodLogIdentity): void {
  rmSync(podLogDirectory(layout, pod), { recursive: true, force: true });
  const podDir = podLogDirectory(layout, pod);
  removeLinks(layout, `${pod.name}_${pod.namespace}_`, (name) => linkTarget(join(layout.containersDir, name))?.startsWith(podDir + '/') ?? false);
}

function removeLinks(layout: ContainerLogLayout, prefix: string, remove: (name: string) => boolean): void {
  let names: string[];
  try {
    names = readdirSync(layout.containersDir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix) || !remove(name)) continue;
    try {
      unlinkSync(join(layout.containersDir, name));
    } catch {
      /* already gone */
    }
  }
}
