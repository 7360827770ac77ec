/**
 * What the node knows about its images: one record per image (by config
 * digest) with the names that point at it and the blobs it needs, kept in
 * `DIR/images.json`. The file is replaced whole (written beside, fsynced,
 * renamed), so a crash leaves the old list or the new one, never a mix.
 * Records are written only after their blobs and layers are in place: a
 * record never names content that is not on disk.
 *
 * Two processes may hold the store — the agent, and `skiff images` run
 * beside it — so every change re-reads the file under a lock file
 * (`images.json.lock`, made with O_EXCL), and reads re-read it when it
 * changed on disk.
 */
import { closeSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import { writeFileAtomic } from '../../util/files.js';
import { join } from 'node:path';
import type { ImageInfo } from './types.js';

export interface ImageRecord extends ImageInfo {
  /** Every blob the image needs (manifests, config, compressed layers): what garbage collection keeps. */
  blobs: string[];
}

/** A lock older than this was left by a process that died holding it. */
const staleLockMs = 30_000;
/** How long a noted use waits to be written with others. */
const useWriteDelayMs = 5_000;
const lockWaitMs = 10_000;

export class ImageRecords {
  private readonly file: string;
  private readonly lockFile: string;
  private records = new Map<string, ImageRecord>();
  private loadedVersion = '';
  /** "Last used" times noted but not written yet (see touch). */
  private readonly pendingUse = new Map<string, number>();
  private useWrite: NodeJS.Timeout | undefined;

  constructor(root: string) {
    this.file = join(root, 'images.json');
    this.lockFile = `${this.file}.lock`;
    this.reload();
  }

  all(): ImageRecord[] {
    this.reload();
    return [...this.records.values()];
  }

  get(id: string): ImageRecord | undefined {
    this.reload();
    return this.records.get(id);
  }

  /** The image a normalized name (`registry/repo:tag` or `registry/repo@digest`) points at. */
  byName(name: string): ImageRecord | undefined {
    this.reload();
    for (const record of this.records.values()) if (record.repoTags.includes(name) || record.repoDigests.includes(name)) return record;
    return undefined;
  }

  /**
   * Adds or updates an image. A tag names one image: it moves here from
   * wherever it pointed before (that image stays, untagged, until it is
   * removed or collected — as with containerd).
   */
  put(record: ImageRecord): void {
    this.change(() => {
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
    });
  }

  /**
   * Notes that a container started from the image. Every container start
   * does this, so it is not written at once: the time is kept in memory
   * (and seen by reads here) and written with the others at most every few
   * seconds. A crash loses only some "last used" times, which order garbage
   * collection and nothing else.
   */
  touch(id: string, now: number): void {
    this.pendingUse.set(id, now);
    const record = this.records.get(id);
    if (record) record.lastUsed = now;
    this.useWrite ??= setTimeout(() => this.flushUse(), useWriteDelayMs).unref();
  }

  /** Writes the "last used" times noted since the last write. */
  flushUse(): void {
    if (this.useWrite) clearTimeout(this.useWrite);
    this.useWrite = undefined;
    if (this.pendingUse.size === 0) return;
    try {
      this.change(() => {});
    } catch {
      /* the lock is held for long by another process: tried again at the next touch */
    }
  }

  remove(id: string): void {
    this.change(() => this.records.delete(id));
  }

  /** Re-reads the file when another process changed it (its size or mtime moved). */
  private reload(): void {
    let version = '';
    try {
      const stat = statSync(this.file);
      version = `${stat.mtimeMs} ${stat.size} ${stat.ino}`;
    } catch {
      /* no file yet: no images */
    }
    if (version === this.loadedVersion) return;
    const records = new Map<string, ImageRecord>();
    if (version) {
      const saved = JSON.parse(readFileSync(this.file, 'utf8')) as { images?: ImageRecord[] };
      for (const record of saved.images ?? []) records.set(record.id, record);
    }
    // Uses not written yet stay on top of what another process wrote.
    for (const [id, time] of this.pendingUse) {
      const record = records.get(id);
      if (record) record.lastUsed = Math.max(record.lastUsed ?? 0, time);
    }
    this.records = records;
    this.loadedVersion = version;
  }

  /** A read-modify-write of the file, under the lock. */
  private change(apply: () => void): void {
    this.lock();
    try {
      this.reload();
      apply();
      this.save();
    } finally {
      rmSync(this.lockFile, { force: true });
    }
  }

  private lock(): void {
    const deadline = Date.now() + lockWaitMs;
    for (;;) {
      try {
        closeSync(openSync(this.lockFile, 'wx'));
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      try {
        if (Date.now() - statSync(this.lockFile).mtimeMs > staleLockMs) rmSync(this.lockFile, { force: true });
      } catch {
        /* gone meanwhile */
      }
      if (Date.now() > deadline) throw new Error(`${this.lockFile} is held by another process (remove it if no skiff runs on this data dir)`);
      // A change holds the lock for a few milliseconds: a short synchronous wait keeps this simple.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
    }
  }

  private save(): void {
    // Every write carries the pending uses (reload put them on the records).
    this.pendingUse.clear();
    writeFileAtomic(this.file, JSON.stringify({ images: [...this.records.values()] }, null, 1), 0o600);
    const stat = statSync(this.file);
    this.loadedVersion = `${stat.mtimeMs} ${stat.size} ${stat.ino}`;
  }
}
