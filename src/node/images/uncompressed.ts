/**
 * An image archive's bytes, uncompressed, whatever compressed them: gzip
 * and zstd are told by their magic numbers, anything else passes as it is.
 * Used by skiff's own archive import and to feed `ctr images import`
 * (which reads only plain tar) for a node on containerd.
 */
import { createReadStream } from 'node:fs';
import { PassThrough, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Decompress } from 'fzstd';

/** The file's bytes, uncompressed. */
export function uncompressedFile(path: string): Promise<Readable> {
  return decompressed(createReadStream(path));
}

/** The archive's bytes, uncompressed (gzip and zstd told by their magic numbers). */
export async function decompressed(input: Readable): Promise<Readable> {
  const iterator = input[Symbol.asyncIterator]();
  const first = await iterator.next();
  const head: Buffer = first.done ? Buffer.alloc(0) : Buffer.from(first.value as Buffer);
  const rest = Readable.from((async function* () {
    if (head.length) yield head;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value as Buffer;
  })());
  if (head[0] === 0x1f && head[1] === 0x8b) return rest.pipe(createGunzip());
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) {
    const out = new PassThrough();
    const zstd = new Decompress((chunk, final) => {
      out.write(Buffer.from(chunk));
      if (final) out.end();
    });
    (async () => {
      try {
        for await (const chunk of rest) zstd.push(chunk as Uint8Array);
        zstd.push(new Uint8Array(0), true);
      } catch (err) {
        out.destroy(err as Error);
      }
    })();
    return out;
  }
  return rest;
}

