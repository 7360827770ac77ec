/**
 * Where a proxy subresource leads. The name in the path says it:
 * `name`, `name:port` or `scheme:name:port` (scheme `http` or `https`),
 * as upstream's SplitSchemeNamePort reads it.
 *
 *   pods/<id>/proxy      the pod's IP; the port given (a number, or the name
 *                        of a container port), else the first container port
 *   services/<id>/proxy  a ready address of the Service's Endpoints and the
 *                        endpoint port of the Service port named (or numbered)
 *   nodes/<id>/proxy     the node agent's own endpoint (InternalIP and
 *                        status.daemonEndpoints.kubeletEndpoint.Port, https,
 *                        with the apiserver's node-client certificate) — or,
 *                        when another port is named, that port on the node
 *
 * Upstream refuses pod IPs that are not global unicast ("address not
 * allowed"); skiff's pods can be host processes on 127.0.0.1, so only a
 * missing or unspecified address is refused here.
 */
import { isIP } from 'node:net';
import { errors } from '../../machinery/status.js';
import type { ServerContext } from '../context.js';

export interface ProxyTarget {
  scheme: 'http' | 'https';
  host: string;
  /** Undefined: the scheme's default port (upstream leaves the port out of the URL). */
  port?: number;
  /** Client credentials and the CA to check the server with (the node agent); else any certificate is accepted, as upstream's proxy transport does. */
  tls?: { caPem: string; certPem: string; keyPem: string };
}

export type ProxiedResource = 'pods' | 'services' | 'nodes';

/** Upstream's SplitSchemeNamePort: undefined when the id has more than three parts, no name, or an unknown scheme. */
export function splitSchemeNamePort(id: string): { scheme: 'http' | 'https' | ''; name: string; port: string } | undefined {
  const parts = id.split(':');
  let scheme = '';
  let name: string;
  let port = '';
  if (parts.length === 1) [name] = parts;
  else if (parts.length === 2) [name, port] = parts;
  else if (parts.length === 3) [scheme, name, port] = parts;
  else return undefined;
  if (!name || (scheme !== '' && scheme !== 'http' && scheme !== 'https')) return undefined;
  return { scheme: scheme as 'http' | 'https' | '', name, port };
}

const singular: Record<ProxiedResource, string> = { pods: 'pod', services: 'service', nodes: 'node' };

export async function resolveProxyTarget(server: ServerContext, resource: ProxiedResource, namespace: string | undefined, id: string): Promise<ProxyTarget> {
  const parsed = splitSchemeNamePort(id);
  if (!parsed) throw errors.badRequest(`invalid ${singular[resource]} request "${id}"`);
  if (resource === 'pods') return podTarget(server, namespace!, parsed);
  if (resource === 'services') return serviceTarget(server, namespace!, parsed, id);
  return nodeTarget(server, parsed);
}

function read(server: ServerContext, resource: string, namespace: string | undefined, name: string): Promise<Record<string, any>> {
  const type = server.registry.find('', 'v1', resource)!;
  return server.storageFor(type).get(namespace, name).then((r) => r.object as Record<string, any>);
}

const asPort = (text: string): number | undefined => (/^\d+$/.test(text) && Number(text) > 0 && Number(text) < 65536 ? Number(text) : undefined);

interface Parsed {
  scheme: 'http' | 'https' | '';
  name: string;
  port: string;
}

async function podTarget(server: ServerContext, namespace: string, { scheme, name, port }: Parsed): Promise<ProxyTarget> {
  const pod = await read(server, 'pods', namespace, name);
  const containers: { ports?: { name?: string; containerPort: number }[] }[] = pod.spec?.containers ?? [];
  const declared = containers.flatMap((c) => c.ports ?? []);
  let number: number | undefined;
  if (port === '') number = declared[0]?.containerPort;
  else number = asPort(port) ?? declared.find((p) => p.name === port)?.containerPort;
  if (port !== '' && number === undefined) {
    // Upstream hands the name to the dialer, which fails: the same 503.
    throw errors.serviceUnavailable(`error trying to reach service: no port named "${port}" in pod "${name}"`);
  }
  const ip: string | undefined = pod.status?.podIP ?? pod.status?.podIPs?.[0]?.ip;
  if (!ip || !isIP(ip) || ip === '0.0.0.0' || ip === '::') throw errors.badRequest('address not allowed');
  return { scheme: scheme || 'http', host: ip, port: number };
}

interface EndpointSubset {
  addresses?: { ip: string }[];
  ports?: { name?: string; port: number }[];
}

async function serviceTarget(server: ServerContext, namespace: string, { scheme, name, port }: Parsed, id: string): Promise<ProxyTarget> {
  let portName = port;
  // A port number names the Service port with that number; endpoints are matched by port name.
  const number = asPort(port);
  if (number !== undefined) {
    const service = await read(server, 'services', namespace, name);
    const found = ((service.spec?.ports ?? []) as { name?: string; port: number }[]).find((p) => p.port === number);
    if (!found) throw errors.serviceUnavailable(`no service port ${number} found for service "${name}"`);
    portName = found.name ?? '';
  }
  const endpoints = await read(server, 'endpoints', namespace, name);
  const subsets: EndpointSubset[] = endpoints.subsets ?? [];
  if (subsets.length === 0) throw errors.serviceUnavailable(`no endpoints available for service "${name}"`);
  // As upstream: start from a random subset and a random ready address, to spread the load.
  const start = Math.floor(Math.random() * subsets.length);
  for (let i = 0; i < subsets.length; i++) {
    const subset = subsets[(start + i) % subsets.length];
    const addresses = subset.addresses ?? [];
    const endpointPort = (subset.ports ?? []).find((p) => (p.name ?? '') === portName);
    if (!addresses.length || !endpointPort) continue;
    const address = addresses[Math.floor(Math.random() * addresses.length)];
    return { scheme: scheme || 'http', host: address.ip, port: endpointPort.port };
  }
  throw errors.serviceUnavailable(`no endpoints available for service "${id}"`);
}

async function nodeTarget(server: ServerContext, { scheme, name, port }: Parsed): Promise<ProxyTarget> {
  const node = await read(server, 'nodes', undefined, name);
  const address: string | undefined = (node.status?.addresses ?? []).find((a: { type: string }) => a.type === 'InternalIP')?.address;
  const agentPort: number | undefined = node.status?.daemonEndpoints?.kubeletEndpoint?.Port;
  if (!address) throw errors.badRequest(`node "${name}" has no InternalIP to reach it at`);
  // No port, or the agent's own: the agent, over https with the apiserver's client certificate.
  if (port === '' || asPort(port) === agentPort) {
    if (!agentPort || !server.nodeClient) throw errors.badRequest(`node "${name}" does not serve its agent endpoint`);
    return { scheme: 'https', host: address, port: agentPort, tls: server.nodeClient };
  }
  const number = asPort(port);
  if (number === undefined) throw errors.badRequest(`invalid node request "${[scheme, name, port].filter(Boolean).join(':')}"`);
  return { scheme: scheme || 'http', host: address, port: number };
}
