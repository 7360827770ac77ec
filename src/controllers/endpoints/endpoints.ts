/**
 * The Endpoints controller: keeps a core/v1 Endpoints object, named after
 * each Service with a selector, listing the IPs and ports of the pods the
 * Service selects.
 *
 * reconcile(namespace/service):
 *   - Service gone → delete its Endpoints; no selector → leave them to the user;
 *   - otherwise one address per selected pod with an IP — in `addresses`
 *     when ready (or publishNotReadyAddresses), else `notReadyAddresses` —
 *     grouped into subsets that share the same resolved ports;
 *   - write only what changed.
 */
import type { ControllerContext, ControllerSpec } from '../../client/index.js';
import { splitKey } from '../../client/index.js';
import type { KubeObject } from '../../machinery/object.js';
import { isStatusError } from '../../machinery/status.js';
import { canonicalJson } from '../util/hash.js';
import { podsResource, type Pod } from '../util/pods.js';
import { endpointsResource, servicesResource } from '../resources.js';
import { canBeEndpoint, endpointHostname, endpointPorts, hasSelector, isTerminating, podIPs, podIsReady, selectedPods, servicesForPod, targetRefOf, type Service } from './service-pods.js';

interface EndpointAddress {
  ip: string;
  hostname?: string;
  nodeName?: string;
  targetRef?: ReturnType<typeof targetRefOf>;
}

interface EndpointSubset {
  addresses?: EndpointAddress[];
  notReadyAddresses?: EndpointAddress[];
  ports?: ReturnType<typeof endpointPorts>;
}

interface Endpoints extends KubeObject {
  subsets?: EndpointSubset[];
}

export const headlessLabel = 'service.kubernetes.io/headless';

/** The subsets for a Service: addresses grouped by the port list they resolve to. */
export function computeSubsets(service: Service, pods: Pod[]): EndpointSubset[] {
  const publishNotReady = service.spec?.publishNotReadyAddresses === true;
  const headlessWithoutPorts = service.spec?.clusterIP === 'None' && !(service.spec?.ports ?? []).length;
  const byPorts = new Map<string, EndpointSubset>();
  for (const pod of pods) {
    if (!canBeEndpoint(pod)) continue;
    if (isTerminating(pod) && !publishNotReady) continue;
    const ports = endpointPorts(service, pod);
    if (!ports.length && !headlessWithoutPorts) continue;
    const address: EndpointAddress = { ip: podIPs(pod)[0], targetRef: targetRefOf(pod) };
    const hostname = endpointHostname(service, pod);
    if (hostname) address.hostname = hostname;
    const nodeName = pod.spec?.nodeName;
    if (nodeName) address.nodeName = nodeName;
    ports.sort((a, b) => (a.name ?? '').localeCompare(b.name ?? '') || a.port - b.port);
    const key = canonicalJson(ports);
    let subset = byPorts.get(key);
    if (!subset) byPorts.set(key, (subset = ports.length ? { ports } : {}));
    const list = publishNotReady || podIsReady(pod) ? (subset.addresses ??= []) : (subset.notReadyAddresses ??= []);
    list.push(address);
  }
  const subsets = [...byPorts.values()];
  for (const subset of subsets) {
    subset.addresses?.sort((a, b) => a.ip.localeCompare(b.ip));
    subset.notReadyAddresses?.sort((a, b) => a.ip.localeCompare(b.ip));
  }
  return subsets.sort((a, b) => canonicalJson(a.ports ?? []).localeCompare(canonicalJson(b.ports ?? [])));
}

/** Maps a pod to the keys of the Services that select it. */
export function serviceKeysForPod(services: () => Service[]): (pod: KubeObject) => string[] {
  return (pod) => servicesForPod(pod as Pod, services()).map((service) => `${service.metadata.namespace}/${service.metadata.name}`);
}

export function endpointsController(context: ControllerContext): ControllerSpec {
  const { client, informers } = context;
  const serviceInformer = informers.informerFor<Service>(servicesResource);
  const podInformer = informers.informerFor<Pod>(podsResource);
  const endpointsInformer = informers.informerFor<Endpoints>(endpointsResource);
  const endpoints = client.resource<Endpoints>(endpointsResource);

  return {
    name: 'endpoints',
    for: servicesResource,
    watches: [
      { resource: podsResource, map: (pod) => serviceKeysForPod(() => serviceInformer.lister.list(pod.metadata.namespace))(pod) },
      // Someone changed or deleted an Endpoints object we manage: put it back.
      { resource: endpointsResource, map: (object) => [`${object.metadata.namespace}/${object.metadata.name}`] },
    ],
    workers: 2,
    async reconcile(key) {
      const { namespace, name } = splitKey(key);
      const service = serviceInformer.lister.get(namespace, name);
      const current = endpointsInformer.lister.get(namespace, name);
      if (!service) {
        // The Endpoints of a deleted Service go too (they have no owner reference to do it for them).
        if (current) await endpoints.deleteIfExists(namespace, name, { preconditions: { uid: current.metadata.uid } });
        return;
      }
      if (!hasSelector(service)) return;
      const subsets = computeSubsets(service, selectedPods(service, podInformer.lister.list(namespace)));
      const labels: Record<string, string> = { ...service.metadata.labels };
      if (service.spec?.clusterIP === 'None') labels[headlessLabel] = '';
      if (!current) {
        try {
          await endpoints.create({ apiVersion: 'v1', kind: 'Endpoints', metadata: { name, namespace, labels }, subsets });
        } catch (err) {
          if (!isStatusError(err, 'AlreadyExists')) throw err;
        }
        return;
      }
      if (canonicalJson(current.subsets ?? []) === canonicalJson(subsets) && canonicalJson(current.metadata.labels ?? {}) === canonicalJson(labels)) return;
      await endpoints.update({ ...current, metadata: { ...current.metadata, labels }, subsets });
    },
  };
}
