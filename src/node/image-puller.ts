/**
 * Makes sure a container's image is on the node before the container is
 * made — the kubelet's image manager: `imagePullPolicy` (Always,
 * IfNotPresent, Never; the API server defaults it by tag), pull secrets,
 * a back-off per pod and image after a failed pull (10 s doubling to 5 min),
 * and the events and waiting reasons upstream shows: Pulling, Pulled,
 * Failed / ErrImagePull, BackOff / ImagePullBackOff, ErrImageNeverPull,
 * InspectFailed / InvalidImageName.
 */
import { ImageError, type ImageService, type RegistryCredentials } from './images/types.js';
import { parseReference, type ImageReference } from './images/reference.js';

export type EventRecorder = (type: 'Normal' | 'Warning', reason: string, message: string) => void;

export interface PullRequest {
  /** The pod's uid: back-off is per pod and image. */
  podUid: string;
  image: string;
  pullPolicy?: string;
  /** Credentials for this image (from the pod's pull secrets), tried in order. */
  credentials: (ref: ImageReference) => Promise<RegistryCredentials[]>;
  event: EventRecorder;
}

export type PullOutcome = { ok: true; imageId: string } | { ok: false; reason: 'ErrImagePull' | 'ImagePullBackOff' | 'ErrImageNeverPull' | 'InvalidImageName'; message: string; retryAt?: number };

const initialBackoffMs = 10_000;
const maxBackoffMs = 300_000;

/** Go's time.Duration formatting for the Pulled event: 512ms, 1.234s, 1m2.5s. */
export function goDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Number(((ms % 60_000) / 1000).toFixed(3));
  return minutes > 0 ? `${minutes}m${seconds}s` : `${seconds}s`;
}

export class ImagePuller {
  private readonly backoff = new Map<string, { until: number; delayMs: number; message: string }>();

  constructor(
    private readonly images: ImageService,
    private readonly now: () => number = Date.now,
  ) {}

  async ensureImage(request: PullRequest): Promise<PullOutcome> {
    const { image, event } = request;
    let ref: ImageReference;
    try {
      ref = parseReference(image);
    } catch (err) {
      const message = `Failed to apply default image tag "${image}": couldn't parse image name "${image}": ${(err as Error).message}`;
      event('Warning', 'InspectFailed', message);
      return { ok: false, reason: 'InvalidImageName', message };
    }
    const present = await this.images.imageStatus(image);
    const policy = request.pullPolicy ?? 'IfNotPresent';
    if (present && policy !== 'Always') {
      event('Normal', 'Pulled', `Container image "${image}" already present on machine`);
      return { ok: true, imageId: present.id };
    }
    if (!present && policy === 'Never') {
      const message = `Container image "${image}" is not present with pull policy of Never`;
      event('Warning', 'ErrImageNeverPull', message);
      return { ok: false, reason: 'ErrImageNeverPull', message };
    }
    const key = `${request.podUid} ${image}`;
    const waiting = this.backoff.get(key);
    if (waiting && this.now() < waiting.until) {
      const message = `Back-off pulling image "${image}"`;
      event('Normal', 'BackOff', message);
      return { ok: false, reason: 'ImagePullBackOff', message, retryAt: waiting.until };
    }
    event('Normal', 'Pulling', `Pulling image "${image}"`);
    const started = this.now();
    try {
      const result = await this.images.pullImage(image, { credentials: await request.credentials(ref) });
      this.backoff.delete(key);
      const took = goDuration(this.now() - started);
      event('Normal', 'Pulled', `Successfully pulled image "${image}" in ${took} (${took} including waiting). Image size: ${result.image.size} bytes.`);
      return { ok: true, imageId: result.image.id };
    } catch (err) {
      const message = err instanceof ImageError ? err.message : `failed to pull and unpack image "${image}": ${(err as Error).message}`;
      const delayMs = waiting ? Math.min(waiting.delayMs * 2, maxBackoffMs) : initialBackoffMs;
      this.backoff.set(key, { until: this.now() + delayMs, delayMs, message });
      event('Warning', 'Failed', `Failed to pull image "${image}": ${message}`);
      return { ok: false, reason: 'ErrImagePull', message, retryAt: this.now() + delayMs };
    }
  }

  /** Forgets a pod's back-offs (it is gone). */
  forgetPod(podUid: string): void {
    for (const key of this.backoff.keys()) if (key.startsWith(`${podUid} `)) this.backoff.delete(key);
  }
}
