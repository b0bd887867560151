import { test } from 'node:test';
import assert from 'node:assert/strict';
import { goalGrid, goalPosterior, verifierScoresFromScorer } from '../../src/verify/verifier.js';
import type { CompletionRow } from '../../src/verify/implicit_reward.js';

// Reference values from Python's math module (float64): softmax([-1,-2,-3]) and its mean goal.
const TOL = 1e-14; // float64 exp/sum rounding only

test('goalPosterior: softmax over goals, argmax and expectation', () => {
  const r = goalPosterior([-1, -2, -3], [1, 2, 3], 4);
  [0.6652409557748219, 0.24472847105479767, 0.09003057317038046].forEach((p, i) => assert.ok(Math.abs((r.probs[i] as number) - p) < TOL));
  assert.equal(r.score_argmax, 1);
  assert.ok(Math.abs(r.score_expected - 1.4247896173955585) < TOL);
  // length-normalised (n = 5) at temperature 0.5: softmax([-2, -1, -4] / 0.5) over goals [1, 5.5, 10]
  const s = goalPosterior([-10, -5, -20], [1, 5.5, 10], 5, { length_normalize: true, temperature: 0.5 });
  assert.equal(s.score_argmax, 5.5);
  assert.ok(Math.abs(s.score_expected - 4.974558784509452) < TOL);
  // a huge log-likelihood gap does not overflow (max subtracted)
  assert.deepEqual(goalPosterior([-1e5, 0], [1, 2], 1).probs, [0, 1]);
});

test('goalGrid: the scale in steps; explicit goals win', () => {
  assert.deepEqual(goalGrid({}), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.deepEqual(goalGrid({ scale_min: 0, scale_max: 1, step: 0.25 }), [0, 0.25, 0.5, 0.75, 1]);
  assert.deepEqual(goalGrid({ goals: [3, 7] }), [3, 7]);
});

test('verifierScoresFromScorer conditions every row on every goal and recovers the score a fake model encodes', async () => {
  // Fake goal-conditioned model: log p(y | x, g) = -(g - q(y))^2 with q(y) = length of y; the condition
  // function tags the prompt with the goal the way a goal text would.
  const rows: CompletionRow[] = [{ prompt: 'x', completion: 'abc' }, { prompt: 'x', completion: 'abcdefg' }];
  let calls = 0;
  const { goals, scores, stats } = await verifierScoresFromScorer(
    { score: async (batch) => { calls += batch.length; return batch.map((r) => ({ logp: -(((r.prompt as { g: number }).g - (r.completion as string).length) ** 2), n: 3 })); } },
    rows, (r, g) => ({ prompt: { g, prompt: r.prompt }, completion: r.completion }), { batch_size: 7 },
  );
  assert.equal(goals.length, 10);
  assert.equal(calls, 20);
  assert.deepEqual(stats, { computed: 20, cached: 0 });
  assert.equal(scores[0]!.score_argmax, 3);
  assert.equal(scores[1]!.score_argmax, 7);
  assert.deepEqual(scores[0]!.logps.slice(0, 4), [-4, -1, -0, -1]);
  // symmetric posterior around 7 except the cut at 10 (goals 11..13 missing) pulls the mean down a little
  assert.ok(scores[1]!.score_expected < 7 && scores[1]!.score_expected > 6.5);
});
