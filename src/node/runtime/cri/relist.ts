/**
 * Container events by relisting, as the kubelet's PLEG does: containerd
 * 1.6 has no GetContainerEvents stream, so every second the containers are
 * listed and each one new or in a new state is reported, with its full
 * status. One relist at a time; a failing one (containerd restarting) is
 * logged once and tried again at the next tick.
 */
import type { ContainerStatus } from '../runtime.js';
import type { CriContainer } from './cri-types.js';

export interface RelistSource {
  listContainers(): Promise<CriContainer[]>;
  /** Undefined when the container is gone meanwhile. */
  containerStatus(id: string): Promise<ContainerStatus | undefined>;
}

export class ContainerRelister {
  /** The state of each container at the last relist. */
  private readonly seen = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private failing = false;

  constructor(
    private readonly source: RelistSource,
    private readonly emit: (sandboxId: string, status: ContainerStatus) => void,
    private readonly periodMs = 1000,
    private readonly log: (event: Record<string, unknown>) => void = () => {},
    /** Each container listed, at every relist (the runtime keeps what attach needs)… */
    private readonly observe: (container: CriContainer) => void = () => {},
    /** …and each one no longer listed. */
    private readonly forget: (id: string) => void = () => {},
  ) {}

  start(): void {
    if (this.timer || this.stopped) return;
    this.schedule(0);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.relist().finally(() => this.schedule(this.periodMs));
    }, delayMs);
    this.timer.unref();
  }

  /** One relist now (or the one under way): tests and callers that want news at once. */
  relist(): Promise<void> {
    this.running ??= this.relistOnce().finally(() => (this.running = undefined));
    return this.running;
  }

  private async relistOnce(): Promise<void> {
    let containers: CriContainer[];
    try {
      containers = await this.source.listContainers();
    } catch (err) {
      if (!this.failing) this.log({ msg: 'relisting containers failed', err: (err as Error).message });
      this.failing = true;
      return;
    }
    if (this.failing) this.log({ msg: 'relisting containers works again' });
    this.failing = false;
    const present = new Set<string>();
    for (const container of containers) {
      present.add(container.id);
      this.observe(container);
      if (this.seen.get(container.id) === container.state) continue;
      const status = await this.source.containerStatus(container.id).catch(() => undefined);
      if (this.stopped) return;
      if (!status) continue; // gone meanwhile, or unreadable: the next relist tries again
      this.seen.set(container.id, container.state);
      this.emit(container.podSandboxId, status);
    }
    for (const id of [...this.seen.keys()]) {
      if (present.has(id)) continue;
      this.seen.delete(id);
      this.forget(id);
    }
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
