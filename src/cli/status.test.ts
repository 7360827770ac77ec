/** skiff status's verdict and screen, from facts (table tests); gathering them is the e2e test's. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { judge, renderStatus, type StatusFacts } from './status.js';

const now = Date.parse('2026-12-06T10:00:00Z');
const healthy: StatusFacts = {
  dataDir: '/home/u/.skiff',
  server: 'https://127.0.0.1:6443',
  holder: { pid: 4242, startedAtMs: now - 3_723_000 },
  version: 'v1.32.0-skiff',
  readiness: [
    { name: 'ping', ok: true },
    { name: 'etcd', ok: true },
    { name: 'skiff-bootstrap', ok: true },
  ],
  leaders: [
    { component: 'kube-controller-manager', holder: 'vm_1', fresh: true },
    { component: 'kube-scheduler', holder: 'vm_2', fresh: true },
  ],
  nodes: [{ name: 'vm', ready: true, runtime: 'containerd://1.6.20', problems: [], proxy: 'nftables: root, nft found', ingress: 'http :80, https :443' }],
  dns: { clusterIP: '10.43.0.10', readyEndpoints: 1 },
  podPhases: { Running: 3, Succeeded: 1 },
  nowMs: now,
};

describe('skiff status: the verdict', () => {
  const cases: { name: string; facts: Partial<StatusFacts>; healthy: boolean; warning?: RegExp }[] = [
    { name: 'all well', facts: {}, healthy: true },
    { name: 'not running', facts: { holder: undefined, unreachable: 'connect ECONNREFUSED 127.0.0.1:6443' }, healthy: false, warning: /^not running: no skiff holds \/home\/u\/\.skiff/ },
    { name: 'running, API silent', facts: { unreachable: 'timeout' }, healthy: false, warning: /does not answer: timeout/ },
    { name: 'API not ready', facts: { readiness: [{ name: 'etcd', ok: false }] }, healthy: false, warning: /not ready: etcd/ },
    { name: 'no scheduler leader', facts: { leaders: [{ component: 'kube-scheduler', fresh: false }] }, healthy: false, warning: /no kube-scheduler leader/ },
    { name: 'a stale leader', facts: { leaders: [{ component: 'kube-controller-manager', holder: 'vm_1', fresh: false }] }, healthy: false, warning: /stopped renewing/ },
    { name: 'a NotReady node', facts: { nodes: [{ name: 'vm', ready: false, problems: [] }] }, healthy: false, warning: /node vm is NotReady/ },
    { name: 'disk pressure (a warning, still healthy)', facts: { nodes: [{ name: 'vm', ready: true, problems: ['DiskPressure'] }] }, healthy: true, warning: /node vm: DiskPressure/ },
    { name: 'no nodes (skiff server)', facts: { nodes: [] }, healthy: true, warning: /no nodes/ },
    {
      name: 'the proxy in user space (a warning)',
      facts: { nodes: [{ name: 'vm', ready: true, problems: [], proxy: 'userspace: nft is not installed (apt-get install nftables)' }] },
      healthy: true,
      warning: /node vm: the service proxy runs in user space \(nft is not installed \(apt-get install nftables\)\), and NetworkPolicy is not enforced/,
    },
    { name: 'ingress failed (a warning)', facts: { nodes: [{ name: 'vm', ready: true, problems: [], ingress: 'failed (http :80): listen EADDRINUSE' }] }, healthy: true, warning: /no Ingress controller: failed/ },
    { name: 'DNS without endpoints', facts: { dns: { readyEndpoints: 0 } }, healthy: true, warning: /cluster DNS .* has no ready endpoint/ },
    { name: 'failed pods', facts: { podPhases: { Running: 1, Failed: 2 } }, healthy: true, warning: /2 pods Failed/ },
  ];
  for (const c of cases) {
    it(`${c.name}: ${c.healthy ? 'healthy' : 'not healthy'}`, () => {
      const verdict = judge({ ...healthy, ...c.facts });
      assert.equal(verdict.healthy, c.healthy);
      if (c.warning) assert.ok(verdict.warnings.some((w) => c.warning!.test(w)), verdict.warnings.join('\n'));
      else assert.deepEqual(verdict.warnings, []);
    });
  }
});

describe('skiff status: the screen', () => {
  it('says each component on a line, then the verdict', () => {
    assert.equal(
      renderStatus(healthy, judge(healthy)),
      [
        'cluster   /home/u/.skiff: running (PID 4242, up 1h2m)',
        'server    https://127.0.0.1:6443  Kubernetes v1.32.0-skiff',
        'ok        apiserver ready (3 checks)',
        'ok        storage',
        'ok        kube-controller-manager leader vm_1',
        'ok        kube-scheduler leader vm_2',
        'ok        node vm Ready (containerd://1.6.20; proxy nftables; ingress http :80, https :443)',
        'ok        cluster DNS 10.43.0.10, 1 ready endpoint',
        'pods      3 Running, 1 Succeeded',
        'healthy',
        '',
      ].join('\n'),
    );
  });

  it('marks what fails and ends NOT healthy', () => {
    const facts = { ...healthy, nodes: [{ name: 'vm', ready: false, problems: [] }] };
    const screen = renderStatus(facts, judge(facts));
    assert.match(screen, /^FAIL      node vm NotReady/m);
    assert.match(screen, /^warning   node vm is NotReady$/m);
    assert.match(screen, /NOT healthy\n$/);
  });
});
