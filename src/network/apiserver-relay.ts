/**
 * How pods reach the apiserver at `kubernetes.default.svc` (10.43.0.1:443):
 * every node relays TCP from its bridge address to the apiserver it talks
 * to itself (which may listen only on the machine's 127.0.0.1), and
 * publishes that relay as an endpoint of the `kubernetes` Service, in an
 * EndpointSlice of its own (`kubernetes-<node>`, owned by the Node:
 * node-endpoints.ts). TLS stays end to end:
 * the apiserver's certificate names 10.43.0.1 and kubernetes.default.svc.
 */
import { connect, createServer } from 'node:net';
import type { NodeEndpoints } from './node-endpoints.js';
import { whenAborted } from '../machinery/abort.js';

export async function startApiserverRelay(endpoints: NodeEndpoints, options: { address: string; server: string; signal: AbortSignal }): Promise<number> {
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
  whenAborted(options.signal, () => relay.close());

  endpoints.publish({ namespace: 'default', service: 'kubernetes', address: options.address, ports: [{ name: 'https', port, protocol: 'TCP' }] });
  return port;
}
