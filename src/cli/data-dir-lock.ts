/**
 * One data dir, one skiff: `skiff up`, `skiff server` and `skiff agent` lock
 * their data dir first, and a second process on the same dir exits at once,
 * naming the holder's PID.
 *
 * Why a SQLite lock and not a PID file: a PID file outlives a `kill -9`, so
 * every start must guess whether its writer is dead (and PIDs are reused, and
 * two starters cleaning up the same stale file race each other). Node has no
 * flock(), but SQLite takes POSIX record locks on its files, and the kernel
 * drops those the moment the holding process dies, however it dies. So
 * `<dataDir>/skiff.lock` is a tiny SQLite database that the holder opens in
 * exclusive locking mode and writes once: from that write on SQLite keeps the
 * exclusive lock until the connection closes. The same write stores the
 * holder's PID as the database's user_version — lock and PID in one
 * transaction, so the PID on disk is always the holder's once the lock is
 * taken. A refused starter reads that PID straight from the file header
 * (bytes 60–63, big-endian), which needs no lock.
 */
import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';

export const lockFileName = 'skiff.lock';

/** Offset of the user_version field in a SQLite database header. */
const userVersionOffset = 60;

export class DataDirLockedError extends Error {
  constructor(
    readonly dataDir: string,
    readonly holderPid: number | undefined,
  ) {
    super(
      `data dir ${dataDir} is in use by another skiff process (${holderPid ? `PID ${holderPid}` : 'PID unknown'}); ` +
        'stop it first, or choose another --data-dir',
    );
    this.name = 'DataDirLockedError';
  }
}

export interface DataDirLock {
  readonly path: string;
  release(): void;
}

/**
 * Takes the data dir's lock, or throws DataDirLockedError naming the holder.
 * Two starters racing for a free lock can both be refused for a moment
 * (each sees the other's transient lock): a refusal counts only once the
 * recorded holder is a live process, otherwise we try again until `waitMs`.
 */
export async function lockDataDir(dataDir: string, options: { waitMs?: number } = {}): Promise<DataDirLock> {
  const path = join(dataDir, lockFileName);
  const deadline = Date.now() + (options.waitMs ?? 2000);
  for (;;) {
    const lock = tryLock(path);
    if (lock) return lock;
    const holder = recordedHolder(path);
    if ((holder && holder !== process.pid && isAlive(holder)) || Date.now() >= deadline) {
      throw new DataDirLockedError(dataDir, holder && isAlive(holder) ? holder : undefined);
    }
    // The holder is between taking the lock and recording itself, or a racing starter gave up: look again.
    await sleep(20);
  }
}

function tryLock(path: string): DataDirLock | undefined {
  // timeout 0: a held lock is reported at once rather than waited for.
  const db = new Database(path, { timeout: 0 });
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
    db.pragma(`user_version = ${process.pid}`);
    db.exec('COMMIT');
  } catch (error) {
    db.close();
    if ((error as { code?: string }).code === 'SQLITE_BUSY') return undefined;
    throw error;
  }
  return {
    path,
    release: () => {
      if (db.open) db.close();
    },
  };
}

/**
 * The PID of the skiff that holds the data dir now, or undefined when none
 * does: the lock is tried (and let go at once), so a holder that died —
 * whatever its file says — is seen as gone. A skiff starting meanwhile
 * retries its own lock (lockDataDir waits out such a moment).
 */
export function dataDirHolder(dataDir: string): number | undefined {
  const path = join(dataDir, lockFileName);
  if (!existsSync(path)) return undefined;
  let lock: DataDirLock | undefined;
  try {
    lock = tryLock(path);
  } catch {
    // Not ours to write (another user's data dir): the recorded PID, if it lives.
    const recorded = recordedHolder(path);
    return recorded && isAlive(recorded) ? recorded : undefined;
  }
  if (lock) {
    lock.release();
    return undefined;
  }
  return recordedHolder(path);
}

/** The PID the current holder recorded, read from the file without taking a lock. */
function recordedHolder(path: string): number | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const header = Buffer.alloc(4);
    if (readSync(fd, header, 0, 4, userVersionOffset) !== 4) return undefined;
    return header.readUInt32BE(0) || undefined;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, it is just another user's.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
