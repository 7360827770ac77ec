/**
 * How the node's network components follow the cluster: informers whose
 * events schedule one piece of work, run at most every 100 ms and never
 * twice at once — a burst of changes (a Deployment scaling up) becomes one
 * rewrite of the rules, not hundreds.
 */
import type { SharedInformer } from '../client/index.js';
import type { KubeObject } from '../machinery/object.js';

export class BatchedWork {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly work: () => void | Promise<void>,
    private readonly onError: (err: Error) => void,
    private readonly delayMs = 100,
  ) {}

  /** Asks for a run soon; asks made before it starts share it. */
  schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.now();
    }, this.delayMs);
  }

  /** Runs now, after any run in progress. */
  now(): Promise<void> {
    this.running = this.running.then(() => this.work()).catch((err: Error) => this.onError(err));
    return this.running;
  }

  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/** Starts the informers with every event scheduling the work; resolves once all have listed. */
export async function followInformers(informers: SharedInformer<KubeObject>[], work: BatchedWork, signal: AbortSignal): Promise<void> {
  for (const informer of informers) {
    informer.addEventHandler({ add: () => work.schedule(), update: () => work.schedule(), delete: () => work.schedule() });
    informer.start(signal);
  }
  await Promise.all(informers.map((informer) => informer.waitForSync(signal)));
}
