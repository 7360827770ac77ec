/** For tests of connections (port-forward): everything a stream reads until it ends, or the error it fails with. */
import type { Readable } from 'node:stream';

export function readAll(stream: Readable): Promise<{ text: string; error?: string }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve({ text: Buffer.concat(chunks).toString() }));
    stream.on('error', (err) => resolve({ text: Buffer.concat(chunks).toString(), error: err.message }));
  });
}
