import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { LogpCache, scoreCached, hashModelDir } from '../../src/verify/logp_cache.js';
import { fakeEntry, fakeRows } from './fixtures/fake_rows.js';

const here = path.dirname(fileURLToPath(import.meta.url));

function tmpdir(): string { return fs.mkdtempSync(path.join(os.tmpdir(), 'radpo-cache-')); }
function lines(file: string): number {
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter((l) => l !== '').length : 0;
}

test('SIGKILL mid-run, then resume: finished rows are not recomputed and every value is exact', async () => {
  const dir = tmpdir();
  const n = 40;
  const file = LogpCache.open(dir, 'fake-model').file;
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'fixtures/cache_child.ts'), dir, String(n), '60'], { stdio: 'ignore' });
  const exited = new Promise<NodeJS.Signals | null>((res) => child.on('exit', (_c, sig) => res(sig)));
  // Kill as soon as two batches (8 rows) are on disk; the remaining 8 batches take >= 480 ms.
  for (let t = 0; t < 3000 && lines(file) < 8; t++) await new Promise((r) => setTimeout(r, 5));
  child.kill('SIGKILL');
  assert.equal(await exited, 'SIGKILL', 'the child must have been killed, not finished');
  const done = lines(file);
  assert.ok(done >= 8 && done < n, `rows on disk after kill: ${done}`);

  let computedRows = 0;
  const rows = fakeRows(n);
  const cache = LogpCache.open(dir, 'fake-model');
  assert.equal(cache.size, done);
  const r = await scoreCached(rows, rows.map((x) => x.key), cache, 4, async (batch) => {
    computedRows += batch.length;
    return batch.map((x) => fakeEntry(x.i));
  });
  assert.equal(computedRows, n - done);
  assert.deepEqual(r.stats, { computed: n - done, cached: done });
  r.entries.forEach((e, i) => assert.deepEqual(e, fakeEntry(i))); // JSON keeps float64 exactly
  // A third run computes nothing.
  const again = await scoreCached(rows, rows.map((x) => x.key), LogpCache.open(dir, 'fake-model'), 4, async () => { throw new Error('no row should be computed'); });
  assert.deepEqual(again.stats, { computed: 0, cached: n });
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a partial last line (kill during a write) is truncated away; duplicate keys are computed once', async () => {
  const dir = tmpdir();
  const c = LogpCache.open(dir, 'm');
  c.putMany([['a', { logp: -1.5, n: 2 }], ['b', { logp: -0.25, n: 1 }]]);
  fs.appendFileSync(c.file, '{"k":"c","lo');
  const c2 = LogpCache.open(dir, 'm');
  assert.equal(c2.size, 2);
  assert.deepEqual(c2.get('b'), { logp: -0.25, n: 1 });
  assert.ok(fs.readFileSync(c.file, 'utf8').endsWith('}\n'));
  let calls = 0;
  const r = await scoreCached(['x', 'y', 'x2', 'a'], ['x', 'y', 'x', 'a'], c2, 8, async (batch) => {
    calls += batch.length;
    return batch.map((s) => ({ logp: -s.length, n: 1 }));
  });
  assert.equal(calls, 2);
  assert.deepEqual(r.entries.map((e) => e.logp), [-1, -1, -1, -1.5]);
  fs.writeFileSync(c.file, 'not json\n');
  assert.throws(() => LogpCache.open(dir, 'm'), /corrupt cache line/);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('hashModelDir changes when a weight byte changes and ignores other files', () => {
  const dir = tmpdir();
  fs.writeFileSync(path.join(dir, 'config.json'), '{}');
  fs.writeFileSync(path.join(dir, 'model.safetensors'), Buffer.from([1, 2, 3]));
  const h1 = hashModelDir(dir);
  fs.writeFileSync(path.join(dir, 'README.md'), 'notes');
  assert.equal(hashModelDir(dir), h1);
  fs.writeFileSync(path.join(dir, 'model.safetensors'), Buffer.from([1, 2, 4]));
  assert.notEqual(hashModelDir(dir), h1);
  fs.rmSync(dir, { recursive: true, force: true });
});
