import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../src/cli/main.js';
import { getTask } from '../../src/tasks/registry.js';

// End to end through the CLI with the --quick preset (tiny model, few steps): checks the summary.json contract and
// that the recorded rewards are the exact rewards of the recorded samples. Too short to test the effect's size.
test('radpo demo --quick writes summary.json (contract), samples, data and the report', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'radpo-demo-'));
  try {
    const code = await main(['demo', '--quick', '--seed', '3', '--output', dir]);
    assert.equal(code, 0);
    const s = JSON.parse(fs.readFileSync(path.join(dir, 'summary.json'), 'utf8'));
    assert.equal(s.seed, 3);
    assert.ok(typeof s.run_time_s === 'number' && s.run_time_s > 0);
    for (const m of ['sft', 'dpo', 'ra_dpo']) {
      assert.ok(s[m].reward >= 1 && s[m].reward <= 10, `${m} reward ${s[m].reward}`);
      assert.ok(s[m].top_share >= 0 && s[m].top_share <= 1);
      assert.ok(s[m].win_rate_vs_sft >= 0 && s[m].win_rate_vs_sft <= 1);
    }
    assert.equal(s.sft.win_rate_vs_sft, 0.5); // SFT against itself: every comparison is a tie
    assert.deepEqual(s.judge, { noise: 0, agreement: 1 }); // --quick keeps the exact judge
    assert.equal(s.config.label_smoothing, 0);
    const samples = JSON.parse(fs.readFileSync(path.join(dir, 'samples.json'), 'utf8'));
    const task = getTask(s.task);
    const k = s.config.samples_per_prompt;
    for (const m of ['sft', 'dpo', 'ra_dpo']) {
      const sm = samples[m];
      sm.responses.forEach((r: string, i: number) => assert.equal(sm.rewards[i], task.reward(sm.prompts[Math.floor(i / k)], r)));
      const mean = sm.rewards.reduce((a: number, b: number) => a + b, 0) / sm.rewards.length;
      assert.ok(Math.abs(mean - s[m].reward) < 1e-12);
    }
    assert.equal(samples.ra_dpo.goal, 10);
    for (const f of ['train_prefs', 'test_prefs', 'train_sft', 'multi_response_train', 'train_prefs_augmented']) assert.ok(fs.statSync(path.join(dir, 'data', `${f}.jsonl`)).size > 0, f);
    const html = fs.readFileSync(path.join(dir, 'report.html'), 'utf8');
    assert.ok(html.includes('<svg') && html.includes('RA-DPO'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('radpo demo: run-setting flags override the preset; a noisy judge is recorded with its agreement', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'radpo-demo-'));
  try {
    assert.equal(await main(['demo', '--quick', '--judge_noise', '2', '--label_smoothing', '0.3', '--output', dir]), 0);
    const s = JSON.parse(fs.readFileSync(path.join(dir, 'summary.json'), 'utf8'));
    assert.equal(s.config.judge_noise, 2);
    assert.equal(s.config.label_smoothing, 0.3);
    assert.equal(s.judge.noise, 2);
    // quick data: 300 prompts, 10% held out; the agreement is measured on the training responses the judge scored
    assert.ok(s.judge.agreement > 0.6 && s.judge.agreement < 0.95, String(s.judge.agreement));
    assert.ok(fs.readFileSync(path.join(dir, 'report.html'), 'utf8').includes('Gaussian noise (std 2)'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
