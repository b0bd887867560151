import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { main } from '../../src/cli/main.js';
import { Model } from '../../src/model/model.js';
import { Tokenizer } from '../../src/model/tokenizer.js';
import { implicitRewards, verifierScores } from '../../src/verify/model_scoring.js';
import { goalConditioner } from '../../src/verify/goal_condition.js';
import { readJsonl, shortPairs, tinyModelDir, tmpDir, writeJsonl } from './helpers.js';

// Tolerance for comparing log-prob sums of the same rows computed in different batches: the forward runs in float32
// and batch composition changes the padded length T (and so kernel blocking); sums are over <= ~60 tokens.
const close = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-4 * Math.max(1, Math.abs(b));

async function cli(args: string[]): Promise<void> {
  const code = await main(args);
  assert.equal(code, 0, `radpo ${args.join(' ')} exited ${code}`);
}

/** `radpo logprobs` of every row under a model folder: completion_logprob per row. */
async function logprobsCli(model: string, rows: { prompt: unknown; completion: unknown }[], dir: string, tag: string): Promise<number[]> {
  const inp = path.join(dir, `${tag}.in.jsonl`), out = path.join(dir, `${tag}.out.jsonl`);
  writeJsonl(inp, rows);
  await cli(['logprobs', '--model', model, '--input', inp, '--output', out, '--batch_size', '3']);
  return readJsonl(out).map((r) => r.completion_logprob as number);
}

test('radpo relabel: implicit rewards = beta x (radpo logprobs under the policy - under the reference), beta and reference from training_args.json', async () => {
  const dir = tmpDir('ira');
  const ref = await tinyModelDir(2);
  const pol = await tinyModelDir(1, { 'training_args.json': JSON.stringify({ trainer: 'dpo', beta: 0.25, model_name_or_path: ref }) });
  const pairs = shortPairs(6);
  const input = path.join(dir, 'pairs.jsonl');
  writeJsonl(input, pairs);
  const rows = pairs.flatMap((p) => [{ prompt: p.prompt, completion: p.chosen }, { prompt: p.prompt, completion: p.rejected }]);
  const lpPol = await logprobsCli(pol, rows, dir, 'pol');
  const lpRef = await logprobsCli(ref, rows, dir, 'ref');
  const want = rows.map((_, i) => 0.25 * ((lpPol[i] as number) - (lpRef[i] as number)));

  const out = path.join(dir, 'relabeled.jsonl');
  await cli(['relabel', '--policy', pol, input, '-o', out, '--batch_size', '4', '--scale_method', 'minmax']);
  const got = readJsonl(out);
  assert.equal(got.length, 6);
  got.forEach((g, i) => {
    const [wc, wr] = [want[2 * i] as number, want[2 * i + 1] as number];
    const swapped = g.relabel_swapped === true;
    assert.equal(swapped, wr > wc);
    assert.ok(close(g.implicit_reward_chosen as number, swapped ? wr : wc), `pair ${i} chosen ${g.implicit_reward_chosen} vs ${swapped ? wr : wc}`);
    assert.ok(close(g.implicit_reward_rejected as number, swapped ? wc : wr), `pair ${i} rejected`);
  });
  const summary = JSON.parse(fs.readFileSync(`${out}.summary.json`, 'utf8'));
  assert.equal(summary.beta, 0.25);
  assert.equal(summary.beta_source, 'training_args.json');
  assert.deepEqual(summary.stats.policy, { computed: 12, cached: 0 });

  // The library function on in-memory models gives the same numbers (length-normalised too).
  const tok = await Tokenizer.load(pol);
  const lib = await implicitRewards(await Model.load(pol), await Model.load(ref), tok, pairs, { beta: 0.25, batch_size: 5 });
  lib.chosen.forEach((c, i) => assert.ok(close(c, want[2 * i] as number)));
  lib.rejected.forEach((r, i) => assert.ok(close(r, want[2 * i + 1] as number)));
  const ln = await implicitRewards(await Model.load(pol), await Model.load(ref), tok, pairs, { beta: 0.25, length_normalize: true });
  const n = lib.result.policy.map((e) => e.n);
  ln.chosen.forEach((c, i) => assert.ok(close(c, (want[2 * i] as number) / (n[2 * i] as number))));

  // A rerun computes nothing: every row comes from the cache beside the output.
  await cli(['relabel', '--policy', pol, input, '-o', path.join(dir, 'again.jsonl'), '--cache_dir', `${out}.logps-cache`, '--scale_method', 'minmax']);
  const again = JSON.parse(fs.readFileSync(path.join(dir, 'again.jsonl.summary.json'), 'utf8'));
  assert.deepEqual(again.stats, { policy: { computed: 0, cached: 12 }, reference: { computed: 0, cached: 12 } });
  assert.equal(fs.readFileSync(path.join(dir, 'again.jsonl'), 'utf8'), fs.readFileSync(out, 'utf8'));
  for (const d of [dir, pol, ref]) fs.rmSync(d, { recursive: true, force: true });
});

test('radpo score: per-goal log-likelihoods equal radpo logprobs of the goal-conditioned rows; posterior sums to 1', async () => {
  const dir = tmpDir('score');
  const model = await tinyModelDir(3);
  const pairs = shortPairs(3, 10);
  const input = path.join(dir, 'pairs.jsonl');
  writeJsonl(input, pairs);
  const out = path.join(dir, 'scored.jsonl');
  await cli(['score', '--model', model, input, '-o', out, '--scale_min', '1', '--scale_max', '5', '--batch_size', '8']);
  const got = readJsonl(out);
  // goal 4 of 1..5, conditioned exactly as radpo augment (system placement), scored by radpo logprobs
  const cond = goalConditioner({ score_scale: [1, 5] });
  const rows = pairs.flatMap((p) => [cond({ prompt: p.prompt, completion: p.chosen }, 4), cond({ prompt: p.prompt, completion: p.rejected }, 4)]);
  const lp = await logprobsCli(model, rows, dir, 'g4');
  const tok = await Tokenizer.load(model);
  const lib = await verifierScores(await Model.load(model), tok, pairs.map((p) => ({ prompt: p.prompt, completion: p.chosen })), { scale_min: 1, scale_max: 5 });
  got.forEach((g, i) => {
    for (const [side, k] of [['chosen', 0], ['rejected', 1]] as const) {
      const probs = g[`verifier_probs_${side}`] as number[];
      assert.equal(probs.length, 5);
      assert.ok(Math.abs(probs.reduce((a, b) => a + b) - 1) < 1e-12); // float64 normalisation
      const best = probs.indexOf(Math.max(...probs)) + 1;
      assert.equal(g[`verifier_score_${side}`], best);
      assert.ok(Math.abs((g[`verifier_expected_${side}`] as number) - probs.reduce((a, p, j) => a + p * (j + 1), 0)) < 1e-12);
      if (k === 0) assert.ok(close(Math.log((lib.scores[i]!.probs[3] as number) / (lib.scores[i]!.probs[0] as number)), Math.log((probs[3] as number) / (probs[0] as number))));
    }
    const lpChosenG4 = lib.scores[i]!.logps[3] as number;
    assert.ok(close(lpChosenG4, lp[2 * i] as number), `row ${i}: verifier ${lpChosenG4} vs logprobs ${lp[2 * i]}`);
  });
  for (const d of [dir, model]) fs.rmSync(d, { recursive: true, force: true });
});
