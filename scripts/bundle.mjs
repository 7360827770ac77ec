#!/usr/bin/env node
// Bundles the `skiff` command (the package's bin) into dist/skiff.mjs, after tsc has emitted dist/.
//
// Why: Node spends most of a start resolving, reading and linking the ~330
// modules of the unbundled dist/src/cli/main.js. One entry file and a few
// chunks are read and linked in a fraction of that time.
//
// How: esbuild, with code splitting, so each `import()` of main.ts and
// control-plane.ts stays lazy: `skiff version` reads the entry and one tiny
// chunk; `skiff up` reads the apiserver's chunks first and the controllers,
// scheduler, node agent and network chunks after the API serves; the X.509
// library is read only when certificates are issued, ws on the first exec.
// better-sqlite3 is a native addon and stays in node_modules. The bundled
// CommonJS packages (ws, dns-packet) call require() for Node's built-ins,
// which an ES module lacks: the banner gives each chunk one.
// The input is tsc's output, so the bundle runs the code the tests ran, and
// its source maps lead back through dist/ to src/ (`node --enable-source-maps`).
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'dist', 'src', 'cli', 'main.js');
const chunks = join(root, 'dist', 'chunks');

/**
 * yaml's ES module build (the one its package.json gives to everything but
 * Node) instead of its CommonJS one: esbuild can hoist and trim it, where the
 * CommonJS build runs ~40 wrapped modules at every start (~25 ms). The two
 * builds are the same library; the ES one reports warnings with console.warn.
 */
const yamlModuleBuild = {
  name: 'yaml-module-build',
  setup(bundler) {
    const path = join(dirname(createRequire(entry).resolve('yaml/package.json')), 'browser', 'index.js');
    bundler.onResolve({ filter: /^yaml$/ }, () => ({ path }));
  },
};

/**
 * prom-client requires @opentelemetry/api (62 KiB) at load, only to label the
 * process CPU counter with the current trace when exemplars are enabled.
 * skiff never enables exemplars, so the bundle gets a stand-in with the two
 * calls that code makes, answering "no span"; the apiserver then compiles
 * 62 KiB less before it serves.
 */
const noOpenTelemetry = {
  name: 'no-opentelemetry',
  setup(bundler) {
    bundler.onResolve({ filter: /^@opentelemetry\/api$/ }, () => ({ path: 'opentelemetry-api', namespace: 'skiff-stub' }));
    bundler.onLoad({ filter: /.*/, namespace: 'skiff-stub' }, () => ({
      contents: 'export const context = { active: () => undefined };\nexport const trace = { getSpan: () => undefined };\n',
      loader: 'js',
    }));
  },
};

// Chunk names carry a content hash: remove the previous build's.
rmSync(chunks, { recursive: true, force: true });
await build({
  entryPoints: { skiff: entry },
  outdir: join(root, 'dist'),
  chunkNames: 'chunks/[name]-[hash]',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Packages that ship both: the ES module build (for @peculiar/x509, smaller, and loadable lazily as a chunk).
  mainFields: ['module', 'main'],
  external: ['better-sqlite3'],
  plugins: [yamlModuleBuild, noOpenTelemetry],
  banner: { js: "import { createRequire as __skiffCreateRequire } from 'node:module'; const require = __skiffCreateRequire(import.meta.url);" },
  sourcemap: 'linked',
  logLevel: 'warning',
});
