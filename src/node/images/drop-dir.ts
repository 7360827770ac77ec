/**
 * Air-gapped nodes: image archives dropped into `DIR/images/` (docker save
 * or OCI layout; .tar, .tar.gz, .tgz, .tar.zst) are imported when the agent
 * starts and while it runs, as k3s does with its agent/images directory. A
 * file is imported again only when it changed (its size or mtime); one
 * that cannot be read is said once in the log and left alone until it
 * changes.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { whenAborted } from '../../machinery/abort.js';

const archivePattern = /\.(tar|tar\.gz|tgz|tar\.zst|tar\.zstd)$/;

export interface DropDirOptions {
  dir: string;
  /**
   * Imports one archive into the node's images and says which it holds:
   * skiff's own store (archive-import.ts) or containerd's (`ctr images
   * import`), whichever runtime the node has.
   */
  importArchive(path: string): Promise<string[]>;
  /** Where the archives already imported are remembered (their size and mtime), with the images. */
  stateFile: string;
  signal: AbortSignal;
  log(event: Record<string, unknown>): void;
  /** How often the directory is looked at (default 5 s). */
  intervalMs?: number;
}

export async function watchImageDrops(options: DropDirOptions): Promise<void> {
  const { dir, stateFile, signal, log } = options;
  mkdirSync(dir, { recursive: true });
  let seen: Record<string, string> = {};
  try {
    seen = existsSync(stateFile) ? (JSON.parse(readFileSync(stateFile, 'utf8')) as Record<string, string>) : {};
  } catch {
    /* a broken state file: everything is imported again */
  }
  const scan = async () => {
    for (const name of readdirSync(dir).filter((n) => archivePattern.test(n)).sort()) {
      const path = join(dir, name);
      let version: string;
      try {
        const stat = statSync(path);
        version = `${stat.size} ${stat.mtimeMs}`;
      } catch {
        continue;
      }
      if (seen[name] === version) continue;
      seen[name] = version;
      try {
        const imported = await options.importArchive(path);
        log({ msg: 'imported image archive', file: path, images: imported });
      } catch (err) {
        log({ msg: 'cannot import image archive', file: path, error: (err as Error).message });
      }
      writeFileSync(stateFile, JSON.stringify(seen));
    }
  };
  while (!signal.aborted) {
    await scan().catch((err: Error) => log({ msg: 'cannot read the image drop directory', dir, error: err.message }));
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, options.intervalMs ?? 5000);
      timer.unref();
      whenAborted(signal, () => (clearTimeout(timer), resolve()));
    });
  }
}
