import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { relabelPairs, swapSides, spearmanPresent } from '../../src/data/relabel.js';
import { implicitRewardsFromScorers, type CompletionRow, type ModelScorer } from '../../src/verify/implicit_reward.js';
import type { PreferencePair } from '../../src/data/types.js';

const golden = JSON.parse(fs.readFileSync(new URL('../../../shared/golden/preference_losses.json', import.meta.url), 'utf8'));

/** A scorer that looks completions up in a table, counting calls. */
function tableScorer(table: Map<string, { logp: number; n: number }>, key?: string): ModelScorer & { calls: number } {
  const s = {
    calls: 0,
    key,
    score: async (rows: CompletionRow[]) => { s.calls += rows.length; return rows.map((r) => table.get(r.completion as string)!); },
  };
  return s;
}

test('implicit rewards = beta (policy - reference) on the golden log-probs; means match the golden TRL metrics', async () => {
  const g = golden.inputs;
  const rows: CompletionRow[] = [];
  const pol = new Map(), ref = new Map();
  for (let i = 0; i < g.policy_chosen_logps.length; i++) {
    for (const side of ['chosen', 'rejected'] as const) {
      const c = `${side}${i}`;
      rows.push({ prompt: `p${i}`, completion: c });
      pol.set(c, { logp: g[`policy_${side}_logps`][i], n: g[`${side}_lengths`][i] });
      ref.set(c, { logp: g[`ref_${side}_logps`][i], n: g[`${side}_lengths`][i] });
    }
  }
  const r = await implicitRewardsFromScorers(tableScorer(pol), tableScorer(ref), rows, { beta: g.beta, batch_size: 2 });
  const n = g.policy_chosen_logps.length;
  const chosen = r.rewards.filter((_, i) => i % 2 === 0), rejected = r.rewards.filter((_, i) => i % 2 === 1);
  // golden rewards/chosen = mean beta (pc - rc); tolerance: float64 summation order only
  assert.ok(Math.abs(chosen.reduce((a, b) => a + b) / n - golden.metrics['rewards/chosen']) < 1e-12);
  assert.ok(Math.abs(rejected.reduce((a, b) => a + b) / n - golden.metrics['rewards/rejected']) < 1e-12);
  // hand: pair 0 chosen 0.1 (-10 - -11) = 0.1; rejected 0.1 (-12 - -11.5) = -0.05
  assert.ok(Math.abs((r.rewards[0] as number) - 0.1) < 1e-15 && Math.abs((r.rewards[1] as number) + 0.05) < 1e-15);
  // length-normalised, pair 0 chosen: 0.1 (-10/5 - -11/5) = 0.02; rejected: 0.1 (-12/6 - -11.5/6) = -0.008333
  const ln = await implicitRewardsFromScorers(tableScorer(pol), tableScorer(ref), rows, { beta: g.beta, length_normalize: true });
  assert.ok(Math.abs((ln.rewards[0] as number) - 0.02) < 1e-15 && Math.abs((ln.rewards[1] as number) + 0.1 * 0.5 / 6) < 1e-15);
});

test('the cache is keyed by model: a second run computes nothing; another reference model recomputes only its rows', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'radpo-ira-'));
  const rows = ['a', 'bb', 'a', 'ccc'].map((c) => ({ prompt: 'x', completion: c }));
  const tab = new Map([['a', { logp: -1, n: 1 }], ['bb', { logp: -3, n: 2 }], ['ccc', { logp: -6, n: 3 }]]);
  const tab2 = new Map([['a', { logp: -2, n: 1 }], ['bb', { logp: -4, n: 2 }], ['ccc', { logp: -5, n: 3 }]]);
  const p1 = tableScorer(tab, 'pol'), r1 = tableScorer(tab2, 'ref');
  const a = await implicitRewardsFromScorers(p1, r1, rows, { beta: 0.5, cache_dir: dir });
  assert.deepEqual(a.rewards, [0.5, 0.5, 0.5, -0.5]);
  assert.equal(p1.calls, 3); // 'a' twice: computed once
  const p2 = tableScorer(tab, 'pol'), r2 = tableScorer(tab, 'ref-2');
  const b = await implicitRewardsFromScorers(p2, r2, rows, { beta: 0.5, cache_dir: dir });
  assert.equal(p2.calls, 0);
  assert.equal(r2.calls, 3);
  assert.deepEqual(b.rewards, [0, 0, 0, 0]);
  // A different fingerprint (e.g. max_length) is a different row.
  const p3 = tableScorer(tab, 'pol');
  await implicitRewardsFromScorers(p3, tableScorer(tab, 'ref-2'), rows, { beta: 0.5, cache_dir: dir, fingerprint: { max_length: 16 } });
  assert.equal(p3.calls, 3);
  fs.rmSync(dir, { recursive: true, force: true });
});

const pair = (i: number, extra: Partial<PreferencePair> = {}): PreferencePair => ({ prompt: `q${i}`, chosen: `good${i}`, rejected: `bad${i}`, ...extra });

test('relabelPairs: mapped scores, raw rewards, originals kept, disagreeing pairs swapped with their side columns', () => {
  const pairs = [
    pair(0, { score_chosen: 8, score_rejected: 3, overall_score_chosen: 8, overall_score_rejected: 3, 'chosen-model': 'A', 'rejected-model': 'B' }),
    pair(1, { score_chosen: 9, score_rejected: 2 }),
  ];
  // rewards: pair 0 agrees (2 > -1), pair 1 disagrees (0.5 < 3.5); minmax over [-1, 3.5]: y = 1 + (v + 1) * 2
  // -> chosen0 2 -> 7, rejected0 -1 -> 1, chosen1 0.5 -> 4, rejected1 3.5 -> 10
  const { pairs: out, summary } = relabelPairs(pairs, [2, -1, 0.5, 3.5], { scale_method: 'minmax' });
  const { overall_score_chosen: _oc, overall_score_rejected: _or, ...rest0 } = pairs[0]!;
  assert.deepEqual(out[0], {
    ...rest0, original_overall_score_chosen: 8, original_overall_score_rejected: 3, score_chosen: 7, score_rejected: 1, implicit_reward_chosen: 2, implicit_reward_rejected: -1,
    original_score_chosen: 8, original_score_rejected: 3, relabel_swapped: false,
  });
  assert.deepEqual(out[1], {
    prompt: 'q1', chosen: 'bad1', rejected: 'good1', score_chosen: 10, score_rejected: 4,
    implicit_reward_chosen: 3.5, implicit_reward_rejected: 0.5, original_score_chosen: 2, original_score_rejected: 9, relabel_swapped: true,
  });
  assert.equal(summary.disagreed, 1);
  assert.equal(summary.agreement, 0.5);
  // Spearman of rewards [2,-1,0.5,3.5] with originals [8,3,9,2]: ranks [3,1,2,4] vs [3,2,4,1]: d^2 = 0+1+4+9 = 14,
  // rho = 1 - 6*14 / (4*15) = -0.4
  assert.ok(Math.abs((summary.spearman_original as number) + 0.4) < 1e-12);
  const kept = relabelPairs(pairs, [2, -1, 0.5, 3.5], { scale_method: 'minmax', reorder: 'keep' });
  assert.equal(kept.pairs[1]!.chosen, 'good1');
  assert.equal(kept.pairs[1]!.score_chosen, 4);
  const dropped = relabelPairs(pairs, [2, -1, 0.5, 3.5], { scale_method: 'minmax', reorder: 'drop' });
  assert.equal(dropped.pairs.length, 1);
});

test('relabelPairs: linear_fit uses the originals; a relabeled file keeps its first originals', () => {
  const pairs = [pair(0, { score_chosen: 10, score_rejected: 4 }), pair(1, { score_chosen: 6, score_rejected: 2 })];
  // originals [10, 4, 6, 2] against rewards [4, 1, 2, 0]: exact line 2v + 2
  const first = relabelPairs(pairs, [4, 1, 2, 0], { scale_method: 'linear_fit' }).pairs;
  assert.deepEqual(first.map((p) => [p.score_chosen, p.score_rejected]), [[10, 4], [6, 2]]);
  const again = relabelPairs(first, [1, 4, 2, 0], { scale_method: 'linear_fit' });
  // fitted against the originals (not the previous mapped scores): points (1,10), (4,4), (2,6), (0,2)
  assert.equal(again.pairs[0]!.original_score_chosen, 4); // swapped: chosen is now the old rejected, original 4
  assert.equal(again.pairs[0]!.original_score_rejected, 10);
  assert.equal(again.pairs[0]!.relabel_swapped, true);
});

test('swapSides rebuilds H4 messages; Spearman skips responses without an original score', () => {
  const p: PreferencePair = {
    prompt: [{ role: 'user', content: 'hi' }], chosen: [{ role: 'assistant', content: 'A' }], rejected: [{ role: 'assistant', content: 'B' }],
    messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'A' }],
  };
  assert.deepEqual(swapSides(p).messages, [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'B' }]);
  // ranks of [5, 1, 5, 3] are [3.5, 1, 3.5, 2]; against [4, 1, 3, 2] (ranks [4, 1, 3, 2]): Pearson of the ranks
  // = sum dx dy / sqrt(sxx syy) with means 2.5: (1*1.5 + -1.5*-1.5 + 1*0.5 + -0.5*-0.5) / sqrt(4.5 * 5) = 4.5 / sqrt(22.5)
  assert.ok(Math.abs((spearmanPresent([5, 1, 5, 3, 9], [4, 1, 3, 2, null]) as number) - 4.5 / Math.sqrt(22.5)) < 1e-12);
  assert.equal(spearmanPresent([1, 2, 3], [undefined, 1, null]), null);
});
