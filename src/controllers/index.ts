/**
 * The built-in controllers, and the controller manager that runs them: what
 * `skiff up` and `skiff server` start next to the apiserver.
 *
 * Each controller has the name kube-controller-manager gives it, so
 * `--controllers` selects them the upstream way: `*` for all, `-name` to
 * leave one out, or a list of names.
 */
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
import { ttlAfterFinishedController } from './ttl/controller.js';
import { csrApprovingController } from './csrapproving/controller.js';
import { csrSigningController, type ClusterSigner } from './csrsigning/controller.js';
import { customResourceDefinitionNamingController } from './customresourcedefinition/naming.js';
import { customResourceDefinitionFinalizer } from './customresourcedefinition/finalizer.js';
import { clusterRoleAggregationController } from './clusterroleaggregation/controller.js';

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
  statefulSetController,
  ttlAfterFinishedController,
  csrApprovingController,
  csrSigningController,
  customResourceDefinitionNamingController,
  customResourceDefinitionFinalizer,
  clusterRoleAggregationController,
};
export { defaultClusterSigningDurationMs, certificateDurationMs, type ClusterSigner } from './csrsigning/controller.js';

type Builtin =
  /** `enabled` says when options switch a selected controller off (nodeipam without --allocate-node-cidrs, csrsigning without a CA). */
  | { controller: (context: ControllerContext, options: ControllerManagerOptions) => ControllerSpec; enabled?: (options: ControllerManagerOptions) => boolean }
  | { runnable: (context: ControllerContext) => Runnable };

/** Every built-in controller, by its upstream name. */
export const builtinControllers: Record<string, Builtin> = {
  replicaset: { controller: replicaSetController },
  deployment: { controller: deploymentController },
  statefulset: { controller: statefulSetController },
  daemonset: { controller: daemonSetController },
  namespace: { controller: (context) => namespaceController(context) },
  serviceaccount: { controller: serviceAccountController },
  job: { controller: (context) => jobController(context) },
  cronjob: { controller: cronJobController },
  'ttl-after-finished': { controller: ttlAfterFinishedController },
  'node-lifecycle': { controller: (context) => nodeLifecycleController(context) },
  // As upstream: selected by default, but it gives nodes ranges only with --allocate-node-cidrs.
  nodeipam: { controller: (context, options) => nodeIpamController(context, options.nodeIPAM!), enabled: (options) => options.nodeIPAM !== undefined },
  endpoints: { controller: endpointsController },
  endpointslice: { controller: endpointSliceController },
  disruption: { controller: disruptionController },
  resourcequota: { controller: (context) => resourceQuotaController(context) },
  garbagecollector: { runnable: garbageCollector },
  csrapproving: { controller: csrApprovingController },
  // Signs only with the cluster CA (--cluster-signing-cert-file/--cluster-signing-key-file, or skiff up's own).
  csrsigning: { controller: (context, options) => csrSigningController(context, options.clusterSigner!), enabled: (options) => options.clusterSigner !== undefined },
  // Upstream runs these two in kube-apiserver (apiextensions); here they are clients like the rest.
  'crd-naming': { controller: customResourceDefinitionNamingController },
  'crd-finalizer': { controller: customResourceDefinitionFinalizer },
  'clusterrole-aggregation': { controller: clusterRoleAggregationController },
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
  /** `--allocate-node-cidrs` with its `--cluster-cidr` and `--node-cidr-mask-size`: the node IPAM controller gives nodes their pod ranges. */
  nodeIPAM?: NodeIpamOptions;
  /** The cluster CA for the `csrsigning` controller (`--cluster-signing-cert-file/--cluster-signing-key-file`); without it csrsigning does not run. */
  clusterSigner?: ClusterSigner;
}

/** A manager with the selected built-in controllers. */
export function controllerManager(client: Client, options: ControllerManagerOptions = {}): Manager {
  const manager = new Manager(client, options);
  for (const name of selectControllers(options.controllers)) {
    const builtin = builtinControllers[name];
    if ('controller' in builtin) {
      if (builtin.enabled?.(options) !== false) manager.add((context) => builtin.controller(context, options));
    }
    else manager.addRunnable(builtin.runnable);
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
  const manager = controllerManager(client, { leaderElection: { name: 'kube-controller-manager' }, ...options });
  try {
    await manager.run(signal);
  } finally {
    client.close();
  }
}
