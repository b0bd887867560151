import { parseModelConfig } from '../src/model/config.js';
import { Model } from '../src/model/model.js';
import { gemmSettings, matmul } from '../src/model/gemm.js';
import { DecodeWorkspace, forwardCached, KvCache } from '../src/model/kv_cache.js';
gemmSettings.threads = 1;
const config = parseModelConfig({ model_type: 'llama', vocab_size: 4096, hidden_size: 256, intermediate_size: 688, num_hidden_layers: 4, num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 1024 });
const m = Model.init(config, 1);
const shapes: [number, number, number][] = [[1, 512, 256], [1, 256, 256], [1, 1376, 256], [1, 256, 688], [1, 4096, 256]];
for (const [M, N, K] of shapes) {
  const a = new Float32Array(M * K), w = new Float32Array(N * K), o = new Float32Array(M * N);
  for (let i = 0; i < 20; i++) await matmul(o, a, w, M, N, K, { transB: true });
  let best = Infinity;
  for (let r = 0; r < 5; r++) { const t0 = performance.now(); for (let i = 0; i < 200; i++) await matmul(o, a, w, M, N, K, { transB: true }); best = Math.min(best, (performance.now() - t0) / 200); }
  console.log(`ORT ${M}x${K} . ${K}x${N}: ${(best * 1000).toFixed(1)} us`);
}
const cache = new KvCache(config, 1, 300);
const ws = new DecodeWorkspace();
await forwardCached(m, cache, new Int32Array(32).fill(3), 32, null, ws);
const ids = new Int32Array(1).fill(5);
let best = Infinity;
for (let r = 0; r < 5; r++) { const t0 = performance.now(); for (let i = 0; i < 40; i++) await forwardCached(m, cache, ids, 1, null, ws); best = Math.min(best, (performance.now() - t0) / 40); }
console.log(`decode step B=1: ${best.toFixed(2)} ms`);
