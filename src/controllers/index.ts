/**
 * The built-in controllers, and the controller manager that runs them: what
 * `skiff up` and `skiff server` start next to the apiserver.
 *
 * Each controller has the name kube-controller-manager gives it, so
 * `--controllers` selects them the upstream way: `*` for all, `-name` to
 * leave one out, or a list of names.
 */
import { ServiceAccountCredentials } from '../client/service-account-credentials.js';
import { Client, Manager, type ClientConfig, type ControllerContext, type ControllerSpec, type ManagerOptions, type Runnable } from '../client/index.js';
import { cronJobController } from './cronjob/controller.js';
import { daemonSetController } from './daemonset/controller.js';
import { deploymentController } from './deployment/controller.js';
import { disruptionController } from './disruption/controller.js';
import { endpointsController } from './endpoints/endpoints.js';
import { endpointSliceController } from './endpoints/endpointslice.js';
import { garbageCollector } from './gc/collector.js';
import { jobController } from './job/controller.js';
import { nodeLifecycleController } from './nodelifecycle/controller.js';
import { namespaceController } from './namespace/controller.js';
import { nodeIpamController, type NodeIpamOptions } from './nodeipam/controller.js';
import { replicaSetController } from './replicaset/controller.js';
import { statefulSetController } from './statefulset/controller.js';
import { resourceQuotaController } from './resourcequota/controller.js';
import { serviceAccountController } from './serviceaccount/controller.js';
import { rootCaCertPublisher } from './serviceaccount/root-ca-cert-publisher.js';
import { validatingAdmissionPolicyStatusController } from './validatingadmissionpolicystatus/controller.js';
import { pvcProtectionController, pvProtectionController } from './volumeprotection/controller.js';
import { ttlAfterFinishedController } from './ttl/controller.js';
import { csrApprovingController } from './csrapproving/controller.js';
import { csrSigningController, type ClusterSigner } from './csrsigning/controller.js';
import { customResourceDefinitionNamingController } from './customresourcedefinition/naming.js';
import { customResourceDefinitionFinalizer } from './customresourcedefinition/finalizer.js';
import { clusterRoleAggregationController } from './clusterroleaggregation/controller.js';
import { horizontalPodAutoscalerController, type HorizontalPodAutoscalerOptions } from './podautoscaler/controller.js';

export { CidrSet, clusterCIDRProblem, defaultClusterCIDR, defaultNodeCIDRMaskSize } from './nodeipam/cidr-set.js';
export type { NodeIpamOptions };
export {
  cronJobController,
  daemonSetController,
  deploymentController,
  disruptionController,
  endpointsController,
  endpointSliceController,
  garbageCollector,
  jobController,
  namespaceController,
  nodeLifecycleController,
  nodeIpamController,
  replicaSetController,
  resourceQuotaController,
  serviceAccountController,
  rootCaCertPublisher,
  statefulSetController,
  ttlAfterFinishedController,
  csrApprovingController,
  csrSigningController,
  customResourceDefinitionNamingController,
  customResourceDefinitionFinalizer,
  clusterRoleAggregationController,
};
export { defaultClusterSigningDurationMs, certificateDurationMs, type ClusterSigner } from './csrsigning/controller.js';

type BuiltinKind =
  /** `enabled` says when options switch a selected controller off (nodeipam without --allocate-node-cidrs, csrsigning without a CA). */
  | { controller: (context: ControllerContext, options: ControllerManagerOptions) => ControllerSpec; enabled?: (options: ControllerManagerOptions) => boolean }
  | { runnable: (context: ControllerContext) => Runnable };

/** A built-in controller, and the kube-system service account it acts as (upstream's name for it). */
type Builtin = BuiltinKind & { serviceAccount: string };

/** Every built-in controller, by its upstream name. */
export const builtinControllers: Record<string, Builtin> = {
  replicaset: { controller: replicaSetController, serviceAccount: 'replicaset-controller' },
  deployment: { controller: deploymentController, serviceAccount: 'deployment-controller' },
  statefulset: { controller: statefulSetController, serviceAccount: 'statefulset-controller' },
  daemonset: { controller: daemonSetController, serviceAccount: 'daemon-set-controller' },
  namespace: { controller: (context) => namespaceController(context), serviceAccount: 'namespace-controller' },
  serviceaccount: { controller: serviceAccountController, serviceAccount: 'service-account-controller' },
  'root-ca-cert-publisher': { controller: rootCaCertPublisher, serviceAccount: 'root-ca-cert-publisher' },
  job: { controller: (context) => jobController(context), serviceAccount: 'job-controller' },
  cronjob: { controller: cronJobController, serviceAccount: 'cronjob-controller' },
  'ttl-after-finished': { controller: ttlAfterFinishedController, serviceAccount: 'ttl-after-finished-controller' },
  'node-lifecycle': { controller: (context) => nodeLifecycleController(context), serviceAccount: 'node-controller' },
  // As upstream: selected by default, but it gives nodes ranges only with --allocate-node-cidrs.
  nodeipam: { controller: (context, options) => nodeIpamController(context, options.nodeIPAM!), enabled: (options) => options.nodeIPAM !== undefined, serviceAccount: 'node-controller' },
  endpoints: { controller: endpointsController, serviceAccount: 'endpoint-controller' },
  endpointslice: { controller: endpointSliceController, serviceAccount: 'endpointslice-controller' },
  disruption: { controller: disruptionController, serviceAccount: 'disruption-controller' },
  resourcequota: { controller: (context) => resourceQuotaController(context), serviceAccount: 'resourcequota-controller' },
  garbagecollector: { runnable: garbageCollector, serviceAccount: 'generic-garbage-collector' },
  csrapproving: { controller: csrApprovingController, serviceAccount: 'certificate-controller' },
  // Signs only with the cluster CA (--cluster-signing-cert-file/--cluster-signing-key-file, or skiff up's own).
  csrsigning: { controller: (context, options) => csrSigningController(context, options.clusterSigner!), enabled: (options) => options.clusterSigner !== undefined, serviceAccount: 'certificate-controller' },
  // Upstream runs these two in kube-apiserver (apiextensions); here they are clients like the rest, with a role of skiff's.
  'crd-naming': { controller: customResourceDefinitionNamingController, serviceAccount: 'crd-controller' },
  'crd-finalizer': { controller: customResourceDefinitionFinalizer, serviceAccount: 'crd-controller' },
  'clusterrole-aggregation': { controller: clusterRoleAggregationController, serviceAccount: 'clusterrole-aggregation-controller' },
  // The other half of the StorageObjectInUseProtection admission plugin: its finalizers go once nothing uses the object.
  'pvc-protection': { controller: pvcProtectionController, serviceAccount: 'pvc-protection-controller' },
  'pv-protection': { controller: pvProtectionController, serviceAccount: 'pv-protection-controller' },
  horizontalpodautoscaling: { controller: (context, options) => horizontalPodAutoscalerController(context, options.horizontalPodAutoscaler), serviceAccount: 'horizontal-pod-autoscaler' },
  'validatingadmissionpolicy-status-controller': { controller: validatingAdmissionPolicyStatusController, serviceAccount: 'validatingadmissionpolicy-status-controller' },
};

/** Resolves an upstream-style `--controllers` list (`*`, `name`, `-name`) to controller names. */
export function selectControllers(selection: string[] = ['*']): string[] {
  const all = Object.keys(builtinControllers);
  const unknown = selection.map((s) => s.replace(/^-/, '')).filter((name) => name !== '*' && !all.includes(name));
  if (unknown.length) throw new Error(`unknown controllers: ${unknown.join(', ')} (known: ${all.join(', ')})`);
  const excluded = new Set(selection.filter((s) => s.startsWith('-')).map((s) => s.slice(1)));
  const wantAll = selection.includes('*');
  return all.filter((name) => !excluded.has(name) && (wantAll || selection.includes(name)));
}

export interface ControllerManagerOptions extends ManagerOptions {
  /** Which controllers to run, as kube-controller-manager's `--controllers` (default `*`). */
  controllers?: string[];
  /** The --horizontal-pod-autoscaler-* flags (sync period, tolerance, downscale stabilization, CPU initialization period, initial readiness delay). */
  horizontalPodAutoscaler?: HorizontalPodAutoscalerOptions;
  /** `--allocate-node-cidrs` with its `--cluster-cidr` and `--node-cidr-mask-size`: the node IPAM controller gives nodes their pod ranges. */
  nodeIPAM?: NodeIpamOptions;
  /** The cluster CA for the `csrsigning` controller (`--cluster-signing-cert-file/--cluster-signing-key-file`); without it csrsigning does not run. */
  clusterSigner?: ClusterSigner;
  /** As kube-controller-manager's --use-service-account-credentials: each controller acts as kube-system/<its account>. */
  useServiceAccountCredentials?: boolean;
}

/** A manager with the selected built-in controllers. */
export function controllerManager(client: Client, options: ControllerManagerOptions = {}): Manager {
  const manager = new Manager(client, options);
  for (const name of selectControllers(options.controllers)) {
    const builtin = builtinControllers[name];
    const identity = builtin.serviceAccount;
    if ('controller' in builtin) {
      if (builtin.enabled?.(options) !== false) manager.add((context) => builtin.controller(context, options), { identity });
    } else manager.addRunnable(builtin.runnable, { identity });
  }
  return manager;
}

/**
 * Runs the controller manager against an apiserver until the signal aborts,
 * under leader election: each time it wins the `kube-controller-manager`
 * Lease it starts a new term (fresh informers, queues and controllers).
 */
export async function runControllerManager(config: ClientConfig, signal: AbortSignal, options: ControllerManagerOptions = {}): Promise<void> {
  const client = new Client({ ...config, userAgent: 'skiff-controller-manager' });
  // --use-service-account-credentials: each controller writes with its own account's token.
  const credentials = options.useServiceAccountCredentials ? new ServiceAccountCredentials(client, signal, options.log) : undefined;
  const clients = new Map<string, Client>();
  const clientFor = (identity: string): Client => {
    let own = clients.get(identity);
    if (!own) {
      const { certPem: _cert, keyPem: _key, rotatingCertificate: _rotating, token: _token, ...server } = config;
      own = new Client({ ...server, tokenSource: credentials!.sourceFor(identity), userAgent: `skiff-controller-manager/${identity}` });
      clients.set(identity, own);
    }
    return own;
  };
  const manager = controllerManager(client, { leaderElection: { name: 'kube-controller-manager' }, ...options, ...(credentials ? { clientFor } : {}) });
  try {
    if (credentials) {
      // Every controller's first token before any controller starts, so none begins by being refused.
      const accounts = [...new Set(selectControllers(options.controllers).map((name) => builtinControllers[name].serviceAccount))];
      for (const account of accounts) clientFor(account);
      await Promise.all(accounts.map((account) => credentials.ready(account)));
    }
    await manager.run(signal);
  } finally {
    client.close();
    for (const own of clients.values()) own.close();
  }
}
