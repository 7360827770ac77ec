/**
 * A container's output on its way to the log: the container writes stdout
 * and stderr into two FIFOs in the container's state directory; this reads
 * them (opened read-write, so they never report an end of file while the
 * container may still write), splits the bytes into lines for the CRI log,
 * and hands the raw bytes to whoever is attached (kubectl attach).
 */
import { closeSync, constants, openSync, readSync } from 'node:fs';
import { Socket } from 'node:net';
import { join } from 'node:path';
import { criLine, LineSplitter, RotatingLog } from './cri-log.js';

export type OutputListener = (stream: 'stdout' | 'stderr', data: Buffer) => void;

export class ContainerOutput {
  private readonly log: RotatingLog;
  private readonly streams: { fd: number; socket: Socket; splitter: LineSplitter; stream: 'stdout' | 'stderr' }[];
  private closed = false;

  constructor(
    dir: string,
    logPath: string,
    limits: { maxBytes: number; maxFiles: number },
    private readonly listeners: Set<OutputListener>,
  ) {
    this.log = new RotatingLog(logPath, limits.maxBytes, limits.maxFiles);
    this.streams = (['stdout', 'stderr'] as const).map((stream) => {
      const fd = openSync(join(dir, stream), constants.O_RDWR | constants.O_NONBLOCK);
      const splitter = new LineSplitter((line) => this.log.write(criLine(stream, line)));
      const socket = new Socket({ fd, readable: true, writable: false });
      socket.on('data', (chunk: Buffer) => this.deliver(stream, splitter, chunk));
      socket.on('error', () => {});
      return { fd, socket, splitter, stream };
    });
  }

  private deliver(stream: 'stdout' | 'stderr', splitter: LineSplitter, chunk: Buffer): void {
    for (const listener of this.listeners) listener(stream, chunk);
    splitter.push(chunk.toString('utf8'));
  }

  /** The container has ended: what is still in the FIFOs goes to the log (a last partial line too), then all closes. */
  drain(): void {
    if (this.closed) return;
    const buffer = Buffer.alloc(65536);
    for (const output of this.streams) {
      for (;;) {
        let n = 0;
        try {
          n = readSync(output.fd, buffer);
        } catch {
          break;
        }
        if (n <= 0) break;
        this.deliver(output.stream, output.splitter, Buffer.from(buffer.subarray(0, n)));
      }
      output.splitter.flush();
    }
    this.close();
  }

  /** Stops reading (the FIFOs stay, for the next agent to read). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const output of this.streams) output.socket.destroy();
    this.log.close();
  }
}

/** Closes a file descriptor that may already be closed. */
export function closeQuietly(fd: number | undefined): void {
  if (fd === undefined) return;
  try {
    closeSync(fd);
  } catch {
    /* already closed */
  }
}
