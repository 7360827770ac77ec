/**
 * Before containerd starts: are root and the programs there (each missing
 * piece named, with what to install), and the files it reads — config.toml,
 * skiff's CNI network, the registry hosts directories — written from what
 * this machine offers. Written again at every start, so a changed
 * registries.yaml or an upgraded kernel is taken into account.
 */
import { mkdirSync } from 'node:fs';
import { isExecutable } from '../../../../util/programs.js';
import { join } from 'node:path';
import type { RegistriesConfig } from '../../../images/registries.js';
import { writeFileAtomic } from '../../../../util/files.js';
import { CNI_CONFLIST_NAME, renderCniConfig, skiffBridgeFor } from './cni.js';
import { renderContainerdConfig } from './config.js';
import { CTR_PATH } from './ctr.js';
import { apparmorEnabled, detectCgroupDriver, detectOomScoreAdjLowering, detectSnapshotter, findCniBinDir, findProgram } from './host-facts.js';
import { SANDBOX_IMAGE } from './pause-image.js';
import { containerdPaths, type ContainerdPaths } from './paths.js';
import { renderContainerdRegistries, writeHostsDirectories } from './registries.js';

export const CONTAINERD_PATH = '/usr/bin/containerd';

export class ManagedContainerdError extends Error {}

export interface ContainerdPrograms {
  containerd: string;
  ctr: string;
  runc: string;
  cniBinDir: string;
}

/** Root and every program containerd needs; one error naming all that is missing. */
export function checkPrerequisites(options: { containerdPath?: string; ctrPath?: string; isRoot?: boolean } = {}): ContainerdPrograms {
  const isRoot = options.isRoot ?? process.getuid?.() === 0;
  if (!isRoot) throw new ManagedContainerdError('containerd needs root: run skiff as root or use --runtime process');
  const containerd = options.containerdPath ?? CONTAINERD_PATH;
  const ctr = options.ctrPath ?? CTR_PATH;
  const problems: string[] = [];
  if (!isExecutable(containerd)) problems.push(`${containerd} is missing (install containerd)`);
  if (!isExecutable(ctr)) problems.push(`${ctr} is missing (it comes with containerd)`);
  const runc = findProgram('runc');
  if (!runc) problems.push('runc is not installed (install runc)');
  if (!findProgram('containerd-shim-runc-v2')) problems.push('containerd-shim-runc-v2 is missing (it comes with containerd)');
  const cni = findCniBinDir();
  if ('problem' in cni) problems.push(cni.problem);
  if (problems.length > 0 || !runc || !('dir' in cni)) {
    throw new ManagedContainerdError(`cannot run containerd: ${problems.join('; ')} — or use --runtime process`);
  }
  return { containerd, ctr, runc, cniBinDir: cni.dir };
}

export interface WrittenContainerdFiles {
  paths: ContainerdPaths;
  snapshotter: 'overlayfs' | 'native';
  cgroupDriver: 'systemd' | 'cgroupfs';
  bridge: string;
  /** What was chosen and why, and what containerd cannot honour: for the log. */
  notes: Record<string, string>;
  warnings: string[];
}

export function writeContainerdFiles(options: { dataDir: string; podCIDR: string; registries?: RegistriesConfig; programs: ContainerdPrograms; mtu?: number }): WrittenContainerdFiles {
  const paths = containerdPaths(options.dataDir, { isRoot: true });
  for (const dir of [paths.base, paths.cniConfDir, paths.cniIpamDir]) mkdirSync(dir, { recursive: true, mode: 0o700 });
  mkdirSync(paths.root, { recursive: true, mode: 0o711 });
  mkdirSync(paths.state, { recursive: true, mode: 0o711 });
  const { bridge } = skiffBridgeFor(options.podCIDR);
  const snapshotter = detectSnapshotter(paths.root);
  const cgroupDriver = detectCgroupDriver();
  const oomScoreAdj = detectOomScoreAdjLowering();
  const registries = renderContainerdRegistries(options.registries ?? { mirrors: {}, configs: {}, tls: {} });
  writeHostsDirectories(paths.certsDir, registries.hosts);
  writeFileAtomic(join(paths.cniConfDir, CNI_CONFLIST_NAME), renderCniConfig({ podCIDR: options.podCIDR, bridge, mtu: options.mtu, ipamDataDir: paths.cniIpamDir }), 0o644);
  const config = renderContainerdConfig({
    paths,
    sandboxImage: SANDBOX_IMAGE,
    snapshotter: snapshotter.value,
    cgroupDriver: cgroupDriver.value,
    cniBinDir: options.programs.cniBinDir,
    runcPath: options.programs.runc,
    apparmorEnabled: apparmorEnabled(),
    mayLowerOomScoreAdj: oomScoreAdj.value,
    registryAuths: registries.auths,
  });
  // Credentials may be in it: readable by root only.
  writeFileAtomic(paths.configFile, config, 0o600);
  return {
    paths,
    snapshotter: snapshotter.value,
    cgroupDriver: cgroupDriver.value,
    bridge,
    notes: {
      snapshotter: `${snapshotter.value}: ${snapshotter.reason}`,
      cgroupDriver: `${cgroupDriver.value}: ${cgroupDriver.reason}`,
      oomScoreAdj: `${oomScoreAdj.value ? 'as asked' : 'clamped to containerd\'s own'}: ${oomScoreAdj.reason}`,
    },
    warnings: registries.warnings,
  };
}
