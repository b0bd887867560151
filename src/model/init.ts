// Fresh parameters as transformers initialises Llama-family models: weights ~ normal(0, initializer_range),
// RMSNorm weights 1, biases 0 (seeded, deterministic). Not the `radpo init` folder writer: see init_folder.ts.

import type { ModelConfig } from './config.js';
import type { ParamStore } from './params.js';
import { Rng } from '../util/rng.js';

export function initParams(params: ParamStore, config: ModelConfig, seed: number, std: number): void {
  const rng = new Rng(seed);
  for (const e of params.entries) {
    const v = params.view(e.name);
    if (e.name.endsWith('layernorm.weight') || e.name === 'model.norm.weight') v.fill(1);
    else if (e.name.endsWith('.bias')) v.fill(0);
    else for (let i = 0; i < v.length; i++) v[i] = rng.normal() * std;
  }
  // transformers zeroes the embedding row of the padding token.
  const pad = config.pad_token_id;
  if (pad !== null && pad < config.vocab_size) params.view('model.embed_tokens.weight').fill(0, pad * config.hidden_size, (pad + 1) * config.hidden_size);
}
