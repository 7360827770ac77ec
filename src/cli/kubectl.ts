/**
 * `skiff kubectl ARGS…`: the kubectl skiff finds, run with the cluster's
 * admin kubeconfig (`DIR/kubeconfig.yaml`), as `k3s kubectl` does — so a
 * user needs no KUBECONFIG export. `--data-dir DIR` (or `--data-dir=DIR`)
 * may come first, before kubectl's own arguments; a `--kubeconfig` among
 * those wins over ours.
 *
 * Which kubectl: $SKIFF_KUBECTL, else `kubectl` on the PATH, else the one
 * the development tools extract (node_modules/.cache/skiff-tools, in a
 * checkout whose tests have run). Its exit code is ours; Ctrl-C and
 * SIGTERM reach it, and it decides how to end.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findProgramIn, isExecutable } from '../util/programs.js';
import { resolveDataDir, unreachableCluster } from './data-dir.js';
import { UsageError } from './usage-error.js';

/** The kubectl to run, or undefined. */
export function findKubectl(env: NodeJS.ProcessEnv = process.env, from = dirname(fileURLToPath(import.meta.url))): string | undefined {
  if (env.SKIFF_KUBECTL) return env.SKIFF_KUBECTL;
  const onPath = findProgramIn('kubectl', (env.PATH ?? '').split(delimiter).filter(Boolean));
  if (onPath) return onPath;
  // A checkout: the nearest node_modules above this file (src/cli, dist/src/cli or the bundle's dist/).
  for (let dir = from; dir !== dirname(dir); dir = dirname(dir)) {
    const cached = join(dir, 'node_modules', '.cache', 'skiff-tools', 'kubectl');
    if (isExecutable(cached)) return cached;
  }
  return undefined;
}

/** `--data-dir DIR` / `--data-dir=DIR` at the front, and kubectl's arguments after it. */
export function splitKubectlArgs(args: string[]): { dataDir?: string; kubectlArgs: string[] } {
  const [first, second, ...rest] = args;
  if (first === '--data-dir') {
    if (second === undefined) throw new UsageError('skiff kubectl: --data-dir needs a directory');
    return { dataDir: second, kubectlArgs: rest };
  }
  if (first?.startsWith('--data-dir=')) return { dataDir: first.slice('--data-dir='.length), kubectlArgs: args.slice(1) };
  return { kubectlArgs: args };
}

export async function runKubectl(args: string[]): Promise<number> {
  const { dataDir: flag, kubectlArgs } = splitKubectlArgs(args);
  const dataDir = resolveDataDir(flag);
  const kubeconfig = join(dataDir, 'kubeconfig.yaml');
  const ownKubeconfig = kubectlArgs.some((arg) => arg === '--kubeconfig' || arg.startsWith('--kubeconfig='));
  const unreachable = ownKubeconfig ? undefined : unreachableCluster(dataDir, 'kubectl');
  if (unreachable?.permission) throw new Error(unreachable.message);
  if (unreachable) throw new UsageError(`skiff kubectl: ${unreachable.message}${flag ? '' : ', or name its --data-dir'}`);
  const kubectl = findKubectl();
  if (!kubectl) throw new UsageError('skiff kubectl: no kubectl found: install one on the PATH (https://kubernetes.io/docs/tasks/tools/), or name it with SKIFF_KUBECTL');
  const child = spawn(kubectl, kubectlArgs, { stdio: 'inherit', env: ownKubeconfig ? process.env : { ...process.env, KUBECONFIG: kubeconfig } });
  // kubectl gets the terminal's Ctrl-C itself (same process group); a SIGTERM sent to us is passed on.
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.on('SIGINT', () => {});
  process.on('SIGTERM', forward);
  return new Promise((resolve, reject) => {
    child.once('error', (err) => reject(new Error(`skiff kubectl: cannot run ${kubectl}: ${err.message}`)));
    child.once('exit', (code, signal) => {
      process.off('SIGTERM', forward);
      resolve(code ?? 128 + (signal ? (constants.signals[signal] ?? 1) : 1));
    });
  });
}
