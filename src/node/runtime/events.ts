/** What runtimes share: telling the agent when a container changes state, so it need not poll. */
import type { ContainerStatus } from './runtime.js';

export class ContainerEvents {
  private readonly listeners: ((sandboxId: string, status: ContainerStatus) => void)[] = [];

  onContainerEvent(listener: (sandboxId: string, status: ContainerStatus) => void): void {
    this.listeners.push(listener);
  }

  protected emit(sandboxId: string, status: ContainerStatus): void {
    for (const listener of this.listeners) listener(sandboxId, { ...status });
  }
}
