/**
 * A client of a CRI runtime (containerd's CRI plugin) on a unix socket:
 * one gRPC channel for both services, a deadline on every call, and errors
 * that say which call failed, with the gRPC status — `isNotFound` tells the
 * common "already gone" apart. Messages are api.proto's (cri-types.ts).
 */
import * as grpc from '@grpc/grpc-js';
import { criServices } from './proto-loader.js';
import type {
  AuthConfig,
  ContainerFilter,
  CriContainer,
  CriContainerConfig,
  CriContainerStats,
  CriContainerStatus,
  CriImage,
  CriPodSandbox,
  CriPodSandboxConfig,
  CriPodSandboxStats,
  ExecSyncResponse,
  FilesystemUsage,
  PodSandboxFilter,
  PodSandboxStatus,
  StatusResponse,
  VersionResponse,
} from './cri-types.js';
import { whenAborted } from '../../../machinery/abort.js';

/** The CRI version this client speaks (VersionRequest.version). */
export const criApiVersion = 'v1';

export interface CriClientOptions {
  /** Queries and calls that answer at once (status, lists, stats, exec URLs): 10 s. */
  requestTimeoutMs?: number;
  /**
   * Calls that set things up or tear them down (sandboxes with their network,
   * containers with their snapshot, image removal): 2 min, the kubelet's
   * --runtime-request-timeout. StopContainer and ExecSync get their own
   * timeout on top.
   */
  longRequestTimeoutMs?: number;
  /** PullImage: 2 min. An interrupted pull keeps what it fetched; the next one resumes. */
  pullTimeoutMs?: number;
  /** The largest answer accepted (the kubelet's 16 MiB): a runtime cannot make the agent hold more. */
  maxMessageBytes?: number;
}

export interface CallOptions {
  /** Overrides the call's default deadline. */
  timeoutMs?: number;
  /** Cancels the call. */
  signal?: AbortSignal;
}

const defaults = { requestTimeoutMs: 10_000, longRequestTimeoutMs: 120_000, pullTimeoutMs: 120_000, maxMessageBytes: 16 * 1024 * 1024 };

/** A failed CRI call: the RPC, its gRPC status code (and name), and the runtime's message. */
export class CriError extends Error {
  constructor(
    readonly rpc: string,
    readonly code: grpc.status,
    readonly details: string,
    message: string,
  ) {
    super(message);
    this.name = 'CriError';
  }

  /** The status code's name, as gRPC spells it: NotFound, Unavailable, DeadlineExceeded … */
  get codeName(): string {
    const name = grpc.status[this.code] ?? 'UNKNOWN';
    return name
      .toLowerCase()
      .split('_')
      .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
      .join('');
  }
}

export function isNotFound(err: unknown): boolean {
  return err instanceof CriError && err.code === grpc.status.NOT_FOUND;
}

/** `unix:///run/x.sock`, `unix:/run/x.sock` or `/run/x.sock` → the address gRPC takes. */
export function unixEndpoint(endpoint: string): string {
  const path = endpoint.startsWith('unix://') ? endpoint.slice('unix://'.length) : endpoint.startsWith('unix:') ? endpoint.slice('unix:'.length) : endpoint;
  if (!path.startsWith('/')) throw new Error(`the CRI endpoint must be a unix socket (unix:///path/to.sock), not ${JSON.stringify(endpoint)}`);
  return `unix://${path}`;
}

type MethodDefinition = grpc.MethodDefinition<unknown, unknown>;

export class CriClient {
  readonly endpoint: string;
  private readonly client: grpc.Client;
  private readonly methods = new Map<string, MethodDefinition>();
  private readonly options: Required<CriClientOptions>;

  constructor(endpoint: string, options: CriClientOptions = {}) {
    this.endpoint = unixEndpoint(endpoint);
    this.options = { ...defaults, ...options };
    const services = criServices();
    for (const service of [services.RuntimeService, services.ImageService]) {
      for (const [name, definition] of Object.entries(service.service)) {
        if (!name.startsWith('_') && definition.path) this.methods.set(definition.path.split('/').pop()!, definition as MethodDefinition);
      }
    }
    this.client = new grpc.Client(this.endpoint, grpc.credentials.createInsecure(), {
      'grpc.max_receive_message_length': this.options.maxMessageBytes,
      'grpc.max_send_message_length': this.options.maxMessageBytes,
      // The kubelet's reconnection back-off (100 ms, at most 3 s): a restarted containerd is reached again soon.
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 3000,
    });
  }

  /** Ends the channel; calls under way fail with Cancelled. */
  close(): void {
    this.client.close();
  }

  private call<T>(rpc: string, request: object, defaultTimeoutMs: number, options: CallOptions = {}): Promise<T> {
    const method = this.methods.get(rpc);
    if (!method) return Promise.reject(new Error(`api.proto has no RPC ${rpc}`));
    const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
    return new Promise<T>((resolve, reject) => {
      if (options.signal?.aborted) {
        reject(new CriError(rpc, grpc.status.CANCELLED, 'cancelled', `${rpc}: cancelled before it was sent`));
        return;
      }
      const onAbort = () => call.cancel();
      const call = this.client.makeUnaryRequest(
        method.path,
        method.requestSerialize,
        method.responseDeserialize,
        request,
        { deadline: Date.now() + timeoutMs },
        (err, response) => {
          options.signal?.removeEventListener('abort', onAbort);
          if (err) reject(this.toError(rpc, err, timeoutMs));
          else resolve(response as T);
        },
      );
      if (options.signal) whenAborted(options.signal, onAbort);
    });
  }

  private toError(rpc: string, err: grpc.ServiceError, timeoutMs: number): CriError {
    const details = err.details || err.message;
    let message: string;
    if (err.code === grpc.status.UNAVAILABLE) message = `cannot reach the container runtime at ${this.endpoint} (is containerd running?): ${details}`;
    else if (err.code === grpc.status.DEADLINE_EXCEEDED) message = `${rpc}: the container runtime did not answer within ${Math.round(timeoutMs / 1000)} s`;
    else if (err.code === grpc.status.UNIMPLEMENTED) message = `${rpc}: the container runtime does not implement it: ${details}`;
    else message = `${rpc}: ${details}`;
    return new CriError(rpc, err.code, details, message);
  }

  private get quick(): number {
    return this.options.requestTimeoutMs;
  }

  private get long(): number {
    return this.options.longRequestTimeoutMs;
  }

  // ---- RuntimeService ----

  version(options?: CallOptions): Promise<VersionResponse> {
    return this.call('Version', { version: criApiVersion }, this.quick, options);
  }

  status(verbose = false, options?: CallOptions): Promise<StatusResponse> {
    return this.call('Status', { verbose }, this.quick, options);
  }

  async updateRuntimeConfig(podCidr: string, options?: CallOptions): Promise<void> {
    await this.call('UpdateRuntimeConfig', { runtimeConfig: { networkConfig: { podCidr } } }, this.quick, options);
  }

  async runPodSandbox(config: CriPodSandboxConfig, runtimeHandler = '', options?: CallOptions): Promise<string> {
    const response = await this.call<{ podSandboxId: string }>('RunPodSandbox', { config, runtimeHandler }, this.long, options);
    return response.podSandboxId;
  }

  async stopPodSandbox(podSandboxId: string, options?: CallOptions): Promise<void> {
    await this.call('StopPodSandbox', { podSandboxId }, this.long, options);
  }

  async removePodSandbox(podSandboxId: string, options?: CallOptions): Promise<void> {
    await this.call('RemovePodSandbox', { podSandboxId }, this.long, options);
  }

  async podSandboxStatus(podSandboxId: string, options?: CallOptions): Promise<PodSandboxStatus> {
    const response = await this.call<{ status: PodSandboxStatus | null }>('PodSandboxStatus', { podSandboxId }, this.quick, options);
    if (!response.status) throw new CriError('PodSandboxStatus', grpc.status.NOT_FOUND, 'no status', `PodSandboxStatus: no status for sandbox ${podSandboxId}`);
    return response.status;
  }

  /**
   * The runtime's own details of a sandbox (PodSandboxStatus with verbose):
   * containerd puts a JSON document under `info`, with the sandbox's `pid`.
   */
  async podSandboxInfo(podSandboxId: string, options?: CallOptions): Promise<Record<string, string>> {
    return (await this.call<{ info: Record<string, string> }>('PodSandboxStatus', { podSandboxId, verbose: true }, this.quick, options)).info ?? {};
  }

  async listPodSandbox(filter?: PodSandboxFilter, options?: CallOptions): Promise<CriPodSandbox[]> {
    return (await this.call<{ items: CriPodSandbox[] }>('ListPodSandbox', filter ? { filter } : {}, this.quick, options)).items;
  }

  async createContainer(podSandboxId: string, config: CriContainerConfig, sandboxConfig: CriPodSandboxConfig, options?: CallOptions): Promise<string> {
    const response = await this.call<{ containerId: string }>('CreateContainer', { podSandboxId, config, sandboxConfig }, this.long, options);
    return response.containerId;
  }

  async startContainer(containerId: string, options?: CallOptions): Promise<void> {
    await this.call('StartContainer', { containerId }, this.long, options);
  }

  /** SIGTERM (or the image's stop signal), SIGKILL after `timeoutSeconds`: the deadline allows for both. */
  async stopContainer(containerId: string, timeoutSeconds: number, options?: CallOptions): Promise<void> {
    const timeout = Math.max(0, Math.floor(timeoutSeconds));
    await this.call('StopContainer', { containerId, timeout }, this.long + timeout * 1000, options);
  }

  async removeContainer(containerId: string, options?: CallOptions): Promise<void> {
    await this.call('RemoveContainer', { containerId }, this.long, options);
  }

  async listContainers(filter?: ContainerFilter, options?: CallOptions): Promise<CriContainer[]> {
    return (await this.call<{ containers: CriContainer[] }>('ListContainers', filter ? { filter } : {}, this.quick, options)).containers;
  }

  async containerStatus(containerId: string, options?: CallOptions): Promise<CriContainerStatus> {
    const response = await this.call<{ status: CriContainerStatus | null }>('ContainerStatus', { containerId }, this.quick, options);
    if (!response.status) throw new CriError('ContainerStatus', grpc.status.NOT_FOUND, 'no status', `ContainerStatus: no status for container ${containerId}`);
    return response.status;
  }

  /** Runs a command to its end; `timeoutSeconds` 0 lets it run as long as the call's deadline. */
  execSync(containerId: string, cmd: string[], timeoutSeconds = 0, options?: CallOptions): Promise<ExecSyncResponse> {
    const timeout = Math.max(0, Math.floor(timeoutSeconds));
    return this.call('ExecSync', { containerId, cmd, timeout }, this.long + timeout * 1000, options);
  }

  /** The streaming server's URL for one exec session (streaming.ts connects to it). */
  async exec(request: { containerId: string; cmd: string[]; tty: boolean; stdin: boolean; stdout: boolean; stderr: boolean }, options?: CallOptions): Promise<string> {
    return (await this.call<{ url: string }>('Exec', request, this.quick, options)).url;
  }

  async attach(request: { containerId: string; tty: boolean; stdin: boolean; stdout: boolean; stderr: boolean }, options?: CallOptions): Promise<string> {
    return (await this.call<{ url: string }>('Attach', request, this.quick, options)).url;
  }

  async portForward(podSandboxId: string, ports: number[], options?: CallOptions): Promise<string> {
    return (await this.call<{ url: string }>('PortForward', { podSandboxId, port: ports }, this.quick, options)).url;
  }

  async containerStats(containerId: string, options?: CallOptions): Promise<CriContainerStats | null> {
    return (await this.call<{ stats: CriContainerStats | null }>('ContainerStats', { containerId }, this.quick, options)).stats;
  }

  async listContainerStats(filter?: { id?: string; podSandboxId?: string; labelSelector?: Record<string, string> }, options?: CallOptions): Promise<CriContainerStats[]> {
    return (await this.call<{ stats: CriContainerStats[] }>('ListContainerStats', filter ? { filter } : {}, this.quick, options)).stats;
  }

  async podSandboxStats(podSandboxId: string, options?: CallOptions): Promise<CriPodSandboxStats | null> {
    return (await this.call<{ stats: CriPodSandboxStats | null }>('PodSandboxStats', { podSandboxId }, this.quick, options)).stats;
  }

  // ---- ImageService ----

  async listImages(options?: CallOptions): Promise<CriImage[]> {
    return (await this.call<{ images: CriImage[] }>('ListImages', {}, this.quick, options)).images;
  }

  /** The image and, when verbose, the runtime's details (containerd: `info` holds the image config as JSON); image null when absent. */
  imageStatus(image: string, verbose = false, options?: CallOptions): Promise<{ image: CriImage | null; info: Record<string, string> }> {
    return this.call('ImageStatus', { image: { image }, verbose }, this.quick, options);
  }

  /** Pulls an image and answers its reference (containerd: the image id). */
  async pullImage(image: string, auth?: AuthConfig, sandboxConfig?: CriPodSandboxConfig, options?: CallOptions): Promise<string> {
    const request = { image: { image }, ...(auth ? { auth } : {}), ...(sandboxConfig ? { sandboxConfig } : {}) };
    return (await this.call<{ imageRef: string }>('PullImage', request, this.options.pullTimeoutMs, options)).imageRef;
  }

  async removeImage(image: string, options?: CallOptions): Promise<void> {
    await this.call('RemoveImage', { image: { image } }, this.long, options);
  }

  async imageFsInfo(options?: CallOptions): Promise<FilesystemUsage[]> {
    return (await this.call<{ imageFilesystems: FilesystemUsage[] }>('ImageFsInfo', {}, this.quick, options)).imageFilesystems;
  }
}
