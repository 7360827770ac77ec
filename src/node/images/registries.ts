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
 *       tls: { ca_file: ca.pem, cert_file: client.pem, key_file: client-key.pem, insecure_skip_verify: false }
 *
 * A registry's content is fetched from its mirrors in order, then from the
 * registry itself (as k3s and containerd do). An endpoint without a scheme
 * is https. The TLS files are read and checked when the file is, so a bad
 * one is reported then, not at a pull.
 */
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { defaultEndpoint, type RegistryEndpoint, type RegistryTls } from './registry-client.js';
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
  /** Each host's `tls`, its files read. */
  tls: Record<string, RegistryTls>;
}

export class RegistriesConfigError extends Error {}

/** Reads and checks a registries.yaml (a missing file is an empty configuration, unless `required`). */
export function loadRegistries(path: string | undefined, required = false): RegistriesConfig {
  if (!path) return parseRegistries('');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !required) return parseRegistries('');
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
  const tls: Record<string, RegistryTls> = {};
  for (const [host, hostConfig] of Object.entries(configs as Record<string, HostConfig>)) {
    const read = hostConfig?.tls != null ? readTls(hostConfig.tls, (what) => fail(`configs.${host}.tls${what}`)) : undefined;
    if (read) tls[host] = read;
  }
  return { mirrors: mirrors as Record<string, MirrorConfig>, configs: configs as Record<string, HostConfig>, tls };
}

/** A host's `tls` with its files read and checked (undefined when it sets nothing). `fail` gets `.key: problem`. */
function readTls(raw: unknown, fail: (what: string) => never): RegistryTls | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail(': expected a mapping');
  const { ca_file: caFile, cert_file: certFile, key_file: keyFile, insecure_skip_verify: insecure } = raw as NonNullable<HostConfig['tls']>;
  for (const [key, value] of Object.entries({ ca_file: caFile, cert_file: certFile, key_file: keyFile })) {
    if (value !== undefined && (typeof value !== 'string' || value === '')) fail(`.${key}: expected a file name`);
  }
  if (insecure !== undefined && typeof insecure !== 'boolean') fail('.insecure_skip_verify: expected true or false');
  if (Boolean(certFile) !== Boolean(keyFile)) fail(certFile ? ': cert_file needs key_file' : ': key_file needs cert_file');
  const tls: RegistryTls = {};
  if (caFile) tls.ca = readCertificates(caFile, (what) => fail(`.ca_file: ${what}`));
  if (certFile && keyFile) {
    tls.cert = readCertificates(certFile, (what) => fail(`.cert_file: ${what}`));
    const key = readPrivateKey(keyFile, (what) => fail(`.key_file: ${what}`));
    // Node would refuse the pair only when connecting; say it now.
    if (!new X509Certificate(tls.cert).checkPrivateKey(key.object)) fail(`.key_file: ${keyFile} is not the key of cert_file ${certFile}`);
    tls.key = key.pem;
  }
  if (insecure) tls.insecureSkipVerify = true;
  return Object.keys(tls).length > 0 ? tls : undefined;
}

function readFile(file: string, fail: (what: string) => never): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    // Node's message names the file again at its end ("…, open '/x'"): once is enough.
    fail(`${file}: ${(err as Error).message.replace(/, \w+ '.*'$/, '')}`);
  }
}

/** A PEM file of one or more certificates, each of which must parse. */
function readCertificates(file: string, fail: (what: string) => never): string {
  const text = readFile(file, fail);
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) fail(`${file}: not a PEM certificate file (no BEGIN CERTIFICATE block)`);
  for (const [index, block] of blocks.entries()) {
    try {
      new X509Certificate(block);
    } catch (err) {
      fail(`${file}: certificate ${index + 1} does not parse: ${(err as Error).message}`);
    }
  }
  return text;
}

function readPrivateKey(file: string, fail: (what: string) => never): { pem: string; object: KeyObject } {
  const pem = readFile(file, fail);
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) fail(`${file}: not a PEM private key file (no BEGIN PRIVATE KEY block)`);
  try {
    return { pem, object: createPrivateKey(pem) };
  } catch (err) {
    fail(`${file}: the private key does not load (an encrypted key cannot be used): ${(err as Error).message}`);
  }
}

/** Where a registry's images are fetched from, in order: its mirrors (or the "*" ones), then itself. */
export function registryEndpoints(config: RegistriesConfig, registry: string): RegistryEndpoint[] {
  const mirror = config.mirrors[registry] ?? config.mirrors['*'];
  const endpoints: RegistryEndpoint[] = (mirror?.endpoint ?? []).map((url) => {
    const full = withScheme(url).replace(/\/+$/, '');
    const host = new URL(full).host;
    return { url: full, ...rewriter(mirror?.rewrite), ...hostSettings(config, host) };
  });
  const own = defaultEndpoint(registry);
  if (!endpoints.some((e) => e.url === own.url)) endpoints.push({ ...own, ...hostSettings(config, registry) });
  // A registry on this machine may speak plain HTTP: its https endpoint switches to http when an http
  // server answers there, as containerd does for localhost (so a TLS failure is reported as such).
  const plain = own.url.replace(/^https:/, 'http:');
  if (isLoopback(registry) && !endpoints.some((e) => e.url === plain)) {
    return endpoints.map((e) => (e.url === own.url ? { ...e, plainHttpFallback: true } : e));
  }
  return endpoints;
}

function hostSettings(config: RegistriesConfig, host: string): Pick<RegistryEndpoint, 'credentials' | 'tls'> {
  const tls = config.tls[host];
  return { ...credentialsFor(config, host), ...(tls ? { tls } : {}) };
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
