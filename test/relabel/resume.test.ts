import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli/main.js';
import { readJsonl, shortPairs, tinyModelDir, tmpDir, writeJsonl } from './helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));
// float32 forward, different batch shapes (see models.test.ts)
const close = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-4 * Math.max(1, Math.abs(b));

function cachedLines(dir: string): number {
  if (!fs.existsSync(dir)) return 0;
  let n = 0;
  for (const f of fs.readdirSync(dir)) if (f.startsWith('logps-')) n += fs.readFileSync(path.join(dir, f), 'utf8').split('\n').filter((l) => l.endsWith('}')).length;
  return n;
}

test('radpo relabel killed with SIGKILL mid-run resumes from its cache: finished rows are not recomputed', async () => {
  const dir = tmpDir('resume');
  const ref = await tinyModelDir(7);
  const pol = await tinyModelDir(8);
  const pairs = shortPairs(30, 40);
  const unique = new Set(pairs.flatMap((p) => [JSON.stringify([p.prompt, p.chosen]), JSON.stringify([p.prompt, p.rejected])])).size;
  const input = path.join(dir, 'pairs.jsonl');
  writeJsonl(input, pairs);
  const cache = path.join(dir, 'cache');
  const out = path.join(dir, 'out.jsonl');
  const base = ['relabel', '--policy', pol, '--reference', ref, '--beta', '0.2', input];
  const args = [...base, '-o', out, '--cache_dir', cache, '--batch_size', '1'];
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'fixtures/relabel_child.ts'), ...args], { stdio: 'ignore' });
  const exited = new Promise<NodeJS.Signals | null>((res) => child.on('exit', (_c, sig) => res(sig)));
  // Kill once 6 rows are on disk; 2 x unique - 6 single-row forward passes remain.
  for (let t = 0; t < 12000 && cachedLines(cache) < 6; t++) await new Promise((r) => setTimeout(r, 5));
  child.kill('SIGKILL');
  assert.equal(await exited, 'SIGKILL', 'the child must have been killed, not finished');
  assert.ok(!fs.existsSync(out), 'no output after a kill (written atomically at the end)');
  const done = cachedLines(cache);
  assert.ok(done >= 6 && done < 2 * unique, `rows on disk after the kill: ${done} of ${2 * unique}`);

  assert.equal(await main(args), 0);
  const s = JSON.parse(fs.readFileSync(`${out}.summary.json`, 'utf8')).stats;
  assert.equal(s.policy.cached + s.reference.cached, done, 'every row finished before the kill is reused');
  assert.equal(s.policy.computed + s.reference.computed, 2 * unique - done, 'only the rest is computed');

  // Same rewards as an uninterrupted run without cache.
  const fresh = path.join(dir, 'fresh.jsonl');
  assert.equal(await main([...base, '-o', fresh, '--no_cache', '--batch_size', '4']), 0);
  const a = readJsonl(out), b = readJsonl(fresh);
  a.forEach((row, i) => {
    assert.ok(close(row.implicit_reward_chosen as number, b[i]!.implicit_reward_chosen as number));
    assert.ok(close(row.implicit_reward_rejected as number, b[i]!.implicit_reward_rejected as number));
  });
  for (const d of [dir, ref, pol]) fs.rmSync(d, { recursive: true, force: true });
});
