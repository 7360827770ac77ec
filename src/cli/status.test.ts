/** skiff status's verdict and screen, from facts (table tests); gathering them is the e2e test's. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ingressPorts, judge, renderStatus, whyPodCannotRun, type PodStatusView, type StatusFacts } from './status.js';

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
    {
      name: 'ingress said to listen, but refused (a warning)',
      facts: { nodes: [{ name: 'vm', ready: true, problems: [], ingress: 'http :80, https :443', ingressRefused: ['10.0.0.5:443'] }] },
      healthy: true,
      warning: /^node vm: the Ingress controller does not answer at 10\.0\.0\.5:443 \(connection refused\)$/,
    },
    { name: 'DNS without endpoints', facts: { dns: { readyEndpoints: 0 } }, healthy: true, warning: /cluster DNS .* has no ready endpoint/ },
    { name: 'failed pods', facts: { podPhases: { Running: 1, Failed: 2 } }, healthy: true, warning: /2 pods Failed/ },
    {
      name: 'a pod that cannot run (a warning)',
      facts: { stuckPods: [{ pod: 'default/web-1', reason: 'ImagePullBackOff', message: 'Back-off pulling image "nginx"' }], stuckPodCount: 1 },
      healthy: true,
      warning: /^1 pod cannot run: default\/web-1 ImagePullBackOff \(Back-off pulling image "nginx"\) \(kubectl describe pod\)$/,
    },
    {
      name: 'many pods that cannot run: three named, the rest counted',
      facts: { stuckPods: ['a', 'b', 'c', 'd'].map((name) => ({ pod: `ns/${name}`, reason: 'CrashLoopBackOff' })), stuckPodCount: 25 },
      healthy: true,
      warning: /^25 pods cannot run: ns\/a CrashLoopBackOff; ns\/b CrashLoopBackOff; ns\/c CrashLoopBackOff; and 22 more/,
    },
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

describe('skiff status: which pods cannot run', () => {
  const waiting = (reason: string, message?: string) => ({ state: { waiting: { reason, ...(message ? { message } : {}) } } });
  const cases: { name: string; pod: PodStatusView; why?: { reason: string; message?: string } }[] = [
    { name: 'running', pod: { metadata: { name: 'p' }, status: { phase: 'Running', containerStatuses: [{ state: {} }] } } },
    { name: 'starting', pod: { metadata: { name: 'p' }, status: { phase: 'Pending', containerStatuses: [waiting('ContainerCreating')] } } },
    { name: 'initializing', pod: { metadata: { name: 'p' }, status: { phase: 'Pending', containerStatuses: [waiting('PodInitializing')] } } },
    { name: 'an image that cannot be pulled', pod: { metadata: { name: 'p' }, status: { phase: 'Pending', containerStatuses: [waiting('ImagePullBackOff', 'Back-off pulling image "x"')] } }, why: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "x"' } },
    { name: 'an init container crashing', pod: { metadata: { name: 'p' }, status: { phase: 'Pending', initContainerStatuses: [waiting('CrashLoopBackOff')], containerStatuses: [waiting('PodInitializing')] } }, why: { reason: 'CrashLoopBackOff' } },
    {
      name: 'no node for it',
      pod: { metadata: { name: 'p' }, status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/1 nodes are available: 1 Insufficient cpu.' }] } },
      why: { reason: 'Unschedulable', message: '0/1 nodes are available: 1 Insufficient cpu.' },
    },
    { name: 'being deleted', pod: { metadata: { name: 'p', deletionTimestamp: '2026-12-06T10:00:00Z' }, status: { phase: 'Running', containerStatuses: [waiting('CrashLoopBackOff')] } } },
    { name: 'finished', pod: { metadata: { name: 'p' }, status: { phase: 'Succeeded', containerStatuses: [waiting('CrashLoopBackOff')] } } },
    { name: 'no status yet', pod: { metadata: { name: 'p' } } },
  ];
  for (const c of cases) {
    it(`${c.name}: ${c.why ? c.why.reason : 'fine'}`, () => assert.deepEqual(whyPodCannotRun(c.pod), c.why));
  }
});

describe('skiff status: the Ingress listeners a node names', () => {
  const cases: [string, number[]][] = [
    ['http :80, https :443', [80, 443]],
    ['http :18080', [18080]],
    ['https :8443', [8443]],
    ['off', []],
    ['failed (http :80, https :443): listen EADDRINUSE: address already in use 0.0.0.0:80', []],
  ];
  for (const [annotation, ports] of cases) it(annotation, () => assert.deepEqual(ingressPorts(annotation), ports));
});
