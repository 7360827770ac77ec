/**
 * Registry credentials from a pod's `imagePullSecrets`, as the kubelet
 * reads them: Secrets of type `kubernetes.io/dockerconfigjson`
 * (`{"auths": {"registry": {...}}}`) or `kubernetes.io/dockercfg` (the old
 * format, the same map without `auths`). A key names a registry loosely —
 * `https://index.docker.io/v1/`, `registry.example.com:5000`,
 * `registry.example.com/team` — and matches an image whose registry (and
 * repository, for a key with a path) it names.
 */
import type { RegistryCredentials } from './images/types.js';
import type { ImageReference } from './images/reference.js';

interface DockerAuth {
  username?: string;
  password?: string;
  auth?: string;
  identitytoken?: string;
  registrytoken?: string;
}

export interface PullSecret {
  type?: string;
  data?: Record<string, string>;
}

/** The registry entries of a pull secret (empty for a secret of another type, or one that does not parse). */
export function dockerConfigEntries(secret: PullSecret): Record<string, DockerAuth> {
  const decode = (key: string) => (secret.data?.[key] ? Buffer.from(secret.data[key], 'base64').toString('utf8') : undefined);
  try {
    if (secret.type === 'kubernetes.io/dockerconfigjson') return (JSON.parse(decode('.dockerconfigjson') ?? '{}') as { auths?: Record<string, DockerAuth> }).auths ?? {};
    if (secret.type === 'kubernetes.io/dockercfg') return JSON.parse(decode('.dockercfg') ?? '{}') as Record<string, DockerAuth>;
  } catch {
    /* a broken secret gives no credentials, as upstream's keyring skips it */
  }
  return {};
}

/** `https://index.docker.io/v1/` → `{ registry: 'docker.io', path: '' }`. */
function parseKey(key: string): { registry: string; path: string } {
  const bare = key.replace(/^[a-z]+:\/\//i, '');
  const slash = bare.indexOf('/');
  let registry = (slash < 0 ? bare : bare.slice(0, slash)).toLowerCase();
  const path = slash < 0 ? '' : bare.slice(slash + 1).replace(/\/+$/, '');
  if (registry === 'index.docker.io' || registry === 'registry-1.docker.io') registry = 'docker.io';
  // Docker Hub's key carries the API version as its path: it names the whole registry.
  return { registry, path: registry === 'docker.io' && /^v\d+$/.test(path) ? '' : path };
}

function matches(key: string, ref: ImageReference): boolean {
  const { registry, path } = parseKey(key);
  // `*.example.com` covers one level of subdomain, as the kubelet's globs do.
  const registryMatches = registry.startsWith('*.') ? ref.registry.endsWith(registry.slice(1)) && ref.registry.split('.').length === registry.split('.').length : registry === ref.registry;
  return registryMatches && (!path || ref.repository === path || ref.repository.startsWith(`${path}/`));
}

/** The credentials of these secrets for an image, most specific key first (as the kubelet orders them). */
export function credentialsFor(secrets: PullSecret[], ref: ImageReference): RegistryCredentials[] {
  const found: { specificity: number; credentials: RegistryCredentials }[] = [];
  for (const secret of secrets) {
    for (const [key, auth] of Object.entries(dockerConfigEntries(secret))) {
      if (!matches(key, ref)) continue;
      const credentials: RegistryCredentials = {};
      if (auth.auth) {
        const [username, ...rest] = Buffer.from(auth.auth, 'base64').toString('utf8').split(':');
        Object.assign(credentials, { username, password: rest.join(':') });
      }
      if (auth.username) credentials.username = auth.username;
      if (auth.password) credentials.password = auth.password;
      if (auth.identitytoken) credentials.identityToken = auth.identitytoken;
      if (auth.registrytoken) credentials.registryToken = auth.registrytoken;
      found.push({ specificity: key.length, credentials });
    }
  }
  return found.sort((a, b) => b.specificity - a.specificity).map((f) => f.credentials);
}
