/**
 * Where a node agent hears of its pods. A real agent watches only its own
 * (fieldSelector `spec.nodeName=<node>`, as the kubelet does); many
 * simulated nodes in one process share one watch of every pod instead, each
 * node getting the events of the pods bound to it — a thousand nodes are
 * then one watch, not a thousand.
 */
import type { ResourceClient, EventHandlers } from '../client/index.js';
import { SharedInformer } from '../client/index.js';
import type { AgentPod } from './types.js';

export interface PodFeed {
  /** Starts telling the handlers of the pods bound to this node; the function returned stops it (the agent stops). */
  subscribe(nodeName: string, handlers: EventHandlers<AgentPod>): () => void;
  waitForSync(signal: AbortSignal): Promise<void>;
  /** The pods bound to this node that the feed knows now. */
  podsOf(nodeName: string): AgentPod[];
}

/** One node's own watch of its pods. */
export class NodePodFeed implements PodFeed {
  private readonly informer: SharedInformer<AgentPod>;

  constructor(
    pods: ResourceClient<AgentPod>,
    nodeName: string,
    private readonly signal: AbortSignal,
  ) {
    this.informer = new SharedInformer<AgentPod>(pods, { fieldSelector: `spec.nodeName=${nodeName}` });
  }

  subscribe(_nodeName: string, handlers: EventHandlers<AgentPod>): () => void {
    const remove = this.informer.addEventHandler(handlers);
    this.informer.start(this.signal);
    return remove;
  }

  waitForSync(signal: AbortSignal): Promise<void> {
    return this.informer.waitForSync(signal);
  }

  podsOf(): AgentPod[] {
    return this.informer.store.list();
  }
}

/** One watch of all pods, handed out by node name (for many simulated nodes in one process). */
export class SharedPodFeed implements PodFeed {
  private readonly informer: SharedInformer<AgentPod>;
  private readonly subscribers = new Map<string, EventHandlers<AgentPod>>();
  private started = false;

  constructor(
    pods: ResourceClient<AgentPod>,
    private readonly signal: AbortSignal,
  ) {
    this.informer = new SharedInformer<AgentPod>(pods, {});
    const nodeOf = (pod: AgentPod) => pod.spec?.nodeName ?? '';
    this.informer.addEventHandler({
      add: (pod, initial) => this.subscribers.get(nodeOf(pod))?.add?.(pod, initial),
      update: (previous, pod) => {
        const handlers = this.subscribers.get(nodeOf(pod));
        // Binding sets nodeName once: for the node, that is the pod's arrival.
        if (nodeOf(previous) !== nodeOf(pod)) handlers?.add?.(pod, false);
        else handlers?.update?.(previous, pod);
      },
      delete: (pod, unknown) => this.subscribers.get(nodeOf(pod))?.delete?.(pod, unknown),
    });
  }

  subscribe(nodeName: string, handlers: EventHandlers<AgentPod>): () => void {
    this.subscribers.set(nodeName, handlers);
    for (const pod of this.podsOf(nodeName)) handlers.add?.(pod, true);
    if (!this.started) {
      this.started = true;
      this.informer.start(this.signal);
    }
    return () => {
      if (this.subscribers.get(nodeName) === handlers) this.subscribers.delete(nodeName);
    };
  }

  waitForSync(signal: AbortSignal): Promise<void> {
    return this.informer.waitForSync(signal);
  }

  podsOf(nodeName: string): AgentPod[] {
    return this.informer.store.list().filter((pod) => pod.spec?.nodeName === nodeName);
  }
}
