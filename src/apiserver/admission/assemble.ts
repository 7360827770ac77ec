/**
 * Builds the admission chain from the selected plugin names: each plugin
 * gets the lookups it needs from the apiserver (objects read through the
 * watch caches), in upstream's order. What the server passes in is all the
 * plugins may read.
 */
import type { KubeObject } from '../../machinery/object.js';
import { AdmissionChain, type AdmissionAttributes, type AdmissionPlugin } from './chain.js';
import type { AdmissionPluginName } from './plugins.js';
import { namespaceLifecycle } from './namespace-lifecycle.js';
import { serviceAccountPlugin } from './service-account.js';
import { nodeRestriction } from './node-restriction.js';
import { priorityPlugin } from './priority.js';
import { defaultTolerationSecondsPlugin } from './default-toleration-seconds.js';
import { defaultStorageClassPlugin } from './default-storage-class.js';
import { rbacEscalationPrevention, type EscalationChecks } from './rbac-escalation.js';
import { errors } from '../../machinery/status.js';
import { limitRangerPlugin } from './limit-ranger.js';
import type { AuthorizeFunction } from '../../api/admissionregistration/cel/authorizer-library.js';
import type { ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding } from '../../api/admissionregistration/policies.js';
import { labelSelectorMatches } from '../../machinery/labels.js';
import type { admissionWebhooks } from './webhooks/index.js';
import type { WebhookConfiguration } from '../../api/admissionregistration/index.js';
import type { ServiceResolver } from '../conversion-webhook.js';
import type { ResourceType } from '../../api/resource.js';
import { storageObjectInUseProtectionPlugin } from './storage-object-in-use-protection.js';
import { runtimeClassPlugin } from './runtime-class.js';
import { resourceQuotaPlugin } from './resource-quota.js';
import type { PodSecurityDefaults, PodSecurityExemptions } from './pod-security/index.js';

/** Reads of one resource's current objects, consistent with storage. */
export interface ObjectReader {
  get(namespace: string | undefined, name: string): Promise<KubeObject | undefined>;
  list(): Promise<KubeObject[]>;
}

export interface AdmissionDependencies {
  /** Objects of a resource (group, version, resource), read from the watch caches. */
  objects(group: string, version: string, resource: string): ObjectReader;
  /** The same objects synchronously, as the cache holds them now (shared: never changed by plugins). */
  cached(group: string, version: string, resource: string): () => readonly KubeObject[];
  /** Where a Service reference reaches (webhooks): its ClusterIP and port. */
  resolveService: ServiceResolver;
  /** Every served kind (webhooks' matchPolicy Equivalent). */
  resourceTypes(): readonly ResourceType[];
  /** Plugins that hold connections register their shutdown here. */
  onClose(close: () => void): void;
  /** Objects of any served type (ValidatingAdmissionPolicy params), from the watch caches. */
  objectsOfType(type: ResourceType, namespace: string | undefined): Promise<KubeObject[]>;
  /** The apiserver's authorizers (the CEL `authorizer` library). */
  authorize: AuthorizeFunction;
  /** Writes a ResourceQuota's status.used if the quota is still at the resourceVersion read (ResourceQuota admission). */
  updateQuotaStatus(quota: KubeObject, used: Record<string, string>): Promise<'ok' | 'conflict'>;
  /** RBAC's view, for escalation prevention (always on, as upstream's RBAC storage). */
  escalation: EscalationChecks;
  /** PodSecurity's cluster defaults (--pod-security) and exemptions. */
  podSecurity?: { defaults?: PodSecurityDefaults; exemptions?: PodSecurityExemptions };
}

type Factory = (deps: AdmissionDependencies) => AdmissionPlugin;

/**
 * A plugin whose code loads on the first request that needs it: CEL policies,
 * webhooks and Pod Security are large, and a start should not pay for them
 * (most clusters have no policy or webhook at all).
 */
function lazyPlugin(name: string, needed: (a: AdmissionAttributes) => boolean, load: () => Promise<AdmissionPlugin>): AdmissionPlugin {
  let loading: Promise<AdmissionPlugin> | undefined;
  const plugin = () => (loading ??= load());
  return {
    name,
    async admit(a) {
      if (needed(a)) await (await plugin()).admit?.(a);
    },
    async validate(a) {
      if (needed(a)) await (await plugin()).validate?.(a);
    },
  };
}

/** Pod Security judges pods, their templates and namespaces' labels. */
const podSecurityResources = new Set(['pods', 'namespaces', 'deployments', 'replicasets', 'statefulsets', 'daemonsets', 'jobs', 'cronjobs', 'replicationcontrollers', 'podtemplates']);

/** Both webhook plugins share one set of compiled configurations and connections. */
const webhooks = new WeakMap<AdmissionDependencies, Promise<ReturnType<typeof admissionWebhooks>>>();
function webhooksOf(deps: AdmissionDependencies): Promise<ReturnType<typeof admissionWebhooks>> {
  let made = webhooks.get(deps);
  if (!made) {
    made = import('./webhooks/index.js').then(({ admissionWebhooks }) => {
      const plugins = admissionWebhooks({
        mutatingConfigurations: deps.cached('admissionregistration.k8s.io', 'v1', 'mutatingwebhookconfigurations') as () => readonly WebhookConfiguration[],
        validatingConfigurations: deps.cached('admissionregistration.k8s.io', 'v1', 'validatingwebhookconfigurations') as () => readonly WebhookConfiguration[],
        getNamespace: (name) => deps.objects('', 'v1', 'namespaces').get(undefined, name),
        resolveService: deps.resolveService,
        resourceTypes: deps.resourceTypes,
      });
      deps.onClose(plugins.close);
      return plugins;
    });
    webhooks.set(deps, made);
  }
  return made;
}

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
  PodSecurity: (deps) =>
    lazyPlugin('PodSecurity', (a) => podSecurityResources.has(a.type.resource), async () => {
      const { podSecurity } = await import('./pod-security/index.js');
      const namespaces = deps.objects('', 'v1', 'namespaces');
      const pods = deps.objects('', 'v1', 'pods');
      return podSecurity({
        ...deps.podSecurity,
        getNamespace: (name) => namespaces.get(undefined, name),
        listPods: async (namespace) => (await pods.list()).filter((pod) => pod.metadata.namespace === namespace),
      });
    }),
  Priority: (deps) => {
    const classes = deps.objects('scheduling.k8s.io', 'v1', 'priorityclasses');
    return priorityPlugin({ get: (name) => classes.get(undefined, name), list: () => classes.list() });
  },
  LimitRanger: (deps) => {
    // From the watch cache as it is, as upstream's lister: no read of storage on every create.
    const ranges = deps.cached('', 'v1', 'limitranges');
    return limitRangerPlugin({ listLimitRanges: (namespace) => ranges().filter((range) => range.metadata.namespace === namespace).map((range) => structuredClone(range)) });
  },
  DefaultTolerationSeconds: () => defaultTolerationSecondsPlugin(),
  StorageObjectInUseProtection: () => storageObjectInUseProtectionPlugin(),
  RuntimeClass: (deps) => {
    const classes = deps.objects('node.k8s.io', 'v1', 'runtimeclasses');
    return runtimeClassPlugin({ getRuntimeClass: (name) => classes.get(undefined, name) });
  },
  MutatingAdmissionWebhook: (deps) => {
    const configurations = deps.cached('admissionregistration.k8s.io', 'v1', 'mutatingwebhookconfigurations');
    return lazyPlugin('MutatingAdmissionWebhook', () => configurations().length > 0, async () => (await webhooksOf(deps)).mutating);
  },
  ValidatingAdmissionPolicy: (deps) => {
    const bindings = deps.cached('admissionregistration.k8s.io', 'v1', 'validatingadmissionpolicybindings');
    return lazyPlugin('ValidatingAdmissionPolicy', () => bindings().length > 0, async () => (await import('./validating-policy/index.js')).validatingAdmissionPolicy({
      policies: deps.cached('admissionregistration.k8s.io', 'v1', 'validatingadmissionpolicies') as () => readonly ValidatingAdmissionPolicy[],
      bindings: deps.cached('admissionregistration.k8s.io', 'v1', 'validatingadmissionpolicybindings') as () => readonly ValidatingAdmissionPolicyBinding[],
      resourceTypes: deps.resourceTypes,
      getNamespace: (name) => deps.objects('', 'v1', 'namespaces').get(undefined, name),
      params: async (type, namespace, name, selector) => {
        const candidates = await deps.objectsOfType(type, namespace);
        return candidates.filter((object) => (name ? object.metadata.name === name : labelSelectorMatches(selector, object.metadata.labels)));
      },
      authorize: deps.authorize,
    }));
  },
  ValidatingAdmissionWebhook: (deps) => {
    const configurations = deps.cached('admissionregistration.k8s.io', 'v1', 'validatingwebhookconfigurations');
    return lazyPlugin('ValidatingAdmissionWebhook', () => configurations().length > 0, async () => (await webhooksOf(deps)).validating);
  },
  ResourceQuota: (deps) => {
    const quotas = deps.objects('', 'v1', 'resourcequotas');
    // Which quotas a namespace has: the watch cache as it is (upstream's lister); a quota's own usage is read
    // consistently (getQuota) when its compare-and-swap must be retried.
    const cachedQuotas = deps.cached('', 'v1', 'resourcequotas');
    return resourceQuotaPlugin({
      listQuotas: (namespace) => cachedQuotas().filter((quota) => quota.metadata.namespace === namespace).map((quota) => structuredClone(quota)),
      getQuota: (namespace, name) => quotas.get(namespace, name),
      updateQuotaStatus: (quota, used) => deps.updateQuotaStatus(quota, used),
    });
  },
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
