/**
 * Image references as upstream reads them (the distribution project's
 * grammar, which the kubelet and containerd use): `[registry/]path[:tag][@digest]`.
 * A name without a registry is on Docker Hub (`docker.io`), and a Hub name
 * of one component is under `library/`; a reference without tag or digest
 * means `:latest`. So `nginx` is `docker.io/library/nginx:latest`.
 */

export interface ImageReference {
  /** Where the repository lives: `docker.io`, `registry.example.com:5000`, `localhost`. */
  registry: string;
  /** The repository's path in the registry: `library/nginx`. */
  repository: string;
  tag?: string;
  /** `sha256:<64 hex>`: when given, the image is pulled by it (and the tag only names it). */
  digest?: string;
}

export class InvalidReferenceError extends Error {}

const dockerHub = 'docker.io';
// One path component: lowercase letters and digits, separated by '.', one or two '_', or '-'s.
const pathComponent = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const tagPattern = /^[\w][\w.-]{0,127}$/;
const digestPattern = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;
// A registry: a host name (labels of letters, digits and '-'), an IPv4 address or a bracketed IPv6 one, and an optional port.
const registryPattern = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:.]+\])(?::[0-9]+)?$/;
const maxNameLength = 255;

/** Parses and normalizes a reference; throws InvalidReferenceError with upstream's wording. */
export function parseReference(text: string): ImageReference {
  if (!text || text !== text.trim()) throw new InvalidReferenceError('invalid reference format');
  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!digestPattern.test(digest)) throw new InvalidReferenceError('invalid reference format');
    if (digest.startsWith('sha256:') && !/^sha256:[a-f0-9]{64}$/.test(digest)) throw new InvalidReferenceError('invalid checksum digest format');
  }
  let tag: string | undefined;
  // A ':' after the last '/' starts the tag (one before it belongs to a registry's port).
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!tagPattern.test(tag)) throw new InvalidReferenceError('invalid reference format');
  }
  const components = rest.split('/');
  let registry = dockerHub;
  const first = components[0];
  if (components.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase())) {
    registry = components.shift()!;
    if (!registryPattern.test(registry)) throw new InvalidReferenceError('invalid reference format');
  }
  if (components.length === 0 || components.some((c) => c === '')) throw new InvalidReferenceError('invalid reference format');
  let repository = components.join('/');
  if (repository !== repository.toLowerCase()) {
    const shown = registry === dockerHub && components.length === 1 ? `library/${repository}` : repository;
    throw new InvalidReferenceError(`invalid reference format: repository name (${shown}) must be lowercase`);
  }
  if (!components.every((c) => pathComponent.test(c))) throw new InvalidReferenceError('invalid reference format');
  if (registry === 'index.docker.io') registry = dockerHub;
  if (registry === dockerHub && components.length === 1) repository = `library/${repository}`;
  if (`${registry}/${repository}`.length > maxNameLength) throw new InvalidReferenceError(`repository name must not be more than ${maxNameLength} characters`);
  if (!tag && !digest) tag = 'latest';
  return { registry, repository, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) };
}

/** `registry/repository` — the name images are kept under. */
export function repositoryName(ref: ImageReference): string {
  return `${ref.registry}/${ref.repository}`;
}

/** The full normalized reference: `docker.io/library/nginx:latest`, `…@sha256:…`, or both. */
export function formatReference(ref: ImageReference): string {
  return `${repositoryName(ref)}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}

/** What the registry is asked for: the digest when there is one, else the tag. */
export function manifestReference(ref: ImageReference): string {
  return ref.digest ?? ref.tag ?? 'latest';
}

/**
 * Whether the reference names a tag that moves (`:latest`, or no tag at
 * all): upstream's default pull policy is Always for those, IfNotPresent
 * otherwise. A digest never moves.
 */
export function isLatest(text: string): boolean {
  try {
    const ref = parseReference(text);
    return ref.tag === 'latest';
  } catch {
    return false;
  }
}
