/** RuntimeClass, with upstream's admission_test.go cases (plugin/pkg/admission/runtimeclass) and tolerations_test.go's merges. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../machinery/object.js';
import type { AdmissionAttributes } from './chain.js';
import { mergeTolerations, maxPairwiseMergedTolerations, type Toleration } from './merge-tolerations.js';
import { runtimeClassPlugin } from './runtime-class.js';

type Spec = { runtimeClassName?: string; overhead?: Record<string, string>; nodeSelector?: Record<string, string>; tolerations?: Toleration[]; containers: unknown[] };

const classes = new Map<string, KubeObject>([
  ['overhead', { metadata: { name: 'overhead' }, handler: 'bar', overhead: { podFixed: { cpu: '100m', memory: '1' } } }],
  ['big-overhead', { metadata: { name: 'big-overhead' }, handler: 'bar', overhead: { podFixed: { cpu: '10', memory: '10G' } } }],
  ['plain', { metadata: { name: 'plain' }, handler: 'bar' }],
  ['selector', { metadata: { name: 'selector' }, handler: 'bar', scheduling: { nodeSelector: { foo: 'bar', fizz: 'buzz' } } }],
  ['conflict', { metadata: { name: 'conflict' }, handler: 'bar', scheduling: { nodeSelector: { foo: 'conflict' } } }],
  [
    'tolerations',
    {
      metadata: { name: 'tolerations' },
      handler: 'bar',
      scheduling: { tolerations: [{ key: 'foo', operator: 'Equal', value: 'bar', effect: 'NoSchedule' }, { key: 'fizz', operator: 'Equal', value: 'buzz', effect: 'NoSchedule' }] },
    },
  ],
]);
const plugin = runtimeClassPlugin({ getRuntimeClass: (name) => classes.get(name) });

const attributes = (spec: Partial<Spec>, operation: 'CREATE' | 'UPDATE' = 'CREATE') =>
  ({ operation, type: { group: '', resource: 'pods', namespaced: true }, namespace: 'test', object: { metadata: { name: 'podname', namespace: 'test' }, spec: { containers: [{ name: 'c' }], ...spec } }, user: { username: 'u', groups: [] }, dryRun: false }) as unknown as AdmissionAttributes;
const specOf = (a: AdmissionAttributes) => a.object!.spec as Spec;

async function admitted(spec: Partial<Spec>): Promise<Spec> {
  const a = attributes(spec);
  await plugin.admit!(a);
  await plugin.validate!(a);
  return specOf(a);
}

describe('RuntimeClass overhead (TestSetOverhead, TestValidate)', () => {
  it('sets the class overhead on a pod without one', async () => assert.deepEqual((await admitted({ runtimeClassName: 'overhead' })).overhead, { cpu: '100m', memory: '1' }));
  it('accepts a pod that already has the same overhead, written differently', async () => assert.deepEqual((await admitted({ runtimeClassName: 'overhead', overhead: { cpu: '0.1', memory: '1' } })).overhead, { cpu: '100m', memory: '1' }));

  const refusals: [string, Partial<Spec>, 'admit' | 'validate', string][] = [
    ['a differing overhead already set', { runtimeClassName: 'big-overhead', overhead: { cpu: '100m', memory: '1' } }, 'admit', 'pods "podname" is forbidden: pod rejected: Pod\'s Overhead doesn\'t match RuntimeClass\'s defined Overhead'],
    ['an overhead that differs at validation', { runtimeClassName: 'big-overhead', overhead: { cpu: '100m', memory: '1' } }, 'validate', 'pods "podname" is forbidden: pod rejected: Pod\'s Overhead doesn\'t match RuntimeClass\'s defined Overhead'],
    ['an overhead without a class', { overhead: { cpu: '100m', memory: '1' } }, 'validate', 'pods "podname" is forbidden: pod rejected: Pod Overhead set without corresponding RuntimeClass defined Overhead'],
    ['an overhead with a class that defines none', { runtimeClassName: 'plain', overhead: { cpu: '100m' } }, 'validate', 'pods "podname" is forbidden: pod rejected: Pod Overhead set without corresponding RuntimeClass defined Overhead'],
    ['a class that does not exist', { runtimeClassName: 'missing' }, 'admit', 'pods "podname" is forbidden: pod rejected: RuntimeClass "missing" not found'],
  ];
  for (const [name, spec, phase, message] of refusals) {
    it(`refuses ${name} (403)`, async () => {
      await assert.rejects(Promise.resolve(plugin[phase]!(attributes(spec))), (err: { code?: number; message?: string }) => err.code === 403 && err.message === message);
    });
  }
});

describe('RuntimeClass scheduling (TestSetScheduling)', () => {
  it('a class without scheduling leaves the pod alone', async () => {
    const spec = await admitted({ runtimeClassName: 'plain', nodeSelector: { foo: 'bar' }, tolerations: [] });
    assert.deepEqual([spec.nodeSelector, spec.tolerations], [{ foo: 'bar' }, []]);
  });
  it('a pod without a node selector gets the class one', async () => assert.deepEqual((await admitted({ runtimeClassName: 'selector' })).nodeSelector, { foo: 'bar', fizz: 'buzz' }));
  it('same and new keys merge', async () => assert.deepEqual((await admitted({ runtimeClassName: 'selector', nodeSelector: { foo: 'bar', zone: 'a' } })).nodeSelector, { foo: 'bar', zone: 'a', fizz: 'buzz' }));
  it('a conflicting node selector is refused', async () => {
    await assert.rejects(Promise.resolve(plugin.admit!(attributes({ runtimeClassName: 'conflict', nodeSelector: { foo: 'bar' } }))), {
      message: 'pods "podname" is forbidden: conflict: runtimeClass.scheduling.nodeSelector[foo] = conflict; pod.spec.nodeSelector[foo] = bar',
    });
  });
  it('tolerations merge without repeats', async () => {
    const spec = await admitted({ runtimeClassName: 'tolerations', tolerations: [{ key: 'foo', operator: 'Equal', value: 'bar', effect: 'NoSchedule' }] });
    assert.deepEqual(spec.tolerations, [
      { key: 'foo', operator: 'Equal', value: 'bar', effect: 'NoSchedule' },
      { key: 'fizz', operator: 'Equal', value: 'buzz', effect: 'NoSchedule' },
    ]);
  });
  it('updates, subresources and pods without a class are left alone', async () => {
    const update = attributes({ runtimeClassName: 'missing' }, 'UPDATE');
    await plugin.admit!(update);
    await plugin.validate!(update);
    assert.deepEqual(await admitted({ nodeSelector: { a: 'b' } }), { containers: [{ name: 'c' }], nodeSelector: { a: 'b' } });
  });
  it('async lookups work too', async () => {
    const asyncPlugin = runtimeClassPlugin({ getRuntimeClass: async (name) => classes.get(name) });
    const a = attributes({ runtimeClassName: 'overhead' });
    await asyncPlugin.admit!(a);
    assert.deepEqual(specOf(a).overhead, { cpu: '100m', memory: '1' });
  });
});

describe('mergeTolerations (pkg/util/tolerations)', () => {
  const t = (key: string, operator: string, value = '', effect = '', tolerationSeconds?: number): Toleration => ({ key, operator, value, effect, ...(tolerationSeconds !== undefined ? { tolerationSeconds } : {}) });
  const cases: [string, Toleration[], Toleration[], Toleration[]][] = [
    ['disjoint', [t('foo', 'Equal', 'bar')], [t('baz', 'Exists')], [t('foo', 'Equal', 'bar'), t('baz', 'Exists')]],
    ['equal ones keep the first', [t('foo', 'Equal', 'bar')], [t('foo', 'Equal', 'bar')], [t('foo', 'Equal', 'bar')]],
    ['an Exists on the key covers its values', [t('foo', 'Equal', 'bar', 'NoSchedule')], [t('foo', 'Exists')], [t('foo', 'Exists')]],
    ['an empty key with Exists covers everything', [t('foo', 'Equal', 'bar'), t('baz', 'Exists', '', 'NoExecute', 10)], [t('', 'Exists')], [t('', 'Exists')]],
    ['a longer NoExecute time covers a shorter one', [t('foo', 'Exists', '', 'NoExecute', 10)], [t('foo', 'Exists', '', 'NoExecute', 20)], [t('foo', 'Exists', '', 'NoExecute', 20)]],
    ['a shorter NoExecute time does not cover a longer one', [t('foo', 'Exists', '', 'NoExecute', 20)], [t('foo', 'Exists', '', 'NoExecute', 10)], [t('foo', 'Exists', '', 'NoExecute', 20)]],
  ];
  for (const [name, first, second, expected] of cases) it(name, () => assert.deepEqual(mergeTolerations(first, second), expected));

  it('past the pairwise bound drops exact repeats only', () => {
    const many = Array.from({ length: maxPairwiseMergedTolerations + 1 }, (_, i) => t(`k${i}`, 'Exists'));
    assert.equal(mergeTolerations(many, [t('k0', 'Exists')]).length, many.length);
  });
});
