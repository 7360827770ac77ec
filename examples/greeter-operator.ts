/**
 * A complete operator in one file: for every ConfigMap labelled
 * `greeter=enabled`, keep a ConfigMap `<name>-greeting` that says hello to
 * the name in its `data.name`. Run it against a cluster:
 *
 *   npx skiff up &                                   # or any Kubernetes cluster
 *   KUBECONFIG=~/.skiff/kubeconfig.yaml npx tsx examples/greeter-operator.ts
 *   kubectl create configmap visitor --from-literal=name=Ada
 *   kubectl label configmap visitor greeter=enabled
 *   kubectl get configmap visitor-greeting -o jsonpath='{.data.greeting}'   # Hello, Ada!
 *
 * Deleting `visitor` deletes `visitor-greeting` too: the greeting names its
 * source as controlling owner, and the garbage collector does the rest.
 */
import { Client, Manager, configFromKubeconfig, splitKey, type ControllerContext, type ControllerSpec } from '../src/client/index.js';
import type { KubeObject } from '../src/machinery/object.js';

interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
}

const configMaps = { group: '', version: 'v1', resource: 'configmaps', kind: 'ConfigMap', namespaced: true };

export function greeterController(context: ControllerContext): ControllerSpec {
  const informer = context.informers.informerFor<ConfigMap>(configMaps);
  const client = context.client.resource<ConfigMap>(configMaps);
  const recorder = context.recorder('greeter');

  return {
    name: 'greeter',
    for: configMaps,
    // A greeting's change (or deletion) wakes its source: greetings are ConfigMaps owned by ConfigMaps.
    owns: [configMaps],
    // `signal` ends with the manager's term (it stops, or loses its Lease): requests given it stop too.
    async reconcile(key, { signal }) {
      const { namespace, name } = splitKey(key);
      const source = informer.lister.get(namespace, name);
      // Gone, or not ours to greet: nothing to do (the garbage collector removes orphaned greetings).
      if (!source || source.metadata.labels?.greeter !== 'enabled') return;

      const greeting = `Hello, ${source.data?.name ?? 'world'}!`;
      const wanted: ConfigMap = {
        metadata: {
          name: `${name}-greeting`,
          namespace,
          ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name, uid: source.metadata.uid!, controller: true, blockOwnerDeletion: true }],
        },
        data: { greeting },
      };
      const existing = informer.lister.get(namespace, wanted.metadata.name!);
      if (!existing) {
        await client.create(wanted, { signal });
        recorder.event(source, 'Normal', 'Greeted', `Created ${wanted.metadata.name}`);
      } else if (existing.data?.greeting !== greeting) {
        await client.update({ ...existing, data: { greeting } }, { signal });
        recorder.event(source, 'Normal', 'Greeted', `Updated ${wanted.metadata.name}`);
      }
      // Returning nothing means done; throwing means "retry with backoff";
      // `{ requeueAfterMs }` means "look again later".
    },
  };
}

// Run when started directly (not when imported by the tests).
if (import.meta.url === `file://${process.argv[1]}`) {
  const client = new Client(configFromKubeconfig());
  const manager = new Manager(client, { log: (event) => console.log(JSON.stringify(event)) }).add(greeterController);
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  process.once('SIGTERM', () => stop.abort());
  console.log('greeter operator running; Ctrl-C to stop');
  await manager.run(stop.signal);
  client.close();
}
