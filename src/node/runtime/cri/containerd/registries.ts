/**
 * skiff's registries.yaml (k3s's format, read by src/node/images/registries.ts)
 * in the two places containerd 1.6 takes registry settings from:
 *
 *   mirrors.<registry>.endpoint ─► <certs.d>/<registry>/hosts.toml  [host."<endpoint>"] pull, resolve
 *   configs.<host>.tls          ─► ca / client / skip_verify beside the host they are for,
 *                                  the files written into that directory
 *   configs.<host>.auth         ─► config.toml [plugins."io.containerd.grpc.v1.cri".registry.configs."<host>".auth]
 *
 * "*" is containerd's `_default` directory. What containerd 1.6 cannot do
 * is said, not pretended: it has no rewrites in hosts.toml, and no field for
 * a registry token — each such setting becomes a warning for the log.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { RegistriesConfig } from '../../../images/registries.js';
import type { RegistryTls } from '../../../images/registry-client.js';
import { writeFileAtomic } from '../../../../util/files.js';
import { renderToml, type TomlTable, type TomlValue } from './toml.js';

/** containerd 1.6's AuthConfig fields. */
export interface RegistryAuth {
  username?: string;
  password?: string;
  /** base64 of `user:password`. */
  auth?: string;
  identitytoken?: string;
}

export interface HostsFile {
  name: string;
  content: string;
  mode: number;
}

/** One directory of containerd's hosts layout. */
export interface HostsDirectory {
  /** The directory's name: the registry (`docker.io`, `registry:5000`) or `_default`. */
  name: string;
  files: HostsFile[];
}

export interface ContainerdRegistries {
  hosts: HostsDirectory[];
  /** Credentials by host, for config.toml. */
  auths: Record<string, RegistryAuth>;
  /** Settings containerd cannot honour, in words for the log. */
  warnings: string[];
}

/** A registry name that is safe as a directory name: host, optional port (no `/`, no `..`). */
const REGISTRY_NAME = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

function withScheme(url: string): string {
  return /^[a-z]+:\/\//i.test(url) ? url : `https://${url}`;
}

function isLoopback(registry: string): boolean {
  const host = registry.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** The registry's own URL, as containerd and skiff's image service reach it. */
function serverOf(registry: string): string {
  return registry === 'docker.io' ? 'https://registry-1.docker.io' : `https://${registry}`;
}

/** A file name for a host's TLS material (`registry:5000` → `registry_5000`). */
function fileStem(host: string): string {
  return host.replace(/[^A-Za-z0-9.-]/g, '_');
}

/** The hosts.toml keys of a TLS setting, its PEM files added to `files`. */
function tlsEntries(tls: RegistryTls | undefined, stem: string, files: HostsFile[]): Record<string, TomlValue | undefined> {
  if (!tls) return {};
  const entries: Record<string, TomlValue | undefined> = {};
  if (tls.ca) {
    files.push({ name: `${stem}.ca.crt`, content: tls.ca, mode: 0o644 });
    entries.ca = `${stem}.ca.crt`;
  }
  if (tls.cert && tls.key) {
    files.push({ name: `${stem}.client.cert`, content: tls.cert, mode: 0o644 }, { name: `${stem}.client.key`, content: tls.key, mode: 0o600 });
    entries.client = [[`${stem}.client.cert`, `${stem}.client.key`]];
  }
  if (tls.insecureSkipVerify) entries.skip_verify = true;
  return entries;
}

/** The hosts.toml of one registry: its mirrors in order, then (implicitly, last) the registry itself. */
function hostsDirectory(config: RegistriesConfig, registry: string, endpoints: string[]): HostsDirectory {
  const files: HostsFile[] = [];
  const tables: TomlTable[] = [];
  const ownTls = registry === '*' ? undefined : config.tls[registry];
  // Without `server` containerd fills in its default for the registry asked for: what "*" needs, and
  // a loopback registry without TLS settings keeps containerd's plain-http rule for localhost.
  const server = registry === '*' || (isLoopback(registry) && !ownTls) ? undefined : serverOf(registry);
  tables.push({ path: [], entries: { server, ...tlsEntries(ownTls, 'registry', files) } });
  const seen = new Set<string>();
  for (const endpoint of endpoints) {
    const url = withScheme(endpoint).replace(/\/+$/, '');
    if (url === server || seen.has(url)) continue;
    seen.add(url);
    const host = new URL(url).host;
    tables.push({ path: ['host', url], entries: { capabilities: ['pull', 'resolve'], ...tlsEntries(config.tls[host], fileStem(host), files) } });
  }
  files.unshift({ name: 'hosts.toml', content: renderToml(tables), mode: 0o644 });
  return { name: registry === '*' ? '_default' : registry, files };
}

function authOf(raw: RegistriesConfig['configs'][string]['auth'], host: string, warnings: string[]): RegistryAuth | undefined {
  if (!raw) return undefined;
  const auth: RegistryAuth = {};
  if (raw.username !== undefined) auth.username = String(raw.username);
  if (raw.password !== undefined) auth.password = String(raw.password);
  if (raw.auth !== undefined) auth.auth = String(raw.auth);
  if (raw.identitytoken !== undefined) auth.identitytoken = String(raw.identitytoken);
  if (raw.token !== undefined) warnings.push(`configs.${host}.auth.token: containerd 1.6 takes no registry token in its configuration; it is not used (use username and password, or identitytoken)`);
  return Object.keys(auth).length > 0 ? auth : undefined;
}

export function renderContainerdRegistries(config: RegistriesConfig): ContainerdRegistries {
  const warnings: string[] = [];
  const hosts: HostsDirectory[] = [];
  const named = (registry: string, where: string): boolean => {
    if (registry === '*' || REGISTRY_NAME.test(registry)) return true;
    warnings.push(`${where}.${registry}: not a registry host name; left out of containerd's configuration`);
    return false;
  };
  for (const [registry, mirror] of Object.entries(config.mirrors)) {
    if (!named(registry, 'mirrors')) continue;
    if (mirror?.rewrite && Object.keys(mirror.rewrite).length > 0) {
      warnings.push(`mirrors.${registry}.rewrite: containerd 1.6's hosts.toml has no repository rewrites; its mirrors are asked for the repository unchanged`);
    }
    hosts.push(hostsDirectory(config, registry, mirror?.endpoint ?? []));
  }
  // A registry with TLS settings and no mirrors still needs its directory, for the registry itself.
  for (const host of Object.keys(config.tls)) {
    if (host in config.mirrors || host === '*' || !named(host, 'configs')) continue;
    hosts.push(hostsDirectory(config, host, []));
  }
  const auths: Record<string, RegistryAuth> = {};
  for (const [host, hostConfig] of Object.entries(config.configs)) {
    const auth = authOf(hostConfig?.auth, host, warnings);
    if (!auth || !named(host, 'configs')) continue;
    auths[host] = auth;
    // containerd asks for the credentials of the host it talks to: Docker Hub's is registry-1.docker.io.
    if (host === 'docker.io' && !('registry-1.docker.io' in config.configs)) auths['registry-1.docker.io'] = auth;
  }
  return { hosts, auths, warnings };
}

/** Replaces the hosts directory's content with these directories (a registry dropped from registries.yaml goes too). */
export function writeHostsDirectories(certsDir: string, hosts: HostsDirectory[]): void {
  rmSync(certsDir, { recursive: true, force: true });
  mkdirSync(certsDir, { recursive: true, mode: 0o700 });
  for (const directory of hosts) {
    const dir = join(certsDir, directory.name);
    mkdirSync(dir, { mode: 0o700 });
    for (const file of directory.files) writeFileAtomic(join(dir, file.name), file.content, file.mode);
  }
}
