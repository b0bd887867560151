// The streamed augment output byte for byte against JSON.stringify of the in-memory rows (an independent
// serialisation): the byte writer's spliced JSON, its buffer flushes and its big-row fallback must change nothing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { augmentFile, augmentPairs, type AugmentOptions } from '../../src/data/augment.js';
import { sameFlatList } from '../../src/data/augment_row.js';
import { SINK_BUFFER } from '../../src/data/augment_sink.js';
import { tmpDir, writeLines } from './helpers.js';

type Row = Record<string, unknown>;

/** Varied H4-like rows: non-ASCII, emoji, U+2028, a lone surrogate, quotes and backslashes, system messages, nested values. */
function rows(n: number, long: number): Row[] {
  const out: Row[] = [];
  for (let i = 0; i < n; i++) {
    const p = `P${i} é 日本 🎉 "q" \\ \u2028 ${i % 5 === 0 ? '\ud800' : ''}${'p'.repeat((i * 37) % 400)}`;
    const sysm = i % 3 === 0 ? [{ content: `Be brief ${i} ü`, role: 'system' }] : [];
    const c = [...sysm, { content: p, role: 'user' }, { content: `good ${'g'.repeat(long + (i % 7) * 100)} 🎉`, role: 'assistant' }];
    const r = [...sysm, { content: p, role: 'user' }, { content: `bad ${'b'.repeat((long >> 1) + i)}`, role: 'assistant' }];
    // messages: equal to chosen (text reused), equal content but other key order (must not be reused), or different.
    const m = i % 4 === 0 ? c.map((x) => ({ role: x.role, content: x.content })) : i % 4 === 1 ? [] : JSON.parse(JSON.stringify(c));
    out.push({ prompt: p, prompt_id: `id${i}`, chosen: c, rejected: r, messages: m, score_chosen: i % 4 ? 8.0 : 7.5, score_rejected: i % 6 ? 3.25 : 7.5, meta: { k: [1, null, { z: 'ü' }], s: 'x'.repeat(300) }, n: null });
  }
  return out;
}

async function check(input: Row[], o: AugmentOptions): Promise<void> {
  const dir = tmpDir();
  try {
    const file = writeLines(path.join(dir, 'in.jsonl'), input);
    const out = path.join(dir, 'out.jsonl');
    await augmentFile(file, out, o);
    // The in-memory rows went through JSON (as the file did) so both start from the same parsed values.
    const want = augmentPairs(input.map((r) => JSON.parse(JSON.stringify(r)) as Row), o).map((r) => JSON.stringify(r) + '\n').join('');
    const got = fs.readFileSync(out, 'utf8');
    assert.equal(got.length, want.length);
    assert.ok(got === want, 'streamed bytes differ from JSON.stringify of the in-memory rows');
  } finally { fs.rmSync(dir, { recursive: true, force: true }); }
}

test('streamed output equals JSON.stringify of each augmented row: system and prompt placement, options', async () => {
  const rs = rows(60, 300);
  for (const o of [{}, { placement: 'prompt' }, { goal_column: false }, { swap_scores: false }, { goal_scale: [0, 100] }] as AugmentOptions[]) await check(rs, o);
});

test('string schemas (HH-RLHF, TRL standard) stream the same bytes as JSON.stringify', async () => {
  const hh = Array.from({ length: 20 }, (_, i) => ({ chosen: `\n\nHuman: hi ü ${i}\n\nAssistant: good ${'x'.repeat(i * 40)}`, rejected: `\n\nHuman: hi ü ${i}\n\nAssistant: bad 🎉`, score_chosen: 9, score_rejected: 2.5 }));
  const std = Array.from({ length: 20 }, (_, i) => ({ prompt: `Q ${i} ${'q'.repeat(i * 30)}`, chosen: `A ${'y'.repeat(i * 40)}`, rejected: 'B', score_chosen: 9, score_rejected: 2.5, id: i }));
  for (const o of [{}, { placement: 'prompt' }] as AugmentOptions[]) { await check(hh, o); await check(std, o); }
});

test('output larger than the write buffer, and a row too big for it, stream the same bytes', async () => {
  // ~20 KB responses x 80 rows: about 6 MB of output, several times the 1 MiB buffers, so they fill and flush often.
  assert.ok(SINK_BUFFER <= 2 << 20, 'the test assumes buffers much smaller than its output');
  const rs = rows(80, 20_000);
  // One row whose line exceeds the buffer at 3 bytes per UTF-16 unit: written through the string fallback.
  const huge = rows(1, Math.ceil(SINK_BUFFER / 3) + 10)[0] as Row;
  rs.splice(50, 0, { ...huge, prompt_id: 'huge' });
  await check(rs, {});
});

test('sameFlatList: equal only for the same keys in the same order with identical primitive values', () => {
  assert.ok(sameFlatList([{ a: 'x', b: 1 }, { a: null }], [{ a: 'x', b: 1 }, { a: null }]));
  assert.ok(sameFlatList([], []));
  assert.ok(!sameFlatList([{ a: 'x', b: 1 }], [{ b: 1, a: 'x' }]));           // key order changes the JSON
  assert.ok(!sameFlatList([{ a: 'x' }], [{ a: 'y' }]));
  assert.ok(!sameFlatList([{ a: 'x' }], [{ a: 'x' }, { a: 'x' }]));
  assert.ok(!sameFlatList([{ a: [1] }], [{ a: [1] }]));                       // nested values: not compared, not reused
  assert.ok(!sameFlatList([{ a: NaN }], [{ a: NaN }]));
  assert.ok(!sameFlatList([{ a: 'x' }], [{ a: 'x', b: 2 }]));
  assert.ok(!sameFlatList(['x'], ['x']));
});
