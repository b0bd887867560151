import { test } from 'node:test';
import assert from 'node:assert/strict';
import { collatePacked, collatePreference, collateSft, fitPairs, packSft } from '../../src/train/collate.js';

const rows = (a: Int32Array | Uint8Array, T: number) => Array.from({ length: a.length / T }, (_, b) => Array.from(a.slice(b * T, (b + 1) * T)));

test('preference collator: the layout of TRL DataCollatorForPreference docstring, written out by hand', () => {
  const b = collatePreference([
    { prompt_ids: [1, 2, 3], chosen_ids: [4, 5], rejected_ids: [6] },
    { prompt_ids: [7, 8], chosen_ids: [9], rejected_ids: [10, 11] },
  ], 0, { truncation_mode: 'keep_start' });
  assert.equal(b.n, 2); assert.equal(b.B, 4); assert.equal(b.T, 5);
  assert.deepEqual(rows(b.ids, b.T), [[1, 2, 3, 4, 5], [7, 8, 9, 0, 0], [1, 2, 3, 6, 0], [7, 8, 10, 11, 0]]);
  assert.deepEqual(rows(b.attentionMask, b.T), [[1, 1, 1, 1, 1], [1, 1, 1, 0, 0], [1, 1, 1, 1, 0], [1, 1, 1, 1, 0]]);
  assert.deepEqual(rows(b.completionMask, b.T), [[0, 0, 0, 1, 1], [0, 0, 1, 0, 0], [0, 0, 0, 1, 0], [0, 0, 1, 1, 0]]);
  assert.equal(b.weights, null); assert.equal(b.refChosen, null);
});

test('truncation: keep_start / keep_end / max_prompt_length, and pairs that cannot fit are dropped and counted', () => {
  const pr = { prompt_ids: [1, 2, 3, 4], chosen_ids: [5, 6, 7], rejected_ids: [8], weight: 2 };
  const ks = collatePreference([pr], 9, { max_length: 5, truncation_mode: 'keep_start' });
  assert.deepEqual(rows(ks.ids, ks.T), [[1, 2, 3, 4, 5], [1, 2, 3, 4, 8]]);
  assert.deepEqual(rows(ks.completionMask, ks.T), [[0, 0, 0, 0, 1], [0, 0, 0, 0, 1]]);
  assert.deepEqual(Array.from(ks.weights!), [2]);
  const ke = collatePreference([pr], 9, { max_length: 5, truncation_mode: 'keep_end' });
  assert.deepEqual(rows(ke.ids, ke.T), [[3, 4, 5, 6, 7], [1, 2, 3, 4, 8]]);
  assert.deepEqual(rows(ke.completionMask, ke.T), [[0, 0, 1, 1, 1], [0, 0, 0, 0, 1]]);
  // max_prompt_length keeps the prompt's last tokens, then max_length cuts the completion's end
  const mp = collatePreference([pr], 9, { max_length: 4, max_prompt_length: 2, truncation_mode: 'keep_start' });
  assert.deepEqual(rows(mp.ids, mp.T), [[3, 4, 5, 6], [3, 4, 8, 9]]);
  assert.deepEqual(rows(mp.attentionMask, mp.T), [[1, 1, 1, 1], [1, 1, 1, 0]]);
  // prompt alone fills max_length under keep_start: no completion token left -> dropped
  const f = fitPairs([pr, { prompt_ids: [1], chosen_ids: [2], rejected_ids: [3] }], { max_length: 4, truncation_mode: 'keep_start' });
  assert.equal(f.dropped, 1); assert.equal(f.kept.length, 1);
});

test('SFT collator masks the prompt; packing restarts positions and never scores across examples', () => {
  const ex = [{ input_ids: [1, 2, 3], completion_mask: [0, 1, 1] }, { input_ids: [4, 5], completion_mask: [0, 1] }, { input_ids: [6, 7, 8, 9], completion_mask: [0, 0, 1, 1] }];
  const s = collateSft(ex.slice(0, 2), 0);
  assert.deepEqual(rows(s.ids, s.T), [[1, 2, 3], [4, 5, 0]]);
  assert.deepEqual(rows(s.completionMask, s.T), [[0, 1, 1], [0, 1, 0]]);
  const groups = packSft(ex, 6);
  assert.deepEqual(groups.map((g) => g.length), [2, 1]);
  const p = collatePacked(groups, 0);
  // rows are padded to the longest packed row (5), not to max_length
  assert.deepEqual(rows(p.ids, p.T), [[1, 2, 3, 4, 5], [6, 7, 8, 9, 0]]);
  assert.deepEqual(rows(p.completionMask, p.T), [[0, 1, 1, 0, 1], [0, 0, 1, 1, 0]]);
  assert.deepEqual(rows(p.positionIds!, p.T), [[0, 1, 2, 0, 1], [0, 1, 2, 3, 0]]);
});
