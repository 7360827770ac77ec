/**
 * Bad flags of `skiff up`, `skiff server` and `skiff agent` end the command
 * before anything starts: a message naming the flag, exit code 2 (a usage
 * error, as for an unknown flag), and never "API server ready".
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, runSkiff } from './harness.js';


test('bad flags exit with a usage error before the API server starts', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'skiff-flags-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const port = String(await freePort());
  const cases: [string[], RegExp][] = [
    [['up', '--pod-cidr', '10.61.0.0/16'], /--pod-cidr 10\.61\.0\.0\/16: a node's pod range must be a \/24/],
    [['up', '--cluster-cidr', 'junk'], /--cluster-cidr junk: junk is not an IPv4 CIDR/],
    [['server', '--cluster-cidr', '10.42.0.0/25'], /--cluster-cidr 10\.42\.0\.0\/25/],
    [['up', '--port', '99999'], /--port 99999: a port number from 0 to 65535/],
    [['up', '--runtime', 'docker'], /--runtime docker: supported runtimes are process, containerd, simulated and none/],
    [['up', '--controllers', '*,-jobs'], /unknown controllers: jobs/],
    [['up', '--no-such-flag'], /Unknown option '--no-such-flag'/],
    [['agent', '--server', 'https://127.0.0.1:1', '--pod-cidr', '10.42.1.0/23'], /--pod-cidr 10\.42\.1\.0\/23/],
    [['controller-manager', '--allocate-node-cidrs'], /--allocate-node-cidrs needs --cluster-cidr/],
    [['up', '--authorization-mode', 'Node,ABAC'], /--authorization-mode: authorization-mode "ABAC" is not a valid mode/],
    [['up', '--enable-admission-plugins', 'PodSecurity,Nope'], /enable-admission-plugins plugin "Nope" is unknown/],
    [['server', '--enable-admission-plugins', 'AlwaysDeny', '--disable-admission-plugins', 'AlwaysDeny'], /"AlwaysDeny" can not be both enabled and disabled/],
    [['up', '--pod-security', 'strict'], /--pod-security strict: /],
    [['up', '--log-format', 'yaml'], /--log-format yaml: expected json or text/],
    [['up', '--allowed-unsafe-sysctls', 'net.core.somaxconn,kernel.*'], /--allowed-unsafe-sysctls: sysctl pattern "kernel\.\*": not known to be namespaced/],
    [['agent', '--server', 'https://127.0.0.1:1', '--allowed-unsafe-sysctls', 'vm.swappiness'], /--allowed-unsafe-sysctls: sysctl pattern "vm\.swappiness": not known to be namespaced/],
  ];
  for (const [args, message] of cases) {
    const withDirs = args[0] === 'up' || args[0] === 'server' ? [...args, '--data-dir', dataDir, ...(args.includes('--port') ? [] : ['--port', port])] : args[0] === 'agent' ? [...args, '--data-dir', join(dataDir, 'agent')] : args;
    const result = await runSkiff(withDirs);
    const what = `skiff ${args.join(' ')}`;
    assert.equal(result.code, 2, `${what}: exit code 2 (stderr: ${result.stderr})`);
    assert.match(result.stderr, message, what);
    assert.doesNotMatch(result.stdout, /API server ready/, what);
  }
});
