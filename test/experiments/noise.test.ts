import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../src/cli/main.js';
import { generateTaskData, judgeAgreement } from '../../src/tasks/generate.js';
import { getTask } from '../../src/tasks/registry.js';

// Plumbing only (tiny model, few prompts): the models are too small to learn the task, so no claim is checked.
test('radpo experiment noise --quick: one row per level, agreement from the data, differences from per-seed rewards', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'radpo-noise-'));
  try {
    const code = await main(['experiment', 'noise', '--quick', '--seeds', '1', '--num_prompts', '60', '--num_sft_prompts', '100',
      '--eval_prompts', '6', '--sft_epochs', '1', '--sft_cache', '', '--noise_levels', '0,2', '--output', dir]);
    assert.equal(code, 0);
    const f = JSON.parse(fs.readFileSync(path.join(dir, 'results.json'), 'utf8'));
    assert.equal(f.name, 'noise');
    const levels = f.results.levels as { noise: number; agreement: number; diff: { mean: number }; per_seed: { methods: Record<string, { reward: number; n: number }> }[] }[];
    assert.deepEqual(levels.map((l) => l.noise), [0, 2]);
    assert.equal(levels[0]!.agreement, 1);
    // The agreement is the judge's on the very data the level trained on (same seed and size).
    const task = getTask('sort');
    assert.equal(levels[1]!.agreement, judgeAgreement(generateTaskData(task, { numPrompts: 60, numSftPrompts: 10, seed: 1, judge: { noise: 2, round: 1 } }).multi.train));
    for (const l of levels) {
      const m = l.per_seed[0]!.methods;
      assert.deepEqual(Object.keys(m).sort(), ['dpo', 'ra_dpo', 'sft', 'sft_goal']);
      assert.equal(m.dpo!.n, 12);
      assert.ok(Math.abs(l.diff.mean - (m.ra_dpo!.reward - m.dpo!.reward)) < 1e-12);
    }
    assert.ok(fs.readFileSync(path.join(dir, 'report.html'), 'utf8').includes('Experiment 8: judge noise'));
    assert.equal(await main(['experiment', 'noise', '--quick', '--noise_levels', '1,x', '--output', dir]), 2);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
