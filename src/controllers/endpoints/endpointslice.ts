/**
 * The EndpointSlice controller: the same information as Endpoints, in
 * discovery.k8s.io/v1 slices of at most 100 endpoints, with each endpoint's
 * ready / serving / terminating conditions (what kube-proxy and DNS read).
 *
 * reconcile(namespace/service):
 *   - group the selected pods by address type (IPv4/IPv6) and resolved
 *     ports; chunk each group into slices of maxEndpointsPerSlice;
 *   - reuse the Service's existing slices (matched by address type and
 *     ports), create what is missing, delete what is left over;
 *   - slices are owned by the Service, so the garbage collector deletes
 *     them with it.
 */
import type { ControllerContext, ControllerSpec } from '../../client/index.js';
import { splitKey } from '../../client/index.js';
import type { KubeObject } from '../../machinery/object.js';
import { isStatusError } from '../../machinery/status.js';
import { Expectations } from '../util/expectations.js';
import { canonicalJson } from '../util/hash.js';
import { controllerRefOf, controllerRefTo } from '../util/owners.js';
import { podsResource, type Pod } from '../util/pods.js';
import { endpointSlicesResource, servicesResource } from '../resources.js';
import { serviceKeysForPod } from './endpoints.js';
import { canBeEndpoint, endpointHostname, endpointPorts, hasSelector, isTerminating, podIPs, podIsReady, selectedPods, targetRefOf, type Service } from './service-pods.js';

export const serviceNameLabel = 'kubernetes.io/service-name';
export const managedByLabel = 'endpointslice.kubernetes.io/managed-by';
export const controllerName = 'endpointslice-controller.k8s.io';
export const maxEndpointsPerSlice = 100;

interface Endpoint {
  addresses: string[];
  conditions: { ready: boolean; serving: boolean; terminating: boolean };
  hostname?: string;
  nodeName?: string;
  targetRef?: ReturnType<typeof targetRefOf>;
}

export interface EndpointSlice extends KubeObject {
  addressType: string;
  endpoints?: Endpoint[];
  ports?: ReturnType<typeof endpointPorts>;
}

interface DesiredSlice {
  addressType: string;
  ports: ReturnType<typeof endpointPorts>;
  endpoints: Endpoint[];
}

function addressTypeOf(ip: string): string {
  return ip.includes(':') ? 'IPv6' : 'IPv4';
}

/** The slices a Service should have (without names). */
export function desiredSlices(service: Service, pods: Pod[]): DesiredSlice[] {
  const publishNotReady = service.spec?.publishNotReadyAddresses === true;
  const groups = new Map<string, DesiredSlice>();
  for (const pod of [...pods].sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''))) {
    if (!canBeEndpoint(pod)) continue;
    // Slices always name their ports, with "" for an unnamed Service port.
    const ports = endpointPorts(service, pod)
      .map((port) => ({ ...port, name: port.name ?? '' }))
      .sort((a, b) => a.name.localeCompare(b.name) || a.port - b.port);
    if (!ports.length && (service.spec?.ports ?? []).length) continue;
    const terminating = isTerminating(pod);
    const ready = podIsReady(pod);
    for (const ip of podIPs(pod)) {
      const addressType = addressTypeOf(ip);
      const endpoint: Endpoint = {
        addresses: [ip],
        conditions: { ready: publishNotReady || (ready && !terminating), serving: publishNotReady || ready, terminating },
        targetRef: targetRefOf(pod),
      };
      const hostname = endpointHostname(service, pod);
      if (hostname) endpoint.hostname = hostname;
      if (pod.spec?.nodeName) endpoint.nodeName = pod.spec.nodeName;
      const key = `${addressType}|${canonicalJson(ports)}`;
      let group = groups.get(key);
      if (!group) groups.set(key, (group = { addressType, ports, endpoints: [] }));
      group.endpoints.push(endpoint);
    }
  }
  // A Service with no endpoints still gets one (empty) slice, as upstream does.
  if (!groups.size) groups.set('empty', { addressType: 'IPv4', ports: [], endpoints: [] });
  const out: DesiredSlice[] = [];
  for (const group of groups.values()) {
    for (let i = 0; i < Math.max(group.endpoints.length, 1); i += maxEndpointsPerSlice) {
      out.push({ ...group, endpoints: group.endpoints.slice(i, i + maxEndpointsPerSlice) });
    }
  }
  return out;
}

function sliceShape(slice: { addressType: string; ports?: unknown[] }): string {
  return `${slice.addressType}|${canonicalJson(slice.ports ?? [])}`;
}

export function endpointSliceController(context: ControllerContext): ControllerSpec {
  const { client, informers } = context;
  const serviceInformer = informers.informerFor<Service>(servicesResource);
  const podInformer = informers.informerFor<Pod>(podsResource);
  const sliceInformer = informers.informerFor<EndpointSlice>(endpointSlicesResource);
  const slices = client.resource<EndpointSlice>(endpointSlicesResource);
  // Slices just created may not be in the cache yet: wait for them rather than create twice.
  const expectations = new Expectations();
  sliceInformer.addEventHandler({
    add: (slice) => {
      const owner = controllerRefOf(slice);
      if (owner?.kind === 'Service') expectations.observedAdd(`${slice.metadata.namespace}/${owner.name}`);
    },
  });

  return {
    name: 'endpointslice',
    for: servicesResource,
    owns: [endpointSlicesResource],
    watches: [{ resource: podsResource, map: (pod) => serviceKeysForPod(() => serviceInformer.lister.list(pod.metadata.namespace))(pod) }],
    workers: 2,
    async reconcile(key) {
      const { namespace, name } = splitKey(key);
      const service = serviceInformer.lister.get(namespace, name);
      if (!service || !hasSelector(service) || service.metadata.deletionTimestamp) {
        expectations.delete(key);
        return;
      }
      if (!expectations.satisfied(key)) return;
      const existing = sliceInformer.lister
        .byIndex('ownerUid', service.metadata.uid!)
        .filter((slice) => controllerRefOf(slice)?.uid === service.metadata.uid && slice.metadata.labels?.[managedByLabel] === controllerName);
      const labels: Record<string, string> = { ...service.metadata.labels, [serviceNameLabel]: name, [managedByLabel]: controllerName };
      if (service.spec?.clusterIP === 'None') labels['service.kubernetes.io/headless'] = '';
      const toCreate: DesiredSlice[] = [];
      const unused = [...existing].sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
      for (const want of desiredSlices(service, selectedPods(service, podInformer.lister.list(namespace)))) {
        // Prefer an existing slice of the same shape; equal content needs no write.
        const sameShape = unused.filter((slice) => sliceShape(slice) === sliceShape(want));
        const reuse = sameShape.find((slice) => canonicalJson(slice.endpoints ?? []) === canonicalJson(want.endpoints)) ?? sameShape[0];
        if (reuse) {
          unused.splice(unused.indexOf(reuse), 1);
          const unchanged = canonicalJson(reuse.endpoints ?? []) === canonicalJson(want.endpoints) && canonicalJson(reuse.metadata.labels ?? {}) === canonicalJson(labels);
          if (!unchanged) await slices.update({ ...reuse, metadata: { ...reuse.metadata, labels }, endpoints: want.endpoints, ports: want.ports });
          continue;
        }
        toCreate.push(want);
      }
      expectations.expect(key, toCreate.length, 0);
      for (const [i, want] of toCreate.entries()) {
        try {
          await slices.create({
            apiVersion: 'discovery.k8s.io/v1',
            kind: 'EndpointSlice',
            metadata: { generateName: `${name}-`, namespace, labels, ownerReferences: [controllerRefTo(service, 'v1', 'Service')] },
            addressType: want.addressType,
            endpoints: want.endpoints,
            ports: want.ports,
          });
        } catch (err) {
          expectations.lowerAdds(key, toCreate.length - i);
          throw err;
        }
      }
      for (const slice of unused) {
        try {
          await slices.delete(namespace, slice.metadata.name!, { preconditions: { uid: slice.metadata.uid } });
        } catch (err) {
          if (!isStatusError(err, 'NotFound')) throw err;
        }
      }
    },
  };
}
