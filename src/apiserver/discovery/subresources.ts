/**
 * What each subresource looks like from the outside: the kind it answers with
 * and the verbs it accepts. `ResourceType.subresources` only names them; the
 * shapes below are upstream's (v1.32), so discovery and OpenAPI agree on them.
 */
import type { ResourceType, Verb } from '../../api/resource.js';

/** One subresource as discovery and OpenAPI describe it. */
export interface SubresourceInfo {
  /** `status`, `scale`, `log`, … */
  name: string;
  /** The kind of the request and response bodies (for connect subresources: the options kind). */
  group: string;
  version: string;
  kind: string;
  /** Discovery verbs, sorted. */
  verbs: Verb[];
  /** True when the kind lives in another group/version than the parent (reported in APIResource.group/version). */
  foreignKind: boolean;
  /** Connect-style subresources (exec, attach, proxy, …) stream instead of exchanging objects. */
  connect?: { methods: string[]; withPath: boolean };
}

const READ_WRITE: Verb[] = ['get', 'patch', 'update'];
const CONNECT_VERBS: Verb[] = ['create', 'get'];
const PROXY_VERBS: Verb[] = ['create', 'delete', 'get', 'patch', 'update'];
const PROXY_METHODS = ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT'];

type Shape = Omit<SubresourceInfo, 'name' | 'foreignKind' | 'group' | 'version' | 'kind'> & {
  /** Omitted: the parent's group, version and kind. */
  gvk?: { group: string; version: string; kind: string | ((parentKind: string) => string) };
};

/** Upstream's subresources by name. Anything unknown is treated like `status` (the parent kind, read/write). */
const SHAPES: Record<string, Shape> = {
  status: { verbs: READ_WRITE },
  scale: { verbs: READ_WRITE, gvk: { group: 'autoscaling', version: 'v1', kind: 'Scale' } },
  ephemeralcontainers: { verbs: READ_WRITE },
  resize: { verbs: READ_WRITE },
  approval: { verbs: READ_WRITE },
  finalize: { verbs: ['update'] },
  binding: { verbs: ['create'], gvk: { group: '', version: 'v1', kind: 'Binding' } },
  eviction: { verbs: ['create'], gvk: { group: 'policy', version: 'v1', kind: 'Eviction' } },
  token: { verbs: ['create'], gvk: { group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest' } },
  log: { verbs: ['get'] },
  exec: { verbs: CONNECT_VERBS, gvk: { group: '', version: 'v1', kind: 'PodExecOptions' }, connect: { methods: ['GET', 'POST'], withPath: false } },
  attach: { verbs: CONNECT_VERBS, gvk: { group: '', version: 'v1', kind: 'PodAttachOptions' }, connect: { methods: ['GET', 'POST'], withPath: false } },
  portforward: {
    verbs: CONNECT_VERBS,
    gvk: { group: '', version: 'v1', kind: 'PodPortForwardOptions' },
    connect: { methods: ['GET', 'POST'], withPath: false },
  },
  proxy: {
    verbs: PROXY_VERBS,
    gvk: { group: '', version: 'v1', kind: (parent) => `${parent}ProxyOptions` },
    connect: { methods: PROXY_METHODS, withPath: true },
  },
};

/** The subresources of a type, sorted by name as upstream's discovery lists them. */
export function subresourcesOf(type: ResourceType): SubresourceInfo[] {
  const names = new Set<string>();
  if (type.subresources?.status) names.add('status');
  if (type.subresources?.scale) names.add('scale');
  for (const name of type.subresources?.others ?? []) names.add(name);
  return [...names].sort().map((name) => describeSubresource(type, name));
}

export function describeSubresource(type: ResourceType, name: string): SubresourceInfo {
  const shape = SHAPES[name] ?? { verbs: READ_WRITE };
  const group = shape.gvk?.group ?? type.group;
  const version = shape.gvk?.version ?? type.version;
  const rawKind = shape.gvk?.kind ?? type.kind;
  const kind = typeof rawKind === 'function' ? rawKind(type.kind) : rawKind;
  const info: SubresourceInfo = {
    name,
    group,
    version,
    kind,
    verbs: [...shape.verbs],
    foreignKind: group !== type.group || version !== type.version,
  };
  if (shape.connect) info.connect = { methods: [...shape.connect.methods], withPath: shape.connect.withPath };
  return info;
}

/** The discovery verbs of the main resource, sorted (upstream sorts them). */
export function verbsOf(type: ResourceType): Verb[] {
  return [...(type.verbs ?? ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'])].sort();
}
