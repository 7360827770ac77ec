/**
 * How pods reach the apiserver at `kubernetes.default.svc` (10.43.0.1:443):
 * every node relays TCP from its bridge address to the apiserver it talks
 * to itself (which may listen only on the machine's 127.0.0.1), and
 * publishes that relay as an endpoint of the `kubernetes` Service, in an
 * EndpointSlice of its own (`kubernetes-<node>`). TLS stays end to end:
 * the apiserver's certificate names 10.43.0.1 and kubernetes.default.svc.
 */
import { connect, createServer } from 'node:net';
import type { Client } from '../client/index.js';
import { endpointSlicesResource } from '../client/index.js';
import type { KubeObject } from '../machinery/object.js';
import { isStatusError } from '../machinery/status.js';

export async function startApiserverRelay(client: Client, options: { nodeName: string; address: string; server: string; signal: AbortSignal }): Promise<number> {
  const target = new URL(options.server);
  const port = Number(target.port || 443);
  const host = target.hostname.replace(/^\[|\]$/g, '');
  const relay = createServer((socket) => {
    const upstream = connect(port, host);
    socket.pipe(upstream);
    upstream.pipe(socket);
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    relay.once('error', reject);
    relay.listen(port, options.address, () => resolve());
  });
  options.signal.addEventListener('abort', () => relay.close(), { once: true });

  const slices = client.resource(endpointSlicesResource);
  const name = `kubernetes-${options.nodeName}`.slice(0, 253);
  const slice = {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name, namespace: 'default', labels: { 'kubernetes.io/service-name': 'kubernetes', 'endpointslice.kubernetes.io/managed-by': 'skiff-node' } },
    addressType: 'IPv4',
    endpoints: [{ addresses: [options.address], conditions: { ready: true, serving: true, terminating: false }, nodeName: options.nodeName }],
    ports: [{ name: 'https', port, protocol: 'TCP' }],
  } as unknown as KubeObject;
  const existing = await slices.find('default', name);
  if (!existing) {
    await slices.create(slice).catch((err) => {
      if (!isStatusError(err, 'AlreadyExists')) throw err;
    });
  } else {
    await slices.update({ ...slice, metadata: { ...slice.metadata, resourceVersion: existing.metadata.resourceVersion } } as KubeObject);
  }
  return port;
}
