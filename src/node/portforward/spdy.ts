/**
 * Just enough SPDY/3.1 to serve client-go's streaming clients. Older
 * kubectl (≤ 1.29 exec/attach/cp, ≤ 1.30 port-forward) and every tool
 * built on client-go's SPDY executor upgrade an HTTP connection to
 * `SPDY/3.1` and speak it raw (`acceptSpdyUpgrade` below); kubectl ≥ 1.31
 * port-forward opens a WebSocket with the subprotocol
 * `SPDY/3.1+portforward.k8s.io` and speaks SPDY inside it (each WebSocket
 * message carries bytes of the SPDY stream). This is the server side of
 * such a session:
 *
 *   frame = control: 1 | version 3 (15 bits) | type (16) | flags (8) | length (24) | payload
 *           data:    0 | stream id (31)                | flags (8) | length (24) | payload
 *
 *   SYN_STREAM (1)  the client opens a stream; its headers (zlib-compressed
 *                   with the SPDY dictionary, one compression context per
 *                   direction for the whole session) say what it is for
 *   SYN_REPLY (2)   our answer: the stream is accepted
 *   RST_STREAM (3)  a stream is abandoned; PING (6) is echoed; GOAWAY (7)
 *                   ends the session; SETTINGS and WINDOW_UPDATE are read
 *                   and ignored (the Go client does no flow control)
 *   DATA            bytes for a stream; flag FIN (1) half-closes it
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { createDeflate, createInflate, constants as zlibConstants, type Deflate, type Inflate } from 'node:zlib';

const version = 3;
const controlBit = 0x80;
const flagFin = 0x01;

export const frameTypes = { synStream: 1, synReply: 2, rstStream: 3, settings: 4, ping: 6, goAway: 7, headers: 8, windowUpdate: 9 } as const;

/**
 * The zlib dictionary of SPDY/3 header blocks, as its specification builds
 * it: common header names and values, each with a 4-byte length, then a
 * tail of status codes, dates and media types.
 */
const dictionaryWords = [
  'options', 'head', 'post', 'put', 'delete', 'trace', 'accept', 'accept-charset', 'accept-encoding', 'accept-language', 'accept-ranges', 'age', 'allow', 'authorization',
  'cache-control', 'connection', 'content-base', 'content-encoding', 'content-language', 'content-length', 'content-location', 'content-md5', 'content-range', 'content-type',
  'date', 'etag', 'expect', 'expires', 'from', 'host', 'if-match', 'if-modified-since', 'if-none-match', 'if-range', 'if-unmodified-since', 'last-modified', 'location',
  'max-forwards', 'pragma', 'proxy-authenticate', 'proxy-authorization', 'range', 'referer', 'retry-after', 'server', 'te', 'trailer', 'transfer-encoding', 'upgrade',
  'user-agent', 'vary', 'via', 'warning', 'www-authenticate', 'method', 'get', 'status', '200 OK', 'version', 'HTTP/1.1', 'url', 'public', 'set-cookie', 'keep-alive', 'origin',
];
const dictionaryTail =
  '100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505' +
  '203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 Unauthorized403 Forbidden404 Not Found' +
  '500 Internal Server Error501 Not Implemented503 Service Unavailable' +
  'Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT' +
  'chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,text/javascript,' +
  'publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.';

export const headerDictionary: Buffer = Buffer.concat([
  ...dictionaryWords.map((word) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(word.length);
    return Buffer.concat([length, Buffer.from(word, 'latin1')]);
  }),
  Buffer.from(dictionaryTail, 'latin1'),
]);

export type Headers = Record<string, string>;

/** A header block: count, then length-prefixed names and values (uncompressed). */
export function encodeHeaderBlock(headers: Headers): Buffer {
  const parts: Buffer[] = [u32(Object.keys(headers).length)];
  for (const [name, value] of Object.entries(headers)) {
    const n = Buffer.from(name.toLowerCase(), 'utf8');
    const v = Buffer.from(value, 'utf8');
    parts.push(u32(n.length), n, u32(v.length), v);
  }
  return Buffer.concat(parts);
}

/**
 * A client's SYN_STREAM opening stream `id`, its header block compressed in
 * the session's own deflate context (SPDY compresses every header block of a
 * session in one stream). The server never sends one; tests and the
 * streaming bench play the client with it.
 */
export async function encodeSynStream(deflate: Deflate, id: number, headers: Headers): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const onData = (chunk: Buffer) => chunks.push(chunk);
  deflate.on('data', onData);
  await new Promise<void>((resolve) => deflate.write(encodeHeaderBlock(headers), () => deflate.flush(zlibConstants.Z_SYNC_FLUSH, () => resolve())));
  deflate.off('data', onData);
  const block = Buffer.concat(chunks);
  const frame = Buffer.alloc(18 + block.length);
  frame.writeUInt16BE(0x8003, 0); // control frame, version 3
  frame.writeUInt16BE(frameTypes.synStream, 2);
  frame.writeUInt32BE(10 + block.length, 4); // flags 0, length
  frame.writeUInt32BE(id, 8); // then associated stream 0, priority 0
  block.copy(frame, 18);
  return frame;
}

export function decodeHeaderBlock(block: Buffer): Headers {
  const headers: Headers = {};
  let offset = 4;
  const count = block.readUInt32BE(0);
  for (let i = 0; i < count; i++) {
    const nameLength = block.readUInt32BE(offset);
    const name = block.subarray(offset + 4, offset + 4 + nameLength).toString('utf8');
    offset += 4 + nameLength;
    const valueLength = block.readUInt32BE(offset);
    headers[name] = block.subarray(offset + 4, offset + 4 + valueLength).toString('utf8');
    offset += 4 + valueLength;
  }
  return headers;
}

function u32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32BE(value >>> 0);
  return buffer;
}

/** One zlib context used for a whole session, each block ended with a sync flush (as SPDY wants). */
class HeaderCodec {
  private readonly stream: Inflate | Deflate;
  private chunks: Buffer[] = [];
  /** Blocks go through the context strictly one after another. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(kind: 'inflate' | 'deflate') {
    this.stream = kind === 'inflate' ? createInflate({ dictionary: headerDictionary }) : createDeflate({ dictionary: headerDictionary });
    this.stream.on('data', (chunk: Buffer) => this.chunks.push(chunk));
    this.stream.on('error', () => {});
  }

  process(input: Buffer): Promise<Buffer> {
    const result = this.queue.then(
      () =>
        new Promise<Buffer>((resolve, reject) => {
          this.chunks = [];
          this.stream.write(input, (err) => {
            if (err) return reject(err);
            this.stream.flush(zlibConstants.Z_SYNC_FLUSH, () => resolve(Buffer.concat(this.chunks)));
          });
        }),
    );
    this.queue = result.catch(() => {});
    return result;
  }

  close(): void {
    this.stream.destroy();
  }
}

export interface SpdyHandlers {
  /** A stream the client opened (already answered with SYN_REPLY). */
  stream(id: number, headers: Headers): void;
  data(id: number, data: Buffer, fin: boolean): void;
  reset(id: number): void;
  close(): void;
  /** The transport has room again after a write that answered false. */
  drain?(): void;
}

/** The server end of a SPDY session over any byte transport (here: a tunneling WebSocket). */
export class SpdyServerSession {
  private pending: Buffer = Buffer.alloc(0);
  private readonly inflater = new HeaderCodec('inflate');
  private readonly deflater = new HeaderCodec('deflate');
  /** Frames are handled in order, header decompression included. */
  private work: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    /** Answers false when the transport's buffer is full (its owner then says `drain`). */
    private readonly send: (bytes: Buffer) => boolean | void,
    private readonly handlers: SpdyHandlers,
  ) {}

  /** Bytes from the client: split into frames, handled in order. */
  receive(bytes: Buffer): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, bytes]) : bytes;
    while (this.pending.length >= 8) {
      const length = this.pending.readUIntBE(5, 3);
      if (this.pending.length < 8 + length) break;
      const frame = this.pending.subarray(0, 8 + length);
      this.pending = this.pending.subarray(8 + length);
      this.work = this.work.then(() => this.handle(frame)).catch(() => this.close());
    }
  }

  private async handle(frame: Buffer): Promise<void> {
    if (this.closed) return;
    const flags = frame[4];
    const payload = frame.subarray(8);
    if (!(frame[0] & controlBit)) {
      this.handlers.data(frame.readUInt32BE(0) & 0x7fffffff, payload, (flags & flagFin) !== 0);
      return;
    }
    const type = frame.readUInt16BE(2);
    switch (type) {
      case frameTypes.synStream: {
        const id = payload.readUInt32BE(0) & 0x7fffffff;
        const headers = decodeHeaderBlock(await this.inflater.process(payload.subarray(10)));
        await this.reply(id);
        this.handlers.stream(id, headers);
        if (flags & flagFin) this.handlers.data(id, Buffer.alloc(0), true);
        break;
      }
      case frameTypes.headers:
        // Headers after the fact: decompressed only to keep the shared context in step.
        await this.inflater.process(payload.subarray(4));
        break;
      case frameTypes.rstStream:
        this.handlers.reset(payload.readUInt32BE(0) & 0x7fffffff);
        break;
      case frameTypes.ping:
        this.control(frameTypes.ping, 0, payload);
        break;
      case frameTypes.goAway:
        this.close();
        break;
      default:
        // SETTINGS, WINDOW_UPDATE and anything newer: nothing to do.
        break;
    }
  }

  private async reply(id: number): Promise<void> {
    const block = await this.deflater.process(encodeHeaderBlock({}));
    this.control(frameTypes.synReply, 0, Buffer.concat([u32(id), block]));
  }

  private control(type: number, flags: number, payload: Buffer): void {
    const header = Buffer.alloc(8);
    header.writeUInt16BE(0x8000 | version, 0);
    header.writeUInt16BE(type, 2);
    header.writeUInt32BE(payload.length, 4);
    header[4] = flags;
    if (!this.closed) this.send(Buffer.concat([header, payload]));
  }

  /** Data for a stream, in frames of at most 32 KiB; fin half-closes our side. False: the transport's buffer is full. */
  write(id: number, data: Buffer, fin = false): boolean {
    if (this.closed) return true;
    let room = true;
    let offset = 0;
    do {
      const chunk = data.subarray(offset, offset + 32 * 1024);
      offset += chunk.length;
      const last = offset >= data.length;
      const header = Buffer.alloc(8);
      header.writeUInt32BE(id & 0x7fffffff, 0);
      header.writeUInt32BE(chunk.length, 4);
      header[4] = last && fin ? flagFin : 0;
      room = this.send(Buffer.concat([header, chunk])) !== false;
    } while (offset < data.length);
    return room;
  }

  /** Abandons a stream (RST_STREAM with CANCEL). */
  reset(id: number): void {
    this.control(frameTypes.rstStream, 0, Buffer.concat([u32(id), u32(5)]));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.inflater.close();
    this.deflater.close();
    this.handlers.close();
  }
}

/** A client-go client's upgrade (kubectl ≤ 1.29 exec, ≤ 1.30 port-forward): `Upgrade: SPDY/3.1`, not a WebSocket. */
export function isSpdyUpgrade(req: IncomingMessage): boolean {
  return String(req.headers.upgrade ?? '').toLowerCase() === 'spdy/3.1';
}

/**
 * The protocol of a SPDY upgrade: the client lists what it speaks in
 * `X-Stream-Protocol-Version` headers, most preferred first; the first the
 * server also speaks wins. A client that names none gets the oldest
 * (`legacy`), as upstream's handshake allows; undefined when none fits.
 */
export function negotiateStreamProtocol(req: IncomingMessage, supported: string[], legacy: string): string | undefined {
  const offered = String(req.headers['x-stream-protocol-version'] ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  if (!offered.length) return legacy;
  return offered.find((p) => supported.includes(p));
}

/**
 * Answers a SPDY upgrade and serves the session over the raw connection:
 * 101 Switching Protocols with the protocol chosen, then SPDY frames both
 * ways. Refused with 403 when no protocol fits (upstream's words). The
 * handlers get the session (to write) and `end`, which closes the
 * connection once what was written has gone.
 */
export function acceptSpdyUpgrade(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  supported: string[],
  legacy: string,
  makeHandlers: (session: SpdyServerSession, protocol: string, end: () => void) => SpdyHandlers,
): void {
  const protocol = negotiateStreamProtocol(req, supported, legacy);
  if (protocol === undefined) {
    const message = `unable to upgrade: unable to negotiate protocol: client supports [${String(req.headers['x-stream-protocol-version']).split(/,\s*/).join(' ')}], server supports [${supported.join(' ')}]\n`;
    socket.end(`HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(message)}\r\nConnection: close\r\n\r\n${message}`);
    return;
  }
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: ${protocol}\r\n\r\n`);
  let handlers: SpdyHandlers | undefined;
  const session = new SpdyServerSession(
    (bytes) => !socket.writable || socket.write(bytes),
    {
      stream: (id, headers) => handlers?.stream(id, headers),
      data: (id, data, fin) => handlers?.data(id, data, fin),
      reset: (id) => handlers?.reset(id),
      close: () => {
        handlers?.close();
        socket.destroy();
      },
    },
  );
  handlers = makeHandlers(session, protocol, () => socket.end());
  socket.on('data', (bytes: Buffer) => session.receive(bytes));
  socket.on('drain', () => handlers?.drain?.());
  socket.on('error', () => session.close());
  socket.on('close', () => session.close());
  if (head.length) session.receive(head);
}
