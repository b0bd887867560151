import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readRows } from '../../src/data/read.js';
import { readPreferencePairs, readPrompts } from '../../src/data/pairs.js';
import { inspectDataset } from '../../src/data/inspect.js';
import { GOAL, REAL, cli, readJsonl, tmpDir } from './helpers.js';

async function count(file: string): Promise<number> { let n = 0; for await (const _ of readRows(file)) n++; return n; }
async function pairs(file: string, bad: number[] = []): Promise<Record<string, unknown>[]> {
  const o = [];
  for await (const p of readPreferencePairs(file, { onInvalid: (e) => { bad.push(e.location.line as number); } })) o.push(p);
  return o;
}

test('HH-RLHF: 200-line excerpt and the 2312-row gzip parse; the first dialogue splits into prompt turns and final answers', async () => {
  const first200 = path.join(REAL, 'hh-rlhf/harmless-base_test.first200.jsonl');
  const gz = path.join(REAL, 'hh-rlhf/harmless-base_test.jsonl.gz');
  // Rows whose final Assistant turn is empty (found independently with Python's str.split): 87 in the excerpt;
  // 87, 517, 926, 1104 in the whole file (SOURCE.md: 2312 records).
  const bad200: number[] = []; const badAll: number[] = [];
  const a = await pairs(first200, bad200);
  assert.deepEqual(bad200, [87]);
  assert.equal(a.length, 199);
  assert.equal(await count(gz), 2312);
  assert.equal((await pairs(gz, badAll)).length, 2308);
  assert.deepEqual(badAll, [87, 517, 926, 1104]);
  const raw = readJsonl(first200)[0] as { chosen: string; rejected: string };
  const p = a[0] as { prompt: { role: string; content: string }[]; chosen: { role: string; content: string }[]; rejected: { role: string; content: string }[] };
  assert.deepEqual(p.prompt.slice(0, 3), [
    { role: 'user', content: 'what are some pranks with a pen i can do?' },
    { role: 'assistant', content: 'Are you looking for practical joke ideas?' },
    { role: 'user', content: 'yep' },
  ]);
  assert.equal(p.prompt.at(-1)!.content, 'okay some of these do not have anything to do with pens');
  // The final answers are the text after the last "\n\nAssistant: " of each string (checked with split, independently of the parser).
  assert.deepEqual(p.chosen, [{ role: 'assistant', content: raw.chosen.split('\n\nAssistant: ').at(-1) }]);
  assert.deepEqual(p.rejected, [{ role: 'assistant', content: raw.rejected.split('\n\nAssistant: ').at(-1) }]);
  // HH has no scores: augment says which field is missing.
  const dir = tmpDir();
  const r = await cli(['augment', first200, '-o', path.join(dir, 'o.jsonl')]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /first200\.jsonl:1, field "score_chosen".*\[missing_field\]/);
  fs.rmSync(dir, { recursive: true });
});

test('TRL standard (200 rows, scores under metadata): augmenting gives the hand-checked first rows; the one identical pair is rejected', async () => {
  const file = path.join(REAL, 'trl-standard/trl-lib_ultrafeedback_binarized_eval_clean_200.jsonl');
  const raw = readJsonl(file) as { prompt: string; chosen: string; rejected: string; source_index: number; metadata: { score_chosen: number; score_rejected: number } }[];
  const dir = tmpDir();
  const out = path.join(dir, 'aug.jsonl');
  const stop = await cli(['augment', file, '-o', out]);
  assert.equal(stop.code, 1);
  assert.match(stop.stderr, /_200\.jsonl:44, field "chosen", value "sarcastic": chosen and rejected are identical/);
  const r = await cli(['augment', file, '-o', out, '--skip_invalid']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /1 invalid row\(s\) skipped: identical_responses 1/);
  const rows = readJsonl(out);
  assert.equal(rows.length, 2 * 199);
  const r0 = raw[0]!; // metadata {score_chosen: 9.0, score_rejected: 7.0}
  assert.deepEqual(rows[0], {
    prompt: [{ role: 'system', content: GOAL('9') }, { role: 'user', content: r0.prompt }],
    chosen: [{ role: 'assistant', content: r0.chosen }],
    rejected: [{ role: 'assistant', content: r0.rejected }],
    source_index: r0.source_index, metadata: { score_chosen: 9, score_rejected: 7 }, goal: 9,
  });
  assert.deepEqual(rows[199], {
    prompt: [{ role: 'system', content: GOAL('7') }, { role: 'user', content: r0.prompt }],
    chosen: [{ role: 'assistant', content: r0.rejected }],
    rejected: [{ role: 'assistant', content: r0.chosen }],
    source_index: r0.source_index, metadata: { score_chosen: 7, score_rejected: 9 }, goal: 7,
  });
  // inspect: histogram and tie rate as Python's collections.Counter gives them over the 199 valid rows.
  const rep = (await inspectDataset(file)).splits[0]!;
  assert.deepEqual((rep.scores as { chosen: [number, number][] }).chosen, [[2, 2], [4, 4], [5, 4], [6, 10], [6.5, 3], [7, 22], [7.5, 31], [8, 31], [8.5, 63], [9, 24], [9.5, 2], [10, 3]]);
  assert.equal(rep.tie_rate, 24 / 199);
  // Ties (e.g. 9.0 vs 9.0) keep one goal on both copies; --ties drop removes them.
  const ties = raw.filter((x, i) => i !== 43 && x.metadata.score_chosen === x.metadata.score_rejected).length;
  const r2 = await cli(['augment', file, '-o', out, '--skip_invalid', '--ties', 'drop']);
  assert.equal(r2.code, 0);
  assert.equal(readJsonl(out).length, 2 * (199 - ties));
  fs.rmSync(dir, { recursive: true });
});

test('TRL conversational implicit (H4 chosen/rejected, 2 x 500 rows): parse; invalid rows counted as Python counts them', async () => {
  for (const [name, identical, empty] of [['test', 11, 2], ['train', 1, 2]] as const) {
    const file = path.join(REAL, `trl-conversational-implicit/ultrafeedback_binarized_${name}_prefs_first500.chosen_rejected.jsonl`);
    assert.equal(await count(file), 500);
    const rep = await inspectDataset(file);
    const s = rep.splits[0]!;
    assert.equal(s.schema, 'trl-conversational-implicit');
    // Counted independently with Python: chosen == rejected, and an empty last assistant turn.
    assert.equal(s.invalid.identical_responses, identical);
    assert.equal(s.invalid.empty_response, empty);
    assert.equal(s.valid, 500 - identical - empty);
    assert.equal(s.scores, undefined); // this excerpt dropped the score columns
  }
  const file = path.join(REAL, 'trl-conversational-implicit/ultrafeedback_binarized_train_prefs_first500.chosen_rejected.jsonl');
  const it = readPreferencePairs(file);
  const first = (await it.next()).value as { prompt: { role: string; content: string }[]; chosen: unknown[] };
  const raw = readJsonl(file)[0] as { chosen: { role: string; content: string }[] };
  assert.deepEqual(first.prompt, [raw.chosen[0]]);
  assert.deepEqual(first.chosen, [raw.chosen[1]]);
});

test('HelpSteer2: 10 original rows (10 prompts, no pairs) and 8 SteerLM rows (4 prompts) prepare into pairs', async () => {
  const dir = tmpDir();
  const hs = path.join(REAL, 'helpsteer2/helpsteer2_sample_10.jsonl');
  const r = await cli(['prepare', 'helpsteer2', hs, '-o', path.join(dir, 'hs.jsonl')]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /10 rows, 10 prompts -> 0 pairs/);
  const nemo = path.join(REAL, 'helpsteer2/nemo-aligner_test-rm.regression-format.jsonl');
  const r2 = await cli(['prepare', 'helpsteer2', nemo, '-o', path.join(dir, 'nemo.jsonl')]);
  assert.equal(r2.code, 0, r2.stderr);
  // helpfulness = label[4]: (4,2), (4,1), (2,0), (4,4) -> 3 pairs, the tie dropped by default.
  const rows = readJsonl(path.join(dir, 'nemo.jsonl'));
  assert.deepEqual(rows.map((x) => [x.score_chosen, x.score_rejected]), [[4, 2], [4, 1], [2, 0]]);
  assert.equal((rows[0]!.chosen as { content: string }[])[0]!.content, 'explain master slave replication nsql');
  fs.rmSync(dir, { recursive: true });
});

test('evaluation prompt sets parse as prompt sets (MT-Bench, Arena-Hard, AlpacaEval JSON array, IFEval) with SOURCE.md counts', async () => {
  const want: [string, number][] = [
    ['mt-bench/question.jsonl', 80], ['mt-bench/vicuna_bench_question.jsonl', 80],
    ['arena-hard/arena-hard-v0.1_question.jsonl', 500], ['arena-hard/arena-hard-v2.0_question.jsonl', 750],
    ['alpaca-eval/gpt4_1106_preview_model_outputs.json', 805], ['ifeval/input_data.jsonl', 541],
  ];
  for (const [f, n] of want) {
    const items = [];
    for await (const p of readPrompts(path.join(REAL, 'eval-prompts', f))) items.push(p);
    assert.equal(items.length, n, f);
    assert.ok(items.every((p) => typeof p.prompt === 'string' && p.prompt.length > 0), f);
  }
  // The other two MT-Bench files are not prompt sets but must parse as rows.
  assert.equal(await count(path.join(REAL, 'eval-prompts/mt-bench/reference_answer_gpt-4.jsonl')), 30);
  assert.equal(await count(path.join(REAL, 'eval-prompts/mt-bench/judge_prompts.jsonl')), 8);
});
