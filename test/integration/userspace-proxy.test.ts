/**
 * The user-space service proxy against a real in-process apiserver, at
 * loopback twins (what an ordinary user gets; as root the same code binds
 * the ClusterIPs on skiff-svc0, which test/e2e/userspace-proxy.test.ts
 * covers): a Service's TCP and UDP ports reach its endpoint as the
 * EndpointSlice says, and stop answering when the Service goes.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, connect, type Server } from 'node:net';
import { once } from 'node:events';
import { networkInterfaces } from 'node:os';
import { startTestServer, type TestServer } from '../../src/apiserver/testing.js';
import { Client, endpointSlicesResource, InformerFactory, servicesResource } from '../../src/client/index.js';
import { loopbackTwin, UserspaceProxy } from '../../src/network/index.js';
import type { KubeObject } from '../../src/machinery/object.js';
import { eventually } from './harness.js';

let api: TestServer;
let client: Client;
const stop = new AbortController();
/** The machine's own address: an EndpointSlice may not name a loopback address. */
const machine = Object.values(networkInterfaces())
  .flat()
  .find((entry) => entry && entry.family === 'IPv4' && !entry.internal)?.address;
/** The endpoint: a UDP and a TCP server at that address that answer `udp:<datagram>` and `tcp:<bytes>`. */
const udpServer = createSocket('udp4');
const tcpServer: Server = createServer((socket) => {
  // The proxy may reset its side (a Service deleted mid-connection): an error here is no failure of the test.
  socket.on('error', () => {});
  socket.once('data', (data) => socket.end(`tcp:${data}`));
});

function askUdp(address: string, port: number, text: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket: UdpSocket = createSocket('udp4');
    const timer = setTimeout(() => {
      socket.close();
      resolve(undefined);
    }, 500);
    socket.on('message', (reply) => {
      clearTimeout(timer);
      socket.close();
      resolve(reply.toString());
    });
    socket.send(text, port, address);
  });
}

function askTcp(address: string, port: number, text: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect(port, address, () => socket.write(text));
    let reply = '';
    socket.on('data', (chunk) => (reply += chunk));
    socket.on('end', () => resolve(reply || undefined));
    socket.on('error', () => resolve(undefined));
  });
}

before(async () => {
  api = await startTestServer();
  client = new Client(api.credentials);
  udpServer.on('message', (message, from) => udpServer.send(`udp:${message}`, from.port, from.address));
  if (!machine) return;
  udpServer.bind(0, machine);
  await once(udpServer, 'listening');
  tcpServer.listen(0, machine);
  await once(tcpServer, 'listening');
  const informers = new InformerFactory(client);
  informers.start(stop.signal);
  await new UserspaceProxy(informers, {}).start(stop.signal);
});

after(async () => {
  stop.abort();
  if (machine) {
    udpServer.close();
    tcpServer.close();
  }
  client.close();
  await api.close();
});

describe('user-space service proxy', { skip: machine ? false : 'needs a non-loopback IPv4 address for the endpoint' }, () => {
  it('carries TCP and UDP to the ready endpoint at the loopback twin; a deleted Service stops answering', async () => {
    const service = (await client.resource(servicesResource).create({
      metadata: { name: 'echo', namespace: 'default' },
      spec: { ports: [{ name: 'dns', port: 15353, protocol: 'UDP' }, { name: 'web', port: 18080, protocol: 'TCP' }] },
    } as KubeObject)) as KubeObject & { spec: { clusterIP: string } };
    await client.resource(endpointSlicesResource).create({
      metadata: { name: 'echo-1', namespace: 'default', labels: { 'kubernetes.io/service-name': 'echo' } },
      addressType: 'IPv4',
      endpoints: [{ addresses: [machine!], conditions: { ready: true } }],
      ports: [
        { name: 'dns', port: (udpServer.address() as { port: number }).port, protocol: 'UDP' },
        { name: 'web', port: (tcpServer.address() as { port: number }).port, protocol: 'TCP' },
      ],
    } as KubeObject);
    const twin = loopbackTwin(service.spec.clusterIP)!;
    assert.equal(await eventually(() => askUdp(twin, 15353, 'hello'), (reply) => reply !== undefined, 'the UDP port at the twin'), 'udp:hello');
    assert.equal(await eventually(() => askTcp(twin, 18080, 'hello'), (reply) => reply !== undefined, 'the TCP port at the twin'), 'tcp:hello');

    await client.resource(servicesResource).delete('default', 'echo');
    await eventually(() => askTcp(twin, 18080, 'gone?'), (reply) => reply === undefined, 'the TCP port to close');
    assert.equal(await askUdp(twin, 15353, 'gone?'), undefined, 'the UDP port closed too');
  });
});
