/**
 * Enforces the import rules of ARCHITECTURE.md's layout table: each folder
 * under src/ imports only the folders it may, src/client never reaches the
 * apiserver, and there are no import cycles between folders or files.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cycles, describeCycle, importsOf, listTypeScriptFiles, type ImportEdge, repositoryRoot } from './import-graph.js';

/**
 * The "may import" column of the layout table, folder by folder. `util` is
 * listed for no folder but `cli` ("everything"); tests (`*.test.ts`, test/)
 * and bench/ may import everything.
 */
export const allowedImports: Record<string, readonly string[] | 'everything'> = {
  util: [],
  machinery: ['util'],
  api: ['machinery'],
  storage: ['machinery'],
  apiserver: ['machinery', 'api', 'storage'],
  client: ['machinery', 'api'],
  controllers: ['machinery', 'api', 'client'],
  scheduler: ['machinery', 'api', 'client'],
  node: ['machinery', 'api', 'client'],
  network: ['machinery', 'api', 'client'],
  cli: 'everything',
};

const root = repositoryRoot();
const files = listTypeScriptFiles(root, 'src');
const edges = new Map<string, ImportEdge[]>(files.map((file) => [file, importsOf(root, file)]));

/** `src/apiserver/pki/x.ts` → `apiserver`; undefined outside src/. */
function folderOf(path: string): string | undefined {
  const match = /^src\/([^/]+)\//.exec(path);
  return match?.[1];
}

function isTest(path: string): boolean {
  return path.endsWith('.test.ts');
}

const where = (edge: ImportEdge) => `${edge.from}:${edge.line} imports '${edge.specifier}'`;

test('every src/ folder is in the layout table', () => {
  const unknown = new Set<string>();
  for (const file of files) {
    const folder = folderOf(file);
    if (!folder) unknown.add(`${file} (a file directly under src/)`);
    else if (!(folder in allowedImports)) unknown.add(`src/${folder}/`);
  }
  assert.deepEqual([...unknown], [], 'add the folder to ARCHITECTURE.md and to allowedImports');
});

test('each folder imports only what the layout table allows', () => {
  const violations: string[] = [];
  for (const file of files) {
    if (isTest(file)) continue;
    const folder = folderOf(file);
    const allowed = folder ? allowedImports[folder] : undefined;
    if (!folder || allowed === undefined) continue;
    for (const edge of edges.get(file)!) {
      if (!edge.to) continue; // packages and node: modules
      if (!edge.to.startsWith('src/')) {
        violations.push(`${where(edge)}: production code may not import from outside src/`);
        continue;
      }
      const target = folderOf(edge.to);
      // src/util is "what every folder may import" (ARCHITECTURE.md), whatever its row says.
      if (!target || target === folder || target === 'util' || allowed === 'everything') continue;
      if (!allowed.includes(target)) {
        violations.push(`${where(edge)}: src/${folder} may import ${allowed.length ? allowed.join(', ') : 'nothing of skiff'}, not ${target}`);
      }
    }
  }
  assert.deepEqual(violations, []);
});

test('src/client never imports src/apiserver, not even in tests', () => {
  const violations = files
    .filter((file) => folderOf(file) === 'client')
    .flatMap((file) => edges.get(file)!)
    .filter((edge) => edge.to && folderOf(edge.to) === 'apiserver')
    .map(where);
  assert.deepEqual(violations, []);
});

test('no import cycles between folders', () => {
  const graph = new Map<string, Set<string>>();
  for (const file of files) {
    const folder = folderOf(file);
    if (!folder || isTest(file)) continue;
    if (!graph.has(folder)) graph.set(folder, new Set());
    for (const edge of edges.get(file)!) {
      const target = edge.to && folderOf(edge.to);
      if (target && target !== folder) graph.get(folder)!.add(target);
    }
  }
  assert.deepEqual(cycles(graph).map((component) => describeCycle(graph, component)), []);
});

test('no import cycles between files', () => {
  // Type-only imports are erased from the emitted JavaScript, so they cannot
  // cause the half-initialised-module bugs a cycle brings; value imports can.
  const graph = new Map<string, Set<string>>();
  for (const file of files) {
    graph.set(file, new Set(edges.get(file)!.filter((edge) => edge.to && !edge.typeOnly).map((edge) => edge.to!)));
  }
  assert.deepEqual(cycles(graph).map((component) => describeCycle(graph, component)), []);
});

test('allowedImports says what ARCHITECTURE.md says', (t) => {
  // The design page lives beside the repository (../shared); when it is not there, nothing to compare.
  const path = [join(root, '..', 'shared', 'ARCHITECTURE.md'), join(root, 'ARCHITECTURE.md'), join(root, 'docs', 'ARCHITECTURE.md')].find((p) => existsSync(p));
  if (!path) {
    t.skip('ARCHITECTURE.md not found');
    return;
  }
  const fromDoc: Record<string, readonly string[] | 'everything'> = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const cells = line.split('|').map((cell) => cell.trim());
    if (cells.length < 4) continue;
    const folders = [...cells[1].matchAll(/`src\/([^/`]+)\/`/g)].map((match) => match[1]);
    if (folders.length === 0) continue;
    const rule = cells[cells.length - 2];
    const allowed = /^everything$/i.test(rule) ? 'everything' : /^nothing/i.test(rule) ? [] : rule.split(',').map((name) => name.trim());
    for (const folder of folders) fromDoc[folder] = allowed;
  }
  assert.deepEqual(fromDoc, allowedImports);
});
