// Test fixtures for the trainers: tiny Llama models (the real engine), a tiny model folder with the chatml
// tokenizer fixture, and synthetic tokenized pairs. Not a test file.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Model } from '../../src/model/model.js';
import { parseModelConfig } from '../../src/model/config.js';
import { Rng } from '../../src/util/rng.js';
import type { TokenizedPair } from '../../src/train/collate.js';

export function tinyConfig(vocab = 32, extra: Record<string, unknown> = {}) {
  return parseModelConfig({
    model_type: 'llama', vocab_size: vocab, hidden_size: 16, intermediate_size: 32, num_hidden_layers: 2,
    num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 128, rms_norm_eps: 1e-6,
    tie_word_embeddings: false, ...extra,
  });
}

/** A tiny random Llama; initializer_range 0.2 so logits are not all ~uniform. */
export function tinyModel(seed = 1, vocab = 32): Model {
  return Model.init(tinyConfig(vocab), seed, { initializerRange: 0.2 });
}

export function tmpDir(tag: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `radpo-train-${tag}-`));
}

/** n random pairs over vocab [1, V): prompt 2-5 tokens, completions 1-6 tokens. */
export function randomPairs(n: number, seed: number, V = 32): TokenizedPair[] {
  const r = new Rng(seed);
  const seq = (lo: number, hi: number) => Array.from({ length: lo + r.int(hi - lo + 1) }, () => 1 + r.int(V - 1));
  return Array.from({ length: n }, () => ({ prompt_ids: seq(2, 5), chosen_ids: seq(1, 6), rejected_ids: seq(1, 6) }));
}

/** A model folder (config + weights + the chatml test tokenizer) for CLI tests. */
export async function tinyModelFolder(seed = 1): Promise<string> {
  const tokDir = 'interop/fixtures/tokenizers/chatml';
  const vocab = 700 + 3;
  const dir = tmpDir('model');
  const m = Model.init(tinyConfig(vocab), seed, { initializerRange: 0.2 });
  await m.save(dir, {
    extraFiles: {
      'tokenizer.json': fs.readFileSync(path.join(tokDir, 'tokenizer.json')),
      'tokenizer_config.json': fs.readFileSync(path.join(tokDir, 'tokenizer_config.json')),
    },
  });
  return dir;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}
