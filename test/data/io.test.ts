import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { readRows, listSplits } from '../../src/data/read.js';
import { writeDatasetFolder, writeJsonl, writeParquet } from '../../src/data/write.js';
import { readPreferencePairs, readSftExamples } from '../../src/data/pairs.js';
import { cli, h4Row, listDir, readJsonl, tmpDir, writeLines, EXAMPLES } from './helpers.js';

async function all(file: string, split?: string): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for await (const r of readRows(file, { split })) out.push(r.row);
  return out;
}

test('Parquet round trip: nested message lists, numbers, nulls, structs, unicode', async () => {
  const dir = tmpDir();
  const rows = [
    { ...h4Row('héllo ✓', 'a\r\nb', 'c', 7.5, 3), fine: [1, 2.5, 3, 4], meta: { s: 1, t: 'x' } },
    { ...h4Row('P2', '', 'd', 9, 9), fine: [], meta: { s: 2, t: null } },
  ];
  const f = path.join(dir, 'x.parquet');
  const info = await writeParquet(f, rows);
  assert.equal(info.rows, 2);
  assert.equal(info.columns.find((c) => c.name === 'chosen')!.type, 'list<struct<content: string, role: string>>');
  assert.deepEqual(await all(f), rows);
  // Many row groups read back in order.
  const many = Array.from({ length: 2500 }, (_, i) => h4Row(`p${i}`, 'a', 'b', i % 10, 1));
  await writeParquet(f, many, { rowGroupSize: 1000 });
  assert.deepEqual(await all(f), many);
  assert.deepEqual(listDir(dir), ['x.parquet']);
  // A later row group that does not fit the inferred schema is an error naming the column, and no file is left.
  await assert.rejects(writeParquet(path.join(dir, 'bad.parquet'), [...many.slice(0, 1000), { ...many[0], score_chosen: 'high' }], { rowGroupSize: 1000 }), /score_chosen/);
  assert.deepEqual(listDir(dir), ['x.parquet']);
  fs.rmSync(dir, { recursive: true });
});

test('dataset folder: several splits, shards named <split>-00000-of-00001.parquet, README card', async () => {
  const dir = tmpDir();
  const target = path.join(dir, 'ds');
  const train = [h4Row('a', 'x', 'y', 8, 2), h4Row('b', 'x', 'y', 6, 5)];
  const test = [h4Row('c', 'x', 'y', 4, 3)];
  await writeDatasetFolder(target, { train_prefs: train, test_prefs: test }, { title: 'T', made: 'by hand' });
  assert.deepEqual(listDir(path.join(target, 'data')), ['test_prefs-00000-of-00001.parquet', 'train_prefs-00000-of-00001.parquet']);
  assert.deepEqual([...listSplits(target).keys()].sort(), ['test_prefs', 'train_prefs']);
  assert.deepEqual(await all(target, 'train_prefs'), train);
  assert.deepEqual(await all(target, 'test_prefs'), test);
  assert.deepEqual(await all(target), train); // default split: train_prefs
  const card = fs.readFileSync(path.join(target, 'README.md'), 'utf8');
  assert.match(card, /- split: train_prefs\n {4}path: data\/train_prefs-\*/);
  assert.match(card, /num_examples: 2/);
  assert.match(card, /by hand/);
  assert.match(card, /`chosen` \(list<struct<content: string, role: string>>\)/);
  fs.rmSync(dir, { recursive: true });
});

test('gzip JSONL and JSON arrays read like plain JSONL; CRLF line ends and a byte order mark are accepted', async () => {
  const dir = tmpDir();
  const rows = [h4Row('a', 'x', 'y', 8, 2), h4Row('b', 'x', 'y', 6, 5)];
  fs.writeFileSync(path.join(dir, 'r.jsonl.gz'), zlib.gzipSync(rows.map((r) => JSON.stringify(r)).join('\n') + '\n'));
  fs.writeFileSync(path.join(dir, 'r.json'), JSON.stringify(rows, null, 2));
  fs.writeFileSync(path.join(dir, 'crlf.jsonl'), '\uFEFF' + rows.map((r) => JSON.stringify(r)).join('\r\n') + '\r\n');
  for (const f of ['r.jsonl.gz', 'r.json', 'crlf.jsonl']) assert.deepEqual(await all(path.join(dir, f)), rows, f);
  // A truncated gzip file is an input error naming the file, not a crash.
  const gz = fs.readFileSync(path.join(dir, 'r.jsonl.gz'));
  fs.writeFileSync(path.join(dir, 'cut.jsonl.gz'), gz.subarray(0, gz.length - 12));
  await assert.rejects(all(path.join(dir, 'cut.jsonl.gz')), /cut\.jsonl\.gz.*cannot read: unexpected end of file/);
  fs.rmSync(dir, { recursive: true });
});

test('augment writes Parquet and dataset-folder outputs equal to its JSONL output', async () => {
  const dir = tmpDir();
  const sample = path.join(EXAMPLES, 'ultrafeedback_sample.jsonl');
  assert.equal((await cli(['augment', sample, '-o', path.join(dir, 'a.jsonl')])).code, 0);
  assert.equal((await cli(['augment', sample, '-o', path.join(dir, 'a.parquet')])).code, 0);
  const jsonl = readJsonl(path.join(dir, 'a.jsonl'));
  assert.deepEqual(await all(path.join(dir, 'a.parquet')), jsonl);
  assert.equal((await cli(['augment', sample, '-o', path.join(dir, 'a.json')])).code, 0);
  assert.deepEqual(JSON.parse(fs.readFileSync(path.join(dir, 'a.json'), 'utf8')), jsonl);
  // Folder input with train/test splits -> folder output: train augmented, test_prefs carried over un-augmented.
  const src = path.join(dir, 'src');
  const rows = readJsonl(sample);
  await writeDatasetFolder(src, { train_prefs: rows.slice(0, 100), test_prefs: rows.slice(100) });
  const r = await cli(['augment', src, '-o', path.join(dir, 'out')]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal((await all(path.join(dir, 'out'), 'train_prefs')).length, 200);
  assert.deepEqual(await all(path.join(dir, 'out'), 'test_prefs'), rows.slice(100));
  assert.deepEqual(listDir(dir), ['a.json', 'a.jsonl', 'a.parquet', 'out', 'src']);
  fs.rmSync(dir, { recursive: true });
});

test('readPreferencePairs / readSftExamples: implicit prompts split off; messages use the last assistant turn', async () => {
  const dir = tmpDir();
  const aug = path.join(dir, 'aug.jsonl');
  await cli(['augment', path.join(EXAMPLES, 'ultrafeedback_sample.jsonl'), '-o', aug]);
  const pairs = [];
  for await (const p of readPreferencePairs(aug)) pairs.push(p);
  assert.equal(pairs.length, 240);
  const p0 = pairs[0]!;
  assert.equal((p0.prompt as { role: string }[]).map((m) => m.role).join(','), 'system,user');
  assert.equal((p0.chosen as { role: string }[]).length, 1);
  assert.equal(p0.score_chosen, 9);
  const sft = writeLines(path.join(dir, 'sft.jsonl'), [
    { messages: [{ role: 'user', content: 'q' }, { role: 'assistant', content: 'a1' }, { role: 'user', content: 'q2' }, { role: 'assistant', content: 'a2' }] },
    { prompt: 'p', completion: 'c' },
    { prompt: 'P', chosen: 'C', rejected: 'R' },
  ]);
  const ex = [];
  for await (const e of readSftExamples(sft)) ex.push(e);
  assert.deepEqual(ex[0], { prompt: [{ role: 'user', content: 'q' }, { role: 'assistant', content: 'a1' }, { role: 'user', content: 'q2' }], completion: [{ role: 'assistant', content: 'a2' }] });
  assert.deepEqual(ex[1], { prompt: 'p', completion: 'c' });
  assert.deepEqual(ex[2], { prompt: 'P', completion: 'C' });
  await writeJsonl(path.join(dir, 'w.jsonl'), [{ a: 1 }]);
  assert.deepEqual(readJsonl(path.join(dir, 'w.jsonl')), [{ a: 1 }]);
  fs.rmSync(dir, { recursive: true });
});
