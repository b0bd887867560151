import { parseModelConfig } from '../src/model/config.js';
import { Model } from '../src/model/model.js';
import { gemmSettings, matmul } from '../src/model/gemm.js';
import { DecodeWorkspace, forwardCached, KvCache } from '../src/model/kv_cache.js';
gemmSettings.threads = Number(process.argv[2] ?? 2);
const config = parseModelConfig({ model_type: 'llama', vocab_size: 4096, hidden_size: 256, intermediate_size: 688, num_hidden_layers: 4, num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 1024 });
const m = Model.init(config, 1);
for (const B of [1, 16]) {
  const cache = new KvCache(config, B, 300);
  const ws = new DecodeWorkspace();
  await forwardCached(m, cache, new Int32Array(B * 32).fill(3), 32, null, ws);
  const ids = new Int32Array(B).fill(5);
  for (let i = 0; i < 5; i++) await forwardCached(m, cache, ids, 1, null, ws);
  const t0 = performance.now();
  const n = 50;
  for (let i = 0; i < n; i++) await forwardCached(m, cache, ids, 1, null, ws);
  const ms = (performance.now() - t0) / n;
  console.log(`B=${B} threads=${gemmSettings.threads}: ${ms.toFixed(2)} ms/step, ${(B * 1000 / ms).toFixed(0)} tok/s`);
}
// raw ORT call cost for a GEMV 1x256 . 256x768^T
const a = new Float32Array(256), w = new Float32Array(768 * 256), o = new Float32Array(768);
for (let i = 0; i < 20; i++) await matmul(o, a, w, 1, 768, 256, { transB: true });
let t0 = performance.now();
for (let i = 0; i < 500; i++) await matmul(o, a, w, 1, 768, 256, { transB: true });
console.log(`ORT gemv 1x256x768: ${((performance.now() - t0) / 500 * 1000).toFixed(1)} us`);
t0 = performance.now();
for (let i = 0; i < 500; i++) { for (let r = 0; r < 768; r++) { let s = 0; const off = r * 256; for (let k = 0; k < 256; k++) s += w[off + k]! * a[k]!; o[r] = s; } }
console.log(`JS gemv 1x256x768: ${((performance.now() - t0) / 500 * 1000).toFixed(1)} us`);
