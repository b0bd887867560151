import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runIra, iraPaths } from '../../src/pipeline/ira.js';
import { IRA_OPTIONS } from '../../src/pipeline/ira_options.js';
import { readRecipe } from '../../src/util/options.js';
import { Model } from '../../src/model/model.js';
import { Tokenizer } from '../../src/model/tokenizer.js';
import { implicitRewards } from '../../src/verify/model_scoring.js';
import { readJsonl, shortPairs, tinyModelDir, tmpDir, writeJsonl } from './helpers.js';

// float32 forward, different batch shapes (see models.test.ts)
const close = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-4 * Math.max(1, Math.abs(b));

test('runIra: DPO -> relabel -> augment -> DPO, each stage checked; a rerun skips every stage', async () => {
  const dir = tmpDir('pipeline');
  const start = await tinyModelDir(5);
  const data = path.join(dir, 'pairs.jsonl');
  const pairs = shortPairs(8, 20);
  writeJsonl(data, pairs);
  const out = path.join(dir, 'run');
  const cfg = {
    model_name_or_path: start, dataset_name: data, output_dir: out, beta: 0.5, learning_rate: 0.05, max_steps: 2,
    per_device_train_batch_size: 4, max_length: 400, scale_method: 'quantile' as const, scale_min: 1, scale_max: 5,
  };
  const r = await runIra(cfg, { quiet: true });
  assert.deepEqual(r.stages.map((s) => [s.name, s.skipped]), [['round1_dpo', false], ['relabel', false], ['augment', false], ['round2_ira', false]]);
  const p = iraPaths(out);

  // relabel: the implicit reward of the round-1 model against the start model, beta from the recipe
  const relabeled = readJsonl(p.relabeled);
  assert.equal(relabeled.length, 8);
  const tok = await Tokenizer.load(start);
  const ir = await implicitRewards(await Model.load(p.round1), await Model.load(start), tok, pairs, { beta: 0.5, max_length: 400, truncation_mode: 'keep_start' });
  relabeled.forEach((row, i) => {
    const [c, rj] = [ir.chosen[i] as number, ir.rejected[i] as number];
    const [wc, wr] = row.relabel_swapped ? [rj, c] : [c, rj];
    assert.ok(close(row.implicit_reward_chosen as number, wc) && close(row.implicit_reward_rejected as number, wr), `pair ${i}`);
    assert.ok([1, 2, 3, 4, 5].includes(row.score_chosen as number));
  });
  assert.ok(ir.chosen.some((x) => Math.abs(x) > 1e-6), 'round 1 must have moved the policy away from the start model');

  // augment: positive copies (goal = new chosen score), then negative copies (goal = new rejected score)
  const aug = readJsonl(p.augmented);
  assert.equal(aug.length, 16);
  assert.deepEqual(aug.slice(0, 8).map((a) => a.goal), relabeled.map((x) => x.score_chosen));
  assert.deepEqual(aug.slice(8).map((a) => a.goal), relabeled.map((x) => x.score_rejected));
  assert.match(JSON.stringify(aug[0]!.prompt), /on a scale of 1-5/);

  // round 2: trained from the start model on the augmented rows
  const s = await Model.load(start), m2 = await Model.load(p.round2);
  assert.ok(m2.params.data.some((v, i) => v !== s.params.data[i]));
  const summary = JSON.parse(fs.readFileSync(p.summary, 'utf8'));
  assert.equal(summary.stages.length, 4);
  assert.equal(summary.stages[3].result.init, start);

  const again = await runIra(cfg, { quiet: true });
  assert.ok(again.stages.every((st) => st.skipped));
  assert.deepEqual(again.stages[1]!.result, r.stages[1]!.result, 'a resumed run keeps the earlier stage summaries');
  // Removing the augmented data reruns augment and, downstream of it, round 2 (stale), but not round 1 or relabel.
  fs.rmSync(p.augmented);
  const lines: string[] = [];
  const third = await runIra({ ...cfg, max_steps: 1 }, { quiet: true, log: (l) => lines.push(l) });
  assert.deepEqual(third.stages.map((st) => st.skipped), [true, true, false, false]);
  assert.match(lines[0]!, /config differs .*\(max_steps\)/);
  for (const d of [dir, start]) fs.rmSync(d, { recursive: true, force: true });
});

test('recipes/ira_small.yaml is a valid pipeline recipe', () => {
  const r = readRecipe(IRA_OPTIONS, 'recipes/ira_small.yaml');
  assert.equal(r.init_model, 'tiny');
  assert.equal(r.dataset_name, 'examples/ultrafeedback_sample.jsonl');
  assert.ok(fs.existsSync(r.dataset_name as string));
});
