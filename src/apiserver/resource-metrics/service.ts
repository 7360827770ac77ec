/**
 * The apiserver's metrics-server: scrapes every Ready node's agent each
 * resolution (15 s, metrics-server's --metric-resolution), keeps the last two
 * points (store.ts), and answers the metrics.k8s.io reads from them.
 *
 * It starts lazily, on the first read; a read that finds a node with no
 * usage yet primes that node — a scrape now, and another a second later —
 * and waits for it a little, so `kubectl top` right after a start answers
 * in about a second rather than after two resolutions. Each node is primed
 * at most twice per run; after that only the resolution loop scrapes it.
 * With no read for `idleStopMs` the loop stops and forgets what it kept.
 */
import { timestamp } from '../../machinery/time.js';
import { errors } from '../../machinery/status.js';
import { cpuQuantity, formatGoDuration, memoryQuantity } from '../../api/metrics/format.js';
import type { NodeMetrics, PodMetrics, ResourceMetricsReader } from '../../api/metrics/types.js';
import { decodeResourceMetrics } from './decode.js';
import { ResourceMetricsStore } from './store.js';
import { scrapeTargetOf, type FetchResourceMetrics } from './scrape.js';
import type { ClusterView, MetricsNode, MetricsPod } from './cluster-view.js';

/** Time and timers, injected so tests drive them. */
export interface Scheduler {
  now(): number;
  /** Calls `callback` after `ms`; returns what cancels it. */
  after(ms: number, callback: () => void): () => void;
}

export const realScheduler: Scheduler = {
  now: () => Date.now(),
  after(ms, callback) {
    const timer = setTimeout(callback, ms);
    // Scraping never keeps the process alive on its own.
    timer.unref();
    return () => clearTimeout(timer);
  },
};

export interface ResourceMetricsOptions {
  /** How often every node is scraped (metrics-server's --metric-resolution; default 15 s). */
  resolutionMs?: number;
  /** One scrape's deadline (metrics-server's --kubelet-request-timeout; default 10 s). */
  scrapeTimeoutMs?: number;
  /** Scrapes under way at once (default 16). */
  maxConcurrentScrapes?: number;
  /** The largest exposition read from an agent (default 10 MiB). */
  maxBodyBytes?: number;
  /** How long after a node's first point its priming scrape takes the second (default 1 s). */
  primingWindowMs?: number;
  /** How long a read waits for priming before answering with what there is (default 3 s). */
  primingWaitMs?: number;
  /** Stop scraping after this long without a read (default 10 min; 0: never). */
  idleStopMs?: number;
  /** How an agent is read; by default HTTPS with the apiserver's node-client certificate (none: nothing is scraped). */
  fetch?: FetchResourceMetrics;
  scheduler?: Scheduler;
}

interface NodeScrapeState {
  inFlight?: Promise<boolean>;
  priming?: Promise<void>;
  primingScrapes: number;
  lastSuccessMs?: number;
  failing: boolean;
}

/** At most `size` holders at once; the rest wait in order. */
class Slots {
  private readonly waiting: (() => void)[] = [];
  constructor(private free: number) {}

  async acquire(): Promise<() => void> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    };
  }
}

/** `promise`, or a rejection as soon as `signal` aborts (a fetch that ignores its signal cannot outlive its deadline). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

const byName = (a: { metadata: { namespace?: string; name?: string } }, b: { metadata: { namespace?: string; name?: string } }) => {
  const x = `${a.metadata.namespace ?? ''}/${a.metadata.name ?? ''}`;
  const y = `${b.metadata.namespace ?? ''}/${b.metadata.name ?? ''}`;
  return x < y ? -1 : x > y ? 1 : 0;
};

export class ResourceMetricsService implements ResourceMetricsReader {
  private readonly store: ResourceMetricsStore;
  private readonly states = new Map<string, NodeScrapeState>();
  private readonly slots: Slots;
  private readonly scheduler: Scheduler;
  private readonly fetch: FetchResourceMetrics | undefined;
  private readonly resolutionMs: number;
  private readonly scrapeTimeoutMs: number;
  private readonly primingWindowMs: number;
  private readonly primingWaitMs: number;
  private readonly idleStopMs: number;
  private running = false;
  private closed = false;
  /** Bumped when the loop stops: a scrape begun before must not store into the next run. */
  private run = 0;
  private cancelTick: (() => void) | undefined;
  private currentTick: Promise<void> | undefined;
  private lastReadMs = 0;
  private readonly closing = new AbortController();

  constructor(
    private readonly view: ClusterView,
    options: ResourceMetricsOptions = {},
    private readonly log: (event: Record<string, unknown>) => void = () => {},
  ) {
    this.resolutionMs = options.resolutionMs ?? 15_000;
    this.scrapeTimeoutMs = options.scrapeTimeoutMs ?? 10_000;
    this.primingWindowMs = options.primingWindowMs ?? 1_000;
    this.primingWaitMs = options.primingWaitMs ?? 3_000;
    this.idleStopMs = options.idleStopMs ?? 10 * 60_000;
    this.slots = new Slots(Math.max(1, options.maxConcurrentScrapes ?? 16));
    this.scheduler = options.scheduler ?? realScheduler;
    this.fetch = options.fetch;
    this.store = new ResourceMetricsStore(this.resolutionMs);
  }

  // --- ResourceMetricsReader ---

  async nodeMetrics(name: string): Promise<NodeMetrics | undefined> {
    const node = await this.view.node(name);
    // What metrics-server's node lister answers: the singular resource name.
    if (!node) throw errors.notFound('', 'node', name);
    await this.warmUp([node]);
    return this.nodeMetricsOf(node);
  }

  async listNodeMetrics(): Promise<NodeMetrics[]> {
    const nodes = await this.view.nodes();
    await this.warmUp(nodes);
    return nodes.map((node) => this.nodeMetricsOf(node)).filter((m): m is NodeMetrics => m !== undefined).sort(byName);
  }

  async podMetrics(namespace: string, name: string): Promise<PodMetrics | undefined> {
    const pod = await this.view.pod(namespace, name);
    // metrics-server knows only running pods.
    if (!pod || pod.status?.phase !== 'Running') throw errors.notFound('', 'pods', name);
    const node = pod.spec?.nodeName ? await this.view.node(pod.spec.nodeName) : undefined;
    await this.warmUp(node ? [node] : []);
    return this.podMetricsOf(pod);
  }

  async listPodMetrics(namespace: string | undefined): Promise<PodMetrics[]> {
    const pods = (await this.view.pods(namespace)).filter((pod) => pod.status?.phase === 'Running');
    const nodeNames = new Set(pods.map((pod) => pod.spec?.nodeName));
    await this.warmUp((await this.view.nodes()).filter((node) => nodeNames.has(node.metadata.name)));
    return pods.map((pod) => this.podMetricsOf(pod)).filter((m): m is PodMetrics => m !== undefined).sort(byName);
  }

  // --- answers ---

  private nodeMetricsOf(node: MetricsNode): NodeMetrics | undefined {
    const usage = node.metadata.name ? this.store.nodeUsage(node.metadata.name) : undefined;
    if (!usage) return undefined;
    return {
      metadata: this.metadataOf(node),
      timestamp: timestamp(new Date(usage.timestampMs)),
      window: formatGoDuration(usage.windowMs),
      usage: { cpu: cpuQuantity(usage.cpuNanocores), memory: memoryQuantity(usage.memoryBytes) },
    };
  }

  private podMetricsOf(pod: MetricsPod): PodMetrics | undefined {
    const { name, namespace } = pod.metadata;
    const nodeName = pod.spec?.nodeName;
    const usage = name && namespace && nodeName ? this.store.podUsage(nodeName, namespace, name) : undefined;
    if (!usage) return undefined;
    return {
      metadata: this.metadataOf(pod),
      timestamp: usage.timestampMs === undefined ? null : timestamp(new Date(usage.timestampMs)),
      window: formatGoDuration(usage.windowMs),
      containers: usage.containers.map(({ name: container, usage: used }) => ({
        name: container,
        usage: { cpu: cpuQuantity(used.cpuNanocores), memory: memoryQuantity(used.memoryBytes) },
      })),
    };
  }

  /** ObjectMeta's order: name, namespace, creationTimestamp (now, as metrics-server), labels. */
  private metadataOf(object: { metadata: { name?: string; namespace?: string; labels?: Record<string, string> } }) {
    const metadata: { name?: string; namespace?: string; creationTimestamp: string; labels?: Record<string, string> } = { name: object.metadata.name, creationTimestamp: '' };
    if (object.metadata.namespace) metadata.namespace = object.metadata.namespace;
    metadata.creationTimestamp = timestamp(new Date(this.scheduler.now()));
    const labels = object.metadata.labels;
    if (labels && Object.keys(labels).length > 0) metadata.labels = { ...labels };
    return metadata;
  }

  // --- scraping ---

  /** A read: keeps the loop running and primes the nodes that have no usage yet, waiting a little for them. */
  private async warmUp(nodes: readonly MetricsNode[]): Promise<void> {
    this.lastReadMs = this.scheduler.now();
    if (this.closed) return;
    this.start();
    if (!this.fetch) return;
    const priming: Promise<void>[] = [];
    for (const node of nodes) {
      const name = node.metadata.name;
      if (!name || !scrapeTargetOf(node) || this.store.scrapesOf(name) >= 2) continue;
      const state = this.stateOf(name);
      if (!state.priming && state.primingScrapes >= 2) continue;
      state.priming ??= this.prime(name, state).finally(() => (state.priming = undefined));
      priming.push(state.priming);
    }
    if (priming.length === 0) return;
    let cancel = () => {};
    await Promise.race([Promise.all(priming), new Promise<void>((resolve) => (cancel = this.scheduler.after(this.primingWaitMs, resolve)))]);
    cancel();
  }

  /** Up to two scrapes of a node, the second one primingWindowMs after the first that succeeded. */
  private async prime(name: string, state: NodeScrapeState): Promise<void> {
    while (!this.closed && this.store.scrapesOf(name) < 2 && state.primingScrapes < 2) {
      if (this.store.scrapesOf(name) === 1 && state.lastSuccessMs !== undefined) {
        const wait = state.lastSuccessMs + this.primingWindowMs - this.scheduler.now();
        if (wait > 0) await new Promise<void>((resolve) => this.scheduler.after(wait, resolve));
      }
      state.primingScrapes++;
      if (!(await this.scrapeNode(name))) return;
    }
  }

  private stateOf(name: string): NodeScrapeState {
    let state = this.states.get(name);
    if (!state) this.states.set(name, (state = { primingScrapes: 0, failing: false }));
    return state;
  }

  /** One scrape of the node, shared by whoever asks while it runs; true when it stored a batch. */
  private scrapeNode(name: string): Promise<boolean> {
    const state = this.stateOf(name);
    state.inFlight ??= this.scrapeOnce(name, state).finally(() => (state.inFlight = undefined));
    return state.inFlight;
  }

  private async scrapeOnce(name: string, state: NodeScrapeState): Promise<boolean> {
    const release = await this.slots.acquire();
    const run = this.run;
    const deadline = new AbortController();
    const cancelDeadline = this.scheduler.after(this.scrapeTimeoutMs, () => deadline.abort(new Error(`timeout to access the node agent after ${this.scrapeTimeoutMs} ms`)));
    const onClose = () => deadline.abort(new Error('shutting down'));
    this.closing.signal.addEventListener('abort', onClose, { once: true });
    try {
      if (this.closed || !this.fetch) return false;
      const node = await this.view.node(name);
      const target = node && scrapeTargetOf(node);
      if (!target) {
        this.store.drop(name);
        return false;
      }
      const started = this.scheduler.now();
      const text = await untilAborted(this.fetch(target, deadline.signal), deadline.signal);
      if (run !== this.run) return false;
      this.store.store(name, decodeResourceMetrics(text, started));
      state.lastSuccessMs = this.scheduler.now();
      if (state.failing) this.log({ msg: 'Scraping node again', node: name, v: 1 });
      state.failing = false;
      return true;
    } catch (err) {
      if (run === this.run) this.store.drop(name);
      // Said once when a node starts failing, then only at -v 2: an agent without the endpoint fails every resolution.
      this.log({ msg: 'Failed to scrape node', node: name, error: err instanceof Error ? err.message : String(err), v: state.failing ? 2 : 0 });
      state.failing = true;
      return false;
    } finally {
      cancelDeadline();
      this.closing.signal.removeEventListener('abort', onClose);
      release();
    }
  }

  private start(): void {
    if (this.running || this.closed) return;
    this.running = true;
    this.log({ msg: 'Starting resource metrics scraping', resolutionMs: this.resolutionMs, v: 1 });
    this.scheduleTick();
  }

  private scheduleTick(): void {
    this.cancelTick = this.scheduler.after(this.resolutionMs, () => {
      this.currentTick = this.tick();
    });
  }

  /** Every resolution: every Ready node is scraped, nodes gone or not Ready are forgotten. */
  private async tick(): Promise<void> {
    if (!this.running) return;
    if (this.idleStopMs > 0 && this.scheduler.now() - this.lastReadMs >= this.idleStopMs) {
      this.log({ msg: 'Stopping resource metrics scraping: no reads', idleMs: this.idleStopMs, v: 1 });
      this.pause();
      return;
    }
    // The next tick is due a resolution after this one started, however long this one takes.
    this.scheduleTick();
    try {
      const nodes = (await this.view.nodes()).filter((node) => node.metadata.name && scrapeTargetOf(node));
      const names = new Set(nodes.map((node) => node.metadata.name!));
      this.store.retain(names);
      for (const [name, state] of this.states) if (!names.has(name) && !state.inFlight && !state.priming) this.states.delete(name);
      if (this.fetch) await Promise.all([...names].map((name) => this.scrapeNode(name)));
    } catch (err) {
      this.log({ msg: 'Scraping nodes failed', error: err instanceof Error ? err.message : String(err) });
    }
  }

  private pause(): void {
    this.running = false;
    this.run++;
    this.cancelTick?.();
    this.cancelTick = undefined;
    this.store.clear();
    this.states.clear();
  }

  /** Stops for good (the apiserver shuts down): scrapes under way are abandoned. */
  stop(): void {
    this.closed = true;
    this.pause();
    this.closing.abort();
  }

  /** Whether the resolution loop runs (tests, and /readyz-like checks). */
  get scraping(): boolean {
    return this.running;
  }

  /** What the store holds (tests check that memory follows the cluster). */
  storeSize(): { nodes: number; containerPoints: number } {
    return this.store.size();
  }

  /** Resolves when the tick and scrapes under way are done (tests drive ticks with a fake scheduler). */
  async settled(): Promise<void> {
    for (;;) {
      const pending = [this.currentTick, ...[...this.states.values()].flatMap((s) => [s.inFlight, s.priming])].filter((p) => p !== undefined);
      if (pending.length === 0) return;
      await Promise.all(pending);
      this.currentTick = undefined;
    }
  }
}
