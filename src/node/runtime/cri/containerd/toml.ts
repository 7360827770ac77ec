/**
 * Just enough TOML writing for containerd's config.toml and hosts.toml:
 * tables named by key paths, and keys holding strings, booleans, integers
 * or arrays of them. Every string goes out as a basic string with its
 * escapes, so a registry name or path from registries.yaml cannot end a
 * string early or start a table of its own.
 */

export type TomlValue = string | boolean | number | TomlValue[];

/** A table: its key path and its keys in order (undefined ones are left out). */
export interface TomlTable {
  path: string[];
  entries: Record<string, TomlValue | undefined>;
}

/**
 * A basic string. JSON's escapes are TOML's (\" \\ \n \uXXXX …); TOML also
 * forbids DEL raw, and a lone surrogate cannot be written as UTF-8 at all.
 */
export function tomlString(value: string): string {
  const wellFormed = value.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
  return JSON.stringify(wellFormed).replace(/\x7f/g, '\\u007f');
}

/** A key: bare when TOML allows it, quoted otherwise (`"io.containerd.grpc.v1.cri"`, `"registry:5000"`). */
export function tomlKey(key: string): string {
  return /^[A-Za-z0-9_-]+$/.test(key) ? key : tomlString(key);
}

export function tomlValue(value: TomlValue): string {
  if (typeof value === 'string') return tomlString(value);
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new RangeError(`TOML: ${value} is not an integer this writer keeps exact`);
    return String(value);
  }
  return `[${value.map(tomlValue).join(', ')}]`;
}

/** Tables in the order given, a blank line between them; a table with an empty path holds top-level keys. */
export function renderToml(tables: TomlTable[]): string {
  const blocks = tables.map(({ path, entries }) => {
    const lines = path.length > 0 ? [`[${path.map(tomlKey).join('.')}]`] : [];
    for (const [key, value] of Object.entries(entries)) {
      if (value !== undefined) lines.push(`${path.length > 0 ? '  ' : ''}${tomlKey(key)} = ${tomlValue(value)}`);
    }
    return lines.join('\n');
  });
  return `${blocks.filter((block) => block !== '').join('\n\n')}\n`;
}
