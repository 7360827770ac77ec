/** DefaultBinder (Bind): assigns the pod through the `pods/binding` subresource, as kube-scheduler does. */
import type { BindPlugin, Handle } from '../framework/interface.js';
import { error } from '../framework/status.js';

export const name = 'DefaultBinder';

export function defaultBinder(_args: unknown, handle: Handle): BindPlugin {
  return {
    name,
    async bind(_state, pod, nodeName) {
      try {
        await handle.client.rest.request('POST', `/api/v1/namespaces/${pod.metadata.namespace}/pods/${pod.metadata.name}/binding`, {
          body: { apiVersion: 'v1', kind: 'Binding', metadata: { name: pod.metadata.name, namespace: pod.metadata.namespace, uid: pod.metadata.uid }, target: { kind: 'Node', name: nodeName } },
        });
        return undefined;
      } catch (err) {
        return error((err as Error).message);
      }
    },
  };
}
