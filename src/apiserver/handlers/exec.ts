/**
 * `pods/<name>/exec`, `pods/<name>/attach` and `pods/<name>/portforward`
 * (kubectl exec, attach, cp, port-forward): an upgrade the apiserver
 * passes through to the pod's node agent, as upstream proxies it to the
 * kubelet. A WebSocket exec or attach: the client's subprotocols
 * (`v5.channel.k8s.io`, …) are offered to the agent; once the agent
 * accepts, the client's handshake completes with the same protocol and
 * messages flow both ways unchanged. A SPDY/3.1 upgrade (older kubectl,
 * client-go tools; `POST` for exec and attach) and every port-forward:
 * the request is forwarded and the two connections joined byte for byte,
 * the agent answering the upgrade itself.
 */
import { normalizeBooleanParameters } from '../../machinery/query-params.js';
import type { IncomingMessage } from 'node:http';
import { connect as tlsConnect } from 'node:tls';
import type { Duplex } from 'node:stream';
import type { ServerContext } from '../context.js';

const passedOn = ['command', 'stdin', 'stdout', 'stderr', 'tty', 'ports'];

function refuse(socket: Duplex, code: number, reason: string, message: string): void {
  const body = JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });
  const text = { 400: 'Bad Request', 401: 'Unauthorized', 404: 'Not Found', 500: 'Internal Server Error' }[code] ?? 'Error';
  socket.end(`HTTP/1.1 ${code} ${text}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

interface ExecPod {
  spec?: { nodeName?: string; containers?: { name: string }[] };
}

/** Handles an authorized upgrade request; answers false when it is not an exec request (the caller refuses it). */
export async function handleExecUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, server: ServerContext): Promise<boolean> {
  const url = new URL(req.url ?? '/', 'https://skiff');
  const match = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/(exec|attach|portforward)$/.exec(url.pathname);
  if (!match) return false;
  const verb = match[3];
  // The server authenticated and authorized the request before handing it here.
  const [namespace, name] = match.slice(1, 3).map(decodeURIComponent);
  const pods = server.registry.find('', 'v1', 'pods')!;
  const nodes = server.registry.find('', 'v1', 'nodes')!;
  const pod = (await server.storageFor(pods).get(namespace, name).then((r) => r.object, () => undefined)) as ExecPod | undefined;
  if (!pod) {
    refuse(socket, 404, 'NotFound', `pods "${name}" not found`);
    return true;
  }
  const containers = (pod.spec?.containers ?? []).map((c) => c.name);
  const container = verb === 'portforward' ? '' : (url.searchParams.get('container') ?? (containers.length === 1 ? containers[0] : undefined));
  if (container === undefined) {
    refuse(socket, 400, 'BadRequest', `a container name must be specified for pod ${name}, choose one of: [${containers.join(' ')}]`);
    return true;
  }
  const nodeName = pod.spec?.nodeName;
  const node = nodeName
    ? ((await server.storageFor(nodes).get(undefined, nodeName).then((r) => r.object, () => undefined)) as
        | { status?: { addresses?: { type: string; address: string }[]; daemonEndpoints?: { kubeletEndpoint?: { Port?: number } } } }
        | undefined)
    : undefined;
  const address = node?.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
  const port = node?.status?.daemonEndpoints?.kubeletEndpoint?.Port;
  const credentials = server.nodeClient;
  if (!address || !port || !credentials) {
    refuse(socket, 400, 'BadRequest', `pod ${name} is not running on a node that accepts ${verb}`);
    return true;
  }
  const passed = new URLSearchParams();
  for (const key of passedOn) for (const value of url.searchParams.getAll(key)) passed.append(key, value);
  // stdin=True (the Python client) means stdin: the agent is told plainly.
  const query = normalizeBooleanParameters(passed, ['stdin', 'stdout', 'stderr', 'tty']);
  const protocols = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim()).filter(Boolean);
  const target = `/${verb}/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}${container ? `/${encodeURIComponent(container)}` : ''}`;
  if (verb === 'portforward' || !/^websocket$/i.test(String(req.headers.upgrade ?? ''))) {
    proxyUpgrade(req, socket, head, { host: address, port, path: `${target}?${query}`, credentials, nodeName: nodeName! });
    return true;
  }
  // Loaded on the first exec or attach, not with the apiserver: the library is large and a start never needs it.
  const { WebSocket, WebSocketServer } = await import('ws');
  const agent = new WebSocket(`wss://${address}:${port}${target}?${query}`, protocols, {
    ca: credentials.caPem,
    cert: credentials.certPem,
    key: credentials.keyPem,
    // The agent's certificate is checked against the cluster CA; node names are not in it as the address is.
    // (Node's TLS wants undefined for "fine"; ws's types say boolean.)
    checkServerIdentity: (() => undefined) as unknown as () => boolean,
  });
  agent.on('error', (err) => {
    if (socket.writable) refuse(socket, 500, 'InternalError', `reaching the node ${nodeName}: ${err.message}`);
  });
  agent.on('open', () => {
    // Complete the client's handshake with the protocol the agent chose.
    const chosen = agent.protocol;
    const clients = new WebSocketServer({ noServer: true, handleProtocols: (offered) => (offered.has(chosen) ? chosen : false) });
    clients.handleUpgrade(req, socket, head, (client) => {
      agent.on('message', (data, isBinary) => client.send(data, { binary: isBinary }));
      client.on('message', (data, isBinary) => {
        if (agent.readyState === agent.OPEN) agent.send(data, { binary: isBinary });
      });
      agent.on('close', () => client.close(1000));
      client.on('close', () => agent.close());
    });
  });
  return true;
}

/**
 * Passes an upgrade through byte for byte: the client's request goes to the
 * agent (on its path, over a TLS connection with the apiserver's node-client
 * certificate), and from then on both connections are simply joined. Used
 * for SPDY upgrades, which a WebSocket library cannot complete, and for
 * port-forward, whose subprotocol name (`SPDY/3.1+portforward.k8s.io`)
 * is not a token a WebSocket library accepts: neither needs anything from
 * the apiserver but the connection. Either end finishing lets what it
 * wrote reach the other before that one is closed too.
 */
function proxyUpgrade(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  to: { host: string; port: number; path: string; credentials: NonNullable<ServerContext['nodeClient']>; nodeName: string },
): void {
  const agent = tlsConnect({ host: to.host, port: to.port, ca: to.credentials.caPem, cert: to.credentials.certPem, key: to.credentials.keyPem, checkServerIdentity: () => undefined });
  agent.on('secureConnect', () => {
    // The client's method: SPDY exec and attach are POSTs (their bodies are empty).
    const lines = [`${req.method ?? 'GET'} ${to.path} HTTP/1.1`, `Host: ${to.host}:${to.port}`];
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const name = req.rawHeaders[i];
      if (/^(host|authorization)$/i.test(name)) continue;
      lines.push(`${name}: ${req.rawHeaders[i + 1]}`);
    }
    agent.write(`${lines.join('\r\n')}\r\n\r\n`);
    if (head.length) agent.write(head);
    agent.pipe(socket);
    socket.pipe(agent);
  });
  agent.on('error', (err) => {
    if (socket.writable && !agent.bytesRead) refuse(socket, 500, 'InternalError', `reaching the node ${to.nodeName}: ${err.message}`);
    else socket.destroy();
  });
  socket.on('error', () => agent.destroy());
  socket.on('close', () => agent.destroy());
  // Ended, not destroyed: what the agent sent last (the exit status) is still on its way out.
  agent.on('close', () => socket.end(() => socket.destroy()));
}
