import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { scoreFile } from '../../src/pipeline/score.js';
import { goalConditioner } from '../../src/verify/goal_condition.js';
import { augmentPairs } from '../../src/data/augment.js';
import type { CompletionRow, ModelScorer } from '../../src/verify/implicit_reward.js';

const REAL = new URL('../../../shared/data/real/', import.meta.url).pathname;
const CONV = path.join(REAL, 'trl-conversational-implicit/ultrafeedback_binarized_test_prefs_first500.chosen_rejected.jsonl');
const TRL_STANDARD = path.join(REAL, 'trl-standard/trl-lib_ultrafeedback_binarized_eval_clean_200.jsonl');
const text = (c: unknown): string => (typeof c === 'string' ? c : JSON.stringify(c));

test('goalConditioner inserts the goal exactly as radpo augment does (both placements, text and message prompts)', () => {
  const conv = fs.readFileSync(CONV, 'utf8').split('\n').slice(0, 3).map((l) => JSON.parse(l));
  const std = fs.readFileSync(TRL_STANDARD, 'utf8').split('\n').slice(0, 3).map((l) => JSON.parse(l));
  for (const placement of ['system', 'prompt'] as const) {
    for (const rows of [conv, std]) {
      // augment's positive copy for goal g conditions the prompt and keeps chosen: score both sides as g = 7
      const aug = augmentPairs(rows.map((r) => ({ ...r, score_chosen: 7, score_rejected: 3, metadata: undefined })), { placement, fine_grained_filter: false });
      const c = goalConditioner({ placement });
      const pairs = rows.map((r) => (r.prompt === undefined ? splitConv(r) : { prompt: r.prompt, chosen: r.chosen }));
      pairs.forEach((p, i) => {
        const got = c({ prompt: p.prompt, completion: p.chosen }, 7);
        const a = aug[i]!;
        const augPrompt = a.prompt ?? null;
        if (augPrompt !== null) assert.deepEqual(got.prompt, augPrompt);
        // implicit-prompt rows: augment conditions inside chosen; the prompt + completion must render the same conversation
        else assert.deepEqual([...(got.prompt as unknown[]), ...(got.completion as unknown[])], a.chosen);
        if (augPrompt !== null) assert.deepEqual(got.completion, a.chosen);
      });
    }
  }
});

function splitConv(r: { chosen: { role: string; content: string }[] }): { prompt: unknown; chosen: unknown } {
  return { prompt: r.chosen.slice(0, -1), chosen: r.chosen.slice(-1) };
}

/** A fake goal-conditioned model: log p(y | x, g) = -(g - q(y))^2 / 4 with q(y) = 1 + (len(y) mod 10), g read
 *  back from the goal text ("Overall score: g."). */
const fake: ModelScorer = {
  key: 'fake-verifier',
  score: async (rows: CompletionRow[]) => rows.map((r) => {
    const g = Number(/Overall score: ([\d.]+)\./.exec(text(r.prompt))![1]);
    const q = 1 + (text(r.completion).length % 10);
    return { logp: -((g - q) ** 2) / 4, n: 5 };
  }),
};

test('scoreFile: posterior over the 10 goals peaks at the score the fake model encodes; cached reruns', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'radpo-score-'));
  const out = path.join(dir, 'scored.jsonl');
  const r = await scoreFile(TRL_STANDARD, out, fake, { limit: 5, cache_dir: path.join(dir, 'c') });
  assert.equal(r.responses, 10);
  assert.deepEqual(r.goals, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.deepEqual(r.stats, { computed: 100, cached: 0 });
  const rows = fs.readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  for (const row of rows) {
    for (const side of ['chosen', 'rejected']) {
      const q = 1 + (text([{ role: 'assistant', content: row[side] }]).length % 10);
      assert.equal(row[`verifier_score_${side}`], q);
      const probs = row[`verifier_probs_${side}`] as number[];
      assert.ok(Math.abs(probs.reduce((a, b) => a + b) - 1) < 1e-12); // float64 normalisation
    }
  }
  // pair accuracy by hand: chosen wins when its expected score is higher
  const won = rows.reduce((a, row) => a + (row.verifier_expected_chosen > row.verifier_expected_rejected ? 1 : row.verifier_expected_chosen === row.verifier_expected_rejected ? 0.5 : 0), 0);
  assert.equal(r.pair_accuracy, won / 5);
  const again = await scoreFile(TRL_STANDARD, out, fake, { limit: 5, cache_dir: path.join(dir, 'c') });
  assert.deepEqual(again.stats, { computed: 0, cached: 100 });
  fs.rmSync(dir, { recursive: true, force: true });
});

test('scoreFile on HelpSteer2 rows (real sample): verifier columns on every row, Spearman against the score attribute', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'radpo-score-'));
  const hs2 = path.join(REAL, 'helpsteer2/helpsteer2_sample_10.jsonl');
  const out = path.join(dir, 'hs2.jsonl');
  const r = await scoreFile(hs2, out, fake, { scale_min: 0, scale_max: 4 });
  const input = fs.readFileSync(hs2, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const rows = fs.readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(r.responses, input.length);
  assert.equal(r.pair_accuracy, null);
  rows.forEach((row, i) => {
    // the fake model's score 1 + (len mod 10) clipped to the 0-4 grid: argmax is the nearest goal
    const q = 1 + (text([{ role: 'assistant', content: input[i].response }]).length % 10);
    assert.equal(row.verifier_score, Math.min(4, q));
    assert.equal(row.helpfulness, input[i].helpfulness);
  });
  assert.equal(typeof r.spearman_expected, 'number');
  fs.rmSync(dir, { recursive: true, force: true });
});
