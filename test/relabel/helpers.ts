// Fixtures for the relabel tests: tiny random Llama folders with a character tokenizer (built here, chat template
// ChatML) and short real preference rows. Not a test file.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Model } from '../../src/model/model.js';
import { parseModelConfig } from '../../src/model/config.js';
import { buildTokenizer, writeTokenizer } from '../../src/model/tokenizer_build.js';

export const REAL = new URL('../../../shared/data/real/', import.meta.url).pathname;
export const TRL_STANDARD = path.join(REAL, 'trl-standard/trl-lib_ultrafeedback_binarized_eval_clean_200.jsonl');

export function tmpDir(tag: string): string { return fs.mkdtempSync(path.join(os.tmpdir(), `radpo-relabel-${tag}-`)); }

export function readJsonl(file: string): Record<string, unknown>[] {
  return fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
}
export function writeJsonl(file: string, rows: unknown[]): void {
  fs.writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
}

/** A model folder: tiny random Llama (hidden 16, 2 layers) + a character tokenizer over printable ASCII. */
export async function tinyModelDir(seed: number, extraFiles: Record<string, string> = {}): Promise<string> {
  const tok = buildTokenizer({ kind: 'char' });
  const config = parseModelConfig({
    model_type: 'llama', vocab_size: tok.vocabSize, hidden_size: 16, intermediate_size: 32, num_hidden_layers: 2,
    num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 512, rms_norm_eps: 1e-6, tie_word_embeddings: false,
    eos_token_id: 2, pad_token_id: 0,
  });
  const dir = tmpDir(`model${seed}`);
  await Model.init(config, seed, { initializerRange: 0.2 }).save(dir, { extraFiles });
  writeTokenizer(dir, tok);
  return dir;
}

/** n TRL-standard rows from `offset` with texts cut short (ASCII only; rows left blank or identical are skipped). */
export function shortPairs(n: number, offset = 0): { prompt: string; chosen: string; rejected: string; metadata: unknown }[] {
  const ascii = (s: string, k: number): string => s.replace(/[^\x20-\x7e]/g, ' ').replace(/ +/g, ' ').trim().slice(0, k);
  const out: { prompt: string; chosen: string; rejected: string; metadata: unknown }[] = [];
  for (const r of readJsonl(TRL_STANDARD).slice(offset)) {
    const p = { prompt: ascii(r.prompt as string, 48), chosen: ascii(r.chosen as string, 24), rejected: ascii(r.rejected as string, 30), metadata: r.metadata };
    if (p.prompt && p.chosen && p.rejected && p.chosen !== p.rejected) out.push(p);
    if (out.length === n) break;
  }
  return out;
}
