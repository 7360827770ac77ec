/**
 * Builds the admission chain from the selected plugin names: each plugin
 * gets the lookups it needs from the apiserver (objects read through the
 * watch caches), in upstream's order. What the server passes in is all the
 * plugins may read.
 */
import type { KubeObject } from '../../machinery/object.js';
import { AdmissionChain, type AdmissionPlugin } from './chain.js';
import type { AdmissionPluginName } from './plugins.js';
import { namespaceLifecycle } from './namespace-lifecycle.js';
import { serviceAccountPlugin } from './service-account.js';
import { nodeRestriction } from './node-restriction.js';
import { priorityPlugin } from './priority.js';
import { defaultTolerationSecondsPlugin } from './default-toleration-seconds.js';
import { defaultStorageClassPlugin } from './default-storage-class.js';
import { rbacEscalationPrevention, type EscalationChecks } from './rbac-escalation.js';
import { errors } from '../../machinery/status.js';
import { podSecurity, type PodSecurityDefaults, type PodSecurityExemptions } from './pod-security/index.js';

/** Reads of one resource's current objects, consistent with storage. */
export interface ObjectReader {
  get(namespace: string | undefined, name: string): Promise<KubeObject | undefined>;
  list(): Promise<KubeObject[]>;
}

export interface AdmissionDependencies {
  /** Objects of a resource (group, version, resource), read from the watch caches. */
  objects(group: string, version: string, resource: string): ObjectReader;
  /** RBAC's view, for escalation prevention (always on, as upstream's RBAC storage). */
  escalation: EscalationChecks;
  /** PodSecurity's cluster defaults (--pod-security) and exemptions. */
  podSecurity?: { defaults?: PodSecurityDefaults; exemptions?: PodSecurityExemptions };
}

type Factory = (deps: AdmissionDependencies) => AdmissionPlugin;

const alwaysDeny: AdmissionPlugin = {
  name: 'AlwaysDeny',
  validate(a) {
    throw errors.forbidden(a.type.group, a.type.resource, a.name ?? a.object?.metadata.name ?? '', 'admission control is denying all modifications');
  },
};

const factories: Partial<Record<AdmissionPluginName, Factory>> = {
  AlwaysAdmit: () => ({ name: 'AlwaysAdmit' }),
  NamespaceLifecycle: (deps) => {
    const namespaces = deps.objects('', 'v1', 'namespaces');
    return namespaceLifecycle((name) => namespaces.get(undefined, name));
  },
  ServiceAccount: (deps) => serviceAccountPlugin(deps.objects('', 'v1', 'serviceaccounts')),
  NodeRestriction: (deps) => {
    const pods = deps.objects('', 'v1', 'pods');
    const nodes = deps.objects('', 'v1', 'nodes');
    return nodeRestriction({ getPod: (namespace, name) => pods.get(namespace, name), getNode: (name) => nodes.get(undefined, name) });
  },
  PodSecurity: (deps) => {
    const namespaces = deps.objects('', 'v1', 'namespaces');
    const pods = deps.objects('', 'v1', 'pods');
    return podSecurity({
      ...deps.podSecurity,
      getNamespace: (name) => namespaces.get(undefined, name),
      listPods: async (namespace) => (await pods.list()).filter((pod) => pod.metadata.namespace === namespace),
    });
  },
  Priority: (deps) => {
    const classes = deps.objects('scheduling.k8s.io', 'v1', 'priorityclasses');
    return priorityPlugin({ get: (name) => classes.get(undefined, name), list: () => classes.list() });
  },
  DefaultTolerationSeconds: () => defaultTolerationSecondsPlugin(),
  DefaultStorageClass: (deps) => defaultStorageClassPlugin(deps.objects('storage.k8s.io', 'v1', 'storageclasses')),
  AlwaysDeny: () => alwaysDeny,
};

/** The chain of the selected plugins (those skiff has), RBAC's escalation prevention first, then any extra plugins. */
export function assembleAdmission(selected: AdmissionPluginName[], deps: AdmissionDependencies, extra: AdmissionPlugin[] = []): AdmissionChain {
  const plugins = selected.flatMap((name) => {
    const factory = factories[name];
    return factory ? [factory(deps)] : [];
  });
  return new AdmissionChain([rbacEscalationPrevention(deps.escalation), ...plugins, ...extra]);
}
