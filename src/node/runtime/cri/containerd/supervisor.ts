/**
 * The containerd skiff runs itself (`skiff up --runtime containerd` without
 * an endpoint), as k3s does:
 *
 *   checks (root, programs) ─► files (config.toml, CNI, hosts dirs) ─► pod bridge
 *   ─► containerd --config … (log: <dataDir>/containerd/containerd.log, bounded)
 *   ─► ready: the socket accepts, `ctr version` answers, the CRI plugin and the snapshotter loaded
 *   ─► the pause image imported (once)
 *   ─► { endpoint: unix://… } for the CRI runtime
 *
 * containerd dying while the agent runs is restarted through the client's
 * rate-limited work queue (1 s doubling to 1 min, with jitter; the backoff
 * is forgotten once it has run a minute), the habit every state-writing
 * loop of skiff follows. On abort it is stopped: SIGTERM, SIGKILL after 10 s.
 */
import { connect } from 'node:net';
import { WorkQueue, type WorkQueueOptions } from '../../../../client/index.js';
import type { RegistriesConfig } from '../../../images/registries.js';
import type { Logger } from '../../../../util/log.js';
import { BridgeNetwork } from '../../process/network.js';
import { containerdVersion, pluginStatuses, type CtrOptions } from './ctr.js';
import { ContainerdProcess, DEFAULT_STOP_TIMEOUT_MS, describeExit, stopLeftover } from './daemon-process.js';
import { ensurePauseImage, SANDBOX_IMAGE } from './pause-image.js';
import { checkPrerequisites, ManagedContainerdError, writeContainerdFiles, type WrittenContainerdFiles } from './setup.js';
import { whenAborted } from '../../../../machinery/abort.js';

export { ManagedContainerdError } from './setup.js';

const COMPONENT = 'containerd';
const READY_TIMEOUT_MS = 10_000;
/** A containerd that ran this long before it died starts its backoff over. */
const STABLE_AFTER_MS = 60_000;
export const containerdRestartBackoff: WorkQueueOptions = { baseDelayMs: 1000, maxDelayMs: 60_000, jitterFactor: 0.5 };

export interface ManagedContainerdOptions {
  dataDir: string;
  /** The node's pod range (a /24, as the process runtime's). */
  podCIDR: string;
  /** The node's registries.yaml, as loadRegistries read it. */
  registries?: RegistriesConfig;
  log: Logger;
  /** Aborting stops containerd; `stopped` resolves once it has. */
  signal: AbortSignal;
  mtu?: number;
  /** How long containerd has to answer after a start. */
  readyTimeoutMs?: number;
  /** How long a SIGTERM gets before SIGKILL. */
  stopTimeoutMs?: number;
  restartBackoff?: WorkQueueOptions;
  /** For tests: other programs. */
  containerdPath?: string;
  ctrPath?: string;
}

export interface ManagedContainerd {
  /** The CRI endpoint: `unix://<socket>`. */
  endpoint: string;
  socket: string;
  /** The pause image containerd runs sandboxes with. */
  sandboxImage: string;
  /** runc's cgroup driver: the CRI runtime's cgroup parents must be in its form. */
  cgroupDriver: 'systemd' | 'cgroupfs';
  snapshotter: 'overlayfs' | 'native';
  /** The bridge pods are on. */
  bridge: string;
  logFile: string;
  /** containerd's pid now (undefined between a death and its restart, and after the stop). */
  pid(): number | undefined;
  /** Resolves once containerd has been stopped after the abort; never rejects. */
  stopped: Promise<void>;
}

function abortError(): Error {
  return new DOMException('the managed containerd was stopped while starting', 'AbortError');
}

/** Resolves once a unix socket accepts a connection; rejects after `timeoutMs` or when `gaveUp` says so. */
export async function waitForSocket(path: string, timeoutMs: number, gaveUp: () => string | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const why = gaveUp();
    if (why) throw new Error(why);
    const accepted = await new Promise<boolean>((resolve) => {
      const socket = connect({ path });
      const timer = setTimeout(() => finish(false), Math.max(1, Math.min(1000, deadline - Date.now())));
      function finish(ok: boolean) {
        clearTimeout(timer);
        socket.destroy();
        resolve(ok);
      }
      socket.once('connect', () => finish(true));
      socket.once('error', () => finish(false));
    });
    if (accepted) return;
    if (Date.now() >= deadline) throw new Error(`${path} did not accept a connection within ${timeoutMs / 1000} s`);
    // The socket appears once containerd has loaded its plugins: look again shortly.
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Starts containerd and waits until it serves the CRI with the pause image in place; stops it again on failure. */
async function launch(files: WrittenContainerdFiles, options: ManagedContainerdOptions, programs: { containerd: string; ctr: string }, signal: AbortSignal): Promise<ContainerdProcess> {
  const { paths } = files;
  const daemon = ContainerdProcess.start({ program: programs.containerd, configFile: paths.configFile, logFile: paths.logFile, pidFile: paths.pidFile });
  try {
    let ended: string | undefined;
    void daemon.exited.then((exit) => (ended = describeExit(exit)));
    const timeoutMs = options.readyTimeoutMs ?? READY_TIMEOUT_MS;
    await waitForSocket(paths.socket, timeoutMs, () => {
      if (signal.aborted) throw abortError();
      return ended && `containerd ended (${ended}) before it answered; its last words:\n${daemon.log.tail()}`;
    });
    const ctr: CtrOptions = { address: paths.socket, ctrPath: programs.ctr, timeoutMs: Math.max(timeoutMs, 10_000), signal };
    const version = await containerdVersion(ctr);
    const plugins = await pluginStatuses(ctr);
    const statusOf = (type: string, id: string) => plugins.find((plugin) => plugin.type === type && plugin.id === id)?.status ?? 'missing';
    // containerd keeps running when its CRI plugin fails to load (a bad config value): say so now, not at the first pod.
    const cri = statusOf('io.containerd.grpc.v1', 'cri');
    if (cri !== 'ok') throw new ManagedContainerdError(`containerd's CRI plugin did not load (${cri}); see ${paths.logFile}:\n${daemon.log.tail()}`);
    const snapshotter = statusOf('io.containerd.snapshotter.v1', files.snapshotter);
    if (snapshotter !== 'ok') throw new ManagedContainerdError(`containerd's ${files.snapshotter} snapshotter did not load (${snapshotter}); see ${paths.logFile}`);
    const pause = await ensurePauseImage({ address: paths.socket, ctrPath: programs.ctr, signal, archivePath: paths.pauseArchive, snapshotter: files.snapshotter, log: (event) => options.log({ component: COMPONENT, ...event }) });
    options.log({ component: COMPONENT, msg: 'containerd ready', version, pid: daemon.pid, endpoint: `unix://${paths.socket}`, pauseImage: pause });
    return daemon;
  } catch (err) {
    await daemon.stop(options.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS);
    if (signal.aborted) throw abortError();
    throw err;
  }
}

/**
 * Runs containerd for this node until `signal` aborts. Resolves once it
 * serves the CRI; rejects with a ManagedContainerdError (or the cause) when
 * it cannot: not root, programs missing, containerd not answering.
 */
export async function startManagedContainerd(options: ManagedContainerdOptions): Promise<ManagedContainerd> {
  const { signal } = options;
  if (signal.aborted) throw abortError();
  // Aborting stops whatever is being started, and later the restart loop.
  const lifetime = new AbortController();
  const onAbort = () => lifetime.abort();
  whenAborted(signal, onAbort);
  const release = () => signal.removeEventListener('abort', onAbort);
  try {
    return supervise(await prepareAndLaunch(options, lifetime.signal), options, lifetime, release);
  } catch (err) {
    release();
    throw err;
  }
}

interface Launched {
  daemon: ContainerdProcess;
  files: WrittenContainerdFiles;
  /** Starts containerd again with the same files. */
  relaunch(signal: AbortSignal): Promise<ContainerdProcess>;
}

/** Everything up to a first containerd that answers. */
async function prepareAndLaunch(options: ManagedContainerdOptions, signal: AbortSignal): Promise<Launched> {
  const { log } = options;
  const programs = checkPrerequisites({ containerdPath: options.containerdPath, ctrPath: options.ctrPath });
  const files = writeContainerdFiles({ dataDir: options.dataDir, podCIDR: options.podCIDR, registries: options.registries, programs, mtu: options.mtu });
  const { paths } = files;
  for (const warning of files.warnings) log({ component: COMPONENT, msg: 'registries.yaml setting not supported by containerd', detail: warning });
  log({ component: COMPONENT, msg: 'containerd configured', config: paths.configFile, ...files.notes });
  // The bridge with the process runtime's fixed MAC and gateway; the CNI bridge plugin then finds it.
  await new BridgeNetwork(options.podCIDR).ensureBridge().catch((err: Error) => log({ component: COMPONENT, msg: 'pod bridge not prepared; the CNI plugin will make it', bridge: files.bridge, error: err.message }));
  const leftover = await stopLeftover(paths.pidFile, paths.configFile, options.stopTimeoutMs);
  if (leftover) log({ component: COMPONENT, msg: leftover });
  if (signal.aborted) throw abortError();
  const relaunch = (launchSignal: AbortSignal) => launch(files, options, programs, launchSignal);
  return { daemon: await relaunch(signal), files, relaunch };
}

/** Restarts containerd when it dies, until the lifetime ends; then stops it. */
function supervise(launched: Launched, options: ManagedContainerdOptions, lifetime: AbortController, release: () => void): ManagedContainerd {
  const { log } = options;
  const { files } = launched;
  const stopTimeoutMs = options.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS;
  let daemon = launched.daemon;
  const queue = new WorkQueue<'containerd'>(options.restartBackoff ?? containerdRestartBackoff);
  const watch = (running: ContainerdProcess) => {
    const startedAt = Date.now();
    void running.exited.then((exit) => {
      if (lifetime.signal.aborted) return;
      if (Date.now() - startedAt >= STABLE_AFTER_MS) queue.forget('containerd');
      log({ component: COMPONENT, msg: 'containerd ended; restarting', how: describeExit(exit), retries: queue.retries('containerd'), lastWords: running.log.tail(3) });
      queue.addRateLimited('containerd');
    });
  };
  watch(daemon);

  const restarts = (async () => {
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      try {
        daemon = await launched.relaunch(lifetime.signal);
        watch(daemon);
      } catch (err) {
        if (!lifetime.signal.aborted) {
          log({ component: COMPONENT, msg: 'containerd restart failed', error: (err as Error).message, retries: queue.retries(key) });
          queue.addRateLimited(key);
        }
      } finally {
        queue.done(key);
      }
    }
  })();

  const stopped = (async () => {
    if (!lifetime.signal.aborted) await new Promise((resolve) => whenAborted(lifetime.signal, () => resolve(undefined)));
    queue.shutDown();
    await restarts;
    const exit = await daemon.stop(stopTimeoutMs);
    log({ component: COMPONENT, msg: 'containerd stopped', how: describeExit(exit) });
  })()
    .catch((err: Error) => log({ component: COMPONENT, msg: 'containerd stop failed', error: err.message }))
    .finally(release);

  const { paths } = files;
  return {
    endpoint: `unix://${paths.socket}`,
    socket: paths.socket,
    sandboxImage: SANDBOX_IMAGE,
    cgroupDriver: files.cgroupDriver,
    snapshotter: files.snapshotter,
    bridge: files.bridge,
    logFile: paths.logFile,
    pid: () => daemon.pid,
    stopped,
  };
}
