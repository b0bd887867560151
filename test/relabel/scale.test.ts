import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mapToScale, roundToStep, leastSquares } from '../../src/data/relabel_scale.js';
import { RadpoError } from '../../src/util/errors.js';

// All expected values below were worked out by hand (arithmetic shown in the comments).

test('minmax: y = 1 + (v - vmin) / (vmax - vmin) * 9, rounded to the step', () => {
  // vmin -2, vmax 7, span 9 -> y = v + 3: [1, 3, 4, 5.5, 10]; 5.5 rounds up to 6 with step 1
  const v = [-2, 0, 1, 2.5, 7];
  assert.deepEqual(mapToScale(v, 'minmax').mapped, [1, 3, 4, 6, 10]);
  assert.deepEqual(mapToScale(v, 'minmax', { step: 0.5 }).mapped, [1, 3, 4, 5.5, 10]);
  assert.deepEqual(mapToScale(v, 'minmax', { step: 0 }).mapped, [1, 3, 4, 5.5, 10]);
  // scale 0-4: y = (v + 2) * 4 / 9: [0, 0.889, 1.333, 2, 4] -> step 1: [0, 1, 1, 2, 4]
  assert.deepEqual(mapToScale(v, 'minmax', { scale_min: 0, scale_max: 4 }).mapped, [0, 1, 1, 2, 4]);
  // all equal: the middle of the scale, 5.5 -> 6
  assert.deepEqual(mapToScale([3, 3], 'minmax').mapped, [6, 6]);
});

test('quantile: mid-rank CDF into equal-frequency bins; ties share a bin', () => {
  // sorted -1, 0.3, 2, 2, 5; p = 0.5/5, 1.5/5, (2+1)/5, (2+1)/5, 4.5/5 = 0.1, 0.3, 0.6, 0.6, 0.9
  // K = 5 (grid of scale 1-5): bins floor(5p) = 0, 1, 3, 3, 4 -> values 1 + b
  const v = [0.3, -1, 2, 2, 5];
  assert.deepEqual(mapToScale(v, 'quantile', { scale_min: 1, scale_max: 5 }).mapped, [2, 1, 4, 4, 5]);
  // scale 1-10 with 5 bins: 1 + b * 9 / 4 = 1, 3.25, 7.75, 10 -> 3, 1, 8, 8, 10
  assert.deepEqual(mapToScale(v, 'quantile', { bins: 5 }).mapped, [3, 1, 8, 8, 10]);
  // 10 distinct values, default K = 10 bins on 1-10: the ranks themselves
  const ten = [9, 1, 8, 2, 7, 3, 6, 4, 5, 0].map((x) => x * 0.37 - 1);
  assert.deepEqual(mapToScale(ten, 'quantile').mapped, [10, 2, 9, 3, 8, 4, 7, 5, 6, 1]);
});

test('linear_fit: least squares to the original scores, rows without one left out of the fit', () => {
  // fit points (0,2), (1,4), (3,8): exact line 2v + 2; v = 2 -> 6; v = -5 -> -8, clamped to 1
  const r = mapToScale([0, 1, 2, 3, -5], 'linear_fit', { original: [2, 4, null, 8, null] });
  assert.deepEqual(r.mapped, [2, 4, 6, 8, 1]);
  // float64 rounding in the sums only
  assert.ok(Math.abs((r.fit.slope as number) - 2) < 1e-12 && Math.abs((r.fit.intercept as number) - 2) < 1e-12);
  // (0,1), (1,2), (2,4): mean x 1, mean y 7/3, sxy = (-1)(-4/3) + (1)(5/3) = 3, sxx = 2 -> slope 1.5,
  // intercept 7/3 - 1.5 = 0.8333: y = 0.833, 2.333, 3.833 -> 1, 2, 4
  const r2 = mapToScale([0, 1, 2], 'linear_fit', { original: [1, 2, 4] });
  assert.deepEqual(r2.mapped, [1, 2, 4]);
  const ls = leastSquares([0, 1, 2], [1, 2, 4]);
  assert.ok(Math.abs(ls.slope - 1.5) < 1e-12 && Math.abs(ls.intercept - 5 / 6) < 1e-12); // float64 rounding only
  // r^2 = sxy^2 / (sxx syy) = 9 / (2 * (16/9 + 1/9 + 25/9)) = 9 / (2 * 42/9) = 81/84
  assert.ok(Math.abs(ls.r2 - 81 / 84) < 1e-12);
});

test('linear_fit without original scores, bad scales and non-finite values are user errors', () => {
  assert.throws(() => mapToScale([1, 2], 'linear_fit'), (e: unknown) => e instanceof RadpoError && /original/.test(e.message));
  assert.throws(() => mapToScale([1, 2], 'linear_fit', { original: [null, 3] }), /at least 2/);
  assert.throws(() => mapToScale([1, 2], 'minmax', { scale_min: 5, scale_max: 5 }), /scale_max/);
  assert.throws(() => mapToScale([1, NaN], 'minmax'), (e: unknown) => e instanceof RadpoError && e.code === 'numeric');
});

test('roundToStep counts steps from scale_min and cleans float noise', () => {
  assert.equal(roundToStep(7.24, 1, 0.5), 7);
  assert.equal(roundToStep(7.26, 1, 0.5), 7.5);
  assert.equal(roundToStep(0.1 + 0.2, 0, 0.1), 0.3);
  assert.equal(roundToStep(2.2, 1.5, 1), 2.5);
});
