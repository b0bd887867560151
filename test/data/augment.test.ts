import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { augmentPairs, conditionPairs } from '../../src/data/augment.js';
import { GOAL, cli, h4Row, listDir, readJsonl, tmpDir, writeLines, EXAMPLES } from './helpers.js';

const sys = (s: string): { content: string; role: string } => ({ content: GOAL(s), role: 'system' });

test('H4 rows, system placement: the reference rule written out by hand (positives, then swapped negatives)', () => {
  const rows = [h4Row('P1', 'good', 'bad', 8.0, 5.5), h4Row('P2', 'fine', 'worse', 7, 3)];
  const out = augmentPairs(rows);
  assert.equal(out.length, 4);
  const u1 = { content: 'P1', role: 'user' };
  assert.deepEqual(out[0], {
    prompt: 'P1', prompt_id: 'id-P1',
    chosen: [sys('8'), u1, { content: 'good', role: 'assistant' }],
    rejected: [sys('8'), u1, { content: 'bad', role: 'assistant' }],
    messages: [u1, { content: 'good', role: 'assistant' }],
    score_chosen: 8, score_rejected: 5.5, goal: 8,
  });
  assert.equal((out[1] as { prompt: string }).prompt, 'P2');
  // Negative copy of P1: goal = rejected's score 5.5, chosen/rejected swapped, score columns swapped too.
  assert.deepEqual(out[2], {
    prompt: 'P1', prompt_id: 'id-P1',
    chosen: [sys('5.5'), u1, { content: 'bad', role: 'assistant' }],
    rejected: [sys('5.5'), u1, { content: 'good', role: 'assistant' }],
    messages: [u1, { content: 'good', role: 'assistant' }],
    score_chosen: 5.5, score_rejected: 8, goal: 5.5,
  });
  assert.equal((out[3] as { goal: number }).goal, 3);
});

test('prompt placement: goal + blank line before the first user turn; negatives swapped (not the reference bug)', () => {
  const [pos, neg] = augmentPairs([h4Row('P', 'a', 'b', 9, 2)], { placement: 'prompt' });
  assert.deepEqual(pos!.chosen, [{ content: `${GOAL('9')}\n\nP`, role: 'user' }, { content: 'a', role: 'assistant' }]);
  assert.deepEqual(pos!.rejected, [{ content: `${GOAL('9')}\n\nP`, role: 'user' }, { content: 'b', role: 'assistant' }]);
  assert.deepEqual(neg!.chosen, [{ content: `${GOAL('2')}\n\nP`, role: 'user' }, { content: 'b', role: 'assistant' }]);
  assert.deepEqual(neg!.rejected, [{ content: `${GOAL('2')}\n\nP`, role: 'user' }, { content: 'a', role: 'assistant' }]);
});

test('an existing system message is merged (goal, blank line, old text), never doubled', () => {
  const row = { prompt: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Q' }], chosen: [{ role: 'assistant', content: 'A' }], rejected: [{ role: 'assistant', content: 'B' }], score_chosen: 6, score_rejected: 4 };
  const [pos] = augmentPairs([row]);
  assert.deepEqual(pos!.prompt, [{ role: 'system', content: `${GOAL('6')}\n\nBe brief.` }, { role: 'user', content: 'Q' }]);
  assert.deepEqual(pos!.chosen, [{ role: 'assistant', content: 'A' }]);
});

test('TRL standard strings with metadata scores: system placement becomes conversational, prompt placement stays text', () => {
  const row = { prompt: 'Q?', chosen: 'yes', rejected: 'no', metadata: { score_chosen: 9.0, score_rejected: 4.0 } };
  const [pos, neg] = augmentPairs([row]);
  assert.deepEqual(pos!.prompt, [{ role: 'system', content: GOAL('9') }, { role: 'user', content: 'Q?' }]);
  assert.deepEqual(pos!.chosen, [{ role: 'assistant', content: 'yes' }]);
  assert.deepEqual(neg!.chosen, [{ role: 'assistant', content: 'no' }]);
  assert.deepEqual(neg!.metadata, { score_chosen: 4, score_rejected: 9 });
  const [p2] = augmentPairs([row], { placement: 'prompt' });
  assert.equal(p2!.prompt, `${GOAL('9')}\n\nQ?`);
  assert.equal(p2!.chosen, 'yes');
});

test('ties kept by default (same goal on both copies), dropped on request; fine-grained filter on the reference variant', () => {
  const rows = [h4Row('T', 'x', 'y', 7, 7), h4Row('U', 'x', 'y', 8, 6)];
  const kept = augmentPairs(rows);
  assert.equal(kept.length, 4);
  assert.deepEqual([kept[0]!.goal, kept[2]!.goal], [7, 7]);
  assert.equal(augmentPairs(rows, { ties: 'drop' }).length, 2);
  const ref = (p: string, fc: number[], fr: number[]): Record<string, unknown> => ({ ...h4Row(p, 'x', 'y', 8, 6), overall_score_chosen: 8, overall_score_rejected: 6, fine_grain_score_chosen: fc, fine_grain_score_rejected: fr, avg_fine_score_chosen: fc.reduce((a, b) => a + b) / 4, avg_fine_score_rejected: fr.reduce((a, b) => a + b) / 4 });
  const refRows = [ref('A', [5, 5, 5, 5], [2, 2, 2, 2]), ref('B', [2, 2, 2, 2], [3, 3, 3, 3]), ref('C', [3, 3, 3, 3], [3, 3, 3, 3])];
  assert.deepEqual(augmentPairs(refRows).map((r) => r.prompt), ['A', 'C', 'A', 'C']); // B: mean 2 < 3, dropped
  assert.equal(augmentPairs(refRows, { fine_grained_filter: false }).length, 6);
  // Multi-attribute goals read from the reference's fine_grain_score lists.
  const [pos, , neg] = augmentPairs(refRows, { attributes: ['helpfulness', 'honesty'], score_scale: [1, 5] });
  assert.deepEqual(pos!.goal, { helpfulness: 5, honesty: 5 });
  assert.deepEqual(neg!.goal, { helpfulness: 2, honesty: 2 });
  assert.match((pos!.chosen as { content: string }[])[0]!.content, /scale of 1-5.*\nHelpfulness score: 5\.\nHonesty score: 5\.$/s);
});

test('seeded shuffle: a permutation of the reference order, same seed same order', () => {
  const rows = Array.from({ length: 20 }, (_, i) => h4Row(`P${i}`, 'a', 'b', 9, 1 + (i % 8)));
  const ref = augmentPairs(rows).map((r) => JSON.stringify(r)).sort();
  const s1 = augmentPairs(rows, { order: 'shuffle', seed: 7 }).map((r) => JSON.stringify(r));
  const s2 = augmentPairs(rows, { order: 'shuffle', seed: 7 }).map((r) => JSON.stringify(r));
  assert.deepEqual(s1, s2);
  assert.deepEqual([...s1].sort(), ref);
  assert.notDeepEqual(s1, augmentPairs(rows).map((r) => JSON.stringify(r)));
});

test('goal rescaling and eval conditioning on a chosen goal', () => {
  const [pos, neg] = augmentPairs([h4Row('P', 'a', 'b', 10, 1)], { goal_scale: [0, 100] });
  assert.equal(pos!.goal, 100); assert.equal(neg!.goal, 0);
  assert.match((pos!.chosen as { content: string }[])[0]!.content, /on a scale of 0-100, where 0 is lowest and 100 is highest\):\nOverall score: 100\.$/);
  const [ev] = conditionPairs([h4Row('P', 'a', 'b', 6, 3)], 10);
  assert.deepEqual((ev!.chosen as unknown[])[0], sys('10'));
  assert.deepEqual((ev!.chosen as { content: string }[])[2]!.content, 'a'); // not swapped
});

test('CLI streaming output equals the in-memory rows; the bundled sample gives 240 rows starting with the system goal', async () => {
  const dir = tmpDir();
  const out = path.join(dir, 'aug.jsonl');
  const r = await cli(['augment', path.join(EXAMPLES, 'ultrafeedback_sample.jsonl'), '-o', out, '--placement', 'system']);
  assert.equal(r.code, 0, r.stderr);
  const got = readJsonl(out);
  const want = augmentPairs(readJsonl(path.join(EXAMPLES, 'ultrafeedback_sample.jsonl')));
  assert.equal(got.length, 240);
  assert.deepEqual(got, want);
  for (const row of got) {
    for (const side of ['chosen', 'rejected'] as const) {
      const first = (row[side] as { role: string; content: string }[])[0]!;
      assert.equal(first.role, 'system');
      assert.ok(first.content.startsWith('You are an assistant that generates responses'));
    }
  }
  assert.deepEqual(listDir(dir), ['aug.jsonl']);
  // Shuffled streaming output: same multiset of rows, seeded order.
  const sh = path.join(dir, 'sh.jsonl');
  assert.equal((await cli(['augment', path.join(EXAMPLES, 'ultrafeedback_sample.jsonl'), '-o', sh, '--order', 'shuffle', '--seed', '3'])).code, 0);
  const shRows = readJsonl(sh).map((x) => JSON.stringify(x));
  assert.deepEqual([...shRows].sort(), got.map((x) => JSON.stringify(x)).sort());
  assert.notDeepEqual(shRows, got.map((x) => JSON.stringify(x)));
  fs.rmSync(dir, { recursive: true });
});

test('eval file: copied un-augmented by default, or conditioned on --eval_goal', async () => {
  const dir = tmpDir();
  const train = writeLines(path.join(dir, 'train.jsonl'), [h4Row('A', 'x', 'y', 8, 2)]);
  const ev = writeLines(path.join(dir, 'test.jsonl'), [h4Row('E', 'x', 'y', 5, 4)]);
  assert.equal((await cli(['augment', train, '-o', path.join(dir, 'out.jsonl'), '--eval', ev])).code, 0);
  assert.deepEqual(readJsonl(path.join(dir, 'out.eval.jsonl')), readJsonl(ev));
  assert.equal((await cli(['augment', train, '-o', path.join(dir, 'out2.jsonl'), '--eval', ev, '--eval_goal', '10', '--eval_output', path.join(dir, 'ev10.jsonl')])).code, 0);
  const e10 = readJsonl(path.join(dir, 'ev10.jsonl'));
  assert.deepEqual((e10[0]!.chosen as unknown[])[0], sys('10'));
  assert.equal(e10[0]!.goal, 10);
  fs.rmSync(dir, { recursive: true });
});

test('field mapping with dotted paths: custom rows, scores under meta', async () => {
  const dir = tmpDir();
  const f = writeLines(path.join(dir, 'c.jsonl'), [{ q: 'Q', a: 'A', b: 'B', meta: { s1: 8, s2: 2 } }]);
  const bad = await cli(['augment', f, '-o', path.join(dir, 'o.jsonl')]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /cannot tell the schema.*--field_map/);
  const r = await cli(['augment', f, '-o', path.join(dir, 'o.jsonl'), '--schema', 'custom', '--field_map', 'prompt=q,chosen=a,rejected=b,score_chosen=meta.s1,score_rejected=meta.s2']);
  assert.equal(r.code, 0, r.stderr);
  const [pos, neg] = readJsonl(path.join(dir, 'o.jsonl'));
  assert.deepEqual(pos!.q, [{ role: 'system', content: GOAL('8') }, { role: 'user', content: 'Q' }]);
  assert.deepEqual(pos!.a, [{ role: 'assistant', content: 'A' }]);
  assert.deepEqual(neg!.a, [{ role: 'assistant', content: 'B' }]);
  assert.equal(neg!.goal, 2);
  assert.equal((await cli(['augment', f, '-o', path.join(dir, 'o.jsonl.gz')])).code, 2);
  fs.rmSync(dir, { recursive: true });
});
