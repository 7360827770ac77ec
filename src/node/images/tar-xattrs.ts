/**
 * The extended attributes of a layer's files, read byte for byte.
 *
 * A tar carries a file's xattrs as PAX records named `SCHILY.xattr.NAME`
 * in the extended header before the file's own header. Their values are
 * binary: `security.capability` — the file capabilities that let a
 * `ping` or a web server run by an ordinary user open a raw socket or
 * bind port 80 — is a 20-byte structure. tar-stream decodes every PAX
 * record as UTF-8 text, right for names but lossy for such bytes. So this
 * tap reads the same tar stream just before tar-stream does, only as far
 * as headers go (it never copies file contents), and keeps each entry's
 * xattrs exactly as written, keyed by where the entry's header ends in
 * the stream: tar-stream reports the same offset as `header.byteOffset`,
 * so an entry can never be given another one's attributes, even if the
 * two parsers disagreed about a malformed tar (tar-stream then fails it).
 */
import { Transform, type TransformCallback } from 'node:stream';

const BLOCK = 512;
/** As tar-stream: a PAX or GNU long-name header's data over this is refused. */
export const MAX_EXTENDED_HEADER_BYTES = 1024 * 1024;
const XATTR_PREFIX = 'SCHILY.xattr.';

/** An entry's xattrs: name (`security.capability`, `user.foo`) → value. */
export type Xattrs = Map<string, Buffer>;

/**
 * The records of a PAX extended header (`LENGTH KEY=VALUE\n`, LENGTH
 * counting the whole record in bytes), values as raw bytes.
 */
export function parsePaxRecords(data: Buffer): Map<string, Buffer> {
  const records = new Map<string, Buffer>();
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    if (space < 0) break;
    const length = Number(data.toString('latin1', at, space));
    // A record ends with a newline within the data; anything else ends the parse, as tar-stream does.
    if (!Number.isInteger(length) || length <= space - at + 1 || at + length > data.length || data[at + length - 1] !== 0x0a) break;
    const record = data.subarray(space + 1, at + length - 1);
    const equals = record.indexOf(0x3d);
    if (equals <= 0) break;
    records.set(record.toString('utf8', 0, equals), Buffer.from(record.subarray(equals + 1)));
    at += length;
  }
  return records;
}

/** A ustar numeric field: octal text, or base-256 (a first byte with the high bit set) for large values. */
function numericField(block: Buffer, offset: number, length: number): number {
  const field = block.subarray(offset, offset + length);
  if (field[0] & 0x80) {
    let value = field[0] & 0x7f;
    for (let i = 1; i < field.length; i++) value = value * 256 + field[i];
    return value;
  }
  const text = field.toString('latin1').replace(/\0.*$/s, '').trim();
  return text === '' ? 0 : parseInt(text, 8);
}

type State = { kind: 'header' } | { kind: 'skip'; bytes: number } | { kind: 'extended'; type: 'x' | 'g'; size: number; parts: Buffer[]; collected: number };

export class TarXattrTap extends Transform {
  private offset = 0;
  private state: State = { kind: 'header' };
  private header = Buffer.alloc(BLOCK);
  private headerFilled = 0;
  /** From the last `x` header (applies to the next entry) and from `g` headers (to every later entry). */
  private local?: Map<string, Buffer>;
  private global = new Map<string, Buffer>();
  private readonly byOffset = new Map<number, Xattrs>();

  /** The xattrs of the entry whose header ends at `byteOffset` (tar-stream's `header.byteOffset`), handed over once. */
  xattrsAt(byteOffset: number): Xattrs | undefined {
    const xattrs = this.byOffset.get(byteOffset);
    this.byOffset.delete(byteOffset);
    return xattrs;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.observe(chunk);
    } catch (err) {
      callback(err as Error);
      return;
    }
    callback(null, chunk);
  }

  private observe(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      const state = this.state;
      if (state.kind === 'skip') {
        const taken = Math.min(state.bytes, chunk.length - at);
        state.bytes -= taken;
        at += taken;
        if (state.bytes === 0) this.state = { kind: 'header' };
      } else if (state.kind === 'extended') {
        const taken = Math.min(state.size - state.collected, chunk.length - at);
        state.parts.push(chunk.subarray(at, at + taken));
        state.collected += taken;
        at += taken;
        if (state.collected === state.size) this.endExtended(state);
      } else {
        const taken = Math.min(BLOCK - this.headerFilled, chunk.length - at);
        chunk.copy(this.header, this.headerFilled, at, at + taken);
        this.headerFilled += taken;
        at += taken;
        if (this.headerFilled === BLOCK) {
          this.headerFilled = 0;
          this.onHeader(this.offset + at);
        }
      }
    }
    this.offset += chunk.length;
  }

  /** A complete header block, ending at `end` in the stream. */
  private onHeader(end: number): void {
    const block = this.header;
    // The end-of-archive blocks (and any other block of zeros) are no header.
    if (block.every((byte) => byte === 0)) return;
    const type = String.fromCharCode(block[156]);
    const size = numericField(block, 124, 12);
    if (!Number.isSafeInteger(size) || size < 0) return this.skipRest();
    const padded = (bytes: number) => Math.ceil(bytes / BLOCK) * BLOCK;
    if (type === 'x' || type === 'g') {
      if (size > MAX_EXTENDED_HEADER_BYTES) throw new Error(`a PAX header of ${size} bytes (at most ${MAX_EXTENDED_HEADER_BYTES})`);
      this.state = size === 0 ? { kind: 'header' } : { kind: 'extended', type, size, parts: [], collected: 0 };
      return;
    }
    if (type === 'L' || type === 'K') {
      this.state = size === 0 ? { kind: 'header' } : { kind: 'skip', bytes: padded(size) };
      return;
    }
    // An entry. As tar-stream: a global header counts only together with a local one, and a PAX size wins.
    const records = this.local ? new Map([...this.global, ...this.local]) : new Map<string, Buffer>();
    this.local = undefined;
    const xattrs: Xattrs = new Map();
    for (const [key, value] of records) if (key.startsWith(XATTR_PREFIX)) xattrs.set(key.slice(XATTR_PREFIX.length), value);
    if (xattrs.size > 0) this.byOffset.set(end, xattrs);
    const paxSize = records.get('size');
    const dataSize = paxSize ? parseInt(paxSize.toString('latin1'), 10) : size;
    // A directory's data is never read by tar-stream, whatever its header says.
    const isDirectory = type === '5';
    if (isDirectory || !(dataSize > 0)) return;
    this.state = { kind: 'skip', bytes: padded(dataSize) };
  }

  private endExtended(state: Extract<State, { kind: 'extended' }>): void {
    const records = parsePaxRecords(Buffer.concat(state.parts));
    if (state.type === 'g') this.global = new Map([...this.global, ...records]);
    else this.local = new Map([...(this.local ?? []), ...records]);
    const padding = Math.ceil(state.size / BLOCK) * BLOCK - state.size;
    this.state = padding === 0 ? { kind: 'header' } : { kind: 'skip', bytes: padding };
  }

  /** A header this tap cannot follow: it stops looking (tar-stream will refuse the tar). */
  private skipRest(): void {
    this.state = { kind: 'skip', bytes: Number.POSITIVE_INFINITY };
  }
}
