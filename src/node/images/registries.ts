/**
 * The node's registry configuration, in k3s's `registries.yaml` format so a
 * file written for k3s works here:
 *
 *   mirrors:
 *     docker.io:                        # or "*": every registry without its own entry
 *       endpoint: ["https://mirror.example.com:5000", "http://10.0.0.5:5000"]
 *       rewrite: { "^library/(.*)": "dockerhub/$1" }
 *   configs:
 *     mirror.example.com:5000:          # an endpoint's host (or a registry's name)
 *       auth: { username: u, password: p }   # or token, auth (base64 user:pass), identitytoken
 *
 * A registry's content is fetched from its mirrors in order, then from the
 * registry itself (as k3s and containerd do). An endpoint without a scheme
 * is https.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { defaultEndpoint, type RegistryEndpoint } from './registry-client.js';
import type { RegistryCredentials } from './types.js';

interface MirrorConfig {
  endpoint?: string[];
  rewrite?: Record<string, string>;
}

interface HostConfig {
  auth?: { username?: string; password?: string; auth?: string; token?: string; identitytoken?: string };
  tls?: { ca_file?: string; cert_file?: string; key_file?: string; insecure_skip_verify?: boolean };
}

export interface RegistriesConfig {
  mirrors: Record<string, MirrorConfig>;
  configs: Record<string, HostConfig>;
}

export class RegistriesConfigError extends Error {}

/** Reads and checks a registries.yaml (a missing file is an empty configuration, unless `required`). */
export function loadRegistries(path: string | undefined, required = false): RegistriesConfig {
  if (!path) return { mirrors: {}, configs: {} };
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !required) return { mirrors: {}, configs: {} };
    throw new RegistriesConfigError(`${path}: ${(err as Error).message}`);
  }
  return parseRegistries(text, path);
}

export function parseRegistries(text: string, where = 'registries.yaml'): RegistriesConfig {
  let raw: unknown;
  try {
    raw = parse(text) ?? {};
  } catch (err) {
    throw new RegistriesConfigError(`${where}: ${(err as Error).message}`);
  }
  const fail = (what: string): never => {
    throw new RegistriesConfigError(`${where}: ${what}`);
  };
  if (typeof raw !== 'object' || Array.isArray(raw)) fail('expected a mapping with mirrors and configs');
  const { mirrors = {}, configs = {} } = raw as { mirrors?: unknown; configs?: unknown };
  if (typeof mirrors !== 'object' || Array.isArray(mirrors) || mirrors === null) fail('mirrors: expected a mapping of registry names');
  if (typeof configs !== 'object' || Array.isArray(configs) || configs === null) fail('configs: expected a mapping of registry hosts');
  for (const [name, mirror] of Object.entries(mirrors as Record<string, MirrorConfig>)) {
    if (mirror.endpoint !== undefined && (!Array.isArray(mirror.endpoint) || !mirror.endpoint.every((e) => typeof e === 'string'))) fail(`mirrors.${name}.endpoint: expected a list of URLs`);
    for (const endpoint of mirror.endpoint ?? []) {
      try {
        new URL(withScheme(endpoint));
      } catch {
        fail(`mirrors.${name}.endpoint: ${JSON.stringify(endpoint)} is not a URL`);
      }
    }
    for (const pattern of Object.keys(mirror.rewrite ?? {})) {
      try {
        new RegExp(pattern);
      } catch {
        fail(`mirrors.${name}.rewrite: ${JSON.stringify(pattern)} is not a regular expression`);
      }
    }
  }
  return { mirrors: mirrors as Record<string, MirrorConfig>, configs: configs as Record<string, HostConfig> };
}

/** Where a registry's images are fetched from, in order: its mirrors (or the "*" ones), then itself. */
export function registryEndpoints(config: RegistriesConfig, registry: string): RegistryEndpoint[] {
  const mirror = config.mirrors[registry] ?? config.mirrors['*'];
  const endpoints: RegistryEndpoint[] = (mirror?.endpoint ?? []).map((url) => {
    const full = withScheme(url).replace(/\/+$/, '');
    const host = new URL(full).host;
    return { url: full, ...rewriter(mirror?.rewrite), ...credentialsFor(config, host) };
  });
  const own = defaultEndpoint(registry);
  if (!endpoints.some((e) => e.url === own.url)) endpoints.push({ ...own, ...credentialsFor(config, registry) });
  // A registry on this machine may speak plain HTTP: tried after https, as containerd does for localhost.
  const plain = own.url.replace(/^https:/, 'http:');
  if (isLoopback(registry) && !endpoints.some((e) => e.url === plain)) endpoints.push({ url: plain, ...credentialsFor(config, registry) });
  return endpoints;
}

function isLoopback(registry: string): boolean {
  const host = registry.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function withScheme(url: string): string {
  return /^[a-z]+:\/\//i.test(url) ? url : `https://${url}`;
}

function rewriter(rules: Record<string, string> | undefined): Pick<RegistryEndpoint, 'rewrite'> {
  if (!rules || Object.keys(rules).length === 0) return {};
  const compiled = Object.entries(rules).map(([pattern, replacement]) => [new RegExp(pattern), replacement] as const);
  return {
    // The first rule that matches rewrites the repository (k3s applies one).
    rewrite: (repository) => {
      for (const [pattern, replacement] of compiled) if (pattern.test(repository)) return repository.replace(pattern, replacement);
      return repository;
    },
  };
}

function credentialsFor(config: RegistriesConfig, host: string): Pick<RegistryEndpoint, 'credentials'> {
  const auth = config.configs[host]?.auth;
  if (!auth) return {};
  const credentials: RegistryCredentials = {};
  if (auth.auth) {
    const [username, ...rest] = Buffer.from(auth.auth, 'base64').toString('utf8').split(':');
    Object.assign(credentials, { username, password: rest.join(':') });
  }
  if (auth.username !== undefined) credentials.username = auth.username;
  if (auth.password !== undefined) credentials.password = auth.password;
  if (auth.token) credentials.registryToken = auth.token;
  if (auth.identitytoken) credentials.identityToken = auth.identitytoken;
  return { credentials };
}
