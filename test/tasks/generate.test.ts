import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { binarize, generateTaskData, judgeAgreement, judgeScore, scoreStats, type MultiResponseRow } from '../../src/tasks/generate.js';
import { getTask, TASK_NAMES } from '../../src/tasks/registry.js';
import { mean } from '../../src/eval/stats.js';
import { Rng } from '../../src/util/rng.js';

test('generated data: top scores are sparse, quality is graded, behaviours are ordered weakest to strongest', () => {
  for (const name of TASK_NAMES) {
    const task = getTask(name);
    const d = generateTaskData(task, { numPrompts: 1500, seed: 11 });
    const s = scoreStats(d.multi.train);
    // Sparsity as in UltraFeedback: few responses reach the top score, yet some do (2-8% of responses; under 30% of
    // best-of-4). Bounds are loose around the measured 4-6% so that a behaviour change that breaks sparsity fails.
    assert.ok(s.topShare > 0.02 && s.topShare < 0.08, `${name}: top share ${s.topShare}`);
    assert.ok(s.chosenTopShare < 0.3, `${name}: chosen top share ${s.chosenTopShare}`);
    assert.ok(Object.keys(s.histogram).length >= 8, `${name}: graded scores ${Object.keys(s.histogram)}`);
    const byModel = new Map<string, number[]>();
    for (const r of d.multi.train) for (const c of r.completions) {
      if (!byModel.has(c.model)) byModel.set(c.model, []);
      byModel.get(c.model)!.push(c.exact);
    }
    const means = task.behaviours.map((b) => mean(byModel.get(b.name) ?? []));
    for (let i = 1; i < means.length; i++) assert.ok(means[i]! > means[i - 1]!, `${name}: behaviour means ${means}`);
  }
});

test('H4 rows: chosen has the highest judge score, conversational messages, sha256 prompt ids, seeded', () => {
  const task = getTask('sort');
  const a = generateTaskData(task, { numPrompts: 200, seed: 5, testFraction: 0.25 });
  const b = generateTaskData(task, { numPrompts: 200, seed: 5, testFraction: 0.25 });
  assert.deepEqual(a, b);
  // rows whose responses are all the same text give no pair (rare): at most a few of 200
  assert.ok(a.test_prefs.length <= 50 && a.test_prefs.length >= 45, `${a.test_prefs.length}`);
  assert.ok(a.train_prefs.length <= 150 && a.train_prefs.length >= 140, `${a.train_prefs.length}`);
  assert.equal(a.multi.test.length, 50);
  const testPrompts = new Set(a.test_prefs.map((r) => r.prompt));
  for (const r of a.train_prefs) assert.ok(!testPrompts.has(r.prompt));
  for (const r of a.train_sft) assert.ok(!testPrompts.has(r.prompt));
  for (const r of a.train_prefs) {
    assert.notEqual(r.chosen[1]!.content, r.rejected[1]!.content);
    const multi = a.multi.train.find((m) => m.prompt === r.prompt)!;
    assert.equal(r.prompt, multi.prompt);
    assert.equal(r.score_chosen, Math.max(...multi.completions.map((c) => c.score)));
    assert.ok(r.score_chosen >= r.score_rejected);
    assert.equal(r.prompt_id, createHash('sha256').update(r.prompt).digest('hex'));
    assert.deepEqual(r.chosen[0], { role: 'user', content: r.prompt });
    assert.equal(r.chosen[1]!.role, 'assistant');
    assert.deepEqual(r.messages, r.chosen);
    assert.equal(task.reward(r.prompt, r.chosen[1]!.content), multi.completions.find((c) => c.response === r.chosen[1]!.content)!.exact);
  }
});

test('binarize: rejected is uniform over the others; judge noise and rounding', () => {
  const row: MultiResponseRow = { prompt: 'p', prompt_id: 'x', completions: [3, 9, 5, 1].map((s, i) => ({ model: `m${i}`, response: `r${i}`, score: s, exact: s, attributes: {} })) };
  const rng = new Rng(1);
  const counts = new Map<string, number>();
  for (let i = 0; i < 3000; i++) {
    const h = binarize(row, rng)!;
    assert.equal(h.chosen[1]!.content, 'r1');
    counts.set(h.rejected[1]!.content, (counts.get(h.rejected[1]!.content) ?? 0) + 1);
  }
  assert.deepEqual([...counts.keys()].sort(), ['r0', 'r2', 'r3']);
  const same: MultiResponseRow = { ...row, completions: row.completions.map((c) => ({ ...c, response: 'same' })) };
  assert.equal(binarize(same, rng), null);
  // each of 3 others expected 1000 times; binomial sd ~26, allow 5 sd
  for (const v of counts.values()) assert.ok(Math.abs(v - 1000) < 130, `count ${v}`);
  assert.equal(judgeScore(7.4, { round: 1 }, rng), 7);
  assert.equal(judgeScore(7.4, { round: 0.5 }, rng), 7.5);
  assert.equal(judgeScore(7.4, { round: 0 }, rng), 7.4);
  assert.equal(judgeScore(12, {}, rng), 10);
  const noisy = Array.from({ length: 4000 }, () => judgeScore(5, { noise: 1, round: 0 }, rng));
  // mean of 4000 N(5,1) draws: sd of the mean 0.016, allow 5 sd
  assert.ok(Math.abs(mean(noisy) - 5) < 0.08);
});

test('SFT rows carry the judge score of their response: exact when noise-free, noisy otherwise', () => {
  const task = getTask('sort');
  const exact = generateTaskData(task, { numPrompts: 40, numSftPrompts: 200, seed: 5 });
  for (const r of exact.train_sft) assert.equal(r.score, Math.min(10, Math.max(1, Math.round(task.reward(r.prompt, r.messages[1]!.content)))));
  const noisy = generateTaskData(task, { numPrompts: 40, numSftPrompts: 200, seed: 5, judge: { noise: 2, round: 1 } });
  // Same prompts and responses (the judge draws from its own stream); scores differ on many rows, stay integers 1-10.
  assert.deepEqual(noisy.train_sft.map((r) => r.messages), exact.train_sft.map((r) => r.messages));
  const differ = noisy.train_sft.filter((r, i) => r.score !== exact.train_sft[i]!.score).length;
  assert.ok(differ > 60, `noise 2 changed only ${differ}/200 scores`);
  for (const r of noisy.train_sft) assert.ok(Number.isInteger(r.score) && r.score >= 1 && r.score <= 10);
});

test('judgeAgreement: 1 for the exact judge, falls with noise; hand-checked on a small case', () => {
  const task = getTask('sort');
  const at = (noise: number) => judgeAgreement(generateTaskData(task, { numPrompts: 400, seed: 3, judge: { noise, round: 1 } }).multi.train);
  assert.equal(at(0), 1);
  const a1 = at(1), a2 = at(2);
  assert.ok(a1 < 1 && a2 < a1 && a2 > 0.6, `agreement ${a1} ${a2}`);
  // Exact 9, 7, 7 judged 8, 8, 6: pair (9,7a) judge tie = 1/2; (9,7b) agrees = 1; (7a,7b) skipped (exact tie) -> 0.75.
  const row = { completions: [{ exact: 9, score: 8 }, { exact: 7, score: 8 }, { exact: 7, score: 6 }] } as unknown as MultiResponseRow;
  assert.equal(judgeAgreement([row]), 0.75);
});
