import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cycles, describeCycle, importsOf, listTypeScriptFiles } from './import-graph.js';

test('importsOf finds every kind of import and ignores comments and strings', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'skiff-graph-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, 'src', 'a', 'inner'), { recursive: true });
  writeFileSync(join(root, 'src', 'a', 'inner', 'index.ts'), '');
  writeFileSync(join(root, 'src', 'a', 'b.ts'), '');
  writeFileSync(
    join(root, 'src', 'a', 'main.ts'),
    `import { x } from './b.js';
import type { T } from '../c/t.js';
import { type U, type V } from './inner/index.js';
export { y } from './b.js';
export type { W } from './b.js';
import 'node:fs';
// import { fake } from '../comment.js';
const s = "import { fake } from '../string.js'";
const lazy = () => import('./lazy.js');
`,
  );
  assert.deepEqual(listTypeScriptFiles(root, 'src'), ['src/a/b.ts', 'src/a/inner/index.ts', 'src/a/main.ts']);
  const edges = importsOf(root, 'src/a/main.ts').map(({ specifier, to, typeOnly, dynamic }) => ({ specifier, to, typeOnly, dynamic }));
  assert.deepEqual(edges, [
    { specifier: './b.js', to: 'src/a/b.ts', typeOnly: false, dynamic: false },
    { specifier: '../c/t.js', to: 'src/c/t.ts', typeOnly: true, dynamic: false },
    { specifier: './inner/index.js', to: 'src/a/inner/index.ts', typeOnly: true, dynamic: false },
    { specifier: './b.js', to: 'src/a/b.ts', typeOnly: false, dynamic: false },
    { specifier: './b.js', to: 'src/a/b.ts', typeOnly: true, dynamic: false },
    { specifier: 'node:fs', to: undefined, typeOnly: false, dynamic: false },
    { specifier: './lazy.js', to: 'src/a/lazy.ts', typeOnly: false, dynamic: true },
  ]);
});

test('cycles finds strongly connected components and self-imports', () => {
  const graph = new Map<string, Set<string>>([
    ['a', new Set(['b'])],
    ['b', new Set(['c'])],
    ['c', new Set(['a', 'd'])],
    ['d', new Set()],
    ['e', new Set(['e'])],
  ]);
  const found = cycles(graph);
  assert.deepEqual(found, [['a', 'b', 'c'], ['e']]);
  assert.equal(describeCycle(graph, found[0]), 'a → b → c → a');
});
