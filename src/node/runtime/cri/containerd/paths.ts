/**
 * Where the managed containerd keeps its files. What must outlive a reboot
 * (images, snapshots, configs, the log) goes under `<dataDir>/containerd`;
 * its state (task bundles, FIFOs, the sockets) is only meaningful while it
 * runs, so as root it goes under /run, as containerd's own /run/containerd
 * does — and a short path there keeps the socket within the 108 bytes a unix
 * socket's path may have, however deep the data dir is.
 */
import { resolve, join } from 'node:path';
import { dataDirKey } from '../../process/state-dir.js';

/** sun_path holds 108 bytes with its terminating NUL. */
export const UNIX_SOCKET_PATH_MAX = 107;

/** containerd also listens on `<grpc address>.ttrpc`, the longest of its sockets. */
const TTRPC_SUFFIX = '.ttrpc';

export interface ContainerdPaths {
  /** `<dataDir>/containerd`: everything that stays. */
  base: string;
  configFile: string;
  /** containerd's `root`: content, snapshots, metadata. */
  root: string;
  /** containerd's `state`: runtime bundles, FIFOs, sockets. */
  state: string;
  /** The gRPC socket (the CRI endpoint is `unix://` + this). */
  socket: string;
  /** The CNI network configs containerd reads (conf_dir). */
  cniConfDir: string;
  /** host-local's leases, kept with skiff's data rather than in /var/lib/cni. */
  cniIpamDir: string;
  /** containerd's hosts directory (registry config_path). */
  certsDir: string;
  /** The `opt` plugin's directory (else /opt/containerd). */
  optDir: string;
  logFile: string;
  /** The running containerd's pid: a new agent stops one an earlier agent left behind. */
  pidFile: string;
  /** The sandbox image's archive, as imported. */
  pauseArchive: string;
}

export class SocketPathTooLongError extends Error {}

/**
 * The paths for a data dir. As root the state is `/run/skiff-<key>/containerd`
 * (key: the data dir's real path, hashed, as the process runtime names its
 * state); otherwise `<dataDir>/containerd/state` when the socket fits.
 */
export function containerdPaths(dataDir: string, options: { isRoot: boolean; runBase?: string } = { isRoot: process.getuid?.() === 0 }): ContainerdPaths {
  const absolute = resolve(dataDir);
  const base = join(absolute, 'containerd');
  const state = options.isRoot ? join(options.runBase ?? '/run', `skiff-${dataDirKey(absolute)}`, 'containerd') : join(base, 'state');
  const socket = join(state, 'containerd.sock');
  if (Buffer.byteLength(socket + TTRPC_SUFFIX) > UNIX_SOCKET_PATH_MAX) {
    throw new SocketPathTooLongError(
      `containerd's socket ${socket}${TTRPC_SUFFIX} would be longer than the ${UNIX_SOCKET_PATH_MAX} bytes a unix socket path may have: use a shorter data dir, or run as root (the socket then goes under /run)`,
    );
  }
  return {
    base,
    configFile: join(base, 'config.toml'),
    root: join(base, 'root'),
    state,
    socket,
    cniConfDir: join(base, 'cni', 'net.d'),
    cniIpamDir: join(base, 'cni', 'ipam'),
    certsDir: join(base, 'certs.d'),
    optDir: join(base, 'opt'),
    logFile: join(base, 'containerd.log'),
    pidFile: join(state, 'containerd.pid'),
    pauseArchive: join(base, 'pause.tar'),
  };
}
