/**
 * Endpoints and EndpointSlice controllers against a real apiserver. The test
 * plays the node: it gives pods an IP and a Ready condition by writing pod
 * status.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../src/machinery/object.js';
import type { EndpointSlice } from '../../src/controllers/endpoints/endpointslice.js';
import type { Pod } from '../../src/controllers/util/pods.js';
import { eventually, resources, rfc3339, startControllerTestCluster, type ControllerTestCluster } from './harness.js';

interface Endpoints extends KubeObject {
  subsets?: { addresses?: { ip: string; hostname?: string; targetRef?: { name: string } }[]; notReadyAddresses?: { ip: string }[]; ports?: { name?: string; port: number; protocol: string }[] }[];
}

let cluster: ControllerTestCluster;
before(async () => {
  cluster = await startControllerTestCluster({ controllers: ['endpoints', 'endpointslice', 'garbagecollector'], playNode: false });
  await cluster.createNamespace('net');
});
after(() => cluster.close());

const pods = () => cluster.client.resource<Pod>(resources.pods);
const services = () => cluster.client.resource(resources.services);
const endpoints = () => cluster.client.resource<Endpoints>(resources.endpoints);
const slices = () => cluster.client.resource<EndpointSlice>(resources.endpointSlices);

async function runPod(name: string, ip: string, ready: boolean, labels: Record<string, string>, ports: { name: string; containerPort: number }[], extra: Record<string, unknown> = {}): Promise<void> {
  await pods().create({ metadata: { name, namespace: 'net', labels }, spec: { containers: [{ name: 'main', image: 'nginx', ports }], ...extra } });
  await setReady(name, ip, ready);
}

async function setReady(name: string, ip: string, ready: boolean): Promise<void> {
  await pods().patch('net', name, { status: { phase: 'Running', podIP: ip, podIPs: [{ ip }], conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: rfc3339(new Date()) }] } }, 'merge', { subresource: 'status' });
}

const slicesOf = (service: string) => slices().list('net', { labelSelector: `kubernetes.io/service-name=${service}` }).then((l) => l.items);

describe('Endpoints and EndpointSlices', () => {
  it('list ready and not-ready pods with named target ports resolved per pod', async () => {
    await runPod('web-a', '10.42.0.10', true, { app: 'web' }, [{ name: 'http', containerPort: 8080 }]);
    await runPod('web-b', '10.42.0.11', false, { app: 'web' }, [{ name: 'http', containerPort: 8080 }]);
    await runPod('web-c', '10.42.0.12', true, { app: 'web' }, [{ name: 'http', containerPort: 9090 }]);
    await runPod('other', '10.42.0.13', true, { app: 'other' }, []);
    await services().create({ metadata: { name: 'web', namespace: 'net', labels: { tier: 'front' } }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } });

    const ep = await eventually(() => endpoints().find('net', 'web'), (e) => (e?.subsets?.length ?? 0) === 2, 'two subsets (two resolved port numbers)');
    const on8080 = ep!.subsets!.find((s) => s.ports?.[0].port === 8080)!;
    assert.deepEqual(on8080.addresses?.map((a) => a.ip), ['10.42.0.10']);
    assert.deepEqual(on8080.notReadyAddresses?.map((a) => a.ip), ['10.42.0.11']);
    assert.equal(on8080.ports?.[0].name, 'http');
    assert.equal(ep!.subsets!.find((s) => s.ports?.[0].port === 9090)!.addresses?.[0].targetRef?.name, 'web-c');
    assert.equal(ep!.metadata.labels?.tier, 'front');

    const found = await eventually(() => slicesOf('web'), (items) => items.length === 2 && items.reduce((n, s) => n + (s.endpoints?.length ?? 0), 0) === 3, 'two slices with three endpoints');
    const all = found.flatMap((s) => s.endpoints ?? []);
    const b = all.find((e) => e.addresses[0] === '10.42.0.11')!;
    assert.deepEqual(b.conditions, { ready: false, serving: false, terminating: false });
    assert.equal(found[0].addressType, 'IPv4');
    assert.equal(found[0].metadata.labels?.['endpointslice.kubernetes.io/managed-by'], 'endpointslice-controller.k8s.io');
    assert.equal(found[0].metadata.ownerReferences?.[0]?.kind, 'Service');

    // Readiness changes flow through; a pod that stops matching leaves.
    await setReady('web-b', '10.42.0.11', true);
    await eventually(() => endpoints().get('net', 'web'), (e) => e.subsets?.find((s) => s.ports?.[0].port === 8080)?.addresses?.length === 2, 'web-b ready');
    await pods().patch('net', 'web-c', { metadata: { labels: { app: 'elsewhere' } } });
    await eventually(() => endpoints().get('net', 'web'), (e) => e.subsets?.length === 1, 'web-c gone from the endpoints');
    await eventually(() => slicesOf('web'), (items) => items.length === 1 && items[0].endpoints?.length === 2, 'one slice left');
  });

  it('publishNotReadyAddresses lists every pod as ready; headless services carry hostnames', async () => {
    await runPod('db-0', '10.42.1.10', false, { app: 'db' }, [], { hostname: 'db-0', subdomain: 'db' });
    await services().create({ metadata: { name: 'db', namespace: 'net' }, spec: { clusterIP: 'None', publishNotReadyAddresses: true, selector: { app: 'db' }, ports: [{ port: 5432 }] } });
    const ep = await eventually(() => endpoints().find('net', 'db'), (e) => e?.subsets?.[0]?.addresses?.length === 1, 'the not-ready pod published');
    assert.equal(ep!.subsets![0].addresses![0].hostname, 'db-0');
    assert.equal(ep!.metadata.labels?.['service.kubernetes.io/headless'], '');
    const [slice] = await eventually(() => slicesOf('db'), (items) => items.length === 1 && items[0].endpoints?.length === 1, 'a slice');
    assert.equal(slice.endpoints![0].conditions.ready, true);
    assert.equal(slice.endpoints![0].hostname, 'db-0');
  });

  it('deleting the Service deletes its Endpoints and slices; selectorless Services are left alone', async () => {
    await services().create({ metadata: { name: 'manual', namespace: 'net' }, spec: { ports: [{ port: 80 }] } });
    await endpoints().create({ metadata: { name: 'manual', namespace: 'net' }, subsets: [{ addresses: [{ ip: '192.0.2.1' }], ports: [{ port: 80, protocol: 'TCP' }] }] });
    await services().create({ metadata: { name: 'temp', namespace: 'net' }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] } });
    await eventually(() => endpoints().find('net', 'temp'), (e) => e !== undefined, 'temp endpoints');
    await eventually(() => slicesOf('temp'), (items) => items.length === 1, 'temp slice');
    await services().delete('net', 'temp');
    await eventually(() => endpoints().find('net', 'temp'), (e) => e === undefined, 'temp endpoints deleted');
    await eventually(() => slicesOf('temp'), (items) => items.length === 0, 'temp slice collected');
    const manual = await endpoints().get('net', 'manual');
    assert.equal(manual.subsets?.[0].addresses?.[0].ip, '192.0.2.1');
  });
});
