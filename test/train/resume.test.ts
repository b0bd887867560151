import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { trainDpo } from '../../src/train/dpo.js';
import { Model } from '../../src/model/model.js';
import { randomPairs, tinyModel, tmpDir } from './helpers.js';

const child = path.join(path.dirname(new URL(import.meta.url).pathname), 'resume_child.ts');

function runChild(args: string[]) {
  return spawn(process.execPath, ['--import', 'tsx', child, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
}

test('a run SIGKILLed mid-training and resumed ends with bit-identical weights and the same metrics', async () => {
  const MAX = 7;
  // uninterrupted reference run (same settings as resume_child.ts)
  const ref = await trainDpo(
    { learning_rate: 1e-2, logging_steps: 1, seed: 11, max_steps: MAX, per_device_train_batch_size: 2, gradient_accumulation_steps: 2, lr_scheduler_type: 'cosine', warmup_steps: 2, weight_decay: 0.1 },
    { model: tinyModel(21), train: randomPairs(10, 5), quiet: true },
  );
  const out = tmpDir('resume');
  const p = runChild([out, String(MAX)]);
  let stderr = '';
  p.stderr.on('data', (d) => { stderr += String(d); });
  const exited = new Promise<number | null>((res) => p.on('exit', (code, sig) => res(sig ? -1 : code)));
  // kill as soon as checkpoint-3 is complete (it appears by rename, so existence means complete)
  const deadline = Date.now() + 60_000;
  while (!fs.existsSync(path.join(out, 'checkpoint-3'))) {
    if (Date.now() > deadline) { p.kill('SIGKILL'); assert.fail(`child made no checkpoint-3: ${stderr}`); }
    if (p.exitCode !== null) assert.fail(`child exited early (${p.exitCode}): ${stderr}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  p.kill('SIGKILL');
  assert.equal(await exited, -1, 'child was killed, not finished');
  assert.ok(!fs.existsSync(path.join(out, `checkpoint-${MAX}`)), 'killed before the end');

  const q = runChild([out, String(MAX), 'true']);
  let err2 = '';
  q.stderr.on('data', (d) => { err2 += String(d); });
  const code = await new Promise<number | null>((res) => q.on('exit', (c) => res(c)));
  assert.equal(code, 0, err2);
  const final = await Model.load(out);
  assert.deepEqual(Buffer.from(final.params.data.buffer), Buffer.from(ref.model.params.data.buffer), 'final weights are bit-identical');
  const lines = fs.readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(lines.map((l) => l.step), [1, 2, 3, 4, 5, 6, 7]);
  lines.forEach((l, i) => {
    for (const k of ['loss', 'grad_norm', 'learning_rate', 'rewards/margins', 'num_tokens', 'epoch']) assert.equal(l[k], ref.metrics[i]![k], `step ${i + 1} ${k}`);
  });
});
