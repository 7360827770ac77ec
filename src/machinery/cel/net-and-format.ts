/**
 * Two more of Kubernetes' CEL libraries, declared on an environment:
 *
 * - ip and cidr: `ip("10.0.0.1").family()`, `isIP`, `cidr("10.0.0.0/8").containsIP(…)`,
 *   `isCIDR`, prefixes and masks; addresses as upstream accepts them (no
 *   zones, no IPv4-mapped IPv6, no leading zeros).
 * - format: `format.dns1123Label().validate("Bad_Name")` — an optional list
 *   of the reasons a string is not of that format (none when it is).
 */
import { isIP } from 'node:net';
import { Optional, type Environment } from '@marcbachmann/cel-js';
import { isDNS1035Label, isDNS1123Label, isDNS1123Subdomain, isQualifiedName, isValidLabelValue } from '../validation.js';

class CelIP {
  constructor(readonly text: string, readonly family: 4 | 6, readonly bytes: Uint8Array) {}
}

class CelCIDR {
  constructor(readonly ip: CelIP, readonly prefix: number) {}
}

function ipBytes(text: string, family: 4 | 6): Uint8Array {
  if (family === 4) return Uint8Array.from(text.split('.').map(Number));
  // Expand "::" and any embedded IPv4 tail into 16 bytes.
  let head = text;
  let tail: number[] = [];
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    tail = v4[1].split('.').map(Number);
    head = text.slice(0, -v4[1].length) + '0:0';
  }
  const [left, right] = head.includes('::') ? head.split('::') : [head, undefined];
  const leftParts = left ? left.split(':') : [];
  const rightParts = right !== undefined && right !== '' ? right.split(':') : [];
  const missing = 8 - leftParts.length - rightParts.length;
  const groups = [...leftParts, ...Array(right !== undefined ? missing : 0).fill('0'), ...rightParts].map((g) => parseInt(g || '0', 16));
  const bytes = new Uint8Array(16);
  groups.forEach((group, i) => {
    bytes[i * 2] = group >> 8;
    bytes[i * 2 + 1] = group & 0xff;
  });
  if (tail.length) bytes.set(tail, 12);
  return bytes;
}

function parseIP(text: string): CelIP | undefined {
  const family = isIP(text);
  if (family === 0 || text.includes('%')) return undefined;
  if (family === 4 && text.split('.').some((part) => part.length > 1 && part.startsWith('0'))) return undefined;
  const bytes = ipBytes(text, family as 4 | 6);
  // IPv4-mapped IPv6 addresses are refused, as upstream's library does.
  if (family === 6 && bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) return undefined;
  return new CelIP(text, family as 4 | 6, bytes);
}

function ipOf(text: string): CelIP {
  const ip = parseIP(text);
  if (!ip) throw new Error(`IP Address ${JSON.stringify(text)} parse error during conversion from string`);
  return ip;
}

function parseCIDR(text: string): CelCIDR | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const ip = parseIP(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  if (!ip || !/^\d+$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  if (prefix > (ip.family === 4 ? 32 : 128)) return undefined;
  return new CelCIDR(ip, prefix);
}

function cidrOf(text: string): CelCIDR {
  const cidr = parseCIDR(text);
  if (!cidr) throw new Error(`network address parse error during conversion from string: ${JSON.stringify(text)}`);
  return cidr;
}

function masked(bytes: Uint8Array, prefix: number): Uint8Array {
  const out = new Uint8Array(bytes);
  for (let bit = prefix; bit < out.length * 8; bit++) out[bit >> 3] &= ~(0x80 >> (bit & 7));
  return out;
}

function formatIP(bytes: Uint8Array, family: 4 | 6): string {
  if (family === 4) return [...bytes].join('.');
  const groups = Array.from({ length: 8 }, (_, i) => (bytes[i * 2] << 8) | bytes[i * 2 + 1]);
  // The longest run of two or more zero groups becomes "::".
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

function contains(cidr: CelCIDR, ip: CelIP): boolean {
  if (cidr.ip.family !== ip.family) return false;
  const network = masked(cidr.ip.bytes, cidr.prefix);
  const candidate = masked(ip.bytes, cidr.prefix);
  return network.every((byte, i) => byte === candidate[i]);
}

class FormatLibrary {}
class CelFormat {
  constructor(readonly check: (value: string) => string[]) {}
}

const formats: Record<string, (value: string) => string[]> = {
  dns1123Label: isDNS1123Label,
  dns1123Subdomain: isDNS1123Subdomain,
  dns1035Label: isDNS1035Label,
  qualifiedName: isQualifiedName,
  labelValue: isValidLabelValue,
  dns1123LabelPrefix: (value) => isDNS1123Label(value.replace(/-+$/, '') || 'a'),
  dns1123SubdomainPrefix: (value) => isDNS1123Subdomain(value.replace(/[-.]+$/, '') || 'a'),
  dns1035LabelPrefix: (value) => isDNS1035Label(value.replace(/-+$/, '') || 'a'),
  uuid: (value) => (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value) ? [] : ['does not match the UUID format']),
  uri: (value) => {
    try {
      new URL(value);
      return [];
    } catch {
      return ['invalid URI'];
    }
  },
  byte: (value) => (/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(value) ? [] : ['invalid base64']),
  date: (value) => (/^\d{4}-\d{2}-\d{2}$/.test(value) && !Number.isNaN(Date.parse(value)) ? [] : ['invalid date']),
  datetime: (value) => (/^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.test(value) ? [] : ['invalid datetime']),
};

/** Declares the ip, cidr and format libraries on `env`. */
export function declareNetworkAndFormatLibraries(env: Environment): void {
  env
    .registerType('net.IP', CelIP)
    .registerType('net.CIDR', CelCIDR)
    .registerFunction('ip(string): net.IP', ipOf)
    .registerFunction('isIP(string): bool', (text: string) => parseIP(text) !== undefined)
    .registerFunction('string(net.IP): string', (ip: CelIP) => formatIP(ip.bytes, ip.family))
    .registerFunction('net.IP.family(): int', (ip: CelIP) => BigInt(ip.family))
    .registerFunction('net.IP.isUnspecified(): bool', (ip: CelIP) => ip.bytes.every((b) => b === 0))
    .registerFunction('net.IP.isLoopback(): bool', (ip: CelIP) => (ip.family === 4 ? ip.bytes[0] === 127 : ip.bytes.slice(0, 15).every((b) => b === 0) && ip.bytes[15] === 1))
    .registerFunction('net.IP.isLinkLocalMulticast(): bool', (ip: CelIP) => (ip.family === 4 ? ip.bytes[0] === 224 && ip.bytes[1] === 0 && ip.bytes[2] === 0 : ip.bytes[0] === 0xff && (ip.bytes[1] & 0x0f) === 0x02))
    .registerFunction('net.IP.isLinkLocalUnicast(): bool', (ip: CelIP) => (ip.family === 4 ? ip.bytes[0] === 169 && ip.bytes[1] === 254 : ip.bytes[0] === 0xfe && (ip.bytes[1] & 0xc0) === 0x80))
    .registerFunction('net.IP.isGlobalUnicast(): bool', (ip: CelIP) => {
      if (ip.bytes.every((b) => b === 0)) return false;
      if (ip.family === 4) return !(ip.bytes[0] === 127 || ip.bytes[0] >= 224 || (ip.bytes[0] === 169 && ip.bytes[1] === 254) || ip.bytes.every((b) => b === 255));
      return !(ip.bytes[0] === 0xff || (ip.bytes[0] === 0xfe && (ip.bytes[1] & 0xc0) === 0x80) || (ip.bytes.slice(0, 15).every((b) => b === 0) && ip.bytes[15] === 1));
    })
    .registerFunction('cidr(string): net.CIDR', cidrOf)
    .registerFunction('isCIDR(string): bool', (text: string) => parseCIDR(text) !== undefined)
    .registerFunction('string(net.CIDR): string', (cidr: CelCIDR) => `${formatIP(cidr.ip.bytes, cidr.ip.family)}/${cidr.prefix}`)
    .registerFunction('net.CIDR.containsIP(net.IP): bool', contains)
    .registerFunction('net.CIDR.containsIP(string): bool', (cidr: CelCIDR, text: string) => contains(cidr, ipOf(text)))
    .registerFunction('net.CIDR.containsCIDR(net.CIDR): bool', (cidr: CelCIDR, other: CelCIDR) => other.prefix >= cidr.prefix && contains(cidr, other.ip))
    .registerFunction('net.CIDR.containsCIDR(string): bool', (cidr: CelCIDR, text: string) => {
      const other = cidrOf(text);
      return other.prefix >= cidr.prefix && contains(cidr, other.ip);
    })
    .registerFunction('net.CIDR.ip(): net.IP', (cidr: CelCIDR) => cidr.ip)
    .registerFunction('net.CIDR.masked(): net.CIDR', (cidr: CelCIDR) => {
      const bytes = masked(cidr.ip.bytes, cidr.prefix);
      return new CelCIDR(new CelIP(formatIP(bytes, cidr.ip.family), cidr.ip.family, bytes), cidr.prefix);
    })
    .registerFunction('net.CIDR.prefixLength(): int', (cidr: CelCIDR) => BigInt(cidr.prefix));

  env.registerType('FormatLibrary', FormatLibrary).registerType('Format', CelFormat).registerConstant('format', 'FormatLibrary', new FormatLibrary());
  for (const [name, check] of Object.entries(formats)) env.registerFunction(`FormatLibrary.${name}(): Format`, () => new CelFormat(check));
  env.registerFunction('Format.validate(string): optional<list<string>>', (format: CelFormat, value: string) => {
    const problems = format.check(value);
    return problems.length ? Optional.of(problems) : Optional.none();
  });
}
