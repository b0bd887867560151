import { test } from 'node:test';
import assert from 'node:assert/strict';
import { meanCI, ranks, spearman, tQuantile, topShare, winRate, logGamma } from '../../src/eval/stats.js';

// t quantiles from standard tables (e.g. NIST/SEMATECH e-Handbook, table 1.3.6.7.2), 6 decimals.
test('t quantiles match the published table', () => {
  const table: [number, number][] = [[1, 12.706205], [2, 4.302653], [4, 2.776445], [9, 2.262157], [29, 2.045230], [100, 1.983972]];
  for (const [df, q] of table) assert.ok(Math.abs(tQuantile(0.975, df) - q) < 5e-6, `df ${df}: ${tQuantile(0.975, df)}`);
  // the median is 0; the continued fraction near x = 1 is accurate to ~1e-8, so allow 1e-6
  assert.ok(Math.abs(tQuantile(0.5, 3)) < 1e-6);
  assert.ok(Math.abs(logGamma(5) - Math.log(24)) < 1e-12);
});

test('mean and 95% CI over seeds (hand-computed)', () => {
  const ci = meanCI([1, 2, 3]);
  assert.equal(ci.mean, 2);
  assert.equal(ci.sd, 1);
  // 4.302653 / sqrt(3) = 2.484138
  assert.ok(Math.abs(ci.halfWidth - 2.484138) < 1e-5);
  assert.ok(Math.abs(ci.lo - (2 - 2.484138)) < 1e-5);
  assert.ok(Number.isNaN(meanCI([4]).halfWidth));
});

test('win rate counts ties as half; top share; average ranks for ties', () => {
  assert.equal(winRate([3, 2, 1], [1, 2, 3]), 0.5);
  assert.equal(winRate([10, 10, 9, 2], [9, 10, 9, 1]), (1 + 0.5 + 0.5 + 1) / 4);
  assert.throws(() => winRate([1], [1, 2]));
  assert.equal(topShare([10, 9, 10, 7], 10), 0.5);
  assert.deepEqual(ranks([5, 6, 7, 8, 7]), [1, 2, 3.5, 5, 3.5]);
});

test('Spearman with ties (hand-computed: 8 / sqrt(95))', () => {
  assert.ok(Math.abs(spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]) - 8 / Math.sqrt(95)) < 1e-12);
  assert.equal(spearman([1, 2, 3], [3, 2, 1]), -1);
  assert.equal(spearman([1, 2, 3], [10, 20, 1000]), 1);
});
