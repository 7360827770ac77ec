/**
 * The simulated runtime: no processes, only bookkeeping. Containers start at
 * once and keep "running"; a container of a pod whose restartPolicy is not
 * Always (a Job's pod) exits 0 after `completeAfterMs`. Thousands of pods
 * cost a few objects each — for scale tests, and for tests of everything
 * above the node (like KWOK).
 */
import { randomUUID } from 'node:crypto';
import type { ContainerConfig, ContainerStatus, PodSandbox, PodSandboxConfig, Runtime } from '../runtime.js';
import { ContainerEvents } from '../events.js';

export interface SimulatedRuntimeOptions {
  /** How long a finishing container runs (default 1 s). */
  completeAfterMs?: number;
  /** The IP range pods get addresses from: the first three octets (default 10.42.0). */
  podSubnet?: string;
}

interface Container {
  sandboxId: string;
  config: ContainerConfig;
  status: ContainerStatus;
  timer?: NodeJS.Timeout;
}

export class SimulatedRuntime extends ContainerEvents implements Runtime {
  readonly name = 'simulated';
  readonly capabilities = { machine: false };
  private readonly sandboxes = new Map<string, PodSandbox>();
  private readonly containers = new Map<string, Container>();
  private nextHost = 2;

  constructor(private readonly options: SimulatedRuntimeOptions = {}) {
    super();
  }

  async runPodSandbox(config: PodSandboxConfig): Promise<PodSandbox> {
    const existing = [...this.sandboxes.values()].find((s) => s.podUid === config.uid && s.state === 'ready');
    if (existing) return existing;
    const host = this.nextHost++;
    const subnet = this.options.podSubnet ?? '10.42.0';
    const sandbox: PodSandbox = { id: randomUUID(), podUid: config.uid, ip: `${subnet}.${(host % 250) + 2}`, createdAt: new Date(), state: 'ready' };
    this.sandboxes.set(sandbox.id, sandbox);
    return sandbox;
  }

  async stopPodSandbox(id: string): Promise<void> {
    for (const container of this.containers.values()) {
      if (container.sandboxId === id && container.status.state === 'running') await this.stopContainer(container.status.id, 0);
    }
    const sandbox = this.sandboxes.get(id);
    if (sandbox) sandbox.state = 'notready';
  }

  async removePodSandbox(id: string): Promise<void> {
    for (const [containerId, container] of this.containers) if (container.sandboxId === id) this.removeContainerNow(containerId);
    this.sandboxes.delete(id);
  }

  async listPodSandboxes(): Promise<PodSandbox[]> {
    return [...this.sandboxes.values()];
  }

  async createContainer(sandboxId: string, config: ContainerConfig): Promise<string> {
    if (!this.sandboxes.has(sandboxId)) throw new Error(`sandbox ${sandboxId} not found`);
    const id = randomUUID();
    this.containers.set(id, { sandboxId, config, status: { id, name: config.name, image: config.image, state: 'created', createdAt: new Date() } });
    return id;
  }

  async startContainer(id: string): Promise<void> {
    const container = this.containers.get(id);
    if (!container) throw new Error(`container ${id} not found`);
    container.status = { ...container.status, state: 'running', startedAt: new Date() };
    this.emit(container.sandboxId, container.status);
    if (container.config.restartPolicy && container.config.restartPolicy !== 'Always') {
      container.timer = setTimeout(() => this.exit(container, 0, 'Completed'), this.options.completeAfterMs ?? 1000);
      container.timer.unref();
    }
  }

  private exit(container: Container, exitCode: number, reason: string): void {
    if (container.status.state !== 'running') return;
    clearTimeout(container.timer);
    container.status = { ...container.status, state: 'exited', finishedAt: new Date(), exitCode, reason };
    this.emit(container.sandboxId, container.status);
  }

  async stopContainer(id: string, _timeoutSeconds = 0): Promise<void> {
    const container = this.containers.get(id);
    // A stopped simulated container ends as a SIGTERM'd process would: exit code 143.
    if (container) this.exit(container, 143, 'Error');
  }

  private removeContainerNow(id: string): void {
    const container = this.containers.get(id);
    if (container) clearTimeout(container.timer);
    this.containers.delete(id);
  }

  async removeContainer(id: string): Promise<void> {
    this.removeContainerNow(id);
  }

  async containerStatus(id: string): Promise<ContainerStatus | undefined> {
    const container = this.containers.get(id);
    return container ? { ...container.status } : undefined;
  }

  async listContainers(sandboxId: string): Promise<ContainerStatus[]> {
    return [...this.containers.values()].filter((c) => c.sandboxId === sandboxId).map((c) => ({ ...c.status }));
  }
}
