import { parseModelConfig } from '../src/model/config.js';
import { Model } from '../src/model/model.js';
import { matmulRef } from '../src/model/gemm.js';
import { WasmWeights } from '../src/model/kv_cache.js';
const config = parseModelConfig({ model_type: 'llama', vocab_size: 4096, hidden_size: 256, intermediate_size: 688, num_hidden_layers: 4, num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 1024 });
const m = Model.init(config, 1);
const w = WasmWeights.build(m, 4);
console.log('built', !!w);
const x = new Float32Array(2 * 256).map((_, i) => Math.sin(i));
const out = new Float32Array(2 * 512), ref = new Float32Array(2 * 512);
w!.matmul(out, x, 'model.layers.1.self_attn.q_proj.weight', 2);
matmulRef(ref, x, m.params.span('model.layers.1.self_attn.q_proj.weight', 'model.layers.1.self_attn.v_proj.weight'), 2, 512, 256, { transB: true });
let d = 0; for (let i = 0; i < ref.length; i++) d = Math.max(d, Math.abs(out[i]! - ref[i]!));
console.log('maxdiff', d, ref[5], out[5]);
const o2 = new Float32Array(4096);
let best = Infinity;
for (let r = 0; r < 5; r++) { const t0 = performance.now(); for (let i = 0; i < 200; i++) w!.matmul(o2, x, 'head', 1); best = Math.min(best, (performance.now() - t0) / 200); }
console.log(`wasm 1x256 . 256x4096: ${(best * 1000).toFixed(1)} us  (${(2 * 256 * 4096 / best / 1e6).toFixed(2)} GFLOP/s)`);
