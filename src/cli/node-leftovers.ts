/**
 * What a node of a data dir may leave on the machine when skiff did not stop
 * in order (kill -9, a crash, or `skiff agent`, whose pods outlive it by
 * design), and how `skiff down` ends and removes it:
 *
 *   process runtime  pod shims recorded in its state dirs (each the init of
 *                    its pod: killing it ends the pod), their veths, the
 *                    state dir itself (in /run)
 *   containerd       skiff's containerd (its pid file): asked through the
 *                    CRI to stop and remove every sandbox — containerd runs
 *                    the CNI's DEL and removes the network namespaces — then
 *                    stopped; a containerd that is gone is started for that
 *                    first, with the config skiff wrote; iptables rules an
 *                    older skiff's CNI left (old-cni-rules.ts)
 *   both             mounts under the data dir and the state dirs, the
 *                    node's bridge and nftables tables, the user-space
 *                    proxy's skiff-svc0 and the routes to other nodes' pod
 *                    ranges (what there is recorded at start in
 *                    DIR/node-network.json)
 *
 * Each step says what it removed; all of them find nothing the second time.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';

const run = promisify(execFile);

/** What the node's network made, recorded when it started. */
export interface NodeNetworkRecord {
  /** The pod bridge (none when pods share the machine's network). */
  bridge?: string;
  nftTables?: string[];
  /** The interface holding the ClusterIPs of a user-space proxy (skiff-svc0), when there is one. */
  serviceInterface?: string;
  /** The other nodes' pod ranges this node routes now (routes of skiff's protocol, routes.ts). */
  podRoutes?: string[];
}

const recordFile = 'node-network.json';

export function recordNodeNetwork(dataDir: string, record: NodeNetworkRecord): void {
  try {
    writeFileSync(join(dataDir, recordFile), `${JSON.stringify(record)}\n`);
  } catch {
    /* a data dir that cannot be written: skiff down will not find the bridge by name */
  }
}

function readNodeNetwork(dataDir: string): NodeNetworkRecord | undefined {
  try {
    const record = JSON.parse(readFileSync(join(dataDir, recordFile), 'utf8')) as NodeNetworkRecord;
    // Interface names go to `ip` as arguments: only what a Linux interface name can be.
    const interfaceName = (name: unknown) => name === undefined || (typeof name === 'string' && /^[A-Za-z0-9_.-]{1,15}$/.test(name));
    const strings = (list: unknown) => list === undefined || (Array.isArray(list) && list.every((item) => typeof item === 'string'));
    return interfaceName(record.bridge) && interfaceName(record.serviceInterface) && strings(record.nftTables) && strings(record.podRoutes) ? record : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function comm(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** Gone, or a zombie its parent has yet to reap. */
function ended(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z') ?? true;
  } catch {
    return !alive(pid);
  }
}

export async function untilGone(pid: number, timeoutMs: number): Promise<boolean> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; ) {
    if (ended(pid)) return true;
    await sleep(50);
  }
  return ended(pid);
}

function readPid(file: string): number | undefined {
  try {
    return Number(readFileSync(file, 'utf8').trim()) || undefined;
  } catch {
    return undefined;
  }
}

/** Ends the process-runtime pods recorded in the data dir's state dirs: SIGKILL to each pod shim (the pod's init). */
async function endProcessPods(stateDirs: string[], said: string[]): Promise<void> {
  let ended = 0;
  for (const stateDir of stateDirs) {
    const sandboxes = join(stateDir, 'sandboxes');
    for (const id of existsSync(sandboxes) ? readdirSync(sandboxes) : []) {
      const pid = readPid(join(sandboxes, id, 'shim.pid'));
      // Only a live pod shim: a PID the record names may have been reused by anything since.
      if (!pid || comm(pid) !== 'skiff-pod') continue;
      process.kill(pid, 'SIGKILL');
      await untilGone(pid, 5000);
      ended++;
    }
  }
  if (ended) said.push(`ended ${ended} pod${ended === 1 ? '' : 's'} of the process runtime`);
}

/** Mount points under any of the dirs, deepest first (from /proc/self/mountinfo, whose paths escape spaces as \040). */
function mountsUnder(dirs: string[]): string[] {
  let text = '';
  try {
    text = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return [];
  }
  const points = text
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((point): point is string => !!point)
    .map((point) => point.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8))));
  // Strictly below: a file system mounted at the data dir itself (a disk of its own) is the user's.
  const under = points.filter((point) => dirs.some((dir) => point.startsWith(`${dir}/`)));
  return [...new Set(under)].sort((a, b) => b.length - a.length);
}

async function unmountUnder(dirs: string[], said: string[]): Promise<void> {
  const points = mountsUnder(dirs);
  let unmounted = 0;
  for (const point of points) {
    // Lazy: a mount still in use somewhere goes once it is not.
    if (await run('umount', ['-l', point]).then(() => true, () => false)) unmounted++;
  }
  if (unmounted) said.push(`unmounted ${unmounted} mount${unmounted === 1 ? '' : 's'} (volumes, root file systems, state)`);
}

/** Stops and removes every sandbox of skiff's containerd for the data dir (started for that when it is not running), then stops it. */
async function endContainerdPods(dataDir: string, said: string[]): Promise<void> {
  const { containerdPaths } = await import('../node/runtime/cri/containerd/paths.js');
  const paths = containerdPaths(dataDir);
  if (!existsSync(paths.configFile)) return;
  let pid = readPid(paths.pidFile);
  if (pid && comm(pid) !== 'containerd') pid = undefined;
  let started: ReturnType<typeof spawn> | undefined;
  if (!pid) {
    // Its shims (and pods) may outlive it: only containerd itself can end them in order.
    const shims = readdirSync('/proc')
      .filter((entry) => /^\d+$/.test(entry))
      .some((entry) => {
        try {
          return comm(Number(entry)) === 'containerd-shim' && readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(paths.socket);
        } catch {
          return false;
        }
      });
    if (!shims) return removeContainerdState(dirname(paths.state), said);
    started = spawn('/usr/bin/containerd', ['--config', paths.configFile], { stdio: 'ignore', detached: true });
    pid = started.pid;
    for (let i = 0; i < 100 && !existsSync(paths.socket); i++) await sleep(100);
  }
  const { CriClient } = await import('../node/runtime/cri/client.js');
  const client = new CriClient(`unix://${paths.socket}`);
  try {
    const sandboxes = await client.listPodSandbox();
    for (const sandbox of sandboxes) {
      await client.stopPodSandbox(sandbox.id).catch(() => {});
      await client.removePodSandbox(sandbox.id).catch(() => {});
    }
    if (sandboxes.length) said.push(`stopped and removed ${sandboxes.length} containerd pod${sandboxes.length === 1 ? '' : 's'}`);
  } finally {
    client.close();
  }
  if (pid) {
    process.kill(pid, 'SIGTERM');
    if (!(await untilGone(pid, 10_000))) process.kill(pid, 'SIGKILL');
    said.push(`stopped containerd (PID ${pid})`);
  }
  await removeContainerdState(dirname(paths.state), said);
}

/** containerd's state (task bundles, sockets) is only meaningful while it runs: once it is stopped, it goes. */
async function removeContainerdState(dir: string, said: string[]): Promise<void> {
  if (!existsSync(dir)) return;
  await unmountUnder([dir], said);
  try {
    rmSync(dir, { recursive: true, force: true });
    said.push(`removed ${dir}`);
  } catch (err) {
    said.push(`could not remove ${dir}: ${(err as Error).message}`);
  }
}

/** The iptables rules older skiff versions' CNI left for containerd pods (old-cni-rules.ts). */
async function removeOldCniMasquerade(dataDir: string, said: string[]): Promise<void> {
  const { containerdPaths } = await import('../node/runtime/cri/containerd/paths.js');
  if (!existsSync(containerdPaths(dataDir).configFile)) return;
  const { removeOldCniRules } = await import('./old-cni-rules.js');
  const chains = await removeOldCniRules();
  if (chains) said.push(`removed ${chains} iptables masquerade chain${chains === 1 ? '' : 's'} (CNI-*) an older skiff left`);
}

/** What the node recorded of its network (recordNodeNetwork): its bridge, skiff-svc0, its routes to other nodes' pods, its nftables tables. */
async function removeNetwork(dataDir: string, said: string[]): Promise<void> {
  const record = readNodeNetwork(dataDir);
  if (!record) return;
  if (record.bridge && (await run('ip', ['link', 'del', record.bridge]).then(() => true, () => false))) said.push(`removed bridge ${record.bridge}`);
  if (record.serviceInterface && (await run('ip', ['link', 'del', record.serviceInterface]).then(() => true, () => false))) {
    said.push(`removed ${record.serviceInterface} and the ClusterIPs on it`);
  }
  // Only the ranges this node recorded, and only as skiff's routes: another cluster's on this machine, or the machine's own, stay.
  const { podRouteProtocol } = await import('../network/routes.js');
  let routes = 0;
  for (const cidr of (record.podRoutes ?? []).filter((cidr) => /^[0-9a-f.:]+\/\d{1,3}$/i.test(cidr))) {
    if (await run('ip', ['route', 'del', cidr, 'proto', podRouteProtocol]).then(() => true, () => false)) routes++;
  }
  if (routes) said.push(`removed ${routes} route${routes === 1 ? '' : 's'} to other nodes' pods`);
  const removed: string[] = [];
  for (const table of record.nftTables ?? []) {
    if (!/^[A-Za-z0-9_.-]+$/.test(table)) continue;
    if (await run('nft', ['delete', 'table', 'ip', table]).then(() => true, () => false)) removed.push(table);
  }
  if (removed.length) said.push(`removed nftables table${removed.length === 1 ? '' : 's'} ${removed.join(', ')}`);
}

/** Ends and removes what the node of `dataDir` left on the machine; says what it removed (nothing: an empty list). */
export async function removeNodeLeftovers(dataDir: string): Promise<string[]> {
  const said: string[] = [];
  const { runtimeStateCandidates } = await import('../node/runtime/process/state-dir.js');
  const stateDirs = runtimeStateCandidates(dataDir).filter((dir) => existsSync(dir));
  await endProcessPods(stateDirs, said);
  await endContainerdPods(dataDir, said);
  await removeOldCniMasquerade(dataDir, said);
  await unmountUnder([dataDir, ...stateDirs], said);
  // The process runtime's in-memory state: the pods it recorded are gone.
  for (const dir of stateDirs.filter((dir) => dir !== join(dataDir, 'runtime'))) {
    try {
      rmSync(dir, { recursive: true, force: true });
      said.push(`removed ${dir}`);
    } catch (err) {
      said.push(`could not remove ${dir}: ${(err as Error).message}`);
    }
  }
  for (const records of [join(dataDir, 'runtime', 'sandboxes'), join(dataDir, 'runtime', 'containers')]) rmSync(records, { recursive: true, force: true });
  await removeNetwork(dataDir, said);
  return said;
}
