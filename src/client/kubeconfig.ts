/**
 * Reading and writing kubeconfig files, the format kubectl and every client
 * library use to find a cluster and the credentials for it.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse, stringify } from 'yaml';

export interface KubeconfigEntry {
  server: string;
  caPem?: string;
  certPem?: string;
  keyPem?: string;
  token?: string;
  cluster?: string;
  user?: string;
  context?: string;
  namespace?: string;
}

/** What a client needs to reach a cluster, as one context of a kubeconfig describes it. */
export interface KubeconfigCredentials {
  server: string;
  caPem?: string;
  certPem?: string;
  keyPem?: string;
  token?: string;
  insecureSkipTlsVerify?: boolean;
  namespace?: string;
}

const base64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

/**
 * Writes a kubeconfig with one cluster, user and context, the credentials
 * embedded as base64 data. It holds a private key, so mode 0600; written to a
 * temporary file and renamed so a reader (kubectl, a test) never sees half of it.
 */
export function writeKubeconfig(path: string, entry: KubeconfigEntry): void {
  const cluster = entry.cluster ?? 'skiff';
  const user = entry.user ?? 'skiff-admin';
  const context = entry.context ?? 'skiff';
  const userFields: Record<string, string> = {};
  if (entry.certPem) userFields['client-certificate-data'] = base64(entry.certPem);
  if (entry.keyPem) userFields['client-key-data'] = base64(entry.keyPem);
  if (entry.token) userFields.token = entry.token;
  const clusterFields: Record<string, string> = { server: entry.server };
  if (entry.caPem) clusterFields['certificate-authority-data'] = base64(entry.caPem);
  const contextFields: Record<string, string> = { cluster, user };
  if (entry.namespace) contextFields.namespace = entry.namespace;
  const document = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: cluster, cluster: clusterFields }],
    contexts: [{ name: context, context: contextFields }],
    'current-context': context,
    preferences: {},
    users: [{ name: user, user: userFields }],
  };
  // lineWidth 0: base64 data on one line, as kubectl writes it.
  writeAtomic(path, stringify(document, { lineWidth: 0 }), 0o600);
}

function writeAtomic(path: string, text: string, mode: number): void {
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = openSync(temporary, 'wx', mode);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(temporary, { force: true });
    throw err;
  }
  closeSync(fd);
  renameSync(temporary, path);
}

type Named = { name?: unknown; [key: string]: unknown };

function findNamed(list: unknown, name: string, field: string): Record<string, unknown> | undefined {
  if (!Array.isArray(list)) return undefined;
  const found = (list as Named[]).find((item) => item && item.name === name);
  const value = found?.[field];
  return value && typeof value === 'object' ? (value as Record<string, unknown>) : found ? {} : undefined;
}

function stringField(object: Record<string, unknown>, key: string): string | undefined {
  const value = object[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * Reads `<key>-data` (base64) or else `<key>` (a file path, relative to the
 * kubeconfig's directory as kubectl resolves it).
 */
function dataOrFile(object: Record<string, unknown>, key: string, baseDir: string): string | undefined {
  const data = stringField(object, `${key}-data`);
  if (data) return Buffer.from(data, 'base64').toString('utf8');
  const file = stringField(object, key);
  if (file) return readFileSync(isAbsolute(file) ? file : resolve(baseDir, file), 'utf8');
  return undefined;
}

/** The server and credentials of a kubeconfig's current context (or the named one). */
export function loadKubeconfig(path: string, contextName?: string): KubeconfigCredentials {
  const config = parse(readFileSync(path, 'utf8')) as Record<string, unknown> | null;
  if (!config || typeof config !== 'object') throw new Error(`kubeconfig ${path} is empty`);
  const name = contextName ?? stringField(config, 'current-context');
  if (!name) throw new Error(`kubeconfig ${path} has no current-context`);
  const context = findNamed(config.contexts, name, 'context');
  if (!context) throw new Error(`context "${name}" does not exist`);
  const clusterName = stringField(context, 'cluster');
  const cluster = clusterName ? findNamed(config.clusters, clusterName, 'cluster') : undefined;
  if (!cluster) throw new Error(`cluster "${clusterName ?? ''}" of context "${name}" does not exist`);
  const server = stringField(cluster, 'server');
  if (!server) throw new Error(`cluster "${clusterName}" has no server`);
  const userName = stringField(context, 'user');
  const user = (userName && findNamed(config.users, userName, 'user')) || {};
  const baseDir = dirname(resolve(path));

  const credentials: KubeconfigCredentials = { server };
  const caPem = dataOrFile(cluster, 'certificate-authority', baseDir);
  if (caPem) credentials.caPem = caPem;
  if (cluster['insecure-skip-tls-verify'] === true) credentials.insecureSkipTlsVerify = true;
  const certPem = dataOrFile(user, 'client-certificate', baseDir);
  if (certPem) credentials.certPem = certPem;
  const keyPem = dataOrFile(user, 'client-key', baseDir);
  if (keyPem) credentials.keyPem = keyPem;
  const tokenFile = stringField(user, 'tokenFile');
  const token = stringField(user, 'token') ?? (tokenFile ? readFileSync(resolve(baseDir, tokenFile), 'utf8').trim() : undefined);
  if (token) credentials.token = token;
  const namespace = stringField(context, 'namespace');
  if (namespace) credentials.namespace = namespace;
  return credentials;
}
