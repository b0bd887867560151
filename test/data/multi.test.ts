import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { goalPairs } from '../../src/data/multi.js';
import { Rng } from '../../src/util/rng.js';
import type { ScoredResponse } from '../../src/data/responses.js';
import { GOAL, cli, readJsonl, tmpDir, writeLines } from './helpers.js';

const resp = (response: string, score: number): ScoredResponse => ({ response, score, attributes: {}, complete: true });

test('goal pairs: one per distinct score, chosen scores the goal, rejected is the farthest (hand-checked)', () => {
  const rs = [resp('a', 9), resp('b', 6), resp('c', 2), resp('d', 6)];
  const got = goalPairs(rs, 10, new Rng(1)).map((p) => [p.goal, p.chosen.response, p.rejected.response]);
  // goal 2: chosen c, farthest is a (|9-2| = 7); goal 6: chosen b or d, farthest c (4 > 3); goal 9: chosen a, farthest c.
  assert.equal(got.length, 3);
  assert.deepEqual(got[0], [2, 'c', 'a']);
  assert.ok(got[1]![1] === 'b' || got[1]![1] === 'd');
  assert.deepEqual([got[1]![0], got[1]![2]], [6, 'c']);
  assert.deepEqual(got[2], [9, 'a', 'c']);
  assert.equal(goalPairs([resp('x', 5), resp('y', 5)], 4, new Rng(1)).length, 0); // one distinct score: no preference
  assert.equal(goalPairs(Array.from({ length: 8 }, (_, i) => resp(`r${i}`, i)), 3, new Rng(1)).length, 3); // per-prompt cap
});

test('HelpSteer2 multi-response augmentation and all-pairs / weighted preparation', async () => {
  const dir = tmpDir();
  const row = (p: string, r: string, h: number, c: number): Record<string, unknown> => ({ prompt: p, response: r, helpfulness: h, correctness: c, coherence: 4, complexity: 2, verbosity: 1 });
  const f = writeLines(path.join(dir, 'hs.jsonl'), [row('P', 'r0', 4, 4), row('P', 'r1', 2, 0), row('P', 'r2', 0, 1), row('Q', 'q0', 3, 3)]);
  const r = await cli(['augment', f, '-o', path.join(dir, 'm.jsonl'), '--multi_response', '--score_scale', '0-4']);
  assert.equal(r.code, 0, r.stderr);
  const rows = readJsonl(path.join(dir, 'm.jsonl'));
  const got = rows.map((x) => [x.goal, (x.chosen as { content: string }[])[2]!.content, (x.rejected as { content: string }[])[2]!.content]);
  // Q has one response: no pairs. Goal 2: r0 and r2 are both 2 away, a seeded choice.
  assert.deepEqual(got[0], [0, 'r2', 'r0']);
  assert.deepEqual(got[1]!.slice(0, 2), [2, 'r1']);
  assert.ok(got[1]![2] === 'r0' || got[1]![2] === 'r2');
  assert.deepEqual(got[2], [4, 'r0', 'r2']);
  assert.equal(got.length, 3);
  const head = (s: string): string => GOAL(s).replace('1-10, where 1', '0-4, where 0').replace('10 is highest', '4 is highest');
  assert.deepEqual((rows[0]!.chosen as unknown[])[0], { content: head('0'), role: 'system' });
  const all = await cli(['prepare', 'helpsteer2', f, '-o', path.join(dir, 'all.jsonl'), '--pairs', 'all', '--weights', 'helpfulness=1,correctness=0.5']);
  assert.equal(all.code, 0, all.stderr);
  // weighted: r0 = 6, r1 = 2, r2 = 0.5 -> pairs (r0>r1), (r0>r2), (r1>r2)
  assert.deepEqual(readJsonl(path.join(dir, 'all.jsonl')).map((x) => [x.score_chosen, x.score_rejected]), [[6, 2], [6, 0.5], [2, 0.5]]);
  fs.rmSync(dir, { recursive: true });
});

test('inspect: schema, counts, histogram, tie rate, lengths, invalid rows', async () => {
  const dir = tmpDir();
  const h4 = (p: string, c: string, r: string, sc: number, sr: number): Record<string, unknown> => ({ prompt: p, prompt_id: p, chosen: [{ content: p, role: 'user' }, { content: c, role: 'assistant' }], rejected: [{ content: p, role: 'user' }, { content: r, role: 'assistant' }], score_chosen: sc, score_rejected: sr });
  const f = writeLines(path.join(dir, 'x.jsonl'), [h4('ab', 'abcd', 'x', 8, 8), h4('cd', 'ab', 'xyz', 9, 4), h4('ef', 'same', 'same', 5, 3), '{bad']);
  const r = await cli(['inspect', f, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const rep = JSON.parse(r.stdout);
  const s = rep.splits[0];
  assert.equal(s.schema, 'ultrafeedback-binarized');
  assert.equal(s.rows, 4); assert.equal(s.valid, 2);
  assert.deepEqual(s.invalid, { identical_responses: 1, malformed_json: 1 });
  assert.equal(s.tie_rate, 0.5);
  assert.deepEqual(s.scores.chosen, [[8, 1], [9, 1]]);
  assert.deepEqual(s.lengths.chosen, { mean: 3, median: 4, p95: 4, max: 4 });
  const text = await cli(['inspect', f]);
  assert.match(text.stdout, /schema ultrafeedback-binarized, 4 rows, 2 valid, 2 invalid/);
  assert.match(text.stdout, /tie rate: 50\.0%/);
  fs.rmSync(dir, { recursive: true });
});
