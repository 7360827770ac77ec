/** The text format as the Go client writes it: numbers, escaping, order. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatGoFloat, renderFamilies } from './exposition.js';

describe('formatGoFloat', () => {
  it("writes numbers as strconv.FormatFloat(v, 'g', -1, 64)", () => {
    const cases: [number, string][] = [
      [0, '0'],
      [10, '10'],
      [1000, '1000'],
      [123456, '123456'],
      [1e6, '1e+06'],
      [12533760, '1.253376e+07'],
      [1616273408, '1.616273408e+09'],
      [1624396248.3020916, '1.6243962483020916e+09'],
      [4.710169, '4.710169'],
      [0.0001, '0.0001'],
      [0.00001, '1e-05'],
      [1.5e-7, '1.5e-07'],
      [-2.5e6, '-2.5e+06'],
      [1e21, '1e+21'],
      [1e100, '1e+100'],
      [NaN, 'NaN'],
      [Infinity, '+Inf'],
      [-Infinity, '-Inf'],
    ];
    for (const [value, text] of cases) assert.equal(formatGoFloat(value), text, String(value));
  });
});

describe('renderFamilies', () => {
  it('sorts families, labels and samples, escapes, and leaves out empty families', () => {
    const text = renderFamilies([
      { name: 'zeta', help: 'last', type: 'gauge', samples: [{ value: 1 }] },
      { name: 'empty', help: 'none', type: 'gauge', samples: [] },
      {
        name: 'alpha_total',
        help: 'a\\b\nc',
        type: 'counter',
        samples: [
          { labels: { pod: 'b', container: 'x' }, value: 2, timestampMs: 1624396278302.0916 },
          { labels: { pod: 'a', container: 'x' }, value: 1, timestampMs: 1624396278302 },
          { labels: { pod: 'q"\\\n', container: 'a' }, value: 3 },
        ],
      },
    ]);
    assert.equal(
      text,
      [
        '# HELP alpha_total a\\\\b\\nc',
        '# TYPE alpha_total counter',
        'alpha_total{container="a",pod="q\\"\\\\\\n"} 3',
        'alpha_total{container="x",pod="a"} 1 1624396278302',
        'alpha_total{container="x",pod="b"} 2 1624396278302',
        '# HELP zeta last',
        '# TYPE zeta gauge',
        'zeta 1',
        '',
      ].join('\n'),
    );
  });

  it('writes nothing for nothing', () => {
    assert.equal(renderFamilies([]), '');
  });
});
