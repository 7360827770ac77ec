/**
 * The built-in controllers, and the controller manager that runs them: what
 * `skiff up` and `skiff server` start next to the apiserver.
 */
import { Client, Manager, type ClientConfig, type ManagerOptions } from '../client/index.js';
import { deploymentController } from './deployment/controller.js';
import { garbageCollector } from './gc/collector.js';
import { namespaceController } from './namespace/controller.js';
import { replicaSetController } from './replicaset/controller.js';
import { serviceAccountController } from './serviceaccount/controller.js';

export { deploymentController, garbageCollector, namespaceController, replicaSetController, serviceAccountController };

/** A manager with every built-in controller. */
export function controllerManager(client: Client, options: ManagerOptions = {}): Manager {
  return new Manager(client, options)
    .add(replicaSetController)
    .add(deploymentController)
    .add(namespaceController)
    .add(serviceAccountController)
    .addRunnable(garbageCollector);
}

/** Runs the controller manager against an apiserver until the signal aborts, under leader election. */
export async function runControllerManager(config: ClientConfig, signal: AbortSignal, options: ManagerOptions = {}): Promise<void> {
  const client = new Client({ ...config, userAgent: 'skiff-controller-manager' });
  const manager = controllerManager(client, { leaderElection: { name: 'kube-controller-manager' }, ...options });
  try {
    await manager.run(signal);
  } finally {
    client.close();
  }
}
