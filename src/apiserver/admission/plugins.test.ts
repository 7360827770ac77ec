/** Which admission plugins run (plugins.ts): upstream's order and defaults, and the flags on top. */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { defaultAdmissionPlugins, selectAdmissionPlugins } from './plugins.js';

it('runs the defaults in upstream order', () => assert.deepEqual(selectAdmissionPlugins(), defaultAdmissionPlugins));

it('adds and removes, keeping the order whatever the flags say', () => {
  const selected = selectAdmissionPlugins(['AlwaysDeny', 'AlwaysAdmit'], ['PodSecurity', 'ResourceQuota']);
  assert.equal(selected[0], 'AlwaysAdmit');
  assert.equal(selected.at(-1), 'AlwaysDeny');
  assert.ok(!selected.includes('PodSecurity') && !selected.includes('ResourceQuota'));
});

it('refuses unknown plugins and contradictions in upstream words', () => {
  assert.throws(() => selectAdmissionPlugins(['Nope']), { message: 'enable-admission-plugins plugin "Nope" is unknown' });
  assert.throws(() => selectAdmissionPlugins([], ['Nope']), { message: 'disable-admission-plugins plugin "Nope" is unknown' });
  assert.throws(() => selectAdmissionPlugins(['PodSecurity'], ['PodSecurity']), { message: '"PodSecurity" can not be both enabled and disabled' });
});
