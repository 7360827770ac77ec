/**
 * The cluster DNS server against a real in-process apiserver: Services and
 * EndpointSlices become A and SRV records as they change; names outside the
 * zone go to the upstream resolver; TCP works like UDP.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import * as dnsPacket from 'dns-packet';
import { startTestServer, type TestServer } from '../../src/apiserver/testing.js';
import { Client, endpointSlicesResource, InformerFactory, servicesResource } from '../../src/client/index.js';
import { ClusterDNS } from '../../src/network/index.js';
import type { KubeObject } from '../../src/machinery/object.js';
import { eventually } from './harness.js';

let api: TestServer;
let client: Client;
let dns: ClusterDNS;
const stop = new AbortController();
/** A stand-in for the machine's resolver: answers every name with 192.0.2.99. */
const upstream = createSocket('udp4');

/** A decoded reply, as far as these tests read it. */
interface Reply {
  rcode?: string;
  answers?: { type: string; data: unknown; ttl?: number }[];
}

/** A query over UDP, sent again each second as a resolver does (UDP may drop it), failing after five tries. */
function udpQuery(port: number, name: string, type: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    const query = dnsPacket.encode({ type: 'query', id: 7, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: type as 'A', name }] });
    let tries = 0;
    const send = () => {
      if (tries++ === 5) {
        clearInterval(timer);
        socket.close();
        reject(new Error(`no answer for ${name} ${type} after 5 tries`));
        return;
      }
      socket.send(query, port, '127.0.0.1');
    };
    const timer = setInterval(send, 1000);
    socket.on('message', (message) => {
      clearInterval(timer);
      socket.close();
      resolve(dnsPacket.decode(message) as Reply);
    });
    socket.on('error', (err) => {
      clearInterval(timer);
      reject(err);
    });
    send();
  });
}

before(async () => {
  api = await startTestServer();
  client = new Client(api.credentials);
  upstream.on('message', (message, remote) => {
    const query = dnsPacket.decode(message);
    upstream.send(dnsPacket.encode({ type: 'response', id: query.id, questions: query.questions, answers: [{ type: 'A', name: query.questions![0].name, data: '192.0.2.99' }] }), remote.port, remote.address);
  });
  await new Promise<void>((resolve) => upstream.bind(0, '127.0.0.1', () => resolve()));
  dns = new ClusterDNS(new InformerFactory(client), { address: '127.0.0.1', port: 0, upstreams: [`127.0.0.1:${upstream.address().port}`] });
  await dns.start(stop.signal);
});

after(async () => {
  stop.abort();
  upstream.close();
  client.close();
  await api.close();
});

describe('cluster DNS', () => {
  it('answers for services as they come and go, NXDOMAIN otherwise', async () => {
    const missing = await udpQuery(dns.port, 'web.default.svc.cluster.local', 'A');
    assert.equal(missing.rcode, 'NXDOMAIN');
    const service = await client.resource(servicesResource).create({ metadata: { name: 'web', namespace: 'default' }, spec: { ports: [{ name: 'http', port: 80 }] } } as KubeObject);
    const clusterIP = (service as { spec?: { clusterIP?: string } }).spec!.clusterIP!;
    const found = await eventually(() => udpQuery(dns.port, 'web.default.svc.cluster.local', 'A'), (r) => r.rcode === 'NOERROR' && (r.answers?.length ?? 0) > 0, 'the A record');
    assert.deepEqual(found.answers!.map((a) => [a.type, a.data, a.ttl]), [['A', clusterIP, 5]]);
    const srv = await udpQuery(dns.port, '_http._tcp.web.default.svc.cluster.local', 'SRV');
    assert.deepEqual((srv.answers![0] as { data: { port: number; target: string } }).data, { priority: 0, weight: 100, port: 80, target: 'web.default.svc.cluster.local' });
  });

  it('a headless service answers with its ready endpoints, by name and by hostname', async () => {
    await client.resource(servicesResource).create({ metadata: { name: 'db', namespace: 'default' }, spec: { clusterIP: 'None', ports: [{ port: 5432 }] } } as KubeObject);
    await client.resource(endpointSlicesResource).create({
      metadata: { name: 'db-abc', namespace: 'default', labels: { 'kubernetes.io/service-name': 'db' } },
      addressType: 'IPv4',
      endpoints: [
        { addresses: ['10.42.0.5'], hostname: 'db-0', conditions: { ready: true } },
        { addresses: ['10.42.0.6'], hostname: 'db-1', conditions: { ready: false } },
      ],
      ports: [{ port: 5432 }],
    } as KubeObject);
    const all = await eventually(() => udpQuery(dns.port, 'db.default.svc.cluster.local', 'A'), (r) => (r.answers?.length ?? 0) > 0, 'headless answers');
    assert.deepEqual(all.answers!.map((a) => a.data), ['10.42.0.5'], 'only ready endpoints');
    const one = await udpQuery(dns.port, 'db-0.db.default.svc.cluster.local', 'A');
    assert.deepEqual(one.answers!.map((a) => a.data), ['10.42.0.5']);
  });

  it('forwards names outside the zone; answers over TCP too', async () => {
    const outside = await udpQuery(dns.port, 'example.org', 'A');
    assert.deepEqual(outside.answers!.map((a) => a.data), ['192.0.2.99']);
    const reply = await new Promise<Reply>((resolve, reject) => {
      const socket = connect(dns.port, '127.0.0.1', () => socket.write(dnsPacket.streamEncode({ type: 'query', id: 9, questions: [{ type: 'A', name: 'web.default.svc.cluster.local' }] })));
      let data = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        data = Buffer.concat([data, chunk]);
        if (data.length >= 2 && data.length >= 2 + data.readUInt16BE(0)) {
          socket.end();
          resolve(dnsPacket.streamDecode(data) as Reply);
        }
      });
      socket.on('error', reject);
    });
    assert.equal(reply.answers?.[0]?.type, 'A');
  });
});
