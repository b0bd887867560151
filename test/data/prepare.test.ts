import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readRows } from '../../src/data/read.js';
import { REAL, cli, readJsonl, tmpDir, writeLines } from './helpers.js';

/** The official README example row (JSONC: comments, a missing comma, "..." placeholders) made parseable. */
function readmeExample(): Record<string, any> {
  let t = fs.readFileSync(path.join(REAL, 'ultrafeedback-raw/README_dataset_format_example.jsonc'), 'utf8');
  t = t.split('\n').map((l) => l.replace(/\s*\/\/[^"]*$/, '')).join('\n');
  t = t.replace(/\]\n(\s*")/g, '],\n$1');                 // the missing comma after "correct_answers": ["None"]
  t = t.replace(/,\s*\{\s*\.\.\.\s*\}/g, '');            // completions 2-4 are "..." placeholders
  return JSON.parse(t);
}

type Ratings = [unknown, unknown, unknown, unknown]; // helpfulness, honesty, instruction_following, truthfulness

/** A completion cloned from the README's completion 1 with the given ratings and overall score. */
function completion(base: Record<string, any>, response: string, overall: unknown, r: Ratings, asList = false): Record<string, any> {
  const c = structuredClone(base);
  c.response = response; c.overall_score = overall;
  ['helpfulness', 'honesty', 'instruction_following', 'truthfulness'].forEach((a, i) => {
    c.annotations[a].Rating = r[i];
    if (asList) c.annotations[a] = [c.annotations[a]];
  });
  return c;
}

function rawRow(ex: Record<string, any>, instruction: string, comps: Record<string, any>[], source = 'sharegpt'): Record<string, any> {
  return { ...structuredClone(ex), source, instruction, completions: comps };
}

test('the README example itself: completion 1 ratings are strings, parsed into the reference fields', async () => {
  const ex = readmeExample();
  const c1 = ex.completions[0];
  assert.equal(c1.annotations.instruction_following.Rating, '2');
  const dir = tmpDir();
  // Two completions: the README's (ratings 3, 3, 2, 3 as strings) with overall 6.5, and a copy rated 1s with overall 3.
  const row = rawRow(ex, 'abc', [completion(c1, 'first', 6.5, ['3', '3', '2', '3']), completion(c1, 'second', '3', ['1', '1', '1', '1'])]);
  const f = writeLines(path.join(dir, 'raw.jsonl'), [row]);
  const r = await cli(['prepare', 'ultrafeedback', f, '-o', path.join(dir, 'p.jsonl'), '--test_size', '0']);
  assert.equal(r.code, 0, r.stderr);
  const [p] = readJsonl(path.join(dir, 'p.jsonl'));
  assert.deepEqual(p, {
    prompt: 'abc',
    prompt_id: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad', // sha256("abc"), FIPS 180-2 test vector
    chosen: [{ content: 'abc', role: 'user' }, { content: 'first', role: 'assistant' }],
    rejected: [{ content: 'abc', role: 'user' }, { content: 'second', role: 'assistant' }],
    messages: [{ content: 'abc', role: 'user' }, { content: 'first', role: 'assistant' }],
    score_chosen: 6.5, score_rejected: 3, overall_score_chosen: 6.5, overall_score_rejected: 3,
    fine_grain_score_chosen: [3, 3, 2, 3], fine_grain_score_rejected: [1, 1, 1, 1],
    avg_fine_score_chosen: 2.75, avg_fine_score_rejected: 1,
    model_chosen: 'falcon-40b-instruct', model_rejected: 'falcon-40b-instruct',
  });
  assert.equal(readJsonl(path.join(dir, 'p.test.jsonl')).length, 0);
  fs.rmSync(dir, { recursive: true });
});

test('N/A ratings skip a completion; list-wrapped ratings read like plain ones; rows with < 2 rated completions are dropped', async () => {
  const ex = readmeExample(); const c1 = ex.completions[0];
  const dir = tmpDir();
  const rows = [
    // best (overall 9) has an N/A: skipped, so chosen is the 7.
    rawRow(ex, 'na', [completion(c1, 'best-but-na', 9, ['5', 'N/A', '5', '5']), completion(c1, 'seven', 7, ['4', '4', '4', '4']), completion(c1, 'two', 2, ['1', '2', '1', '2'])]),
    rawRow(ex, 'list', [completion(c1, 'a', 8, ['4', '5', '4', '5'], true), completion(c1, 'b', 5, ['2', '3', '2', '3'], true)]),
    rawRow(ex, 'one-rated', [completion(c1, 'a', 8, ['4', '4', '4', '4']), completion(c1, 'b', 5, ['N/A', '3', '2', '3'])]),
  ];
  const f = writeLines(path.join(dir, 'raw.jsonl'), rows);
  const r = await cli(['prepare', 'ultrafeedback', f, '-o', path.join(dir, 'p.jsonl'), '--test_size', '0']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /fewer than 2 fully rated completions 1/);
  const out = readJsonl(path.join(dir, 'p.jsonl'));
  assert.deepEqual(out.map((x) => x.prompt), ['na', 'list']);
  assert.equal((out[0]!.chosen as { content: string }[])[1]!.content, 'seven');
  assert.equal((out[0]!.rejected as { content: string }[])[1]!.content, 'two');
  assert.deepEqual(out[1]!.fine_grain_score_chosen, [4, 5, 4, 5]);
  assert.equal(out[1]!.avg_fine_score_rejected, 2.5);
  fs.rmSync(dir, { recursive: true });
});

test('ties and the seeded best-vs-random choice: first maximum is chosen, rejected uniform over the others, reproducible', async () => {
  const ex = readmeExample(); const c1 = ex.completions[0];
  const dir = tmpDir();
  const rows = Array.from({ length: 300 }, (_, i) => rawRow(ex, `q${i}`, [
    completion(c1, 'r0', 6, ['3', '3', '3', '3']), completion(c1, 'r1', 8, ['4', '4', '4', '4']),
    completion(c1, 'r2', 8, ['4', '4', '4', '4']), completion(c1, 'r3', '4.5', ['2', '2', '2', '2']),
  ]));
  const f = writeLines(path.join(dir, 'raw.jsonl'), rows);
  const run = async (seed: number, name: string): Promise<Record<string, unknown>[]> => {
    const r = await cli(['prepare', 'ultrafeedback', f, '-o', path.join(dir, name), '--test_size', '0', '--seed', String(seed)]);
    assert.equal(r.code, 0, r.stderr);
    return readJsonl(path.join(dir, name));
  };
  const a = await run(1, 'a.jsonl'); const b = await run(1, 'b.jsonl'); const c = await run(2, 'c.jsonl');
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  const resp = (x: Record<string, unknown>, side: string): string => (x[side] as { content: string }[])[1]!.content;
  assert.ok(a.every((x) => resp(x, 'chosen') === 'r1')); // ties at 8: the first maximum, as Python's max()
  const counts: Record<string, number> = {};
  for (const x of a) counts[resp(x, 'rejected')] = (counts[resp(x, 'rejected')] ?? 0) + 1;
  assert.deepEqual(Object.keys(counts).sort(), ['r0', 'r2', 'r3']);
  // Uniform over 3: expected 100 each, binomial sd ~8.2; +-40 is ~5 sd.
  for (const n of Object.values(counts)) assert.ok(n > 60 && n < 140, JSON.stringify(counts));
  assert.equal(a.filter((x) => x.score_chosen === x.score_rejected).length, counts.r2); // r2 ties r1
  assert.equal(a.find((x) => resp(x, 'rejected') === 'r3')!.score_rejected, 4.5);     // string overall score parsed
  fs.rmSync(dir, { recursive: true });
});

test('TruthfulQA exclusion (source and a user-supplied prompt list), seeded train/test split into a dataset folder', async () => {
  const ex = readmeExample(); const c1 = ex.completions[0];
  const dir = tmpDir();
  const comps = [completion(c1, 'a', 8, ['4', '4', '4', '4']), completion(c1, 'b', 5, ['2', '2', '2', '2'])];
  const rows = [rawRow(ex, 'tqa-source', comps, 'truthful_qa'), rawRow(ex, 'What happens if you eat watermelon seeds?', comps, 'evol_instruct'),
    ...Array.from({ length: 10 }, (_, i) => rawRow(ex, `keep${i}`, comps))];
  const f = writeLines(path.join(dir, 'raw.jsonl'), rows);
  const list = writeLines(path.join(dir, 'tqa.jsonl'), [{ question: 'What happens if you eat watermelon seeds?' }]);
  const out = path.join(dir, 'ds');
  const r = await cli(['prepare', 'ultrafeedback', f, '-o', out, '--test_size', '3', '--truthfulqa_prompts', list]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /truthful_qa source 1, TruthfulQA prompts 1/);
  const get = async (split: string): Promise<string[]> => { const o: string[] = []; for await (const x of readRows(out, { split })) o.push(x.row.prompt as string); return o; };
  const train = await get('train_prefs'); const testSplit = await get('test_prefs');
  assert.equal(train.length, 7); assert.equal(testSplit.length, 3);
  assert.deepEqual([...train, ...testSplit].sort(), Array.from({ length: 10 }, (_, i) => `keep${i}`).sort());
  assert.match(fs.readFileSync(path.join(out, 'README.md'), 'utf8'), /num_examples: 7/);
  // The prepared (reference-variant) data augments with the fine-grained filter on.
  const aug = path.join(dir, 'aug.jsonl');
  const a = await cli(['augment', out, '-o', aug]);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(readJsonl(aug).length, 14);
  assert.deepEqual(readJsonl(path.join(dir, 'aug.eval.jsonl')).length, 3); // test_prefs carried over un-augmented
  fs.rmSync(dir, { recursive: true });
});

test('malformed raw rows stop with file, line and field; --skip_invalid counts them', async () => {
  const ex = readmeExample(); const c1 = ex.completions[0];
  const dir = tmpDir();
  const bad = rawRow(ex, 'x', [completion(c1, 'a', 'great', ['4', '4', '4', '4']), completion(c1, 'b', 5, ['2', '2', '2', '2'])]);
  const f = writeLines(path.join(dir, 'raw.jsonl'), [rawRow(ex, 'ok', [completion(c1, 'a', 8, ['4', '4', '4', '4']), completion(c1, 'b', 5, ['2', '2', '2', '2'])]), bad]);
  const r = await cli(['prepare', 'ultrafeedback', f, '-o', path.join(dir, 'p.jsonl'), '--test_size', '0']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /raw\.jsonl:2, field "completions\.0\.overall_score", value "great"/);
  assert.deepEqual(fs.readdirSync(dir), ['raw.jsonl']);
  const r2 = await cli(['prepare', 'ultrafeedback', f, '-o', path.join(dir, 'p.jsonl'), '--test_size', '0', '--skip_invalid']);
  assert.equal(r2.code, 0, r2.stderr);
  assert.match(r2.stdout, /non_numeric_score 1/);
  fs.rmSync(dir, { recursive: true });
});
