import { parseModelConfig } from '../src/model/config.js';
import { Model } from '../src/model/model.js';
import { DecodeWorkspace, forwardCached, KvCache, WasmWeights } from '../src/model/kv_cache.js';
const config = parseModelConfig({ model_type: 'llama', vocab_size: 4096, hidden_size: 256, intermediate_size: 688, num_hidden_layers: 4, num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 1024 });
const m = Model.init(config, 1);
const B = Number(process.argv[2] ?? 1);
const ws = new DecodeWorkspace();
ws.wasm = WasmWeights.build(m);
const ids = new Int32Array(B).fill(5);
let n = 0; const t0 = performance.now();
for (let rep = 0; rep < 12; rep++) {
  const cache = new KvCache(config, B, 200);
  await forwardCached(m, cache, new Int32Array(32 * B).fill(3), 32, null, ws);
  for (let i = 0; i < 128; i++) { await forwardCached(m, cache, ids, 1, null, ws); n++; }
}
console.log(((performance.now() - t0) / n).toFixed(2), 'ms/step');
