/**
 * Image garbage collection, as the kubelet's image manager does it: when the
 * file system holding the images is more than 85 % full (high threshold),
 * images no container uses are removed, least recently used first, until
 * it is down to 80 % (low threshold). An image the node has known for less
 * than two minutes stays (it may be about to be used). What cannot be freed
 * is said in a FreeDiskSpaceFailed event on the Node, with upstream's words.
 */
import type { ImageService } from './images/types.js';

export interface ImageGcPolicy {
  highThresholdPercent: number;
  lowThresholdPercent: number;
  /** An image first seen less than this long ago is never removed (upstream's ImageMinimumGCAge). */
  minimumAgeMs: number;
}

export const defaultImageGcPolicy: ImageGcPolicy = { highThresholdPercent: 85, lowThresholdPercent: 80, minimumAgeMs: 2 * 60_000 };

export interface ImageGcResult {
  /** Bytes that had to go to reach the low threshold (0 below the high one). */
  wanted: number;
  freed: number;
  removed: string[];
}

export class ImageGarbageCollector {
  /** When each image was first seen by this collector (upstream keeps the same: a restart starts the clock again). */
  private readonly firstSeen = new Map<string, number>();

  constructor(
    private readonly images: ImageService,
    /** The ids of the images containers use (running or not, as long as they exist). */
    private readonly inUse: () => Promise<Set<string>>,
    private readonly now: () => number,
    private readonly warn: (reason: string, message: string) => void,
    private readonly policy: ImageGcPolicy = defaultImageGcPolicy,
  ) {}

  async collect(): Promise<ImageGcResult> {
    const now = this.now();
    const all = await this.images.listImages();
    for (const image of all) if (!this.firstSeen.has(image.id)) this.firstSeen.set(image.id, now);
    for (const id of [...this.firstSeen.keys()]) if (!all.some((image) => image.id === id)) this.firstSeen.delete(id);

    const usage = await this.images.imageFsUsage();
    if (usage.capacityBytes <= 0) return { wanted: 0, freed: 0, removed: [] };
    const percent = (usage.usedBytes * 100) / usage.capacityBytes;
    if (percent < this.policy.highThresholdPercent) return { wanted: 0, freed: 0, removed: [] };
    const wanted = Math.ceil(usage.usedBytes - (this.policy.lowThresholdPercent * usage.capacityBytes) / 100);

    const used = await this.inUse();
    const candidates = all
      .filter((image) => !used.has(image.id) && now - this.firstSeen.get(image.id)! >= this.policy.minimumAgeMs)
      .sort((a, b) => a.lastUsed - b.lastUsed);
    let freed = 0;
    const removed: string[] = [];
    for (const image of candidates) {
      if (freed >= wanted) break;
      try {
        await this.images.removeImage(image.id);
      } catch {
        continue; // taken into use meanwhile, or gone: the next one
      }
      freed += image.size;
      removed.push(image.id);
      this.firstSeen.delete(image.id);
    }
    if (freed < wanted) {
      this.warn('FreeDiskSpaceFailed', `Failed to garbage collect required amount of images. Attempted to free ${wanted} bytes, but only found ${freed} bytes eligible to free.`);
    }
    return { wanted, freed, removed };
  }
}
