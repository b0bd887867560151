import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { generateTaskData } from '../../src/tasks/generate.js';
import { writeTaskDataset } from '../../src/tasks/io.js';
import { getTask } from '../../src/tasks/registry.js';
import { readPreferencePairs } from '../../src/data/pairs.js';
import { ultrafeedbackResponses } from '../../src/data/responses.js';
import { augmentFile } from '../../src/data/augment.js';

// The written files must be readable by radpo's own data layer (written independently, by the data issue) exactly
// as real H4 / UltraFeedback files are.
test('written task data reads back through the data layer: H4 pairs, UltraFeedback-raw responses, augment', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'radpo-taskdata-'));
  try {
    const d = generateTaskData(getTask('reverse'), { numPrompts: 40, numSftPrompts: 5, seed: 2 });
    const files = await writeTaskDataset(dir, d);
    assert.equal(files.train_prefs!.rows, d.train_prefs.length);
    const pairs = [];
    for await (const p of readPreferencePairs(files.train_prefs!.file)) pairs.push(p);
    assert.equal(pairs.length, d.train_prefs.length);
    assert.equal(pairs[0]!.score_chosen, d.train_prefs[0]!.score_chosen);
    const raw = fs.readFileSync(files.multi_response_train!.file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const resp = ultrafeedbackResponses(raw[0], 'x', 1);
    assert.deepEqual(resp.map((r) => r.response), d.multi.train[0]!.completions.map((c) => c.response));
    assert.deepEqual(resp.map((r) => r.score), d.multi.train[0]!.completions.map((c) => c.score));
    assert.ok(resp.every((r) => r.complete));
    const st = await augmentFile(files.train_prefs!.file, path.join(dir, 'aug.jsonl'), {});
    assert.equal(st.rows_out, 2 * st.pairs_kept);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
