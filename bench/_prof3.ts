import { parseModelConfig } from '../src/model/config.js';
import { Model } from '../src/model/model.js';
import { gemmSettings } from '../src/model/gemm.js';
import { DecodeWorkspace, forwardCached, KvCache, WasmWeights } from '../src/model/kv_cache.js';
gemmSettings.threads = Number(process.argv[2] ?? 1);
const config = parseModelConfig({ model_type: 'llama', vocab_size: 4096, hidden_size: 256, intermediate_size: 688, num_hidden_layers: 4, num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 1024 });
const m = Model.init(config, 1);
for (const wasm of [false, true, false, true]) for (const B of [1, 4]) {
  const cache = new KvCache(config, B, 300);
  const ws = new DecodeWorkspace();
  if (wasm) ws.wasm = WasmWeights.build(m);
  await forwardCached(m, cache, new Int32Array(32 * B).fill(3), 32, null, ws);
  const ids = new Int32Array(B).fill(5);
  let best = Infinity;
  for (let r = 0; r < 5; r++) { const t0 = performance.now(); for (let i = 0; i < 30; i++) await forwardCached(m, cache, ids, 1, null, ws); best = Math.min(best, (performance.now() - t0) / 30); }
  console.log(`wasm=${wasm} B=${B}: ${best.toFixed(2)} ms/step  ${(B * 1000 / best).toFixed(0)} tok/s`);
}
