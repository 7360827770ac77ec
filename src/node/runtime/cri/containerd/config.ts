/**
 * containerd 1.6's config.toml (version 2) for the containerd skiff runs
 * itself: its own root, state and socket (never the machine's
 * /var/lib/containerd or /run/containerd/containerd.sock), nothing listening
 * on TCP but the CRI's streaming server on loopback (exec, attach and
 * port-forward go through it), and the CRI plugin set up for skiff's node:
 * the local pause image, skiff's CNI network, its registries.
 *
 * Rendering is a pure function of what the caller found out
 * (host-facts.ts), so tests cover every choice.
 */
import { join } from 'node:path';
import type { ContainerdPaths } from './paths.js';
import type { RegistryAuth } from './registries.js';
import { renderToml, type TomlTable } from './toml.js';

const CRI = ['plugins', 'io.containerd.grpc.v1.cri'];

/** Snapshotters this build may carry that skiff never uses: disabled, so a machine without btrfs or ZFS logs no plugin errors at each start. */
const UNUSED_SNAPSHOTTERS = ['io.containerd.snapshotter.v1.aufs', 'io.containerd.snapshotter.v1.btrfs', 'io.containerd.snapshotter.v1.devmapper', 'io.containerd.snapshotter.v1.zfs'];

export interface ContainerdConfigOptions {
  paths: Pick<ContainerdPaths, 'root' | 'state' | 'socket' | 'cniConfDir' | 'certsDir' | 'optDir'>;
  /** The pause image's name, as imported (pause-image.ts). */
  sandboxImage: string;
  snapshotter: 'overlayfs' | 'native';
  /** runc's cgroup driver (host-facts.ts detectCgroupDriver). */
  cgroupDriver: 'systemd' | 'cgroupfs';
  /** The one directory of CNI plugins containerd 1.6 takes. */
  cniBinDir: string;
  /** runc's absolute path: the shim looks it up in its PATH otherwise, which a service's environment may lack /usr/sbin from. */
  runcPath?: string;
  /** AppArmor is on in the kernel: containerd applies its default profile; otherwise it is told not to try. */
  apparmorEnabled: boolean;
  /**
   * Whether containerd may lower a container's oom_score_adj below its own
   * (the kubelet gives sandboxes -998, Guaranteed pods -997): only in the
   * initial user namespace with CAP_SYS_RESOURCE. Elsewhere runc's write
   * fails and every sandbox with it, so containerd is told to clamp.
   */
  mayLowerOomScoreAdj: boolean;
  /** Per-registry credentials, by host (registries.ts). */
  registryAuths?: Record<string, RegistryAuth>;
}

export function renderContainerdConfig(options: ContainerdConfigOptions): string {
  const { paths } = options;
  const tables: TomlTable[] = [
    {
      path: [],
      entries: { version: 2, root: paths.root, state: paths.state, disabled_plugins: UNUSED_SNAPSHOTTERS },
    },
    // Only the unix socket: no TCP gRPC, debug (pprof) or metrics listener.
    { path: ['grpc'], entries: { address: paths.socket, tcp_address: '' } },
    { path: ['debug'], entries: { address: '', level: 'info' } },
    { path: ['metrics'], entries: { address: '' } },
    { path: ['plugins', 'io.containerd.internal.v1.opt'], entries: { path: paths.optDir } },
    {
      path: CRI,
      entries: {
        sandbox_image: options.sandboxImage,
        // The streaming server of exec/attach/port-forward: loopback, a port of the kernel's choosing.
        stream_server_address: '127.0.0.1',
        stream_server_port: '0',
        disable_tcp_service: true,
        enable_selinux: false,
        restrict_oom_score_adj: !options.mayLowerOomScoreAdj,
        disable_apparmor: !options.apparmorEnabled,
      },
    },
    {
      path: [...CRI, 'containerd'],
      entries: { snapshotter: options.snapshotter, default_runtime_name: 'runc', disable_snapshot_annotations: true },
    },
    { path: [...CRI, 'containerd', 'runtimes', 'runc'], entries: { runtime_type: 'io.containerd.runc.v2' } },
    {
      path: [...CRI, 'containerd', 'runtimes', 'runc', 'options'],
      // runc's own state beside containerd's, not in /run/containerd/runc that a system containerd shares.
      entries: { SystemdCgroup: options.cgroupDriver === 'systemd', BinaryName: options.runcPath, Root: join(paths.state, 'runc') },
    },
    // One network config: skiff's conflist (cni.ts). containerd adds the loopback network itself.
    { path: [...CRI, 'cni'], entries: { bin_dir: options.cniBinDir, conf_dir: paths.cniConfDir, max_conf_num: 1 } },
    // Mirrors and TLS live in hosts.toml files under config_path; containerd 1.6 refuses them here beside it.
    { path: [...CRI, 'registry'], entries: { config_path: paths.certsDir } },
  ];
  for (const [host, auth] of Object.entries(options.registryAuths ?? {})) {
    tables.push({ path: [...CRI, 'registry', 'configs', host, 'auth'], entries: { ...auth } });
  }
  return renderToml(tables);
}
