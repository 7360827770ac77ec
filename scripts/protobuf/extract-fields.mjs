#!/usr/bin/env node
/**
 * Builds src/apiserver/protobuf/fields.generated.ts: for every protobuf
 * message of the API groups skiff serves, its field numbers, the JSON name of
 * each field, its type, and whether Go would omit the field from JSON when it
 * holds a zero value (a non-pointer field tagged `omitempty`).
 *
 * Only facts are extracted (numbers, names, types); no upstream text.
 * Inputs are git checkouts of kubernetes/api and kubernetes/apimachinery,
 * read at a tag:
 *
 *   node scripts/protobuf/extract-fields.mjs <api.git> <apimachinery.git> [tag]
 *
 * (`fetch github:kubernetes/api` gives such a checkout under /work/.mirror.)
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const [apiRepo, machineryRepo, tag = 'v0.32.9'] = process.argv.slice(2);
if (!apiRepo || !machineryRepo) {
  console.error('usage: extract-fields.mjs <kubernetes/api git dir> <kubernetes/apimachinery git dir> [tag]');
  process.exit(2);
}

const apiPackages = [
  'core/v1', 'apps/v1', 'batch/v1', 'autoscaling/v1', 'autoscaling/v2', 'policy/v1', 'networking/v1',
  'rbac/v1', 'scheduling/v1', 'storage/v1', 'coordination/v1', 'discovery/v1', 'events/v1', 'node/v1',
  'admissionregistration/v1', 'authentication/v1', 'authorization/v1', 'certificates/v1',
];
const machineryPackages = ['pkg/apis/meta/v1', 'pkg/runtime', 'pkg/runtime/schema', 'pkg/util/intstr', 'pkg/api/resource'];

function show(repo, path) {
  try {
    return execFileSync('git', ['-C', repo, 'show', `${tag}:${path}`], { encoding: 'utf8', maxBuffer: 64 << 20 });
  } catch {
    return '';
  }
}

/** Messages of one .proto file: name → [{number, name, type, repeated, map}]. */
function parseProto(text) {
  const stripped = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
  const pkg = /^package\s+([\w.]+);/m.exec(stripped)[1];
  const messages = {};
  const messageRe = /message\s+(\w+)\s*\{([^{}]*)\}/g;
  for (const [, name, body] of stripped.matchAll(messageRe)) {
    const fields = [];
    for (const [, label, type, fieldName, number] of body.matchAll(/(optional|repeated)\s+([\w.]+)\s+(\w+)\s*=\s*(\d+)/g)) {
      fields.push({ number: Number(number), name: fieldName, type, repeated: label === 'repeated' });
    }
    for (const [, key, value, fieldName, number] of body.matchAll(/map<\s*([\w.]+)\s*,\s*([\w.]+)\s*>\s+(\w+)\s*=\s*(\d+)/g)) {
      fields.push({ number: Number(number), name: fieldName, type: value, key, map: true });
    }
    messages[`${pkg}.${name}`] = fields;
  }
  return { pkg, messages };
}

/** Go struct fields with protobuf tags: struct → number → {json, pointer, omitempty}. */
function parseGoTypes(text) {
  const structs = {};
  const structRe = /type\s+(\w+)\s+struct\s*\{([\s\S]*?)\n\}/g;
  for (const [, name, body] of text.matchAll(structRe)) {
    const fields = {};
    for (const line of body.split('\n')) {
      const tag = /`([^`]*)`/.exec(line)?.[1];
      if (!tag) continue;
      const proto = /protobuf:"[^,]+,(\d+),/.exec(tag);
      const json = /json:"([^"]*)"/.exec(tag)?.[1];
      if (!proto || json === undefined) continue;
      const declaration = line.slice(0, line.indexOf('`')).trim().split(/\s+/);
      const goType = declaration.length >= 2 ? declaration[1] : declaration[0];
      const [jsonName, ...options] = json.split(',');
      fields[Number(proto[1])] = { json: jsonName, pointer: goType.startsWith('*'), omitempty: options.includes('omitempty') };
    }
    structs[name] = fields;
  }
  return structs;
}

function goFiles(repo, dir) {
  try {
    const names = execFileSync('git', ['-C', repo, 'ls-tree', '--name-only', `${tag}:${dir}`], { encoding: 'utf8' }).split('\n');
    return names.filter((n) => n.endsWith('.go') && !n.endsWith('_test.go') && !n.startsWith('zz_') && n !== 'generated.pb.go').map((n) => show(repo, `${dir}/${n}`));
  } catch {
    return [];
  }
}

const scalars = new Set(['string', 'int32', 'int64', 'uint32', 'uint64', 'bool', 'bytes', 'double', 'float', 'sint32', 'sint64', 'fixed32', 'fixed64']);
const table = {};

function collect(repo, dir) {
  const proto = show(repo, `${dir}/generated.proto`);
  if (!proto) throw new Error(`no generated.proto in ${dir} at ${tag}`);
  const { pkg, messages } = parseProto(proto);
  const structs = Object.assign({}, ...goFiles(repo, dir).map(parseGoTypes));
  for (const [fullName, fields] of Object.entries(messages)) {
    const goStruct = structs[fullName.slice(pkg.length + 1)] ?? {};
    table[fullName] = fields
      .sort((a, b) => a.number - b.number)
      .map((f) => {
        const go = goStruct[f.number];
        // Types are resolved to full names: relative ones live in this package.
        const resolve = (t) => (scalars.has(t) ? t : t.includes('.') ? t.replace(/^\./, '') : `${pkg}.${t}`);
        const type = f.map ? `map:${f.key}:${resolve(f.type)}` : resolve(f.type);
        const inline = go !== undefined && go.json === '';
        const flags = (f.repeated ? 1 : 0) | (go && !go.pointer && go.omitempty ? 2 : 0) | (inline ? 4 : 0);
        return [f.number, inline ? '' : go?.json || f.name, type, flags];
      });
  }
}

for (const dir of apiPackages) collect(apiRepo, dir);
for (const dir of machineryPackages) collect(machineryRepo, dir);

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '..', '..', 'src', 'apiserver', 'protobuf', 'fields.generated.ts');
const lines = Object.entries(table)
  .sort(([a], [b]) => (a < b ? -1 : 1))
  .map(([name, fields]) => `  ${JSON.stringify(name)}: ${JSON.stringify(fields)},`);
writeFileSync(
  out,
  `/**
 * GENERATED by scripts/protobuf/extract-fields.mjs from kubernetes/api and
 * kubernetes/apimachinery ${tag}; do not edit. For each protobuf message:
 * [field number, JSON name, type, flags]. Types are scalar names, full
 * message names, or \`map:<key>:<value>\`. Flags: 1 repeated; 2 Go omits the
 * field from JSON when it holds a zero value (non-pointer, omitempty); 4 the
 * field is embedded inline (its fields belong to the enclosing object).
 */
export type FieldEntry = [number, string, string, number];

export const messages: Record<string, FieldEntry[]> = {
${lines.join('\n')}
};
`,
);
console.log(`wrote ${Object.keys(table).length} messages to ${out}`);
