import { test } from 'node:test';
import assert from 'node:assert/strict';
import { optimalMargin, relabelToy, runToyExperiment, solveToyContext, TOY_EXAMPLES } from '../../src/experiments/toy.js';

// Analytic optimum of label-smoothed DPO for one pair: beta (z_w - z_l) = log((1 - eps) / eps). With beta = 0.1,
// eps = 0.01 the margin is 10 log 99 = 45.95 nats, so the losing response keeps 99^-10 ~ 1e-20 of the mass.
const beta = 0.1, eps = 0.01;
const M = Math.log(99) / beta;
const close = (a: number, b: number, rel: number, what: string): void => assert.ok(Math.abs(a - b) <= rel * Math.abs(b), `${what}: ${a} vs ${b}`);

test('9 vs 8: DPO unlearns the 8; the goal-conditioned optimum keeps each at its own goal', () => {
  const [r] = runToyExperiment({ beta, label_smoothing: eps });
  assert.equal(r!.example.name, 'nine-vs-eight');
  close(optimalMargin(beta, eps), M, 1e-15, 'margin formula');
  // float64 Newton converges to machine precision; compare ratios with 1e-9 relative slack
  close(r!.dpo.probs[1]!, 1 / (1 + Math.exp(M)), 1e-9, 'DPO p(y2)');
  assert.ok(r!.dpo.probs[1]! < 1e-15);
  const g9 = r!.conditioned.find((c) => c.goal === 9)!, g8 = r!.conditioned.find((c) => c.goal === 8)!;
  close(g9.probs[0]!, 1 / (1 + Math.exp(-M)), 1e-12, 'p(y1 | g=9)');
  close(g8.probs[1]!, 1 / (1 + Math.exp(-M)), 1e-12, 'p(y2 | g=8)');
  // averaged over the goals that occur in the data, both responses keep half the mass
  close((g9.probs[1]! + g8.probs[1]!) / 2, 0.5, 1e-9, 'marginal p(y2)');
});

test('9, 1, 0: DPO gives the 1-point response as much mass as the 9; conditioning on g = 9 separates them', () => {
  const r = runToyExperiment({ beta, label_smoothing: eps })[1]!;
  assert.equal(r.example.name, 'nine-one-zero');
  const [p1, p2, p3] = r.dpo.probs as [number, number, number];
  close(p1, 0.5, 1e-12, 'DPO p(y1)');
  close(p2, 0.5, 1e-12, 'DPO p(y2)');
  close(p3 / p1, Math.exp(-M), 1e-9, 'DPO p(y3)/p(y1)');
  close(r.expectedScore.dpo, 5, 1e-9, 'DPO expected score');
  const g9 = r.conditioned.find((c) => c.goal === 9)!;
  // From z = 0 the loss at g = 9 only involves z1 - z3, so z2 stays midway: z1 - z2 = z2 - z3 = M / 2 (logits are
  // defined up to a common shift, which the tiny Newton ridge may move by ~1e-6; compare differences only).
  const [z1, z2, z3] = g9.logits as [number, number, number];
  close(z1 - z3, M, 1e-9, 'z1 - z3 | g=9');
  close(z1 - z2, M / 2, 1e-6, 'z1 - z2 | g=9');
  close(g9.probs[1]! / g9.probs[0]!, Math.exp(-M / 2), 1e-6, 'p(y2|9)/p(y1|9)'); // same 1e-6 shift slack
  assert.ok(r.expectedScore.conditioned['9']! > 8.999);
  close(r.expectedScore.conditioned['1']!, 1, 1e-8, 'expected score at g=1');
});

test('relabeling gives a positive copy at r_w and a swapped copy at r_l; plain DPO has an unbounded optimum', () => {
  assert.deepEqual(relabelToy(TOY_EXAMPLES[1]!), [
    { goal: 9, pairs: [[0, 2]] }, { goal: 1, pairs: [[1, 2]] }, { goal: 0, pairs: [[2, 0], [2, 1]] },
  ]);
  // eps = 0: the loss keeps falling as the margin grows; after a few Newton steps p(y2) is already tiny and falling
  const a = solveToyContext(2, { goal: null, pairs: [[0, 1]] }, { beta, label_smoothing: 0, maxIter: 5 });
  const b = solveToyContext(2, { goal: null, pairs: [[0, 1]] }, { beta, label_smoothing: 0, maxIter: 10 });
  assert.ok(b.probs[1]! < a.probs[1]! && a.probs[1]! < 0.01, `${a.probs[1]} ${b.probs[1]}`);
});
