/**
 * The network components of one node against a real in-process apiserver,
 * as `skiff up` wires them: one informer factory for all of them, and every
 * loop that writes state retried through the client's work queue — a write
 * or an apply that fails once is done again without any other change.
 * Nodes that are deleted take their routes and status addresses with them.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../../src/apiserver/testing.js';
import {
  Client,
  InformerFactory,
  ingressClassesResource,
  ingressesResource,
  namespacesResource,
  nodesResource,
  podsResource,
  secretsResource,
  servicesResource,
  endpointSlicesResource,
  type ResourceRef,
} from '../../src/client/index.js';
import { controllerManager } from '../../src/controllers/index.js';
import { ClusterDNS, IngressController, NodeEndpoints, publishNodeDNS, PodRoutes, PolicyEnforcer, ServiceLoadBalancer, ServiceProxy, skiffIngressClass, UserspaceProxy } from '../../src/network/index.js';
import type { KubeObject } from '../../src/machinery/object.js';
import { StatusError } from '../../src/machinery/status.js';
import { eventually } from './harness.js';

const ownIP = '192.0.2.10';
const goneIP = '192.0.2.20';

let api: TestServer;
let client: Client;
let otherClient: Client;
const stop = new AbortController();
const watches = new Map<string, number>();

/** A stand-in for an nftables table whose first `failures` applies fail. */
class FlakyTable {
  applied = '';
  attempts = 0;
  constructor(private failures: number) {}
  async apply(script: string): Promise<void> {
    this.attempts++;
    if (this.failures > 0) {
      this.failures--;
      throw new Error('nft: Could not process rule: Device or resource busy');
    }
    this.applied = script;
  }
  async remove(): Promise<void> {}
}

/** Makes the next `times` calls of a resource client's method fail with this error. */
function failNext(ref: ResourceRef, method: 'patch' | 'create', times: number, error: () => Error): void {
  const resource = client.resource(ref) as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  const real = resource[method].bind(resource);
  let left = times;
  resource[method] = (...args: unknown[]) => {
    if (left > 0) {
      left--;
      return Promise.reject(error());
    }
    return real(...args);
  };
}

const proxyTable = new FlakyTable(1);
const policyTable = new FlakyTable(1);
const ipCalls: string[][] = [];
let failRouteReplace = 1;
let proxy: ServiceProxy;
let policies: PolicyEnforcer;
let serviceLB: ServiceLoadBalancer;
let ingress: IngressController;
let routes: PodRoutes;
let ownEndpoints: NodeEndpoints;

async function createNode(name: string, address: string, podCIDR: string): Promise<void> {
  const nodes = client.resource(nodesResource);
  await nodes.create({ metadata: { name }, spec: { podCIDR } } as KubeObject);
  await nodes.patch(undefined, name, { status: { addresses: [{ type: 'InternalIP', address }] } }, 'merge', { subresource: 'status' });
}

before(async () => {
  api = await startTestServer();
  client = new Client(api.credentials);
  // Every watch the node's components open, by resource.
  for (const ref of [servicesResource, endpointSlicesResource, secretsResource, nodesResource, podsResource, namespacesResource]) {
    const resource = client.resource(ref);
    const watch = resource.watch.bind(resource);
    resource.watch = ((...args: Parameters<typeof watch>) => {
      watches.set(ref.resource, (watches.get(ref.resource) ?? 0) + 1);
      return watch(...args);
    }) as typeof resource.watch;
  }
  await client.resource(ingressClassesResource).create(skiffIngressClass);
  await createNode('own', ownIP, '10.42.0.0/24');
  await createNode('gone', goneIP, '10.42.7.0/24');

  const informers = new InformerFactory(client);
  informers.start(stop.signal);
  proxy = new ServiceProxy(informers, { nodeName: 'own', table: 'test', clusterCIDR: '10.42.0.0/16', nftTable: proxyTable });
  policies = new PolicyEnforcer(informers, { table: 'test-policy', nodeAddresses: ['10.42.0.1'], nftTable: policyTable });
  serviceLB = new ServiceLoadBalancer(informers, { nodeIP: ownIP });
  ingress = new IngressController(informers, { httpPort: 0, httpsPort: 0, nodeIP: ownIP });
  routes = new PodRoutes(informers, {
    nodeName: 'own',
    ip: async (args) => {
      ipCalls.push(args);
      // A route an earlier run left to a node deleted meanwhile.
      if (args.join(' ') === '-j route show proto 197') return '[{"dst":"10.42.9.0/24","gateway":"192.0.2.9","dev":"eth0"}]';
      if (args[0] === '-j') return '[{}]'; // on-link: the node itself is the next hop
      if (args[1] === 'replace' && failRouteReplace-- > 0) throw new Error('RTNETLINK answers: Network is unreachable');
      return '';
    },
  });
  const dns = new ClusterDNS(informers, { address: '127.0.0.1', port: 0, upstreams: [] });
  // This node's kube-dns endpoint, and one another node left behind (its factory and endpoints of its own).
  failNext(endpointSlicesResource, 'create', 1, () => new StatusError(500, 'InternalError', 'Internal error occurred: database is locked'));
  ownEndpoints = new NodeEndpoints(informers, 'own');
  publishNodeDNS(ownEndpoints, '10.42.0.1');
  ownEndpoints.start(stop.signal);
  otherClient = new Client(api.credentials);
  const otherNode = new InformerFactory(otherClient);
  otherNode.start(stop.signal);
  const goneEndpoints = new NodeEndpoints(otherNode, 'gone');
  publishNodeDNS(goneEndpoints, '10.42.7.1');
  goneEndpoints.start(stop.signal);
  // The garbage collector removes what a deleted Node owned.
  void controllerManager(client, { controllers: ['garbagecollector'] }).run(stop.signal);
  serviceLB.start(stop.signal);
  await Promise.all([proxy.start(stop.signal), policies.start(stop.signal), ingress.start(stop.signal), routes.start(stop.signal), dns.start(stop.signal), new UserspaceProxy(informers, {}).start(stop.signal)]);
});

after(async () => {
  stop.abort();
  client.close();
  otherClient.close();
  await api.close();
});

describe('node network components', () => {
  it('share one informer factory: each resource is watched once per node', () => {
    assert.equal(watches.get('services'), 1, 'services');
    assert.equal(watches.get('endpointslices'), 1, 'endpointslices');
    assert.equal(watches.get('secrets'), 1, 'secrets');
    assert.equal(watches.get('nodes'), 1, 'nodes');
    assert.equal(watches.get('namespaces'), 1, 'namespaces');
  });

  it('retry a service rules apply that failed, without any other change', async () => {
    await eventually(() => proxyTable.applied, (applied) => applied.includes('table ip test'), 'service rules applied after a failure');
    // The failed apply, then the retry (a Service or EndpointSlice event may add another run: never fewer).
    assert.ok(proxyTable.attempts >= 2, `attempts: ${proxyTable.attempts}`);
  });

  it('retry a NetworkPolicy rules apply that failed, without any other change', async () => {
    await eventually(() => policyTable.applied, (applied) => applied.length > 0, 'policy rules applied after a failure');
    assert.ok(policyTable.attempts >= 2, `attempts: ${policyTable.attempts}`);
  });

  it('retry a LoadBalancer status write answered 409', async () => {
    failNext(servicesResource, 'patch', 1, () => new StatusError(409, 'Conflict', 'Operation cannot be fulfilled on services "lb": the object has been modified; please apply your changes to the latest version and try again'));
    await client.resource(servicesResource).create({ metadata: { name: 'lb', namespace: 'default' }, spec: { type: 'LoadBalancer', ports: [{ port: 8080 }] } } as KubeObject);
    const service = await eventually(
      () => client.resource<KubeObject & { status?: { loadBalancer?: { ingress?: { ip?: string }[] } } }>(servicesResource).get('default', 'lb'),
      (s) => s.status?.loadBalancer?.ingress?.some((e) => e.ip === ownIP) ?? false,
      'the node address in the service status',
    );
    assert.deepEqual(service.status?.loadBalancer?.ingress, [{ ip: ownIP, ipMode: 'VIP' }]);
    assert.ok(serviceLB.errors >= 1);
  });

  it('retry an Ingress status write answered 500', async () => {
    failNext(ingressesResource, 'patch', 1, () => new StatusError(500, 'InternalError', 'Internal error occurred: etcdserver: request timed out'));
    await client.resource(ingressesResource).create({ metadata: { name: 'web', namespace: 'default' }, spec: { defaultBackend: { service: { name: 'lb', port: { number: 8080 } } } } } as KubeObject);
    await eventually(
      () => client.resource<KubeObject & { status?: { loadBalancer?: { ingress?: { ip?: string }[] } } }>(ingressesResource).get('default', 'web'),
      (i) => i.status?.loadBalancer?.ingress?.some((e) => e.ip === ownIP) ?? false,
      'the node address in the ingress status',
    );
    assert.ok(ingress.statusErrors >= 1);
  });

  it('routes other nodes\' pod ranges, retrying a failed ip command; removes a route an earlier run left to a node gone since', async () => {
    await eventually(() => routes.routes.get('10.42.7.0/24'), (via) => via === goneIP, 'a route to the other node');
    assert.ok(ipCalls.filter((args) => args[1] === 'replace').length >= 2);
    assert.ok(ipCalls.some((args) => args.join(' ') === `route replace 10.42.7.0/24 via ${goneIP} proto 197`));
    assert.ok(ipCalls.some((args) => args.join(' ') === 'route del 10.42.9.0/24 proto 197'));
    assert.equal(routes.routes.has('10.42.9.0/24'), false);
  });

  it('publishes this node\'s kube-dns endpoint, owned by its Node, retrying a failed create', async () => {
    const slice = await eventually(() => client.resource(endpointSlicesResource).find('kube-system', 'kube-dns-own'), (s) => s !== undefined, 'the kube-dns-own slice');
    assert.equal(slice!.metadata.ownerReferences?.[0]?.kind, 'Node');
    assert.equal(slice!.metadata.ownerReferences?.[0]?.name, 'own');
    assert.ok(ownEndpoints.errors >= 1);
    await eventually(() => client.resource(endpointSlicesResource).find('kube-system', 'kube-dns-gone'), (s) => s !== undefined, 'the other node\'s slice');
  });

  it('removes what belonged to a node once it is deleted: its route, its status addresses, its endpoints', async () => {
    const services = client.resource<KubeObject & { status?: { loadBalancer?: { ingress?: { ip?: string }[] } } }>(servicesResource);
    await services.patch('default', 'lb', { status: { loadBalancer: { ingress: [{ ip: ownIP, ipMode: 'VIP' }, { ip: goneIP, ipMode: 'VIP' }] } } }, 'merge', { subresource: 'status' });
    await client.resource(nodesResource).delete(undefined, 'gone');
    await eventually(() => routes.routes.has('10.42.7.0/24'), (has) => !has, 'the gone node\'s route removed');
    assert.ok(ipCalls.some((args) => args.join(' ') === 'route del 10.42.7.0/24 proto 197'));
    await eventually(
      () => services.get('default', 'lb'),
      (s) => JSON.stringify(s.status?.loadBalancer?.ingress) === JSON.stringify([{ ip: ownIP, ipMode: 'VIP' }]),
      'the gone node\'s address out of the service status',
    );
    await eventually(() => client.resource(endpointSlicesResource).find('kube-system', 'kube-dns-gone'), (s) => s === undefined, 'the gone node\'s kube-dns endpoint removed', 20_000);
  });
});

