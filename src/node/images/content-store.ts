/**
 * The node's content-addressed blob store: manifests, configs and
 * compressed layers, each under its digest (`DIR/blobs/sha256/<hex>`).
 *
 * A blob is written to `DIR/ingest/` first and moved under its digest only
 * once its bytes hash to that digest and are on disk (fsync, then rename):
 * a crash, a kill -9 or a bad download never leaves a half-written or wrong
 * blob where a reader would use it. A download cut short keeps its partial
 * file, and the next attempt continues from where it ended (the caller asks
 * the registry for the rest with a Range request).
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { syncAndRename, writeFileAtomic } from '../../util/files.js';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

const digestPattern = /^sha256:([a-f0-9]{64})$/;

export class DigestMismatchError extends Error {}

/** The hex part of a sha256 digest; throws for anything else (a digest names a file: it must be exactly this). */
export function digestHex(digest: string): string {
  const match = digestPattern.exec(digest);
  if (!match) throw new Error(`unsupported digest ${JSON.stringify(digest)}: only sha256 is supported`);
  return match[1];
}

export function sha256Digest(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/**
 * A pass-through stream that hashes (sha256) and counts what flows through
 * it — for blobs, archives and layers alike. `hash` may be one that has
 * already seen earlier bytes (a resumed download); `maxBytes` stops a
 * source that sends more than it should at once.
 */
export function measuringStream(hash: Hash = createHash('sha256'), maxBytes?: { limit: number; error: () => Error }): { stream: Transform; digest: () => string; bytes: () => number } {
  let bytes = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      if (maxBytes && bytes > maxBytes.limit) return done(maxBytes.error());
      hash.update(chunk);
      done(null, chunk);
    },
  });
  return { stream, digest: () => `sha256:${hash.digest('hex')}`, bytes: () => bytes };
}

/** Where a blob being downloaded stands: how many bytes are on disk already, and how to add the rest. */
export interface Ingest {
  /** Bytes kept from an earlier attempt: ask the source for the blob from this offset. */
  readonly offset: number;
  /**
   * Writes the rest of the blob, checks the digest and size, and makes it a
   * blob. `restStartsAt` is where `rest` starts: `offset`, or 0 when the
   * source sent the whole blob again (the partial bytes are then dropped).
   */
  write(rest: Readable, expectedSize?: number, restStartsAt?: number): Promise<void>;
}

export class ContentStore {
  private readonly blobDir: string;
  private readonly ingestDir: string;
  private unknownCount = 0;

  constructor(readonly root: string) {
    this.blobDir = join(root, 'blobs', 'sha256');
    this.ingestDir = join(root, 'ingest');
    mkdirSync(this.blobDir, { recursive: true });
    mkdirSync(this.ingestDir, { recursive: true });
  }

  blobPath(digest: string): string {
    return join(this.blobDir, digestHex(digest));
  }

  has(digest: string): boolean {
    return existsSync(this.blobPath(digest));
  }

  /** A blob's size in bytes, or undefined when it is not here. */
  size(digest: string): number | undefined {
    try {
      return statSync(this.blobPath(digest)).size;
    } catch {
      return undefined;
    }
  }

  /** A small blob (a manifest or config) in memory. */
  read(digest: string): Buffer {
    return readFileSync(this.blobPath(digest));
  }

  open(digest: string): Readable {
    return createReadStream(this.blobPath(digest));
  }

  /** Stores bytes already in memory (a manifest or config fetched whole), after checking their digest. */
  put(digest: string, data: Buffer): void {
    if (sha256Digest(data) !== digest) throw new DigestMismatchError(`content does not match its digest ${digest}`);
    if (this.has(digest)) return;
    writeFileAtomic(this.blobPath(digest), data, 0o644);
  }

  /**
   * Starts (or continues) the download of a blob. The partial file is
   * re-hashed from its start, so a resumed blob is checked as a whole.
   */
  async ingest(digest: string): Promise<Ingest> {
    const partial = this.partialPath(digest);
    let hash = createHash('sha256');
    let offset = 0;
    if (existsSync(partial)) {
      for await (const chunk of createReadStream(partial) as AsyncIterable<Buffer>) {
        hash.update(chunk);
        offset += chunk.length;
      }
    }
    return {
      offset,
      write: async (rest, expectedSize, restStartsAt = offset) => {
        if (restStartsAt !== 0 && restStartsAt !== offset) throw new Error(`blob ${digest}: the source starts at byte ${restStartsAt}, not at ${offset} or 0`);
        if (restStartsAt === 0 && offset > 0) hash = createHash('sha256');
        // A source that sends more than the manifest said is wrong (or hostile): stop reading at once.
        const tooLarge = () => new DigestMismatchError(`blob ${digest} is larger than the ${expectedSize} bytes its manifest says`);
        const measure = measuringStream(hash, expectedSize !== undefined ? { limit: expectedSize - restStartsAt, error: tooLarge } : undefined);
        const out = createWriteStream(partial, { flags: restStartsAt > 0 ? 'a' : 'w' });
        await pipeline(rest, measure.stream, out);
        await this.commit(digest, partial, measure.digest(), restStartsAt + measure.bytes(), expectedSize);
      },
    };
  }

  /**
   * Stores a blob whose digest is not known beforehand (a file of a
   * `docker save` archive named by path): hashed while written, then kept
   * under the digest it has.
   */
  async ingestUnknown(data: Readable): Promise<{ digest: string; size: number }> {
    const partial = join(this.ingestDir, `unknown-${process.pid}-${(this.unknownCount++).toString(36)}.partial`);
    const measure = measuringStream();
    try {
      await pipeline(data, measure.stream, createWriteStream(partial));
    } catch (err) {
      rmSync(partial, { force: true });
      throw err;
    }
    const digest = measure.digest();
    const size = measure.bytes();
    if (this.has(digest)) rmSync(partial, { force: true });
    else syncAndRename(partial, this.blobPath(digest));
    return { digest, size };
  }

  /** Every blob's digest and size (for garbage collection). */
  list(): { digest: string; size: number }[] {
    return readdirSync(this.blobDir)
      .filter((name) => /^[a-f0-9]{64}$/.test(name))
      .map((name) => ({ digest: `sha256:${name}`, size: statSync(join(this.blobDir, name)).size }));
  }

  remove(digest: string): void {
    rmSync(this.blobPath(digest), { force: true });
  }

  /**
   * Files nothing will finish: partial downloads untouched for a day (a
   * pull of the image would have continued them), and blobs a crash left
   * half-written. Young ones stay — another process (the agent, or
   * `skiff images` beside it) may be writing them.
   */
  removeAbandoned(now: number, partialAgeMs = 24 * 60 * 60_000, temporaryAgeMs = 60 * 60_000): void {
    const sweep = (dir: string, pick: (name: string) => boolean, ageMs: number) => {
      for (const name of readdirSync(dir).filter(pick)) {
        const path = join(dir, name);
        try {
          if (now - statSync(path).mtimeMs >= ageMs) rmSync(path, { force: true, recursive: true });
        } catch {
          /* gone meanwhile */
        }
      }
    };
    sweep(this.ingestDir, () => true, partialAgeMs);
    sweep(this.blobDir, (name) => name.endsWith('.tmp'), temporaryAgeMs);
  }

  private partialPath(digest: string): string {
    return join(this.ingestDir, `sha256-${digestHex(digest)}.partial`);
  }

  private async commit(digest: string, partial: string, actual: string, size: number, expectedSize: number | undefined): Promise<void> {
    if (actual !== digest || (expectedSize !== undefined && size !== expectedSize)) {
      // Wrong bytes are never kept: the next attempt starts over.
      rmSync(partial, { force: true });
      throw new DigestMismatchError(`blob ${digest} arrived as ${actual} (${size} bytes${expectedSize !== undefined ? `, ${expectedSize} expected` : ''})`);
    }
    syncAndRename(partial, this.blobPath(digest));
  }
}
