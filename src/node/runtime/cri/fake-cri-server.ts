/**
 * Tests only: an in-memory CRI runtime on a unix socket, answering the RPCs
 * of api.proto roughly as containerd 1.6 does — name reservation per
 * attempt, NotFound for unknown ids, the privileged-sandbox rule, log paths
 * joined to the sandbox's log directory — and a small streaming server for
 * Exec and Attach — WebSocket and SPDY, through the agent's own server side
 * of the remote-command protocol (exec.ts, spdy-remotecommand.ts); ExecSync
 * runs a few commands (`sleep N` killed at the timeout or when the call is
 * cancelled). Tests drive containers' fates directly (`exitContainer`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { exitStatus, webSocketConnection, type RemoteCommandConnection } from '../../exec.js';
import { acceptSpdyRemoteCommand } from '../../spdy-remotecommand.js';
import { isSpdyUpgrade } from '../../portforward/spdy.js';
import type { TerminalSize } from '../runtime.js';
import { criServices } from './proto-loader.js';
import type { CriContainerConfig, CriContainerState, CriPodSandboxConfig, PodSandboxState } from './cri-types.js';
import { webSocketProtocol } from './websocket-transport.js';

interface FakeSandbox {
  id: string;
  config: CriPodSandboxConfig;
  runtimeHandler: string;
  state: PodSandboxState;
  createdAt: number;
  ip: string;
}

interface FakeContainer {
  id: string;
  sandboxId: string;
  config: CriContainerConfig;
  imageId: string;
  state: CriContainerState;
  createdAt: number;
  startedAt: number;
  finishedAt: number;
  exitCode: number;
  reason: string;
  logPath: string;
}

interface FakeImage {
  id: string;
  repoTags: string[];
  size: number;
  config: Record<string, unknown>;
  /** Only pullable with these credentials. */
  auth?: { username: string; password: string };
}

/** Answers an RPC: its response (or a promise of it); throws an RpcError to fail it. */
type Handler = (request: any, call: grpc.ServerUnaryCall<unknown, unknown>) => unknown;

interface StreamSession {
  kind: 'exec' | 'attach';
  containerId: string;
  cmd: string[];
  tty: boolean;
  stdin: boolean;
}

class RpcError extends Error {
  constructor(
    readonly code: grpc.status,
    message: string,
  ) {
    super(message);
  }
}

const nanos = () => Date.now() * 1e6;
const hex = (n: number) => n.toString(16).padStart(64, '0');

function matches(labels: Record<string, string>, selector: Record<string, string> | undefined): boolean {
  return Object.entries(selector ?? {}).every(([key, value]) => labels[key] === value);
}

export class FakeCriServer {
  readonly dir = mkdtempSync(join(tmpdir(), 'skiff-fake-cri-'));
  readonly socket = join(this.dir, 'cri.sock');
  readonly endpoint = `unix://${this.socket}`;
  readonly sandboxes = new Map<string, FakeSandbox>();
  readonly containers = new Map<string, FakeContainer>();
  /** Images the node holds, and images a pull can fetch. */
  readonly images = new Map<string, FakeImage>();
  readonly registry = new Map<string, FakeImage>();
  readonly handlers = new Set(['runc']);
  /** Every RPC received, by name, with its request (tests look at what was sent). */
  readonly calls: { rpc: string; request: any }[] = [];
  /** Per RPC: how long to wait before answering (deadline tests). */
  readonly delays = new Map<string, number>();
  /** ExecSync commands killed before their end: at their timeout, or because the call was cancelled. */
  readonly killedExecs: { cmd: string[]; why: 'timeout' | 'cancelled' }[] = [];
  /** The PID containerd's verbose PodSandboxStatus reports for every sandbox. */
  sandboxPid = 4242;
  /** Streaming sessions connected so far, and how many of them over SPDY. */
  streamsOpened = 0;
  spdySessions = 0;
  private grpcServer = new grpc.Server();
  private http?: Server;
  private streamingPort = 0;
  private nextId = 1;
  private readonly sessions = new Map<string, StreamSession>();
  /** Port-forward tokens (single use, as containerd's) → their sandbox. */
  private readonly portForwards = new Map<string, string>();
  private readonly upgraded = new Set<Duplex>();

  addImage(reference: string, config: Record<string, unknown> = {}, size = 1000): FakeImage {
    const image = { id: `sha256:${hex(this.nextId++)}`, repoTags: [reference], size, config };
    this.images.set(image.id, image);
    return image;
  }

  private findImage(reference: string): FakeImage | undefined {
    return this.images.get(reference) ?? [...this.images.values()].find((image) => image.repoTags.includes(reference));
  }

  private async serveGrpc(): Promise<void> {
    const { RuntimeService, ImageService } = criServices();
    this.grpcServer.addService(RuntimeService.service, this.implement(this.runtimeHandlers()));
    this.grpcServer.addService(ImageService.service, this.implement(this.imageHandlers()));
    await new Promise<void>((resolve, reject) => this.grpcServer.bindAsync(this.endpoint, grpc.ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())));
  }

  /** The runtime goes away (its socket too), as containerd stopping does. */
  stopGrpc(): void {
    this.grpcServer.forceShutdown();
    rmSync(this.socket, { force: true });
  }

  /** …and comes back on the same socket, with what it held. */
  async restartGrpc(): Promise<void> {
    this.grpcServer = new grpc.Server();
    await this.serveGrpc();
  }

  async start(): Promise<void> {
    await this.serveGrpc();
    this.http = createServer((_req, res) => res.writeHead(400).end('upgrade only'));
    const wss = new WebSocketServer({ noServer: true, handleProtocols: (protocols) => (protocols.has(webSocketProtocol) ? webSocketProtocol : false) });
    this.http.on('upgrade', (req, socket: Duplex, head: Buffer) => {
      const url = new URL(req.url ?? '/', 'http://streaming');
      const token = url.pathname.split('/').pop() ?? '';
      const forwarded = this.portForwards.get(token);
      this.portForwards.delete(token);
      if (forwarded && url.pathname.startsWith('/portforward/')) {
        this.streamsOpened++;
        this.upgraded.add(socket);
        socket.on('close', () => this.upgraded.delete(socket));
        const ports = (url.searchParams.get('ports') ?? '').split(',').filter(Boolean).map(Number);
        return void wss.handleUpgrade(req, socket, head, (ws) => this.servePortForward(ws, forwarded, ports));
      }
      const session = this.sessions.get(token);
      this.sessions.delete(token);
      if (!session) return void socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      this.streamsOpened++;
      this.upgraded.add(socket);
      socket.on('close', () => this.upgraded.delete(socket));
      if (isSpdyUpgrade(req)) {
        this.spdySessions++;
        acceptSpdyRemoteCommand(req, socket, head, { stdin: session.stdin, stdout: true, stderr: !session.tty, tty: session.tty }, (connection) => this.serveStream(connection, session));
      } else {
        wss.handleUpgrade(req, socket, head, (ws) => this.serveStream(webSocketConnection(ws), session));
      }
    });
    await new Promise<void>((resolve) => this.http!.listen(0, '127.0.0.1', resolve));
    this.streamingPort = (this.http.address() as { port: number }).port;
  }

  async stop(): Promise<void> {
    this.grpcServer.forceShutdown();
    for (const socket of this.upgraded) socket.destroy();
    await new Promise<void>((resolve) => (this.http ? this.http.close(() => resolve()) : resolve()));
    this.http?.closeAllConnections();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** The container's process ends (as an exit event would tell containerd). */
  exitContainer(id: string, exitCode: number, reason?: string): void {
    const container = this.containers.get(id);
    if (!container || container.state !== 'CONTAINER_RUNNING') throw new Error(`container ${id} is not running`);
    Object.assign(container, { state: 'CONTAINER_EXITED', finishedAt: nanos(), exitCode, reason: reason ?? (exitCode === 0 ? 'Completed' : 'Error') });
  }

  private implement(handlers: Record<string, Handler>): grpc.UntypedServiceImplementation {
    const implementation: grpc.UntypedServiceImplementation = {};
    for (const [rpc, handler] of Object.entries(handlers)) {
      implementation[rpc] = (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
        this.calls.push({ rpc, request: call.request });
        setTimeout(() => {
          Promise.resolve()
            .then(() => handler(call.request, call))
            .then(
              (response) => callback(null, response ?? {}),
              (err: unknown) => callback({ code: err instanceof RpcError ? err.code : grpc.status.UNKNOWN, details: (err as Error).message }),
            );
        }, this.delays.get(rpc) ?? 0);
      };
    }
    return implementation;
  }

  private sandbox(id: string): FakeSandbox {
    const sandbox = this.sandboxes.get(id);
    if (!sandbox) throw new RpcError(grpc.status.NOT_FOUND, `an error occurred when try to find sandbox "${id}": not found`);
    return sandbox;
  }

  private container(id: string): FakeContainer {
    const container = this.containers.get(id);
    if (!container) throw new RpcError(grpc.status.NOT_FOUND, `an error occurred when try to find container "${id}": not found`);
    return container;
  }

  private sandboxStatus(sandbox: FakeSandbox) {
    return {
      id: sandbox.id,
      metadata: sandbox.config.metadata,
      state: sandbox.state,
      createdAt: sandbox.createdAt,
      network: { ip: sandbox.ip },
      labels: sandbox.config.labels ?? {},
      annotations: sandbox.config.annotations ?? {},
      runtimeHandler: sandbox.runtimeHandler,
    };
  }

  private stopContainerNow(container: FakeContainer, timeout: number): void {
    if (container.state !== 'CONTAINER_RUNNING') return;
    Object.assign(container, { state: 'CONTAINER_EXITED', finishedAt: nanos(), exitCode: timeout > 0 ? 143 : 137, reason: 'Error' });
  }

  private runtimeHandlers(): Record<string, Handler> {
    return {
      Version: () => ({ version: '0.1.0', runtimeName: 'fake-containerd', runtimeVersion: '1.6.20', runtimeApiVersion: 'v1' }),
      Status: () => ({ status: { conditions: [{ type: 'RuntimeReady', status: true }, { type: 'NetworkReady', status: true }] } }),
      UpdateRuntimeConfig: () => ({}),
      RunPodSandbox: (request: { config: CriPodSandboxConfig; runtimeHandler: string }) => {
        const { config, runtimeHandler } = request;
        if (runtimeHandler && !this.handlers.has(runtimeHandler)) throw new RpcError(grpc.status.UNKNOWN, `failed to get sandbox runtime: no runtime for "${runtimeHandler}" is configured`);
        const m = config.metadata;
        const name = `${m.name}_${m.namespace}_${m.uid}_${m.attempt}`;
        const taken = [...this.sandboxes.values()].find((s) => `${s.config.metadata.name}_${s.config.metadata.namespace}_${s.config.metadata.uid}_${s.config.metadata.attempt}` === name);
        if (taken) throw new RpcError(grpc.status.UNKNOWN, `failed to reserve sandbox name "${name}": name "${name}" is reserved for "${taken.id}"`);
        const id = hex(this.nextId++);
        const hostNetwork = config.linux?.securityContext?.namespaceOptions?.network === 'NODE';
        this.sandboxes.set(id, { id, config, runtimeHandler, state: 'SANDBOX_READY', createdAt: nanos(), ip: hostNetwork ? '' : `10.88.0.${this.sandboxes.size + 2}` });
        return { podSandboxId: id };
      },
      StopPodSandbox: (request: { podSandboxId: string }) => {
        const sandbox = this.sandbox(request.podSandboxId);
        for (const container of this.containers.values()) if (container.sandboxId === sandbox.id) this.stopContainerNow(container, 0);
        sandbox.state = 'SANDBOX_NOTREADY';
      },
      RemovePodSandbox: (request: { podSandboxId: string }) => {
        const sandbox = this.sandbox(request.podSandboxId);
        for (const container of [...this.containers.values()]) if (container.sandboxId === sandbox.id) this.containers.delete(container.id);
        this.sandboxes.delete(sandbox.id);
      },
      // Verbose, containerd's details: a JSON document under `info`, with the pause process's PID.
      PodSandboxStatus: (request: { podSandboxId: string; verbose: boolean }) => {
        const sandbox = this.sandbox(request.podSandboxId);
        return { status: this.sandboxStatus(sandbox), info: request.verbose ? { info: JSON.stringify({ pid: this.sandboxPid, runtimeHandler: sandbox.runtimeHandler }) } : {} };
      },
      ListPodSandbox: (request: { filter: { id: string; state: { state: PodSandboxState } | null; labelSelector: Record<string, string> } | null }) => {
        const filter = request.filter;
        const items = [...this.sandboxes.values()].filter(
          (s) => (!filter?.id || s.id === filter.id) && (!filter?.state || s.state === filter.state.state) && matches(s.config.labels ?? {}, filter?.labelSelector),
        );
        return { items: items.map((s) => ({ ...this.sandboxStatus(s), network: undefined })) };
      },
      CreateContainer: (request: { podSandboxId: string; config: CriContainerConfig; sandboxConfig: CriPodSandboxConfig }) => {
        const sandbox = this.sandbox(request.podSandboxId);
        const { config, sandboxConfig } = request;
        const image = this.findImage(config.image.image);
        if (!image) throw new RpcError(grpc.status.NOT_FOUND, `failed to get image "${config.image.image}": not found`);
        const name = `${config.metadata.name}_${config.metadata.attempt}`;
        const taken = [...this.containers.values()].find((c) => c.sandboxId === sandbox.id && `${c.config.metadata.name}_${c.config.metadata.attempt}` === name);
        if (taken) throw new RpcError(grpc.status.UNKNOWN, `failed to reserve container name "${name}": name is reserved for "${taken.id}"`);
        if (config.linux?.securityContext?.privileged && !sandboxConfig.linux?.securityContext?.privileged) throw new RpcError(grpc.status.UNKNOWN, 'no privileged container allowed in sandbox');
        const id = hex(this.nextId++);
        const logPath = sandboxConfig.logDirectory && config.logPath ? join(sandboxConfig.logDirectory, config.logPath) : '';
        this.containers.set(id, { id, sandboxId: sandbox.id, config, imageId: image.id, state: 'CONTAINER_CREATED', createdAt: nanos(), startedAt: 0, finishedAt: 0, exitCode: 0, reason: '', logPath });
        return { containerId: id };
      },
      StartContainer: (request: { containerId: string }) => {
        const container = this.container(request.containerId);
        if (container.state !== 'CONTAINER_CREATED') throw new RpcError(grpc.status.UNKNOWN, `container is in ${container.state} state`);
        Object.assign(container, { state: 'CONTAINER_RUNNING', startedAt: nanos() });
      },
      StopContainer: (request: { containerId: string; timeout: number }) => this.stopContainerNow(this.container(request.containerId), request.timeout),
      RemoveContainer: (request: { containerId: string }) => {
        const container = this.container(request.containerId);
        if (container.state === 'CONTAINER_RUNNING') throw new RpcError(grpc.status.UNKNOWN, 'container is running, stop it first');
        this.containers.delete(container.id);
      },
      ListContainers: (request: { filter: { id: string; podSandboxId: string; state: { state: CriContainerState } | null; labelSelector: Record<string, string> } | null }) => {
        const f = request.filter;
        const list = [...this.containers.values()].filter(
          (c) => (!f?.id || c.id === f.id) && (!f?.podSandboxId || c.sandboxId === f.podSandboxId) && (!f?.state || c.state === f.state.state) && matches(c.config.labels ?? {}, f?.labelSelector),
        );
        return {
          containers: list.map((c) => ({ id: c.id, podSandboxId: c.sandboxId, metadata: c.config.metadata, image: c.config.image, imageRef: c.imageId, state: c.state, createdAt: c.createdAt, labels: c.config.labels, annotations: c.config.annotations })),
        };
      },
      ContainerStatus: (request: { containerId: string }) => {
        const c = this.container(request.containerId);
        const ran = c.state !== 'CONTAINER_CREATED';
        return {
          status: {
            id: c.id,
            metadata: c.config.metadata,
            state: c.state,
            createdAt: c.createdAt,
            startedAt: ran ? c.startedAt : 0,
            finishedAt: c.state === 'CONTAINER_EXITED' ? c.finishedAt : 0,
            exitCode: c.exitCode,
            image: c.config.image,
            imageRef: c.imageId,
            reason: c.reason,
            labels: c.config.labels,
            annotations: c.config.annotations,
            logPath: c.logPath,
          },
        };
      },
      ExecSync: (request: { containerId: string; cmd: string[]; timeout: number }, call: grpc.ServerUnaryCall<unknown, unknown>) => {
        const container = this.container(request.containerId);
        if (container.state !== 'CONTAINER_RUNNING') throw new RpcError(grpc.status.UNKNOWN, `failed to exec in container: container is in ${container.state} state`);
        const [command, ...args] = request.cmd;
        if (command === 'echo') return { stdout: Buffer.from(`${args.join(' ')}\n`), exitCode: 0 };
        if (command === 'stderr') return { stdout: Buffer.from('out\n'), stderr: Buffer.from(`${args.join(' ')}\n`), exitCode: 1 };
        if (command === 'exit') return { exitCode: Number(args[0]) };
        if (command === 'sleep') return this.sleepInContainer(request, call, Number(args[0]));
        return { stderr: Buffer.from(`${command}: not found\n`), exitCode: 127 };
      },
      Exec: (request: { containerId: string; cmd: string[]; tty: boolean; stdin: boolean }) => this.session({ kind: 'exec', ...request }),
      Attach: (request: { containerId: string; tty: boolean; stdin: boolean }) => this.session({ kind: 'attach', cmd: [], ...request }),
      PortForward: (request: { podSandboxId: string }) => {
        this.sandbox(request.podSandboxId);
        const token = `t${this.nextId++}`;
        this.portForwards.set(token, request.podSandboxId);
        return { url: `http://127.0.0.1:${this.streamingPort}/portforward/${token}` };
      },
      ContainerStats: (request: { containerId: string }) => ({ stats: this.stats(this.container(request.containerId)) }),
      ListContainerStats: () => ({ stats: [...this.containers.values()].map((c) => this.stats(c)) }),
      PodSandboxStats: (request: { podSandboxId: string }) => {
        const sandbox = this.sandbox(request.podSandboxId);
        const containers = [...this.containers.values()].filter((c) => c.sandboxId === sandbox.id).map((c) => this.stats(c));
        // containerd 1.6 answers only for a sandbox with a cgroup parent (it reads the pod's cgroup).
        if (!sandbox.config.linux?.cgroupParent) {
          throw new RpcError(grpc.status.UNKNOWN, `failed getting metrics for sandbox ${sandbox.id}: failed to get cgroup metrics for sandbox ${sandbox.id} because cgroupPath is empty`);
        }
        const now = nanos();
        const eth0 = { name: 'eth0', rxBytes: { value: 1234 }, rxErrors: { value: 0 }, txBytes: { value: 567 }, txErrors: { value: 0 } };
        return {
          stats: {
            attributes: { id: sandbox.id, metadata: sandbox.config.metadata },
            linux: {
              cpu: { timestamp: now, usageCoreNanoSeconds: { value: 9_000_000 } },
              memory: { timestamp: now, workingSetBytes: { value: 5 * 1024 * 1024 } },
              network: { timestamp: now, defaultInterface: eth0, interfaces: [] },
              containers,
            },
          },
        };
      },
    };
  }

  /**
   * ExecSync's `sleep N`, as containerd 1.6 runs a command: killed at the
   * request's timeout (DeadlineExceeded, containerd's words) or when the
   * call is cancelled (its context ends).
   */
  private sleepInContainer(request: { cmd: string[]; timeout: number }, call: grpc.ServerUnaryCall<unknown, unknown>, seconds: number): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const end = (outcome: () => void) => {
        clearTimeout(finished);
        clearTimeout(timeout);
        call.removeListener('cancelled', cancelled);
        outcome();
      };
      const finished = setTimeout(() => end(() => resolve({ exitCode: 0 })), seconds * 1000);
      const timeout =
        request.timeout > 0
          ? setTimeout(
              () =>
                end(() => {
                  this.killedExecs.push({ cmd: request.cmd, why: 'timeout' });
                  reject(new RpcError(grpc.status.DEADLINE_EXCEEDED, `failed to exec in container: timeout ${request.timeout}s exceeded: context deadline exceeded`));
                }),
              request.timeout * 1000,
            )
          : undefined;
      const cancelled = () =>
        end(() => {
          this.killedExecs.push({ cmd: request.cmd, why: 'cancelled' });
          reject(new RpcError(grpc.status.CANCELLED, 'context canceled'));
        });
      call.on('cancelled', cancelled);
    });
  }

  private stats(container: FakeContainer) {
    return {
      attributes: { id: container.id, metadata: container.config.metadata },
      cpu: { timestamp: nanos(), usageCoreNanoSeconds: { value: 5_000_000 } },
      memory: { timestamp: nanos(), workingSetBytes: { value: 4096 * 1024 } },
    };
  }

  private session(session: StreamSession) {
    const container = this.container(session.containerId);
    if (container.state !== 'CONTAINER_RUNNING') throw new RpcError(grpc.status.FAILED_PRECONDITION, `container ${session.containerId} is not running`);
    const token = `t${this.nextId++}`;
    this.sessions.set(token, { kind: session.kind, containerId: session.containerId, cmd: session.cmd, tty: session.tty, stdin: session.stdin });
    return { url: `http://127.0.0.1:${this.streamingPort}/${session.kind}/${token}` };
  }

  /**
   * A port-forward WebSocket (one port), as containerd's streaming server
   * speaks it: the port's number first on the data and the error channel,
   * then data on channel 0. Inside the "sandbox", port 7 echoes what it
   * gets in capitals, port 9 says hello and closes, and any other port
   * refuses, as a port nothing listens on does.
   */
  private servePortForward(ws: WebSocket, sandboxId: string, ports: number[]): void {
    const [port] = ports;
    const portBytes = Buffer.alloc(2);
    portBytes.writeUInt16LE(port ?? 0);
    const send = (channel: number, data: Buffer) => ws.send(Buffer.concat([Buffer.from([channel]), data]));
    send(0, portBytes);
    send(1, portBytes);
    if (port === 9) {
      send(0, Buffer.from(`hello from ${this.sandboxes.get(sandboxId)?.config.metadata.name}\n`));
      return void ws.close(1000);
    }
    if (port !== 7) {
      send(1, Buffer.from(`failed to execute portforward in network namespace: failed to connect to localhost:${port} inside namespace "${sandboxId}": connect: connection refused`));
      return void ws.close(1000);
    }
    ws.on('message', (message: Buffer) => {
      if (message[0] === 0) send(0, Buffer.from(message.subarray(1).toString().toUpperCase()));
    });
  }

  /**
   * The streaming server's side, for a few commands: `echo ARGS` writes
   * them, `stderr TEXT` writes to stderr, `exit N` ends with code N, `cat`
   * echoes stdin until it ends (or `EOF` is typed: a WebSocket cannot end
   * it), `size` reports the first terminal size. An attach echoes stdin
   * until the container is told to exit.
   */
  private serveStream(connection: RemoteCommandConnection, session: StreamSession): void {
    const [command, ...args] = session.cmd;
    const finish = (code: number | null, error?: string) => connection.finish(exitStatus(session.cmd, code, error));
    const echoStdin = () => {
      connection.on('stdin', (data: Buffer) => {
        if (data.toString().includes('EOF')) return finish(0);
        connection.output('stdout', data);
      });
      connection.on('stdinEnd', () => finish(0));
    };
    if (session.kind === 'attach') {
      echoStdin();
      const watch = setInterval(() => {
        const container = this.containers.get(session.containerId);
        if (!container || container.state !== 'CONTAINER_RUNNING') {
          clearInterval(watch);
          finish(0);
        }
      }, 10);
      connection.on('close', () => clearInterval(watch));
      return;
    }
    switch (command) {
      case 'echo':
        connection.output('stdout', Buffer.from(`${args.join(' ')}\n`));
        return finish(0);
      case 'stderr':
        connection.output(session.tty ? 'stdout' : 'stderr', Buffer.from(`${args.join(' ')}\n`));
        return finish(0);
      case 'exit':
        return finish(Number(args[0]));
      case 'cat':
        return echoStdin();
      case 'size':
        return void connection.once('resize', (size: TerminalSize) => {
          connection.output('stdout', Buffer.from(JSON.stringify({ Width: size.width, Height: size.height })));
          finish(0);
        });
      default:
        return finish(null, `failed to exec in container: exec: "${command}": executable file not found in $PATH`);
    }
  }

  private imageHandlers(): Record<string, Handler> {
    const criImage = (image: FakeImage) => ({ id: image.id, repoTags: image.repoTags, repoDigests: [], size: image.size });
    return {
      ListImages: () => ({ images: [...this.images.values()].map(criImage) }),
      ImageStatus: (request: { image: { image: string }; verbose: boolean }) => {
        const image = this.findImage(request.image.image);
        if (!image) return {};
        const info = request.verbose ? { info: JSON.stringify({ chainID: image.id, imageSpec: { config: image.config, rootfs: { type: 'layers', diff_ids: [image.id] } } }) } : {};
        return { image: criImage(image), info };
      },
      PullImage: (request: { image: { image: string }; auth: { username: string; password: string } | null }) => {
        const reference = request.image.image;
        if (!/^[a-z0-9./:_-]+$/.test(reference)) throw new RpcError(grpc.status.UNKNOWN, `failed to pull and unpack image "${reference}": failed to resolve reference "${reference}": invalid reference format`);
        const wanted = this.registry.get(reference);
        if (!wanted) throw new RpcError(grpc.status.NOT_FOUND, `failed to pull and unpack image "${reference}": failed to resolve reference "${reference}": not found`);
        if (wanted.auth && (request.auth?.username !== wanted.auth.username || request.auth?.password !== wanted.auth.password)) {
          throw new RpcError(grpc.status.UNKNOWN, `failed to pull and unpack image "${reference}": failed to resolve reference "${reference}": pulling from host failed with status code 401 Unauthorized`);
        }
        this.images.set(wanted.id, wanted);
        return { imageRef: wanted.id };
      },
      RemoveImage: (request: { image: { image: string } }) => {
        const image = this.findImage(request.image.image);
        if (image) this.images.delete(image.id);
      },
      ImageFsInfo: () => ({
        imageFilesystems: [{ timestamp: nanos(), fsId: { mountpoint: this.dir }, usedBytes: { value: [...this.images.values()].reduce((sum, i) => sum + i.size, 0) }, inodesUsed: { value: this.images.size } }],
      }),
    };
  }
}
