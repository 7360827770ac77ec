/**
 * The built-in Ingress controller (IngressClass `skiff`, the default
 * class), run on every node: an HTTP and an HTTPS listener that route each
 * request by host and path (routes.ts) to a ready endpoint of the backend
 * Service, round-robin, and report the node's address in the Ingresses'
 * status.
 *
 *   informers: Ingresses, IngressClasses, Services, EndpointSlices, Secrets
 *   request ─► route(host, path) ─► Service port ─► EndpointSlice endpoint ─► proxied
 *              (404 no route, 503 no ready endpoint, 502 the endpoint failed)
 *   TLS: the certificate of the Ingress whose tls.hosts names the server (SNI)
 *   WebSocket and other upgrades are passed through.
 *   status: this node's address in each served Ingress, addresses of nodes
 *   that are gone taken out; a failed write retried with backoff
 *   (load-balancer-status.ts).
 */
import http from 'node:http';
import https from 'node:https';
import { connect } from 'node:net';
import { createSecureContext, type SecureContext } from 'node:tls';
import type { Ingress, IngressBackend } from '../../api/networking/index.js';
import type { Controller, InformerFactory, SharedInformer } from '../../client/index.js';
import { ingressClassesResource, ingressesResource, nodesResource, secretsResource, servicesResource } from '../../client/index.js';
import { loadBalancerStatusController, nextLoadBalancerIngress, nodeAddresses } from '../load-balancer-status.js';
import { byService, endpointSliceInformer, readyEndpoints, type SliceObject } from '../endpoint-slices.js';
import type { KubeObject } from '../../machinery/object.js';
import { route, tlsSecretFor } from './routes.js';
import { ingressControllerName } from './ingress-class.js';
import { whenAborted } from '../../machinery/abort.js';

interface ServiceObject extends KubeObject {
  spec?: { ports?: { name?: string; port: number; protocol?: string }[] };
}
interface SecretObject extends KubeObject {
  type?: string;
  data?: Record<string, string>;
}

export interface IngressControllerOptions {
  /** Where to listen; 0 leaves that listener out. */
  httpPort: number;
  httpsPort: number;
  /** The addresses to listen on (default: all, 0.0.0.0). */
  addresses?: string[];
  /** This node's address, reported in status.loadBalancer. */
  nodeIP: string;
  log?: (event: Record<string, unknown>) => void;
}

export class IngressController {
  private readonly ingresses: SharedInformer<Ingress>;
  private readonly classes: SharedInformer<KubeObject & { spec?: { controller?: string } }>;
  private readonly services: SharedInformer<ServiceObject>;
  private readonly slices: SharedInformer<SliceObject>;
  private readonly secrets: SharedInformer<SecretObject>;
  private readonly nodes: SharedInformer;
  private readonly statusWriter: Controller;
  private readonly servers: (http.Server | https.Server)[] = [];
  private readonly contexts = new Map<string, { version: string; context: SecureContext }>();
  private nextEndpoint = 0;

  constructor(
    private readonly informers: InformerFactory,
    private readonly options: IngressControllerOptions,
  ) {
    this.ingresses = informers.informerFor<Ingress>(ingressesResource);
    this.classes = informers.informerFor(ingressClassesResource);
    this.services = informers.informerFor<ServiceObject>(servicesResource);
    this.slices = endpointSliceInformer<SliceObject>(informers);
    this.secrets = informers.informerFor<SecretObject>(secretsResource);
    this.nodes = informers.informerFor(nodesResource);
    // What is served is worked out again after Ingresses or classes change (handlers run in order: this first).
    const changed = () => (this.servedCache = undefined);
    this.ingresses.addEventHandler({ add: changed, update: changed, delete: changed });
    this.classes.addEventHandler({ add: changed, update: changed, delete: changed });
    this.statusWriter = loadBalancerStatusController(informers, { name: 'ingress-status', for: ingressesResource, reconcile: (key) => this.reportStatus(key), log: options.log });
    // A class changing changes which Ingresses are served: every one is checked again.
    this.classes.addEventHandler({ add: () => this.checkAll(), update: () => this.checkAll(), delete: () => this.checkAll() });
  }

  /** Failed status writes so far (tests). */
  get statusErrors(): number {
    return this.statusWriter.stats.errors;
  }

  private checkAll(): void {
    for (const key of this.ingresses.store.keys()) this.statusWriter.queue.add(key);
  }

  /** The served Ingresses, worked out again only when Ingresses or classes change (not on every request). */
  private servedCache: Ingress[] | undefined;

  private served(): Ingress[] {
    this.servedCache ??= this.computeServed();
    return this.servedCache;
  }

  /** The Ingresses this controller serves: its class by name, or none named when its class is the default. */
  private computeServed(): Ingress[] {
    const ours = this.classes.store.list().filter((c) => c.spec?.controller === ingressControllerName);
    const names = new Set(ours.map((c) => c.metadata.name));
    const defaultIsOurs = ours.some((c) => c.metadata.annotations?.['ingressclass.kubernetes.io/is-default-class'] === 'true');
    return this.ingresses.store.list().filter((ingress) => {
      const name = ingress.spec?.ingressClassName ?? ingress.metadata.annotations?.['kubernetes.io/ingress.class'];
      return name ? names.has(name) : defaultIsOurs;
    });
  }

  async start(signal: AbortSignal): Promise<void> {
    const informers = [this.ingresses, this.classes, this.services, this.slices, this.secrets, this.nodes] as SharedInformer<KubeObject>[];
    for (const informer of informers) informer.start(signal);
    void this.statusWriter.run(signal);
    await Promise.all(informers.map((informer) => informer.waitForSync(signal)));
    for (const address of this.options.addresses ?? ['0.0.0.0']) {
      if (this.options.httpPort > 0) {
        const server = http.createServer((req, res) => this.proxy(req, res, 'http'));
        server.on('upgrade', (req, socket, head) => this.upgrade(req, socket, head));
        await listen(server, this.options.httpPort, address);
        this.servers.push(server);
      }
      if (this.options.httpsPort > 0) {
        const server = https.createServer({ SNICallback: (name, done) => done(null, this.contextFor(name)) }, (req, res) => this.proxy(req, res, 'https'));
        server.on('upgrade', (req, socket, head) => this.upgrade(req, socket, head));
        await listen(server, this.options.httpsPort, address);
        this.servers.push(server);
      }
    }
    whenAborted(signal, () => this.close());
  }

  close(): void {
    for (const server of this.servers.splice(0)) {
      server.close();
      server.closeAllConnections();
    }
  }

  /** The certificate for a server name, from its Ingress's TLS Secret (cached per Secret version). */
  private contextFor(serverName: string): SecureContext | undefined {
    const key = tlsSecretFor(this.served(), serverName);
    const secret = key ? this.secrets.store.get(key) : undefined;
    const cert = secret?.data?.['tls.crt'];
    const keyPem = secret?.data?.['tls.key'];
    if (!secret || !cert || !keyPem) return undefined;
    const cached = this.contexts.get(key!);
    if (cached && cached.version === secret.metadata.resourceVersion) return cached.context;
    try {
      const context = createSecureContext({ cert: Buffer.from(cert, 'base64'), key: Buffer.from(keyPem, 'base64') });
      this.contexts.set(key!, { version: secret.metadata.resourceVersion ?? '', context });
      return context;
    } catch (err) {
      this.options.log?.({ msg: 'ingress TLS secret unusable', secret: key, error: (err as Error).message });
      return undefined;
    }
  }

  /** A ready endpoint (ip, port) of the backend, round-robin; a Status code when there is none. */
  private endpointFor(namespace: string, backend: IngressBackend): { ip: string; port: number } | 404 | 503 {
    const ref = backend.service;
    if (!ref) return 404;
    const service = this.services.store.get(`${namespace}/${ref.name}`);
    const servicePort = service?.spec?.ports?.find((p) => (ref.port?.name ? p.name === ref.port.name : p.port === ref.port?.number));
    if (!service || !servicePort) return 503;
    const candidates = readyEndpoints(this.slices.store.byIndex(byService, `${namespace}/${ref.name}`), servicePort.name, servicePort.protocol ?? 'TCP');
    if (!candidates.length) return 503;
    const { ip, port } = candidates[this.nextEndpoint++ % candidates.length];
    return { ip, port };
  }

  private target(req: http.IncomingMessage): { ip: string; port: number } | 404 | 503 {
    const url = new URL(req.url ?? '/', 'http://ingress');
    const found = route(this.served(), req.headers.host ?? '', url.pathname);
    return found ? this.endpointFor(found.namespace, found.backend) : 404;
  }

  private proxy(req: http.IncomingMessage, res: http.ServerResponse, scheme: 'http' | 'https'): void {
    const target = this.target(req);
    if (typeof target === 'number') {
      res.writeHead(target, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(target === 404 ? 'default backend - 404\n' : 'no ready endpoint for this backend\n');
      return;
    }
    const headers = {
      ...req.headers,
      'x-forwarded-for': [req.headers['x-forwarded-for'], req.socket.remoteAddress].filter(Boolean).join(', '),
      'x-forwarded-proto': scheme,
      'x-forwarded-host': req.headers.host ?? '',
    };
    const upstream = http.request({ host: target.ip, port: target.port, method: req.method, path: req.url, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', (err) => {
      if (!res.headersSent) res.writeHead(502, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(`bad gateway: ${err.message}\n`);
    });
    req.pipe(upstream);
  }

  /** Upgrades (WebSocket): the request is sent on, then both connections are joined. */
  private upgrade(req: http.IncomingMessage, socket: import('node:stream').Duplex, head: Buffer): void {
    const target = this.target(req);
    if (typeof target === 'number') {
      socket.end(`HTTP/1.1 ${target} ${target === 404 ? 'Not Found' : 'Service Unavailable'}\r\n\r\n`);
      return;
    }
    const upstream = connect(target.port, target.ip, () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length) upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
  }

  /** A served Ingress's status.loadBalancer: this node's address in, gone nodes' out. */
  private async reportStatus(key: string): Promise<void> {
    const ingress = this.ingresses.store.get(key);
    if (!ingress || !this.served().some((i) => i.metadata.uid === ingress.metadata.uid)) return;
    const next = nextLoadBalancerIngress(ingress.status?.loadBalancer?.ingress ?? [], { ip: this.options.nodeIP }, nodeAddresses(this.nodes));
    if (!next) return;
    // The version we computed from: a write racing another node's is a 409, retried from the newer copy.
    const patch = { metadata: { resourceVersion: ingress.metadata.resourceVersion }, status: { loadBalancer: { ingress: next } } };
    await this.informers.client.resource(ingressesResource).patch(ingress.metadata.namespace, ingress.metadata.name!, patch, 'merge', { subresource: 'status' });
  }
}

function listen(server: http.Server | https.Server, port: number, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, () => resolve());
  });
}
