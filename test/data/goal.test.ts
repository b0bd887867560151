import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatScore, goalText, parseScale, rescale } from '../../src/data/goal.js';

// The reference's system_prompt(), written out by hand from scripts/reward_augmentation.py (two lines, no trailing newline).
const REF_9 = 'You are an assistant that generates responses for the instruction while implicitly achieving the following target scores (on a scale of 1-10, where 1 is lowest and 10 is highest):\nOverall score: 9.';

test('goal text is the reference text character for character', () => {
  assert.equal(goalText(9), REF_9);
  assert.equal(goalText(9.0), REF_9);
  assert.equal(goalText(7.5), REF_9.replace('score: 9.', 'score: 7.5.'));
});

test('scores print as Python f-strings after the int() check: 8.0 -> 8, 7.5 -> 7.5', () => {
  assert.equal(formatScore(8.0), '8');
  assert.equal(formatScore(7.5), '7.5');
  assert.equal(formatScore(6.25), '6.25');
  assert.equal(formatScore(1 / 3), '0.3333333333333333'); // Python: str(1/3)
  assert.equal(formatScore(0.00001), '1e-05');              // Python repr, not JS '0.00001'
  assert.equal(formatScore(-0), '0');
  assert.throws(() => formatScore(NaN));
});

test('multi-attribute goals: one line per attribute in the given order', () => {
  const t = goalText({ helpfulness: 4, honesty: 5, instruction_following: 3.5, truthfulness: 4 }, { scale: [1, 5] });
  assert.equal(t, 'You are an assistant that generates responses for the instruction while implicitly achieving the following target scores (on a scale of 1-5, where 1 is lowest and 5 is highest):\n'
    + 'Helpfulness score: 4.\nHonesty score: 5.\nInstruction following score: 3.5.\nTruthfulness score: 4.');
});

test('custom templates fill {score}, {scores}, {attr}, {min}, {max}', () => {
  assert.equal(goalText(8, { template: 'Aim for {score}/{max} (min {min}).' }), 'Aim for 8/10 (min 1).');
  assert.equal(goalText({ a: 1, b: 2 }, { template: 'a={a} b={b}\n{scores}' }), 'a=1 b=2\nA score: 1.\nB score: 2.');
  assert.throws(() => goalText({ a: 1 }, { template: '{score}' }), /several attributes/);
});

test('rescaling is linear between the scales, rounded', () => {
  assert.equal(rescale(10, [1, 10], [1, 5]), 5);
  assert.equal(rescale(1, [1, 10], [1, 5]), 1);
  assert.equal(rescale(5.5, [1, 10], [1, 5]), 3);
  assert.equal(rescale(8, [1, 10], [0, 100], 1), 77.8); // 700/9 = 77.77...
  assert.deepEqual(parseScale('0-100'), [0, 100]);
  assert.throws(() => parseScale('10-1'), /LO < HI/);
});
