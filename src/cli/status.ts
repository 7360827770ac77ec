/**
 * `skiff status [--data-dir DIR]`: one screen on the cluster of a data dir —
 * is the server up (its URL, version, the process holding the data dir and
 * for how long), each component (apiserver readiness, storage, the
 * controller manager's and the scheduler's leaders, the nodes and their
 * runtimes, cluster DNS), pods by phase, and what a user should act on
 * (among it pods that cannot run, and why).
 * The exit code is 0 only when all is well, so scripts can wait on it:
 * `until skiff status >/dev/null; do sleep 1; done`.
 *
 * Everything comes from the apiserver (with the admin kubeconfig the data
 * dir holds), except who holds the data dir (its lock) and since when
 * (/proc). Gathering and judging are apart: `judge()` and `renderStatus()`
 * are pure, table-tested.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configFromKubeconfig } from '../client/config.js';
import { RestClient } from '../client/rest.js';
import { dataDirHolder } from './data-dir-lock.js';
import { resolveDataDir, unreachableCluster } from './data-dir.js';
import { ingressAnnotation, proxyModeAnnotation } from './node-annotations.js';
import { UsageError } from './usage-error.js';

/** What was found, as plain data. */
export interface StatusFacts {
  dataDir: string;
  server: string;
  /** The skiff process holding the data dir, and when it started (ms since the epoch), if one does. */
  holder?: { pid: number; startedAtMs?: number };
  /** Why the apiserver could not be asked, when it could not. */
  unreachable?: string;
  version?: string;
  /** /readyz?verbose: each check and whether it passed. */
  readiness?: { name: string; ok: boolean }[];
  /** kube-system leases of the leader-elected components. */
  leaders: { component: string; holder?: string; fresh: boolean }[];
  nodes: {
    name: string;
    ready: boolean;
    runtime?: string;
    problems: string[];
    proxy?: string;
    ingress?: string;
    /** The Ingress listeners the node says it has where a connection to its InternalIP was refused (`10.0.0.5:80`). */
    ingressRefused?: string[];
  }[];
  /** The kube-dns Service and how many ready endpoints it has. */
  dns?: { clusterIP?: string; readyEndpoints: number };
  podPhases: Record<string, number>;
  /** Pods that cannot start or keep running, as their status says (the first few; stuckPodCount counts all). */
  stuckPods?: { pod: string; reason: string; message?: string }[];
  stuckPodCount?: number;
  nowMs: number;
}

export interface Verdict {
  healthy: boolean;
  /** What a user should act on, most important first. */
  warnings: string[];
}

/** The leader-elected components `skiff up` runs. */
const leaderComponents = ['kube-controller-manager', 'kube-scheduler'];

/** Whether the facts describe a healthy cluster, and what is wrong. */
export function judge(facts: StatusFacts): Verdict {
  const warnings: string[] = [];
  if (facts.unreachable) {
    warnings.push(facts.holder ? `the API server at ${facts.server} does not answer: ${facts.unreachable}` : `not running: no skiff holds ${facts.dataDir} (start it with skiff up)`);
    return { healthy: false, warnings };
  }
  const failing = (facts.readiness ?? []).filter((check) => !check.ok).map((check) => check.name);
  if (failing.length) warnings.push(`the API server is not ready: ${failing.join(', ')}`);
  for (const leader of facts.leaders) {
    if (!leader.holder) warnings.push(`no ${leader.component} leader: is it running (skiff up --no-controllers / --no-scheduler leaves it out)?`);
    else if (!leader.fresh) warnings.push(`the ${leader.component} leader (${leader.holder}) has stopped renewing its lease`);
  }
  for (const node of facts.nodes) {
    if (!node.ready) warnings.push(`node ${node.name} is NotReady`);
    for (const problem of node.problems) warnings.push(`node ${node.name}: ${problem}`);
    if (node.proxy?.startsWith('userspace')) warnings.push(`node ${node.name}: the service proxy runs in user space (${node.proxy.slice('userspace: '.length)}), and NetworkPolicy is not enforced`);
    if (node.ingress?.startsWith('failed')) warnings.push(`node ${node.name}: no Ingress controller: ${node.ingress}`);
    for (const listener of node.ingressRefused ?? []) warnings.push(`node ${node.name}: the Ingress controller does not answer at ${listener} (connection refused)`);
  }
  if (facts.nodes.length === 0) warnings.push('no nodes: pods stay Pending until one joins (skiff agent)');
  if (facts.dns && facts.dns.readyEndpoints === 0 && facts.nodes.length > 0) warnings.push('cluster DNS (kube-system/kube-dns) has no ready endpoint');
  const stuck = facts.stuckPodCount ?? facts.stuckPods?.length ?? 0;
  if (stuck) {
    const named = (facts.stuckPods ?? []).slice(0, 3).map((p) => `${p.pod} ${p.reason}${p.message ? ` (${p.message})` : ''}`);
    const more = stuck - named.length;
    warnings.push(`${stuck} pod${stuck === 1 ? '' : 's'} cannot run: ${named.join('; ')}${more > 0 ? `; and ${more} more` : ''} (kubectl describe pod)`);
  }
  const failedPods = facts.podPhases.Failed ?? 0;
  if (failedPods) warnings.push(`${failedPods} pod${failedPods === 1 ? '' : 's'} Failed (kubectl get pods -A --field-selector status.phase=Failed)`);
  // Not healthy: what stops the cluster from working. Warnings about pods or a node's pressure are for the user to look at.
  const healthy = failing.length === 0 && facts.leaders.every((l) => l.holder && l.fresh) && facts.nodes.every((n) => n.ready);
  return { healthy, warnings };
}

function duration(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${seconds % 60}s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h${minutes % 60}m`;
  return `${Math.floor(hours / 24)}d${hours % 24}h`;
}

/** The screen. */
export function renderStatus(facts: StatusFacts, verdict: Verdict): string {
  const lines: string[] = [];
  const mark = (ok: boolean) => (ok ? 'ok  ' : 'FAIL');
  const running = facts.holder ? `running (PID ${facts.holder.pid}${facts.holder.startedAtMs ? `, up ${duration(facts.nowMs - facts.holder.startedAtMs)}` : ''})` : 'not running here';
  lines.push(`cluster   ${facts.dataDir}: ${running}`);
  lines.push(`server    ${facts.server}${facts.version ? `  Kubernetes ${facts.version}` : ''}`);
  if (!facts.unreachable) {
    const ready = (facts.readiness ?? []).every((check) => check.ok);
    lines.push(`${mark(ready)}      apiserver ready${facts.readiness?.length ? ` (${facts.readiness.length} checks)` : ''}`);
    // The store's check has upstream's name, etcd, whichever backend answers it.
    const storage = facts.readiness?.find((check) => check.name === 'etcd');
    if (storage) lines.push(`${mark(storage.ok)}      storage`);
    for (const leader of facts.leaders) {
      lines.push(`${mark(!!leader.holder && leader.fresh)}      ${leader.component}${leader.holder ? ` leader ${leader.holder}` : ': no leader'}`);
    }
    for (const node of facts.nodes) {
      const about = [node.runtime, node.proxy && `proxy ${node.proxy.split(':')[0]}`, node.ingress && `ingress ${node.ingress.startsWith('failed') ? 'failed' : node.ingress}`].filter(Boolean);
      lines.push(`${mark(node.ready)}      node ${node.name} ${node.ready ? 'Ready' : 'NotReady'}${about.length ? ` (${about.join('; ')})` : ''}`);
    }
    if (facts.dns) lines.push(`${mark(facts.dns.readyEndpoints > 0 || facts.nodes.length === 0)}      cluster DNS ${facts.dns.clusterIP ?? ''}, ${facts.dns.readyEndpoints} ready endpoint${facts.dns.readyEndpoints === 1 ? '' : 's'}`);
    const phases = Object.entries(facts.podPhases).sort(([a], [b]) => a.localeCompare(b));
    lines.push(`pods      ${phases.length ? phases.map(([phase, count]) => `${count} ${phase}`).join(', ') : 'none'}`);
  }
  for (const warning of verdict.warnings) lines.push(`warning   ${warning}`);
  lines.push(verdict.healthy ? 'healthy' : 'NOT healthy');
  return lines.join('\n') + '\n';
}

/** When a process started (ms since the epoch), from /proc (Linux); undefined elsewhere. */
function processStartMs(pid: number): number | undefined {
  try {
    const ticks = Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[19]);
    const bootMs = Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1]) * 1000;
    // USER_HZ is 100 on every Linux architecture Node runs on.
    return Number.isFinite(ticks) && bootMs ? bootMs + ticks * 10 : undefined;
  } catch {
    return undefined;
  }
}

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

/** Node conditions worth a warning: pressure, no network, no isolation. */
function nodeProblems(conditions: Condition[]): string[] {
  const problems: string[] = [];
  for (const c of conditions) {
    if (['MemoryPressure', 'DiskPressure', 'PIDPressure', 'NetworkUnavailable'].includes(c.type) && c.status === 'True') problems.push(`${c.type}${c.message ? `: ${c.message}` : ''}`);
    if (c.type === 'ContainerIsolation' && c.status === 'False') problems.push(`pods are not isolated${c.message ? `: ${c.message}` : ''}`);
  }
  return problems;
}

/** What status reads of a pod. */
export interface PodStatusView {
  metadata: { namespace?: string; name?: string; deletionTimestamp?: string };
  status?: {
    phase?: string;
    conditions?: Condition[];
    initContainerStatuses?: { state?: { waiting?: { reason?: string; message?: string } } }[];
    containerStatuses?: { state?: { waiting?: { reason?: string; message?: string } } }[];
  };
}

/** How many stuck pods are kept to name (the count goes on). */
const maxStuckPodsKept = 20;

/** Waiting reasons that are the way to running, not a problem. */
const startingReasons = new Set(['ContainerCreating', 'PodInitializing']);

/**
 * Why a pod cannot run, when its status says it cannot without someone
 * acting: a container waiting for a reason other than starting
 * (ImagePullBackOff, CrashLoopBackOff, CreateContainerConfigError …), or the
 * scheduler finding no node for it. A finished or deleting pod is not stuck.
 */
export function whyPodCannotRun(pod: PodStatusView): { reason: string; message?: string } | undefined {
  const phase = pod.status?.phase ?? 'Pending';
  if (pod.metadata.deletionTimestamp || phase === 'Succeeded' || phase === 'Failed') return undefined;
  const unschedulable = pod.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'Unschedulable');
  if (unschedulable) return { reason: 'Unschedulable', ...(unschedulable.message ? { message: unschedulable.message } : {}) };
  for (const container of [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]) {
    const waiting = container.state?.waiting;
    if (waiting?.reason && !startingReasons.has(waiting.reason)) return { reason: waiting.reason, ...(waiting.message ? { message: waiting.message } : {}) };
  }
  return undefined;
}

/** The listeners a node's Ingress annotation names (`http :80, https :443`); none when it failed or is off. */
export function ingressPorts(annotation: string): number[] {
  if (annotation.startsWith('failed') || annotation === 'off') return [];
  return [...annotation.matchAll(/\bhttps? :(\d+)/g)].map((match) => Number(match[1]));
}

/** How many nodes' Ingress listeners are probed at once. */
const ingressProbesAtOnce = 32;

/**
 * The Ingress listeners that refuse a connection at the node's address.
 * Only a refusal counts: a timeout or an unreachable network says more
 * about the way from here to the node than about the node.
 */
async function refusedIngressListeners(address: string, annotation: string): Promise<string[]> {
  const { connect } = await import('node:net');
  const refused = (port: number) =>
    new Promise<boolean>((resolve) => {
      const socket = connect({ host: address, port, timeout: 1000 });
      socket.once('connect', () => {
        socket.destroy();
        resolve(false);
      });
      socket.once('timeout', () => {
        socket.destroy();
        resolve(false);
      });
      socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
    });
  const host = address.includes(':') ? `[${address}]` : address;
  const ports = ingressPorts(annotation);
  const answers = await Promise.all(ports.map(refused));
  return ports.filter((_, i) => answers[i]).map((port) => `${host}:${port}`);
}

/** Gathers the facts; the apiserver is asked with no retries and a short deadline. */
export async function gatherStatus(dataDir: string, nowMs = Date.now()): Promise<StatusFacts> {
  const kubeconfig = join(dataDir, 'kubeconfig.yaml');
  const unreachable = unreachableCluster(dataDir, 'status');
  if (unreachable?.permission) throw new Error(unreachable.message);
  if (unreachable) throw new UsageError(`skiff status: ${unreachable.message}`);
  const config = configFromKubeconfig(kubeconfig);
  const pid = dataDirHolder(dataDir);
  const facts: StatusFacts = { dataDir, server: config.server, leaders: [], nodes: [], podPhases: {}, nowMs, ...(pid ? { holder: { pid, startedAtMs: processStartMs(pid) } } : {}) };
  const rest = new RestClient(config, { retries: 0, baseDelayMs: 0, maxDelayMs: 0 });
  const deadline = AbortSignal.timeout(5000);
  const get = <T>(path: string, query?: Record<string, string>) => rest.request<T>('GET', path, { signal: deadline, retries: 0, ...(query ? { query } : {}) });
  try {
    facts.version = (await get<{ gitVersion?: string }>('/version')).gitVersion;
  } catch (err) {
    rest.close();
    return { ...facts, unreachable: (err as Error).message };
  }
  try {
    // A failing /readyz answers 500 with the same lines: the client's error carries them.
    const readyz = await rest.requestRaw('GET', '/readyz', { query: { verbose: 'true' }, signal: deadline, retries: 0 }).catch((err: Error) => ({ body: err.message }));
    facts.readiness = (readyz.body ?? '')
      .split('\n')
      .map((line) => /^\[([+-])\](\S+)/.exec(line))
      .filter((match): match is RegExpExecArray => !!match)
      .map((match) => ({ name: match[2], ok: match[1] === '+' }));
    const leases = await get<{ items: { metadata: { name: string }; spec?: { holderIdentity?: string; renewTime?: string; leaseDurationSeconds?: number } }[] }>('/apis/coordination.k8s.io/v1/namespaces/kube-system/leases');
    for (const component of leaderComponents) {
      const lease = leases.items.find((item) => item.metadata.name === component);
      const renewed = lease?.spec?.renewTime ? Date.parse(lease.spec.renewTime) : NaN;
      const fresh = Number.isFinite(renewed) && nowMs - renewed <= (lease?.spec?.leaseDurationSeconds ?? 15) * 1000;
      facts.leaders.push({ component, ...(lease?.spec?.holderIdentity ? { holder: lease.spec.holderIdentity } : {}), fresh });
    }
    const nodes = await get<{
      items: { metadata: { name: string; annotations?: Record<string, string> }; status?: { conditions?: Condition[]; nodeInfo?: { containerRuntimeVersion?: string }; addresses?: { type: string; address: string }[] } }[];
    }>('/api/v1/nodes');
    // The Ingress probes of many nodes at once (each may wait its 1 s), a bounded number at a time.
    const refusals: string[][] = [];
    for (let start = 0; start < nodes.items.length; start += ingressProbesAtOnce) {
      const batch = nodes.items.slice(start, start + ingressProbesAtOnce).map((node) => {
        const address = node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
        const said = node.metadata.annotations?.[ingressAnnotation];
        return address && said ? refusedIngressListeners(address, said) : Promise.resolve([]);
      });
      refusals.push(...(await Promise.all(batch)));
    }
    for (const [index, node] of nodes.items.entries()) {
      const conditions = node.status?.conditions ?? [];
      const said = node.metadata.annotations ?? {};
      const refused = refusals[index];
      facts.nodes.push({
        name: node.metadata.name,
        ...(said[proxyModeAnnotation] ? { proxy: said[proxyModeAnnotation] } : {}),
        ...(said[ingressAnnotation] ? { ingress: said[ingressAnnotation] } : {}),
        ...(refused.length ? { ingressRefused: refused } : {}),
        ready: conditions.some((c) => c.type === 'Ready' && c.status === 'True'),
        ...(node.status?.nodeInfo?.containerRuntimeVersion ? { runtime: node.status.nodeInfo.containerRuntimeVersion } : {}),
        problems: nodeProblems(conditions),
      });
    }
    const dns = await get<{ spec?: { clusterIP?: string } }>('/api/v1/namespaces/kube-system/services/kube-dns').catch(() => undefined);
    if (dns) {
      const slices = await get<{ items: { endpoints?: { conditions?: { ready?: boolean } }[] }[] }>('/apis/discovery.k8s.io/v1/namespaces/kube-system/endpointslices', {
        labelSelector: 'kubernetes.io/service-name=kube-dns',
      });
      const ready = slices.items.flatMap((slice) => slice.endpoints ?? []).filter((endpoint) => endpoint.conditions?.ready !== false).length;
      facts.dns = { ...(dns.spec?.clusterIP ? { clusterIP: dns.spec.clusterIP } : {}), readyEndpoints: ready };
    }
    // Pods by phase, and those that cannot run, a page at a time (a few kept, whatever the number of pods).
    let continueToken: string | undefined;
    facts.stuckPods = [];
    facts.stuckPodCount = 0;
    do {
      const page = await get<{ items: PodStatusView[]; metadata?: { continue?: string } }>('/api/v1/pods', { limit: '500', ...(continueToken ? { continue: continueToken } : {}) });
      for (const pod of page.items) {
        const phase = pod.status?.phase ?? 'Pending';
        facts.podPhases[phase] = (facts.podPhases[phase] ?? 0) + 1;
        const why = whyPodCannotRun(pod);
        if (!why) continue;
        facts.stuckPodCount++;
        if (facts.stuckPods.length < maxStuckPodsKept) facts.stuckPods.push({ pod: `${pod.metadata.namespace}/${pod.metadata.name}`, ...why });
      }
      continueToken = page.metadata?.continue || undefined;
    } while (continueToken);
  } finally {
    rest.close();
  }
  return facts;
}

export async function runStatus(args: string[]): Promise<number> {
  const { parseArgs } = await import('node:util');
  const { values } = parseArgs({ args, options: { 'data-dir': { type: 'string' } }, strict: true });
  const facts = await gatherStatus(resolveDataDir(values['data-dir']));
  const verdict = judge(facts);
  process.stdout.write(renderStatus(facts, verdict));
  return verdict.healthy ? 0 : 1;
}
