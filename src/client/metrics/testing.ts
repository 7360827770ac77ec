/** For tests of metrics: `promtool check metrics` on an exposition, when promtool is installed. */
import { spawnSync } from 'node:child_process';

/** Where promtool is, or undefined (tests that need it skip). */
export const promtool = ['/usr/bin/promtool', '/usr/local/bin/promtool'].find((path) => spawnSync(path, ['--version']).status === 0);

/** promtool's verdict on an exposition: its exit status and everything it said. */
export function promtoolCheck(exposition: string): { status: number | null; output: string } {
  const check = spawnSync(promtool!, ['check', 'metrics'], { input: exposition, encoding: 'utf8' });
  return { status: check.status, output: `${check.stdout}${check.stderr}`.trim() };
}
