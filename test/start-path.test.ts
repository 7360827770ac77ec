/**
 * What the `skiff` command loads before it does its work (start time, issue
 * 10): a module reached by static imports is loaded — read, parsed and run —
 * with its importer, one reached by `import()` only when the code gets there.
 * So the static import closure of a file is what starting it costs:
 *
 * - `src/cli/main.ts` imports nothing of skiff's: `skiff version` and
 *   `skiff help` answer without loading a component;
 * - the version module reads package.json and nothing else;
 * - `skiff up` loads the apiserver's side only; the controllers, the
 *   scheduler, the node agent and the network are imported after the API
 *   serves, and @peculiar/x509 only when certificates are issued;
 * - within the apiserver, what no client needs before it serves loads on
 *   first use: OpenAPI, the protobuf decoder, the metrics.k8s.io scraper,
 *   JWT authentication and CEL.
 *
 * The timings themselves are in `npm run bench -- apiserver`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { importsOf, repositoryRoot } from './import-graph.js';

/** Every file and package a file loads with itself: static, non-type imports, followed transitively. */
function staticClosure(root: string, start: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>([start]);
  const packages = new Set<string>();
  const pending = [start];
  while (pending.length > 0) {
    for (const edge of importsOf(root, pending.pop()!)) {
      if (edge.typeOnly || edge.dynamic) continue;
      if (edge.to === undefined) packages.add(edge.specifier);
      else if (!files.has(edge.to)) {
        files.add(edge.to);
        pending.push(edge.to);
      }
    }
  }
  return { files, packages };
}

const root = repositoryRoot();

test('skiff main imports only Node built-ins: each command loads its own modules', () => {
  const edges = importsOf(root, 'src/cli/main.ts').filter((edge) => !edge.typeOnly && !edge.dynamic);
  const notBuiltin = edges.filter((edge) => !edge.specifier.startsWith('node:'));
  assert.deepEqual(
    notBuiltin.map((edge) => `${edge.specifier} (line ${edge.line})`),
    [],
    'main.ts must load skiff modules with import() in the command that needs them',
  );
  // And the commands do load theirs.
  const dynamic = importsOf(root, 'src/cli/main.ts').filter((edge) => edge.dynamic).map((edge) => edge.to);
  assert.ok(dynamic.includes('src/cli/control-plane.ts'));
  assert.ok(dynamic.includes('src/apiserver/version.ts'));
});

test('skiff version loads the version module alone', () => {
  const { files, packages } = staticClosure(root, 'src/apiserver/version.ts');
  assert.deepEqual([...files], ['src/apiserver/version.ts']);
  assert.ok([...packages].every((name) => name.startsWith('node:')), [...packages].join(', '));
});

test('skiff up loads the controllers, scheduler, node agent and network after the API serves', () => {
  const { files, packages } = staticClosure(root, 'src/cli/control-plane.ts');
  const components = [...files].filter(
    (file) =>
      file.startsWith('src/controllers/') ||
      file.startsWith('src/scheduler/') ||
      file.startsWith('src/node/runtime/') ||
      ['src/node/index.ts', 'src/node/agent.ts', 'src/network/index.ts'].includes(file),
  );
  assert.deepEqual(components, [], 'control-plane.ts must import these with import() where it starts them');
  assert.ok(!packages.has('@peculiar/x509'), 'the X.509 library is loaded only when a certificate is issued');
  // The components' metrics endpoints (and their delegated authentication) start with the components.
  assert.ok(![...files].some((file) => file.startsWith('src/client/delegated-auth/') || file === 'src/cli/metrics-endpoints.ts'), 'metrics endpoints are loaded with the components');
  // The apiserver is what it does load.
  assert.ok(files.has('src/apiserver/index.ts'));
});

test('the apiserver loads OpenAPI, protobuf, resource metrics, JWT and CEL on first use', () => {
  const { files, packages } = staticClosure(root, 'src/cli/control-plane.ts');
  const onFirstUse = ['src/apiserver/openapi/', 'src/apiserver/protobuf/', 'src/apiserver/resource-metrics/', 'src/apiserver/authenticators/jwt/', 'src/network/ingress/controller.ts'];
  const loaded = [...files].filter((file) => onFirstUse.some((prefix) => file.startsWith(prefix)));
  assert.deepEqual(loaded, [], 'these are imported with import() where they are first needed');
  // CEL: on-demand.ts and has-rules.ts may load (they import nothing of CEL); the library itself may not.
  assert.ok(!packages.has('@marcbachmann/cel-js'), 'CEL loads on the first write that may validate a rule (machinery/cel/on-demand.ts)');
  assert.ok(![...files].some((file) => file.startsWith('src/machinery/cel/') && !['src/machinery/cel/on-demand.ts', 'src/machinery/cel/has-rules.ts'].includes(file)));
});
