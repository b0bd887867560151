import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { relabelFile } from '../../src/pipeline/relabel.js';
import { augmentPairs } from '../../src/data/augment.js';
import { augmentMultiResponseFile } from '../../src/data/multi.js';
import { mapToScale } from '../../src/data/relabel_scale.js';
import type { CompletionRow, ModelScorer } from '../../src/verify/implicit_reward.js';

const REAL = new URL('../../../shared/data/real/', import.meta.url).pathname;
const TRL_STANDARD = path.join(REAL, 'trl-standard/trl-lib_ultrafeedback_binarized_eval_clean_200.jsonl');

const text = (c: unknown): string => (typeof c === 'string' ? c : (c as { content: string }[]).map((m) => m.content).join(''));
/** Fake models with known log-probs: policy -len/100, reference -len/50 + (count of 'e')/10, so the implicit reward
 *  of a completion y at beta b is b (len/100 - count_e/10) (independent of the prompt). */
const policy: ModelScorer = { key: 'fake-policy', score: async (rows: CompletionRow[]) => rows.map((r) => ({ logp: -text(r.completion).length / 100, n: 1 })) };
const reference: ModelScorer = { key: 'fake-ref', score: async (rows: CompletionRow[]) => rows.map((r) => ({ logp: -text(r.completion).length / 50 + (text(r.completion).match(/e/g)?.length ?? 0) / 10, n: 1 })) };
const expectedReward = (c: unknown, beta: number): number => beta * (-text(c).length / 100 - (-text(c).length / 50 + (text(c).match(/e/g)?.length ?? 0) / 10));

function tmp(): string { return fs.mkdtempSync(path.join(os.tmpdir(), 'radpo-relabel-')); }
const readJsonl = (f: string): Record<string, unknown>[] => fs.readFileSync(f, 'utf8').trim().split('\n').map((l) => JSON.parse(l));

test('relabelFile on real TRL-standard rows: raw rewards, quantile scores, originals, and radpo augment reads the result', async () => {
  const dir = tmp();
  const out = path.join(dir, 'relabeled.jsonl');
  const r = await relabelFile(TRL_STANDARD, out, policy, reference, { scale_method: 'quantile', beta: 0.1, limit: 30, cache_dir: path.join(dir, 'cache') });
  assert.equal(r.kind, 'pairs');
  assert.equal(r.responses, 60);
  const rows = readJsonl(out);
  assert.equal(rows.length, 30);
  const input = readJsonl(TRL_STANDARD).slice(0, 30);
  const rewards: number[] = [];
  rows.forEach((row, i) => {
    const swapped = row.relabel_swapped === true;
    const src = input[i]!;
    assert.equal(row.chosen, swapped ? src.rejected : src.chosen);
    assert.ok(Math.abs((row.implicit_reward_chosen as number) - expectedReward(row.chosen, 0.1)) < 1e-12); // float64 sums
    assert.ok((row.implicit_reward_chosen as number) >= (row.implicit_reward_rejected as number));
    const meta = src.metadata as { score_chosen: number; score_rejected: number };
    assert.equal(row.original_score_chosen, swapped ? meta.score_rejected : meta.score_chosen);
    rewards.push(row.implicit_reward_chosen as number, row.implicit_reward_rejected as number);
  });
  // Mapped scores are the quantile mapping of all 60 rewards together.
  assert.deepEqual(rows.flatMap((x) => [x.score_chosen, x.score_rejected]), mapToScale(rewards, 'quantile').mapped);
  // radpo augment reads the output unchanged: the positive copies carry the new chosen scores as goals.
  const aug = augmentPairs(rows, { fine_grained_filter: false });
  assert.equal(aug.length, 60);
  assert.deepEqual(aug.slice(0, 30).map((a) => a.goal), rows.map((x) => x.score_chosen));
  assert.deepEqual(aug.slice(30).map((a) => a.goal), rows.map((x) => x.score_rejected));
  // A rerun hits the cache for all 60 responses (some completions repeat: computed counts unique rows only).
  const again = await relabelFile(TRL_STANDARD, path.join(dir, 'again.jsonl'), policy, reference, { scale_method: 'quantile', beta: 0.1, limit: 30, cache_dir: path.join(dir, 'cache') });
  assert.equal(again.stats.policy.computed, 0);
  assert.equal(again.stats.policy.cached, r.stats.policy.computed);
  assert.equal(fs.readFileSync(path.join(dir, 'again.jsonl'), 'utf8'), fs.readFileSync(out, 'utf8'));
  fs.rmSync(dir, { recursive: true, force: true });
});

test('reference-format rows: overall_score_* move to original_overall_score_* so augment takes the new scores', async () => {
  const dir = tmp();
  const inp = path.join(dir, 'ref.jsonl');
  const mk = (i: number, c: string, r: string, sc: number, sr: number) => ({
    prompt: `q${i}`, prompt_id: `id${i}`, chosen: [{ role: 'user', content: `q${i}` }, { role: 'assistant', content: c }], rejected: [{ role: 'user', content: `q${i}` }, { role: 'assistant', content: r }],
    overall_score_chosen: sc, overall_score_rejected: sr, avg_fine_score_chosen: 4, avg_fine_score_rejected: 3,
  });
  fs.writeFileSync(inp, [mk(0, 'aaaa', 'bb', 8, 3), mk(1, 'eeee', 'xx', 7, 6), mk(2, 'e', 'cccccc', 9, 2)].map((x) => JSON.stringify(x)).join('\n') + '\n');
  const out = path.join(dir, 'out.jsonl');
  await relabelFile(inp, out, policy, reference, { scale_method: 'linear_fit', beta: 1, reorder: 'keep' });
  const rows = readJsonl(out);
  assert.deepEqual(rows.map((x) => [x.original_overall_score_chosen, x.original_overall_score_rejected]), [[8, 3], [7, 6], [9, 2]]);
  assert.ok(rows.every((x) => !('overall_score_chosen' in x)));
  const aug = augmentPairs(rows, { fine_grained_filter: false });
  assert.deepEqual(aug.slice(0, 3).map((a) => a.goal), rows.map((x) => x.score_chosen));
  fs.rmSync(dir, { recursive: true, force: true });
});

test('UltraFeedback raw rows: every completion of every prompt relabeled on one scale; radpo augment --multi_response reads them', async () => {
  const dir = tmp();
  const inp = path.join(dir, 'raw.jsonl');
  const ann = (r: string) => Object.fromEntries(['helpfulness', 'honesty', 'instruction_following', 'truthfulness'].map((a) => [a, { Rating: r, Rationale: '' }]));
  const comp = (response: string, overall: number | string, rating = '4') => ({ model: 'm', principle: 'helpfulness', response, overall_score: overall, annotations: ann(rating) });
  const rowsIn = [
    { source: 'evol_instruct', instruction: 'Say hi', models: ['m'], completions: [comp('hi', 7), comp('hello there', 8.5), comp('eeee', 2), comp('yo', 'N/A', 'N/A')] },
    { source: 'sharegpt', instruction: 'Count', models: ['m'], completions: [comp('1 2 3', 9), comp('one', 4)] },
  ];
  fs.writeFileSync(inp, rowsIn.map((x) => JSON.stringify(x)).join('\n') + '\n');
  const out = path.join(dir, 'out.jsonl');
  const r = await relabelFile(inp, out, policy, reference, { scale_method: 'minmax', beta: 1, cache_dir: path.join(dir, 'c') });
  assert.equal(r.kind, 'ultrafeedback-raw');
  assert.equal(r.responses, 6);
  const rows = readJsonl(out);
  const comps = rows.flatMap((x) => x.completions as Record<string, unknown>[]);
  const rewards = ['hi', 'hello there', 'eeee', 'yo', '1 2 3', 'one'].map((s) => expectedReward([{ role: 'assistant', content: s }], 1));
  comps.forEach((c, i) => assert.ok(Math.abs((c.implicit_reward as number) - rewards[i]!) < 1e-12)); // float64 sums
  const mapped = mapToScale(rewards, 'minmax').mapped;
  assert.deepEqual(comps.map((c) => c.overall_score), mapped);
  assert.deepEqual(comps.map((c) => c.original_overall_score), [7, 8.5, 2, undefined, 9, 4]);
  assert.equal(rows[0]!.source, 'evol_instruct');
  // radpo augment --multi_response: every goal is a relabeled score of that prompt, and its chosen response has it
  const aug = path.join(dir, 'aug.jsonl');
  await augmentMultiResponseFile(out, aug, { fine_grained_filter: false });
  const augRows = readJsonl(aug);
  assert.ok(augRows.length >= 2);
  const scoreOf = new Map(comps.map((c) => [c.response as string, c.overall_score]));
  for (const a of augRows) assert.equal(scoreOf.get((a.chosen as { content: string }[]).at(-1)!.content), a.goal);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('HelpSteer2 rows (real sample): the score attribute becomes the relabeled score, originals kept', async () => {
  const dir = tmp();
  const hs2 = path.join(REAL, 'helpsteer2/helpsteer2_sample_10.jsonl');
  const out = path.join(dir, 'hs2.jsonl');
  const r = await relabelFile(hs2, out, policy, reference, { scale_method: 'quantile', scale_min: 0, scale_max: 4, beta: 1 });
  assert.equal(r.kind, 'helpsteer2');
  const input = readJsonl(hs2);
  const rows = readJsonl(out);
  assert.equal(rows.length, input.length);
  const rewards = input.map((x) => expectedReward([{ role: 'assistant', content: x.response as string }], 1));
  assert.deepEqual(rows.map((x) => x.helpfulness), mapToScale(rewards, 'quantile', { scale_min: 0, scale_max: 4 }).mapped);
  assert.deepEqual(rows.map((x) => x.original_helpfulness), input.map((x) => x.helpfulness));
  assert.deepEqual(rows.map((x) => x.correctness), input.map((x) => x.correctness));
  fs.rmSync(dir, { recursive: true, force: true });
});
