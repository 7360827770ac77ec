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
import { replicaSetController } from './replicaset/controller.js';
import { statefulSetController } from './statefulset/controller.js';
import { resourceQuotaController } from './resourcequota/controller.js';
import { serviceAccountController } from './serviceaccount/controller.js';
import { ttlAfterFinishedController } from './ttl/controller.js';
import { csrApprovingController } from './csrapproving/controller.js';
import { csrSigningController, type ClusterSigner } from './csrsigning/controller.js';

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
  replicaSetController,
  resourceQuotaController,
  serviceAccountController,
  statefulSetController,
  ttlAfterFinishedController,
  csrApprovingController,
  csrSigningController,
};
export { defaultClusterSigningDurationMs, certificateDurationMs, type ClusterSigner } from './csrsigning/controller.js';

type Builtin =
  | { controller: (context: ControllerContext) => ControllerSpec }
  | { runnable: (context: ControllerContext) => Runnable }
  /** Runs only when the manager is given the cluster CA (ControllerManagerOptions.clusterSigner). */
  | { signer: (context: ControllerContext, signer: ClusterSigner) => ControllerSpec };

/** Every built-in controller, by its upstream name. */
export const builtinControllers: Record<string, Builtin> = {
  replicaset: { controller: replicaSetController },
  deployment: { controller: deploymentController },
  statefulset: { controller: statefulSetController },
  daemonset: { controller: daemonSetController },
  namespace: { controller: namespaceController },
  serviceaccount: { controller: serviceAccountController },
  job: { controller: (context) => jobController(context) },
  cronjob: { controller: cronJobController },
  'ttl-after-finished': { controller: ttlAfterFinishedController },
  'node-lifecycle': { controller: (context) => nodeLifecycleController(context) },
  endpoints: { controller: endpointsController },
  endpointslice: { controller: endpointSliceController },
  disruption: { controller: disruptionController },
  resourcequota: { controller: resourceQuotaController },
  garbagecollector: { runnable: garbageCollector },
  csrapproving: { controller: csrApprovingController },
  csrsigning: { signer: csrSigningController },
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
  /** The cluster CA for the `csrsigning` controller (`--cluster-signing-cert-file/--cluster-signing-key-file`); without it csrsigning does not run. */
  clusterSigner?: ClusterSigner;
}

/** A manager with the selected built-in controllers. */
export function controllerManager(client: Client, options: ControllerManagerOptions = {}): Manager {
  const manager = new Manager(client, options);
  for (const name of selectControllers(options.controllers)) {
    const builtin = builtinControllers[name];
    const signer = options.clusterSigner;
    if ('signer' in builtin) {
      if (signer) manager.add((context) => builtin.signer(context, signer));
    } else if ('controller' in builtin) manager.add(builtin.controller);
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
