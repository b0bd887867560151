import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cli, h4Row, listDir, readJsonl, tmpDir } from './helpers.js';

const good = (i: number): string => JSON.stringify(h4Row(`P${i}`, 'a', 'b', 8, 3));

/** Each bad-input class: the bad line (always line 3 of the file), the field and value the error must name. */
const CASES: { reason: string; line: string | Buffer; field?: string; value: string }[] = [
  { reason: 'malformed_json', line: '{"prompt": "x", "chosen": [', value: '"{\\"prompt\\": \\"x\\", \\"chosen\\": ["' },
  { reason: 'missing_field', line: JSON.stringify({ ...h4Row('P', 'a', 'b', 8, 3), rejected: undefined }), field: 'rejected', value: 'undefined' },
  { reason: 'non_numeric_score', line: JSON.stringify(h4Row('P', 'a', 'b', 8, 'high' as unknown as number)), field: 'score_rejected', value: '"high"' },
  { reason: 'non_finite_score', line: JSON.stringify(h4Row('P', 'a', 'b', 8, 3)).replace('"score_chosen":8', '"score_chosen":NaN'), field: 'score_chosen', value: 'NaN' },
  { reason: 'non_finite_score', line: JSON.stringify(h4Row('P', 'a', 'b', 8, 3)).replace('"score_rejected":3', '"score_rejected":-Infinity'), field: 'score_rejected', value: '-Infinity' },
  { reason: 'non_finite_score', line: JSON.stringify(h4Row('P', 'a', 'b', 8, 3)).replace('"score_rejected":3', '"score_rejected":1e999'), field: 'score_rejected', value: 'Infinity' },
  { reason: 'empty_response', line: JSON.stringify(h4Row('P', 'a', '  ', 8, 3)), field: 'rejected', value: '[{"content":"P"' },
  { reason: 'unknown_role', line: JSON.stringify({ ...h4Row('P', 'a', 'b', 8, 3), chosen: [{ content: 'P', role: 'human' }, { content: 'a', role: 'assistant' }] }), field: 'chosen.0.role', value: '"human"' },
  { reason: 'identical_responses', line: JSON.stringify(h4Row('P', 'same', 'same', 8, 3)), field: 'chosen', value: '"same"' },
  { reason: 'duplicate_id', line: good(1), field: 'prompt_id', value: '"id-P1"' },
  { reason: 'invalid_utf8', line: Buffer.concat([Buffer.from('{"prompt": "caf'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]), value: '"74223a2022636166c328227d"' }, // hex of 8 bytes either side of the bad one
];

function fileWith(dir: string, bad: string | Buffer): string {
  const f = path.join(dir, 'in.jsonl');
  fs.writeFileSync(f, Buffer.concat([Buffer.from(`${good(0)}\n${good(1)}\n`), Buffer.isBuffer(bad) ? bad : Buffer.from(bad), Buffer.from(`\n${good(4)}\n`)]));
  return f;
}

for (const c of CASES) {
  test(`bad input, ${c.reason}${c.field ? ` (${c.field})` : ''}: error names file, line, field, value; exit 1; no output left`, async () => {
    const dir = tmpDir();
    const f = fileWith(dir, c.line);
    const r = await cli(['augment', f, '-o', path.join(dir, 'out.jsonl')]);
    assert.equal(r.code, 1);
    assert.ok(r.stderr.includes(`${f}:3`), r.stderr);
    assert.ok(r.stderr.includes(`[${c.reason}]`), r.stderr);
    if (c.field) assert.ok(r.stderr.includes(`field "${c.field}"`), r.stderr);
    assert.ok(r.stderr.includes(`value ${c.value}`), r.stderr);
    assert.match(r.stderr, /hint: --skip_invalid skips bad rows/); // every class here can be skipped
    assert.deepEqual(listDir(dir), ['in.jsonl']); // no output, no temp files
    fs.rmSync(dir, { recursive: true });
  });
}

test('--skip_invalid: every class skipped, counted by reason, written to the rejects file', async () => {
  const dir = tmpDir();
  const f = path.join(dir, 'in.jsonl');
  const parts: Buffer[] = [Buffer.from(`${good(0)}\n${good(1)}\n`)];
  for (const c of CASES) parts.push(Buffer.isBuffer(c.line) ? c.line : Buffer.from(c.line), Buffer.from('\n'));
  parts.push(Buffer.from(`${good(2)}\n`));
  fs.writeFileSync(f, Buffer.concat(parts));
  const out = path.join(dir, 'out.jsonl');
  const r = await cli(['augment', f, '-o', out, '--skip_invalid']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(readJsonl(out).length, 6); // 3 good pairs x 2
  assert.match(r.stdout, /11 invalid row\(s\) skipped: /);
  for (const [reason, n] of [['malformed_json', 1], ['non_finite_score', 3], ['invalid_utf8', 1], ['duplicate_id', 1], ['unknown_role', 1]] as const) {
    assert.ok(r.stdout.includes(`${reason} ${n}`), `${reason} ${n} in ${r.stdout}`);
  }
  const rejects = readJsonl(`${out}.rejects.jsonl`);
  assert.equal(rejects.length, 11);
  assert.deepEqual(rejects.map((x) => x.line), [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
  assert.deepEqual(rejects.map((x) => x.reason), CASES.map((c) => c.reason));
  assert.deepEqual(listDir(dir), ['in.jsonl', 'out.jsonl', 'out.jsonl.rejects.jsonl']);
  fs.rmSync(dir, { recursive: true });
});

test('the same prompt_id with different completions is not a duplicate; the same id is', async () => {
  const dir = tmpDir();
  const f = path.join(dir, 'in.jsonl');
  fs.writeFileSync(f, [h4Row('P', 'a', 'b', 8, 3), h4Row('P', 'c', 'd', 7, 2)].map((r) => JSON.stringify(r)).join('\n') + '\n');
  assert.equal((await cli(['augment', f, '-o', path.join(dir, 'o.jsonl')])).code, 0);
  fs.writeFileSync(f, [{ ...h4Row('P', 'a', 'b', 8, 3), id: 7 }, { ...h4Row('Q', 'c', 'd', 7, 2), id: 7 }].map((r) => JSON.stringify(r)).join('\n') + '\n');
  const r = await cli(['augment', f, '-o', path.join(dir, 'o2.jsonl')]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /in\.jsonl:2, field "id", value 7: duplicate id/);
  assert.equal((await cli(['augment', f, '-o', path.join(dir, 'o2.jsonl'), '--allow_duplicate_ids'])).code, 0);
  fs.rmSync(dir, { recursive: true });
});

test('usage errors exit 2; a missing input names the file', async () => {
  assert.equal((await cli(['augment', 'x.jsonl'])).code, 1); // -o is required: config error
  const r = await cli(['augment', '/nonexistent/in.jsonl', '-o', '/tmp/never.jsonl']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /\/nonexistent\/in\.jsonl: input not found/);
  assert.equal((await cli(['augment', 'a', 'b', '-o', 'c'])).code, 2);
});

test('an unscored file (first row has no score): the hint points to --field_map and radpo relabel, not --skip_invalid', async () => {
  const dir = tmpDir();
  const f = path.join(dir, 'hh.jsonl');
  fs.writeFileSync(f, JSON.stringify({ chosen: '\n\nHuman: hi\n\nAssistant: hello', rejected: '\n\nHuman: hi\n\nAssistant: go away' }) + '\n');
  const r = await cli(['augment', f, '-o', path.join(dir, 'out.jsonl')]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /score is missing \[missing_field\]/);
  assert.match(r.stderr, /hint: reward augmentation needs scored pairs; map a score column with --field_map, or score the pairs with a model \(radpo relabel\)/);
  assert.doesNotMatch(r.stderr, /--skip_invalid/);
  fs.rmSync(dir, { recursive: true });
});

test('a pretty-printed file read as JSON Lines: the hint explains the line format, not --skip_invalid', async () => {
  const dir = tmpDir();
  const f = path.join(dir, 'pretty.jsonl');
  fs.writeFileSync(f, JSON.stringify(h4Row('P', 'a', 'b', 8, 3), null, 2) + '\n'); // one pretty-printed object
  const r = await cli(['augment', f, '-o', path.join(dir, 'out.jsonl')]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /pretty\.jsonl:1.*\[malformed_json\]/);
  assert.match(r.stderr, /hint: a \.jsonl file needs one JSON object per line; a \.json file may hold one array of rows/);
  assert.doesNotMatch(r.stderr, /--skip_invalid/);
  // the same row in an array, pretty-printed, is read
  const j = path.join(dir, 'rows.json');
  fs.writeFileSync(j, JSON.stringify([h4Row('P', 'a', 'b', 8, 3)], null, 2) + '\n');
  assert.equal((await cli(['augment', j, '-o', path.join(dir, 'out.jsonl')])).code, 0);
  fs.rmSync(dir, { recursive: true });
});
