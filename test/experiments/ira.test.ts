import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../src/cli/main.js';
import { relabelPairs } from '../../src/data/relabel.js';
import type { Row } from '../../src/data/types.js';
import { generateTaskData } from '../../src/tasks/generate.js';
import { getTask } from '../../src/tasks/registry.js';
import { resolveOptions } from '../../src/util/options.js';
import { RUN_OPTIONS, variantData, type RunContext } from '../../src/experiments/pipeline.js';
import { taskTokenizer, TASK_GOAL_TEMPLATE } from '../../src/experiments/setup.js';
import { judgeScoresMapped } from '../../src/experiments/ira.js';

// Plumbing only (tiny model, few prompts): the models are too small to learn the task, so no claim is checked.
test('radpo experiment ira --quick: both round-2 starts, relabel statistics and a report section', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'radpo-ira-'));
  try {
    const code = await main(['experiment', 'ira', '--quick', '--seeds', '2', '--num_prompts', '100', '--num_sft_prompts', '200',
      '--eval_prompts', '10', '--sft_epochs', '1', '--sft_cache', '', '--ira_init', 'both', '--output', dir]);
    assert.equal(code, 0);
    const f = JSON.parse(fs.readFileSync(path.join(dir, 'results.json'), 'utf8'));
    assert.equal(f.name, 'ira');
    assert.equal(f.config.ira_scale, 'quantile');
    const r = f.results;
    assert.equal(r.per_seed.length, 2);
    for (const s of r.per_seed) {
      assert.deepEqual(Object.keys(s.methods).sort(), ['dpo', 'ira_dpo', 'ira_dpo_r1', 'ra_dpo', 'ra_dpo_mapped', 'sft', 'sft_goal']);
      // 20 samples per method: 10 eval prompts x samples_per_prompt 2
      for (const m of Object.values(s.methods) as { n: number }[]) assert.equal(m.n, 20);
      // noise-free judge = exact reward rounded to integers, so the rank correlation is 1 up to ties from rounding
      assert.ok(s.relabel.spearman_judge_exact > 0.99, String(s.relabel.spearman_judge_exact));
      assert.ok(s.relabel.spearman_implicit_exact >= -1 && s.relabel.spearman_implicit_exact <= 1);
      // quantile mapping into 10 equal-frequency bins: the top bin holds 1/10 of the 2 x 90 training responses
      // (exactly 18, unless ties of implicit rewards straddle the edge; allow one tie group of a few responses)
      assert.ok(Math.abs(s.relabel.top_share_relabeled - 0.1) <= 4 / 180, String(s.relabel.top_share_relabeled));
    }
    // the CI of a difference over 2 seeds equals mean ± t(0.975, 1) sd / sqrt(2)
    const d = r.per_seed.map((s: { methods: Record<string, { reward: number }> }) => s.methods.ira_dpo!.reward - s.methods.dpo!.reward);
    assert.ok(Math.abs(r.ira_minus_dpo.mean - (d[0] + d[1]) / 2) < 1e-12);
    assert.ok(Math.abs(r.ira_minus_dpo.halfWidth - (12.706204736174707 * Math.abs(d[0] - d[1]) / Math.SQRT2) / Math.SQRT2) < 1e-6);
    assert.deepEqual(Object.keys(r.differences).sort(), ['ira_dpo', 'ira_dpo_r1']);
    assert.deepEqual(r.differences.ira_dpo.minus_dpo, r.ira_minus_dpo);
    const html = fs.readFileSync(path.join(dir, 'report.html'), 'utf8');
    assert.ok(html.includes('Experiment 5: implicit-reward relabeling'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('relabeled pairs train with their implicit-reward scores as goals (variantData rows), swapped where reordered', () => {
  const cfg = resolveOptions(RUN_OPTIONS, { num_prompts: 40, goal_placement: 'prompt' });
  const task = getTask('sort');
  const data = generateTaskData(task, { numPrompts: 40, numSftPrompts: 10, seed: 3 });
  const ctx: RunContext = { cfg, task, data, tok: taskTokenizer(task), goal: { template: TASK_GOAL_TEMPLATE }, topGoal: 10, sft: null as never, sftLog: [], evalPrompts: [] };
  const pairs = variantData(ctx, 'dpo');
  const n = pairs.length;
  // hand-made implicit rewards: response k gets reward k, except pair 0 whose rejected side gets the most
  const rewards = pairs.flatMap((_, i) => [2 * i + 1, 2 * i]);
  rewards[1] = 1000;
  const { pairs: relabeled } = relabelPairs(pairs, rewards, { scale_method: 'minmax', scale_min: 1, scale_max: 10, step: 1 });
  const ra = variantData(ctx, 'ra_dpo', relabeled as unknown as Row[]);
  assert.equal(ra.length, 2 * n);
  const goalOf = (p: { prompt: unknown }): string => (p.prompt as { content: string }[])[0]!.content.split('\n')[0]!;
  // pair 0: the rejected response now has reward 1000 -> score 10 and becomes "chosen" of the positive copy
  assert.equal(goalOf(ra[0]!), 'goal 10');
  assert.deepEqual(ra[0]!.chosen, pairs[0]!.rejected);
  // last pair's chosen: reward 2n - 1, minmax over [1, 1000] (the smallest is pair 0's chosen) -> 1 + 9 (2n - 2) / 999
  assert.equal(goalOf(ra[n - 1]!), `goal ${Math.round(1 + (9 * (2 * n - 2)) / 999)}`);
  // its negative copy: the rejected response (reward 2n - 2) at its own score
  assert.equal(goalOf(ra[2 * n - 1]!), `goal ${Math.round(1 + (9 * (2 * n - 3)) / 999)}`);
  // the original judge scores are kept next to the new ones
  assert.equal(relabeled[1]!.original_score_chosen, pairs[1]!.score_chosen);
  // the mapping control: judge scores through the same quantile mapping keep the judge's order (ties share a bin)
  const judge = pairs.flatMap((p) => [p.score_chosen as number, p.score_rejected as number]);
  const mapped = judgeScoresMapped(ctx).flatMap((p) => [p.score_chosen as number, p.score_rejected as number]);
  assert.equal(mapped.length, judge.length);
  for (let i = 0; i < judge.length; i++) for (let j = 0; j < judge.length; j++) {
    if (judge[i]! > judge[j]!) assert.ok(mapped[i]! >= mapped[j]!, `${judge[i]} > ${judge[j]} but ${mapped[i]} < ${mapped[j]}`);
    if (judge[i] === judge[j]) assert.equal(mapped[i], mapped[j]);
  }
  assert.ok(mapped.every((x) => Number.isInteger(x) && x >= 1 && x <= 10));
});
