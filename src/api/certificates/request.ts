/**
 * Reading a PKCS#10 certificate request (RFC 2986) from its PEM: the subject,
 * the subject alternative names of its extension request, its public key, and
 * whether its signature verifies. Synchronous (validation is), so a small DER
 * reader instead of the asynchronous X.509 library the signer uses.
 */
import { createPublicKey, generateKeyPairSync, sign, verify, X509Certificate } from 'node:crypto';

export interface ParsedCertificateRequest {
  commonName?: string;
  organizations: string[];
  dnsNames: string[];
  ipAddresses: string[];
  emailAddresses: string[];
  uris: string[];
  /** The SubjectPublicKeyInfo, DER. */
  publicKeyDer: Buffer;
}

interface Element {
  tag: number;
  /** The whole element, header included. */
  raw: Buffer;
  content: Buffer;
}

function readElement(data: Buffer, offset: number): Element & { end: number } {
  if (offset + 2 > data.length) throw new Error('asn1: truncated');
  const tag = data[offset];
  let length = data[offset + 1];
  let header = 2;
  if (length & 0x80) {
    const bytes = length & 0x7f;
    if (bytes === 0 || bytes > 4 || offset + 2 + bytes > data.length) throw new Error('asn1: bad length');
    length = 0;
    for (let i = 0; i < bytes; i++) length = length * 256 + data[offset + 2 + i];
    header += bytes;
  }
  const end = offset + header + length;
  if (end > data.length) throw new Error('asn1: truncated');
  return { tag, raw: data.subarray(offset, end), content: data.subarray(offset + header, end), end };
}

function children(element: Element): Element[] {
  const out: Element[] = [];
  for (let offset = 0; offset < element.content.length; ) {
    const child = readElement(element.content, offset);
    out.push(child);
    offset = child.end;
  }
  return out;
}

function oid(content: Buffer): string {
  const parts = [Math.floor(content[0] / 40), content[0] % 40];
  let value = 0;
  for (const byte of content.subarray(1)) {
    value = value * 128 + (byte & 0x7f);
    if (!(byte & 0x80)) {
      parts.push(value);
      value = 0;
    }
  }
  return parts.join('.');
}

function ipText(bytes: Buffer): string {
  if (bytes.length === 4) return [...bytes].join('.');
  const groups: string[] = [];
  for (let i = 0; i < bytes.length; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::').replace(/:{3,}/, '::');
}

const SEQUENCE = 0x30;
const commonNameOid = '2.5.4.3';
const organizationOid = '2.5.4.10';
const extensionRequestOid = '1.2.840.113549.1.9.14';
const subjectAltNameOid = '2.5.29.17';
/** The digest each signature algorithm uses (null: the algorithm names none, Ed25519). */
const signatureDigests: Record<string, string | null> = {
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.3.101.112': null,
};

/** The DER of the first PEM block with `label`, or an error with Go's wording. */
export function pemBlock(pem: string, label: string): Buffer | undefined {
  const match = new RegExp(`-----BEGIN ${label}-----\\r?\\n([A-Za-z0-9+/=\\r\\n]*?)-----END ${label}-----`).exec(pem);
  return match ? Buffer.from(match[1].replace(/\s+/g, ''), 'base64') : undefined;
}

/** Parses and verifies a PEM certificate request; throws an Error whose message upstream's validation would give. */
export function parseCertificateRequest(pem: string): ParsedCertificateRequest {
  const der = pemBlock(pem, 'CERTIFICATE REQUEST');
  if (!der) throw new Error('PEM block type must be CERTIFICATE REQUEST');
  let top: Element;
  try {
    top = readElement(der, 0);
  } catch {
    throw new Error('x509: malformed certificate request');
  }
  const [info, algorithm, signature] = top.tag === SEQUENCE ? children(top) : [];
  if (!info || !algorithm || !signature || info.tag !== SEQUENCE) throw new Error('x509: malformed certificate request');
  const [, subject, publicKeyInfo, attributes] = children(info);
  if (!subject || !publicKeyInfo) throw new Error('x509: malformed certificate request');

  const parsed: ParsedCertificateRequest = { organizations: [], dnsNames: [], ipAddresses: [], emailAddresses: [], uris: [], publicKeyDer: Buffer.from(publicKeyInfo.raw) };
  for (const set of children(subject)) {
    for (const pair of children(set)) {
      const [type, value] = children(pair);
      const text = value.content.toString('utf8');
      if (oid(type.content) === commonNameOid) parsed.commonName = text;
      else if (oid(type.content) === organizationOid) parsed.organizations.push(text);
    }
  }
  for (const attribute of attributes && attributes.tag === 0xa0 ? children(attributes) : []) {
    const [type, values] = children(attribute);
    if (oid(type.content) !== extensionRequestOid) continue;
    for (const extensions of children(values)) {
      for (const extension of children(extensions)) {
        const parts = children(extension);
        if (oid(parts[0].content) !== subjectAltNameOid) continue;
        const names = readElement(parts[parts.length - 1].content, 0);
        for (const name of children(names)) {
          if (name.tag === 0x82) parsed.dnsNames.push(name.content.toString('ascii'));
          else if (name.tag === 0x87) parsed.ipAddresses.push(ipText(name.content));
          else if (name.tag === 0x81) parsed.emailAddresses.push(name.content.toString('ascii'));
          else if (name.tag === 0x86) parsed.uris.push(name.content.toString('ascii'));
        }
      }
    }
  }

  const algorithmOid = oid(children(algorithm)[0].content);
  if (!(algorithmOid in signatureDigests)) throw new Error('x509: cannot verify signature: algorithm unimplemented');
  let valid = false;
  try {
    const key = createPublicKey({ key: parsed.publicKeyDer, format: 'der', type: 'spki' });
    // A BIT STRING: the first content byte counts unused bits (always 0 for signatures).
    valid = verify(signatureDigests[algorithmOid], info.raw, key, signature.content.subarray(1));
  } catch {
    valid = false;
  }
  if (!valid) throw new Error('x509: signature verification failure');
  return parsed;
}

/** Whether `pem` holds at least one CERTIFICATE block and every such block is a certificate. */
export function certificateBlocksError(pem: string): string | undefined {
  const blocks = [...pem.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----\r?\n([A-Za-z0-9+/=\r\n]*?)-----END \1-----/g)];
  if (blocks.length === 0) return 'must contain at least one CERTIFICATE PEM block';
  for (const [, label, body] of blocks) {
    if (label !== 'CERTIFICATE') return `only CERTIFICATE PEM blocks are allowed, found "${label}"`;
    try {
      new X509Certificate(Buffer.from(body.replace(/\s+/g, ''), 'base64'));
    } catch (err) {
      return (err as Error).message;
    }
  }
  return undefined;
}

// --- writing a request (what a node agent sends to renew its certificates) ---

function encodeLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), encodeLength(body.length), body]);
}

function encodeOid(text: string): Buffer {
  const [first, second, ...rest] = text.split('.').map(Number);
  const bytes = [first * 40 + second];
  for (const part of rest) {
    const group = [part & 0x7f];
    for (let n = Math.floor(part / 128); n > 0; n = Math.floor(n / 128)) group.unshift((n & 0x7f) | 0x80);
    bytes.push(...group);
  }
  return tlv(0x06, Buffer.from(bytes));
}

function ipBytes(address: string): Buffer {
  if (address.includes('.') && !address.includes(':')) return Buffer.from(address.split('.').map(Number));
  const [head, tail = ''] = address.split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = address.includes('::') && tail ? tail.split(':') : [];
  const groups = address.includes('::') ? [...headGroups, ...Array(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups] : headGroups;
  const out = Buffer.alloc(16);
  groups.forEach((group, i) => out.writeUInt16BE(parseInt(group, 16), i * 2));
  return out;
}

export interface NewCertificateRequest {
  commonName: string;
  organizations?: string[];
  dnsNames?: string[];
  ipAddresses?: string[];
}

/** A new ECDSA P-256 key and a PEM certificate request for it, signed with it. */
export function createCertificateRequest(request: NewCertificateRequest): { requestPem: string; keyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const utf8 = (text: string) => tlv(0x0c, Buffer.from(text, 'utf8'));
  const attribute = (type: string, value: string) => tlv(0x31, tlv(SEQUENCE, encodeOid(type), utf8(value)));
  // Groups (O) before the user (CN), as Go writes a subject.
  const subject = tlv(SEQUENCE, ...(request.organizations ?? []).map((o) => attribute(organizationOid, o)), attribute(commonNameOid, request.commonName));
  const names = [...(request.dnsNames ?? []).map((d) => tlv(0x82, Buffer.from(d, 'ascii'))), ...(request.ipAddresses ?? []).map((ip) => tlv(0x87, ipBytes(ip)))];
  const attributes = names.length
    ? tlv(0xa0, tlv(SEQUENCE, encodeOid(extensionRequestOid), tlv(0x31, tlv(SEQUENCE, tlv(SEQUENCE, encodeOid(subjectAltNameOid), tlv(0x04, tlv(SEQUENCE, ...names)))))))
    : tlv(0xa0);
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const info = tlv(SEQUENCE, tlv(0x02, Buffer.from([0])), subject, spki, attributes);
  const signature = sign('sha256', info, privateKey);
  const der = tlv(SEQUENCE, info, tlv(SEQUENCE, encodeOid('1.2.840.10045.4.3.2')), tlv(0x03, Buffer.from([0]), signature));
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return {
    requestPem: `-----BEGIN CERTIFICATE REQUEST-----\n${lines.join('\n')}\n-----END CERTIFICATE REQUEST-----\n`,
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
  };
}
