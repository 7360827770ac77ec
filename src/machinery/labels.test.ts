import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatLabelSelector, parseSelector, selectorFromLabelSelector } from './labels.js';
import { isStatusError } from './status.js';

describe('label selector text', () => {
  const labels = { app: 'web', tier: 'frontend', replicas: '3' };
  const cases: [string, boolean][] = [
    ['app=web', true],
    ['app==web', true],
    ['app!=web', false],
    ['app=db', false],
    ['app', true],
    ['!app', false],
    ['!missing', true],
    ['app in (web,db)', true],
    ['app notin (web,db)', false],
    ['missing notin (x)', true],
    ['app=web,tier=frontend', true],
    ['app=web,tier=backend', false],
    ['replicas>2', true],
    ['replicas<2', false],
    ['  app = web , tier ', true],
    ['example.com/team', false],
  ];
  for (const [text, expected] of cases) {
    it(`${JSON.stringify(text)} → ${expected}`, () => {
      assert.equal(parseSelector(text).matches(labels), expected);
    });
  }

  it('rejects bad syntax and invalid values with a 400', () => {
    for (const text of ['app in web', 'app=', 'a b', '=x', 'app=a b', 'app in (a', 'Bad_Key-=x', 'x>y']) {
      if (text === 'app=') continue; // an empty value is valid
      assert.throws(() => parseSelector(text), (err) => isStatusError(err, 'BadRequest'), text);
    }
  });

  it('accepts an empty value', () => {
    assert.equal(parseSelector('app=').matches({ app: '' }), true);
  });

  it('prints requirements sorted by key', () => {
    assert.equal(parseSelector('tier in (b,a),app=web,!old').toString(), 'app=web,!old,tier in (a,b)');
  });
});

describe('structured LabelSelector', () => {
  it('combines matchLabels and matchExpressions', () => {
    const selector = selectorFromLabelSelector({
      matchLabels: { app: 'web' },
      matchExpressions: [
        { key: 'tier', operator: 'In', values: ['a', 'b'] },
        { key: 'legacy', operator: 'DoesNotExist' },
      ],
    });
    assert.equal(selector.matches({ app: 'web', tier: 'a' }), true);
    assert.equal(selector.matches({ app: 'web', tier: 'a', legacy: 'y' }), false);
    assert.equal(selector.matches({ app: 'web' }), false);
  });

  it('selects nothing when absent and everything when empty', () => {
    assert.equal(selectorFromLabelSelector(undefined).matches({}), false);
    assert.equal(selectorFromLabelSelector({}).matches({ any: 'x' }), true);
  });

  it('formats like kubectl shows a scale selector', () => {
    assert.equal(formatLabelSelector({ matchLabels: { app: 'web', tier: 'fe' } }), 'app=web,tier=fe');
  });
});
