// The augment fast paths against the general path and JSON.stringify: canonical spans of a line (jsonl_spans.ts)
// must be exactly JSON.stringify's text; spliced output must be byte-identical to the general writer's.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { augmentFile, augmentPairs, type AugmentOptions } from '../../src/data/augment.js';
import { AUGMENT_FAST_PATH } from '../../src/data/augment_sink.js';
import { canonicalSpans } from '../../src/data/jsonl_spans.js';
import { Rng } from '../../src/util/rng.js';
import { h4Row, tmpDir } from './helpers.js';

type Row = Record<string, unknown>;

/** Walks `text`; every span reported must be JSON.stringify of its value (the safety property). Returns the verdict. */
function walk(text: string): boolean {
  const row = JSON.parse(text) as Row;
  const keys = Object.keys(row);
  let i = 0;
  const whole = canonicalSpans(row, text, (v, a, b, k) => {
    assert.equal(k, keys[i++]);
    assert.equal(text.slice(a, b), JSON.stringify(v), `span of ${k} in ${text}`);
  });
  if (whole) assert.equal(i, keys.length);
  return whole;
}

test('canonicalSpans: JSON.stringify lines are canonical; each escape, number or layout JSON.stringify never writes is not', () => {
  const row = { prompt: 'a/b "q" \\ \n\t\r\b\f \u0001\u001f\u007f é 日本 🎉 \u2028', n: [1, -2.5, 0, 1e21, 1e-7, true, false, null], m: [{ content: 'x', role: 'user' }], o: {} };
  assert.ok(walk(JSON.stringify(row)));
  assert.ok(walk('{}'));
  const not = [
    '{"a": 1}', '{"a":1 }', ' {"a":1}', '{"a":[1, 2]}', '{"a":{"b":1} }',
    String.raw`{"a":"x\/y"}`, String.raw`{"a":"\u00e9"}`, String.raw`{"a":"\u0022"}`, String.raw`{"a":"\u000a"}`,
    String.raw`{"a":"\u001F"}`, String.raw`{"a":"\u0008"}`, String.raw`{"a":"\ud83c\udf89"}`, String.raw`{"a":"\ud800"}`,
    '{"a":8.0}', '{"a":1e2}', '{"a":-0}', '{"a":1E+21}', '{"a":0.50}',
    '{"a":1,"a":2}', '{"b":1,"1":2}', '{"a":{"b":1,"b":2}}', '{"a":[{"role":"user","role":"x"}]}',
  ];
  for (const t of not) assert.equal(walk(t), false, t);
  // Values before the first difference are still reported, exactly.
  const seen: string[] = [];
  assert.equal(canonicalSpans(JSON.parse('{"p":"long\\ntext","q":8.0,"r":"z"}') as Row, '{"p":"long\\ntext","q":8.0,"r":"z"}', (_v, _a, _b, k) => seen.push(k)), false);
  assert.deepEqual(seen, ['p']);
  // An escaped backslash before u or / is not an escape of u or /.
  assert.ok(walk(String.raw`{"a":"\\u00e9 \\/ \\\\u"}`));
});

/** A random JSON value: strings from a pool of characters that need (or tempt) escaping, numbers, nesting. */
function randomValue(rng: Rng, depth: number): unknown {
  const pool = ['a', 'b', ' ', '"', '\\', '/', '\n', '\t', '\u0001', '\u001f', '\u007f', 'é', '日', '\u2028', '🎉', 'u', '0'];
  const k = rng.int(depth > 2 ? 4 : 6);
  if (k === 0) { let s = ''; for (let n = rng.int(12); n > 0; n--) s += pool[rng.int(pool.length)]; return s; }
  if (k === 1) return [0, 1, -1, 7.5, 8, -0.25, 1e21, 1e-7, 123456789012][rng.int(9)];
  if (k === 2) return [true, false, null][rng.int(3)];
  if (k === 3) return 'x'.repeat(rng.int(100));
  if (k === 4) return Array.from({ length: rng.int(4) }, () => randomValue(rng, depth + 1));
  const o: Row = {};
  for (let n = rng.int(4); n > 0; n--) o[['content', 'role', 'a b', 'é', 'q"', '1', 'constructor'][rng.int(7)] as string] = randomValue(rng, depth + 1);
  return o;
}

/** Writes `v` as valid JSON, choosing at random among the ways JSON allows (escapes, spaces, number forms). */
function looseJson(v: unknown, rng: Rng): string {
  const sp = (): string => (rng.int(8) === 0 ? ' ' : '');
  if (typeof v === 'string') {
    let s = '"';
    for (const ch of v) {
      const c = ch.codePointAt(0) as number;
      const canon = JSON.stringify(ch).slice(1, -1);
      const r = rng.int(10);
      if (r === 0 && c < 0x10000) s += `\\u${c.toString(16).padStart(4, '0')}`;
      else if (r === 1 && c < 0x10000) s += `\\u${c.toString(16).padStart(4, '0').toUpperCase()}`;
      else if (r === 2 && ch === '/') s += '\\/';
      else s += canon;
    }
    return `${s}"`;
  }
  if (typeof v === 'number') return rng.int(6) === 0 && Number.isInteger(v) && Math.abs(v) < 1e15 ? `${v}.0` : JSON.stringify(v);
  if (Array.isArray(v)) return `[${sp()}${v.map((x) => looseJson(x, rng)).join(`${sp()},${sp()}`)}${sp()}]`;
  if (v !== null && typeof v === 'object') return `{${sp()}${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}${sp()}:${sp()}${looseJson(x, rng)}`).join(`,${sp()}`)}${sp()}}`;
  return JSON.stringify(v);
}

test('canonicalSpans on 3000 random rows written loosely: every span reported is exact; canonical text is recognised', () => {
  const rng = new Rng(99);
  let canonical = 0; let loose = 0;
  for (let i = 0; i < 3000; i++) {
    const row: Row = {};
    for (let n = 1 + rng.int(5); n > 0; n--) row[['prompt', 'chosen', 'rejected', 'x', '2', '__proto__'][rng.int(6)] as string] = randomValue(rng, 0);
    const text = looseJson(row, rng);
    const whole = walk(text);
    const parsed = JSON.parse(text) as Row;
    if (text === JSON.stringify(parsed)) { assert.ok(whole, text); canonical++; } else { assert.ok(!whole, text); loose++; }
  }
  assert.ok(canonical > 300 && loose > 300, `both kinds exercised: ${canonical} canonical, ${loose} loose`);
});

/** H4 rows with escapes, system messages, odd keys and extra columns; ASCII unless `wide` (é, 日本, emoji). */
function h4Rows(n: number, wide = false): Row[] {
  const out: Row[] = [];
  for (let i = 0; i < n; i++) {
    const p = `P${i} "q" \\ a/b \n\t \u0001 ${wide && i % 2 ? 'é 日本 🎉 \u2028 ' : ''}${'p'.repeat((i * 37) % 300)}`;
    const r = h4Row(p, `good ${i} ${'g'.repeat(50 + (i % 7) * 40)}\n`, `bad ${'b'.repeat(30 + i)}`, i % 4 ? 8.0 : 7.5, i % 6 ? 3.25 : 7.5);
    if (i % 3 === 0) for (const k of ['chosen', 'rejected']) (r[k] as Row[]).unshift({ content: `Be brief ${i}`, role: 'system' });
    if (i % 5 === 1) r.messages = [];
    if (i % 5 === 2) { r['constructor'] = 'c'; r['7'] = [1, { z: null }]; }
    if (i % 7 === 3) r.meta = { k: [1, null, { z: 'u' }], s: 'x'.repeat(300) };
    out.push(r);
  }
  return out;
}

/** Reference-variant rows (fine-grained scores and their means), ASCII. */
function refRows(n: number): Row[] {
  return Array.from({ length: n }, (_, i) => {
    const fc = [1 + (i % 5), 2, 3, 4 + (i % 2)]; const fr = [2, 2 + (i % 3), 3, 1];
    return { ...h4Row(`R${i} \\n`, `c${i}`, `r${'y'.repeat(i)}`, 1 + (i % 10), 1 + ((i * 3) % 10)), overall_score_chosen: 1 + (i % 10), overall_score_rejected: 1 + ((i * 3) % 10), fine_grain_score_chosen: fc, fine_grain_score_rejected: fr, avg_fine_score_chosen: fc.reduce((a, b) => a + b) / 4, avg_fine_score_rejected: fr.reduce((a, b) => a + b) / 4 };
  });
}

/** augmentFile with and without the fast paths on the same lines; both must equal JSON.stringify of augmentPairs. */
async function compare(lines: string[], o: AugmentOptions): Promise<number> {
  const dir = tmpDir();
  try {
    const file = path.join(dir, 'in.jsonl');
    fs.writeFileSync(file, lines.join('\n') + '\n');
    const before = AUGMENT_FAST_PATH.spliced;
    await augmentFile(file, path.join(dir, 'fast.jsonl'), o);
    const spliced = AUGMENT_FAST_PATH.spliced - before;
    AUGMENT_FAST_PATH.enabled = false;
    try { await augmentFile(file, path.join(dir, 'general.jsonl'), o); } finally { AUGMENT_FAST_PATH.enabled = true; }
    const fast = fs.readFileSync(path.join(dir, 'fast.jsonl'), 'utf8');
    const general = fs.readFileSync(path.join(dir, 'general.jsonl'), 'utf8');
    assert.ok(fast === general, 'fast path bytes differ from the general path');
    if (o.order !== 'shuffle') {
      const want = augmentPairs(lines.map((l) => JSON.parse(l.replace(/^\uFEFF/, '')) as Row), o).map((r) => JSON.stringify(r) + '\n').join('');
      assert.ok(fast === want, 'streamed bytes differ from JSON.stringify of the in-memory rows');
    }
    return spliced;
  } finally { fs.rmSync(dir, { recursive: true, force: true }); }
}

test('splice path: byte-identical to the general path and to JSON.stringify, over placements and options', async () => {
  // Some rows with an own "__proto__" key (JSON.parse makes it a plain field, and so must the writers).
  const lines = h4Rows(60).map((r, i) => (i % 10 === 9 ? JSON.stringify(r).slice(0, -1) + ',"__proto__":{"a":1}}' : JSON.stringify(r)));
  const opts: AugmentOptions[] = [{}, { placement: 'prompt' }, { goal_column: false }, { swap_scores: false }, { goal_scale: [0, 100] }, { ties: 'drop' }, { order: 'shuffle', seed: 5 }, { goal_template: 'Aim for {score} "exactly"' }];
  for (const o of opts) {
    const spliced = await compare(lines, o);
    if (o.order !== 'shuffle' && o.ties !== 'drop') assert.equal(spliced, 60, `every row spliced with ${JSON.stringify(o)}`);
  }
});

test('splice path: a byte order mark and CRLF line ends (outside the spliced ranges) change nothing', async () => {
  const lines = h4Rows(20, true).map((r, i) => `${i === 0 ? '\uFEFF' : ''}${JSON.stringify(r)}\r`);
  assert.equal(await compare(lines, {}), 20);
});

test('splice path: lines with multi-byte characters (byte offsets counted per field) splice the same bytes', async () => {
  const lines = h4Rows(40, true).map((r) => JSON.stringify(r));
  assert.ok(lines.some((l) => Buffer.byteLength(l) !== l.length));
  assert.equal(await compare(lines, {}), 40);
  assert.equal(await compare(lines, { placement: 'prompt' }), 40);
});

test('splice path: reference filter, multi-attribute goals, and non-canonical and non-ASCII lines mixed in', async () => {
  const rr = refRows(40).map((r) => JSON.stringify(r));
  assert.ok(await compare(rr, {}) > 0);
  assert.ok(await compare(rr, { fine_grained_filter: false, attributes: ['helpfulness', 'honesty', 'instruction_following', 'truthfulness'], score_scale: [1, 5] }) > 0);
  // Python's json.dumps layout, \u escapes of non-ASCII, a key repeated, 8.0: all go through the general path.
  const base = h4Rows(12);
  const mixed = base.map((r, i) => {
    const j = JSON.stringify(r);
    switch (i % 6) {
      case 1: return JSON.stringify(r, null, 0).replace(/","/g, '", "');
      case 2: return j.replace('"score_chosen":8', '"score_chosen":8.0');
      case 3: return j.replace('"prompt":"', '"prompt":"\\u00e9 ');
      case 4: return j.replace('"P', '"é P');
      case 5: return j.slice(0, -1) + ',"prompt_id":"again"}';
      default: return j;
    }
  });
  // Lines 0, 4, 6, 8 and 10 stay canonical (4 and 10 with a non-ASCII character; 8 has no score 8 to rewrite).
  assert.equal(await compare(mixed, { allow_duplicate_ids: true }), 5);
});
