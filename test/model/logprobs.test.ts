import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { completionLogprobs, scoreCompletions, scoreTokenized, type LogitsModel } from '../../src/model/logprobs.js';
import { Model } from '../../src/model/model.js';
import { parseModelConfig } from '../../src/model/config.js';
import { Tokenizer } from '../../src/model/tokenizer.js';
import { tokenizePair } from '../../src/model/tokenize_pair.js';
import { logprobsCommand } from '../../src/cli/commands/logprobs.js';

const golden = JSON.parse(fs.readFileSync('../shared/golden/preference_losses.json', 'utf8')).token_logps;
const FIX = 'interop/fixtures/tokenizers/chatml';

test('golden token_logps: logits at t score token t+1, only completion tokens count', () => {
  const V = golden.logits[0].length;
  const r = completionLogprobs(Float64Array.from(golden.logits.flat()), V, 0, golden.input_ids, golden.completion_mask);
  const want = golden.shifted_token_logps.filter((_: number, i: number) => golden.shifted_mask[i]);
  assert.equal(r.num_tokens, 3);
  // float64 both sides: only summation-order rounding separates them
  r.token_logprobs.forEach((x, i) => assert.ok(Math.abs(x - want[i]) < 1e-12, `${x} vs ${want[i]}`));
  assert.ok(Math.abs(r.completion_logprob - golden.completion_logp_sum) < 1e-12);
});

/** A fake model whose logits at (b, t) depend only on the token there and t: exact under any batching or padding. */
function fakeModel(V: number, seen: { B: number; T: number; mask: number[] }[] = []): LogitsModel {
  return {
    config: { vocab_size: V },
    async forward(ids, B, T, opts) {
      seen.push({ B, T, mask: Array.from(opts?.attentionMask ?? []) });
      const out = new Float32Array(B * T * V);
      for (let i = 0; i < B * T; i++) for (let v = 0; v < V; v++) out[i * V + v] = Math.sin((ids[i] as number) * 7 + v * 3 + (i % T));
      return out;
    },
  };
}

function reference(V: number, ids: number[], mask: number[]): number[] {
  const out: number[] = [];
  for (let i = 1; i < ids.length; i++) {
    if (!mask[i]) continue;
    const l = Array.from({ length: V }, (_, v) => Math.fround(Math.sin(ids[i - 1]! * 7 + v * 3 + (i - 1))));
    const m = Math.max(...l);
    out.push(l[ids[i]!]! - m - Math.log(l.reduce((s, x) => s + Math.exp(x - m), 0)));
  }
  return out;
}

test('batching: length-sorted, padded batches give the per-row reference in input order', async () => {
  const V = 11;
  const items = [
    { input_ids: [1, 2, 3], completion_mask: [0, 1, 1] },
    { input_ids: [4, 5, 6, 7, 8, 9], completion_mask: [0, 0, 0, 1, 1, 1] },
    { input_ids: [3], completion_mask: [1] },                 // nothing to score
    { input_ids: [2, 2, 2, 2], completion_mask: [1, 1, 0, 1] }, // position 0 has no context: not scored
    { input_ids: [10, 1], completion_mask: [0, 1] },
  ];
  const seen: { B: number; T: number; mask: number[] }[] = [];
  const r = await scoreTokenized(fakeModel(V, seen), items, { batch_size: 2, progress: false });
  items.forEach((it, i) => {
    const want = reference(V, it.input_ids, it.completion_mask);
    assert.equal(r[i]!.num_tokens, want.length);
    // the log-sum-exp comes from an ORT graph in float32 (the reference sums in float64): ~1e-7 per token
    r[i]!.token_logprobs.forEach((x, j) => assert.ok(Math.abs(x - want[j]!) < 1e-6, `row ${i} token ${j}: ${x} vs ${want[j]}`));
    assert.ok(Math.abs(r[i]!.completion_logprob - want.reduce((s, x) => s + x, 0)) < 1e-5);
  });
  assert.deepEqual(seen.map((s) => [s.B, s.T]), [[2, 6], [2, 3]]); // longest first; the empty row never reaches the model
  assert.deepEqual(seen[0]!.mask, [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0]);
  const small = await scoreTokenized(fakeModel(V, (seen.length = 0, seen)), items, { batch_size: 8, max_batch_logits: 6 * V, progress: false });
  assert.deepEqual(seen.map((s) => s.B), [1, 1, 2]); // a budget of 6*V logits: the 6- and 4-token rows alone, then two 3-token rows
  assert.deepEqual(small, r);
});

function tinyModel(V: number): Model {
  const config = parseModelConfig({
    model_type: 'qwen2', vocab_size: V, hidden_size: 16, intermediate_size: 32, num_hidden_layers: 2,
    num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 256, rms_norm_eps: 1e-6, tie_word_embeddings: true,
  });
  return Model.init(config, 3, { initializerRange: 0.3 });
}

test('real engine: batched, padded scoring equals one-row forward passes', async () => {
  const tok = Tokenizer.loadSync(FIX);
  const model = tinyModel(tok.vocabSize);
  const rows = [
    { prompt: 'Question: why is the sky blue?\nAnswer:', completion: ' Rayleigh scattering.' },
    { prompt: [{ role: 'user', content: 'Hi' }], completion: [{ role: 'assistant', content: 'Hello! How can I help?' }] },
    { prompt: 'a', completion: 'b' },
  ];
  const got = await scoreCompletions(model, tok, rows, { batch_size: 3, progress: false });
  for (const [i, row] of rows.entries()) {
    const t = tokenizePair(tok, row);
    const logits = await model.forward(Int32Array.from(t.input_ids), 1, t.input_ids.length);
    const want = completionLogprobs(logits, tok.vocabSize, 0, t.input_ids, t.completion_mask);
    // 'a'+'b' merges into one token 'ab' at position 0 (no BOS): it has no context and is not scored
    assert.equal(got[i]!.num_tokens, t.completion_mask.filter((m, j) => m && j > 0).length);
    // float32 engine; batch shape changes only the summation order inside GEMMs
    got[i]!.token_logprobs.forEach((x, j) => assert.ok(Math.abs(x - want.token_logprobs[j]!) < 1e-4, `row ${i} token ${j}: ${x} vs ${want.token_logprobs[j]}`));
  }
});

test('radpo logprobs: output rows in input order, bad rows named by file and line', async () => {
  const tok = Tokenizer.loadSync(FIX);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'radpo-logprobs-'));
  try {
    const modelDir = path.join(dir, 'model');
    await tinyModel(tok.vocabSize).save(modelDir, { extraFiles: {
      'tokenizer.json': fs.readFileSync(path.join(FIX, 'tokenizer.json')), 'tokenizer_config.json': fs.readFileSync(path.join(FIX, 'tokenizer_config.json')) } });
    const rows = [
      { id: 'long', prompt: 'Tell me a story about a cat.', completion: ' Once upon a time there was a cat.' },
      { id: 'chat', prompt: [{ role: 'user', content: 'Hi' }], completion: [{ role: 'assistant', content: 'Hello!' }] },
      { id: 'short', prompt: 'x', completion: 'y' },
    ];
    const input = path.join(dir, 'in.jsonl');
    fs.writeFileSync(input, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const output = path.join(dir, 'out.jsonl');
    const code = await logprobsCommand.run(['--model', modelDir, '--input', input, '-o', output, '--batch_size', '2']);
    assert.equal(code, 0);
    const out = fs.readFileSync(output, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(out.map((r) => r.id), ['long', 'chat', 'short']);
    const want = await scoreCompletions(await Model.load(modelDir), tok, rows, { progress: false, batch_size: 1 });
    out.forEach((r, i) => {
      assert.equal(r.num_tokens, want[i]!.num_tokens);
      assert.equal(r.token_logprobs.length, r.num_tokens);
      assert.ok(Math.abs(r.completion_logprob - want[i]!.completion_logprob) < 1e-4 * r.num_tokens); // float32 engine, different batching
    });
    fs.writeFileSync(input, JSON.stringify(rows[0]) + '\n' + JSON.stringify({ prompt: 'x', completion: 3 }) + '\n');
    await assert.rejects(logprobsCommand.run(['--model', modelDir, '--input', input, '-o', path.join(dir, 'bad.jsonl')]),
      (e: unknown) => e instanceof Error && e.message.includes('in.jsonl:2, field "completion", value 3'));
    assert.equal(fs.existsSync(path.join(dir, 'bad.jsonl')), false);
    fs.writeFileSync(input, JSON.stringify({ prompt: 'x', chosen: 'a', rejected: 'b' }) + '\n');
    await assert.rejects(logprobsCommand.run(['--model', modelDir, '--input', input, '-o', path.join(dir, 'bad.jsonl')]),
      /in\.jsonl:1, field "completion": a preference row \(chosen \/ rejected\).*radpo relabel/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
