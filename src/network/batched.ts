/**
 * How the node's network components follow the cluster: informers whose
 * events schedule one piece of work, run at most every 100 ms and never
 * twice at once — a burst of changes (a Deployment scaling up) becomes one
 * rewrite of the rules, not hundreds.
 *
 * The work is the one key of the client's rate-limited work queue, so a
 * failed run is retried with the queue's per-key exponential backoff
 * (100 ms doubling to 5 min, jittered) without waiting for another change;
 * a change meanwhile runs it at once (the queue keeps the sooner time).
 */
import { WorkQueue, type SharedInformer, type WorkQueueOptions } from '../client/index.js';
import type { KubeObject } from '../machinery/object.js';
import { whenAborted } from '../machinery/abort.js';

const key = 'sync';

/** Retries of the network's state-writing loops: 100 ms, 200 ms, … at most 5 min, each up to 50 % longer at random. */
export const networkRetry: WorkQueueOptions = { baseDelayMs: 100, maxDelayMs: 300_000, jitterFactor: 0.5 };

export class BatchedWork {
  private readonly queue: WorkQueue<string>;
  private looping = false;
  /** The run under way, if any: a last run after cancel() waits for it. */
  private running: Promise<void> | undefined;
  /** Callers of now() waiting for the next run to end. */
  private waiting: (() => void)[] = [];

  constructor(
    private readonly work: () => void | Promise<void>,
    private readonly onError: (err: Error) => void,
    private readonly delayMs = 100,
    retry: WorkQueueOptions = networkRetry,
  ) {
    this.queue = new WorkQueue<string>(retry);
  }

  /** Asks for a run soon; asks made before it starts share it. */
  schedule(): void {
    this.queue.addAfter(key, this.delayMs);
    this.loop();
  }

  /**
   * Runs now (after any run in progress); resolves when that run ended — a
   * failure goes to onError and is retried. After cancel() it runs the work
   * once more, unretried: a component's stop uses that last run to clean up
   * (close its listeners, delete its rules).
   */
  now(): Promise<void> {
    if (this.queue.isShuttingDown) return this.lastRun();
    const ended = new Promise<void>((resolve) => this.waiting.push(resolve));
    this.queue.add(key);
    this.loop();
    return ended;
  }

  private async lastRun(): Promise<void> {
    await this.running;
    try {
      await this.work();
    } catch (err) {
      this.onError(err as Error);
    }
  }

  /** How many runs in a row have failed (0 after a success). */
  get failures(): number {
    return this.queue.retries(key);
  }

  /** Stops: nothing runs any more, pending retries are dropped. */
  cancel(): void {
    this.queue.shutDown();
    this.wake();
  }

  private wake(): void {
    for (const resolve of this.waiting.splice(0)) resolve();
  }

  /** The one worker: takes the key, runs the work, forgets or backs off. */
  private loop(): void {
    if (this.looping || this.queue.isShuttingDown) return;
    this.looping = true;
    void (async () => {
      for (;;) {
        const item = await this.queue.get();
        if (item === undefined) return;
        const ending = this.waiting.splice(0);
        try {
          const run = Promise.resolve().then(() => this.work());
          this.running = run.then(
            () => undefined,
            () => undefined,
          );
          await run;
          this.queue.forget(item);
        } catch (err) {
          this.onError(err as Error);
          this.queue.addRateLimited(item);
        } finally {
          this.running = undefined;
          this.queue.done(item);
          for (const resolve of ending) resolve();
        }
      }
    })();
  }
}

/**
 * Starts the informers with every event scheduling the work; resolves once
 * all have listed. Informers come from the node's one InformerFactory, so a
 * resource several components follow is still listed and watched once.
 */
export async function followInformers(informers: SharedInformer<KubeObject>[], work: BatchedWork, signal: AbortSignal): Promise<void> {
  for (const informer of informers) {
    informer.addEventHandler({ add: () => work.schedule(), update: () => work.schedule(), delete: () => work.schedule() });
    informer.start(signal);
  }
  whenAborted(signal, () => work.cancel());
  await Promise.all(informers.map((informer) => informer.waitForSync(signal)));
}
