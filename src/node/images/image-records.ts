/**
 * What the node knows about its images: one record per image (by config
 * digest) with the names that point at it and the blobs it needs, kept in
 * `DIR/images.json`. The file is replaced whole (written beside, fsynced,
 * renamed), so a crash leaves the old list or the new one, never a mix.
 * Records are written only after their blobs and layers are in place: a
 * record never names content that is not on disk.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { ImageInfo } from './types.js';

export interface ImageRecord extends ImageInfo {
  /** Every blob the image needs (manifests, config, compressed layers): what garbage collection keeps. */
  blobs: string[];
}

export class ImageRecords {
  private readonly file: string;
  private records = new Map<string, ImageRecord>();

  constructor(root: string) {
    this.file = join(root, 'images.json');
    if (existsSync(this.file)) {
      const saved = JSON.parse(readFileSync(this.file, 'utf8')) as { images?: ImageRecord[] };
      for (const record of saved.images ?? []) this.records.set(record.id, record);
    }
  }

  all(): ImageRecord[] {
    return [...this.records.values()];
  }

  get(id: string): ImageRecord | undefined {
    return this.records.get(id);
  }

  /** The image a normalized name (`registry/repo:tag` or `registry/repo@digest`) points at. */
  byName(name: string): ImageRecord | undefined {
    for (const record of this.records.values()) if (record.repoTags.includes(name) || record.repoDigests.includes(name)) return record;
    return undefined;
  }

  /**
   * Adds or updates an image. A tag names one image: it moves here from
   * wherever it pointed before (that image stays, untagged, until it is
   * removed or collected — as with containerd).
   */
  put(record: ImageRecord): void {
    for (const other of this.records.values()) {
      if (other.id === record.id) continue;
      other.repoTags = other.repoTags.filter((tag) => !record.repoTags.includes(tag));
    }
    const existing = this.records.get(record.id);
    if (existing) {
      record.repoTags = [...new Set([...existing.repoTags, ...record.repoTags])];
      record.repoDigests = [...new Set([...existing.repoDigests, ...record.repoDigests])];
      record.blobs = [...new Set([...existing.blobs, ...record.blobs])];
    }
    this.records.set(record.id, record);
    this.save();
  }

  touch(id: string, now: number): void {
    const record = this.records.get(id);
    if (!record) return;
    record.lastUsed = now;
    this.save();
  }

  remove(id: string): void {
    if (this.records.delete(id)) this.save();
  }

  private save(): void {
    const data = Buffer.from(JSON.stringify({ images: this.all() }, null, 1));
    const temporary = `${this.file}.tmp`;
    const fd = openSync(temporary, 'w');
    try {
      let written = 0;
      while (written < data.length) written += writeSync(fd, data, written);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, this.file);
  }
}
