/**
 * Test support: reads back the TOML subset toml.ts writes (tables with
 * dotted, quoted key paths; keys holding strings, booleans, integers and
 * arrays), strictly — a duplicate table or key, or a line it does not know,
 * is an error, as it would be for containerd's parser.
 */
type Table = Record<string, unknown>;

/** A key path such as `plugins."io.containerd.grpc.v1.cri".registry`. */
function parseKeyPath(text: string, line: string): string[] {
  const keys: string[] = [];
  let rest = text.trim();
  while (rest.length > 0) {
    let match: RegExpExecArray | null;
    if ((match = /^"(?:[^"\\]|\\.)*"/.exec(rest))) keys.push(JSON.parse(match[0]) as string);
    else if ((match = /^[A-Za-z0-9_-]+/.exec(rest))) keys.push(match[0]);
    else throw new Error(`TOML: bad key in ${JSON.stringify(line)}`);
    rest = rest.slice(match[0].length).trim();
    if (rest.startsWith('.')) rest = rest.slice(1).trim();
    else if (rest.length > 0) throw new Error(`TOML: bad key in ${JSON.stringify(line)}`);
  }
  return keys;
}

export function readTomlSubset(text: string): Table {
  const root: Table = {};
  const defined = new Set<string>();
  let current = root;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('[')) {
      if (!line.endsWith(']')) throw new Error(`TOML: bad table header ${JSON.stringify(line)}`);
      const path = parseKeyPath(line.slice(1, -1), line);
      const id = JSON.stringify(path);
      if (defined.has(id)) throw new Error(`TOML: table ${line} defined twice`);
      defined.add(id);
      current = root;
      for (const key of path) {
        const next = (current[key] ??= {}) as Table;
        if (typeof next !== 'object' || Array.isArray(next)) throw new Error(`TOML: ${line} redefines a value`);
        current = next;
      }
      continue;
    }
    const equals = /^("(?:[^"\\]|\\.)*"|[A-Za-z0-9_-]+)\s*=\s*(.*)$/.exec(line);
    if (!equals) throw new Error(`TOML: cannot read ${JSON.stringify(line)}`);
    const [key] = parseKeyPath(equals[1], line);
    if (key in current) throw new Error(`TOML: key ${key} given twice`);
    // What the writer writes as values (basic strings, booleans, integers, arrays of them) is JSON too.
    current[key] = JSON.parse(equals[2]);
  }
  return root;
}

/** The value at a key path, or undefined. */
export function tomlAt(table: Table, ...path: string[]): unknown {
  let value: unknown = table;
  for (const key of path) value = value && typeof value === 'object' ? (value as Table)[key] : undefined;
  return value;
}
