import { parseModelConfig } from '../src/model/config.js';
import { KvCache } from '../src/model/kv_cache.js';
const config = parseModelConfig({ model_type: 'llama', vocab_size: 4096, hidden_size: 256, intermediate_size: 688, num_hidden_layers: 4, num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 1024 });
const B = 16, L = 100;
const cache = new KvCache(config, B, 200);
const q = new Float32Array(B * 4 * 64).fill(0.1);
const kc = cache.k[0]!.fill(0.01);
function run(): number { let acc = 0; for (let j = 0; j < B * 2 * L; j++) { let d = 0; const ko = j * 64; for (let e = 0; e < 64; e++) d += q[e]! * kc[ko + e]!; acc += d; } return acc; }
for (let r = 0; r < 50; r++) run();
const c0 = process.cpuUsage(); const t0 = performance.now();
for (let r = 0; r < 500; r++) run();
const cpu = (process.cpuUsage(c0).user) / 1e3 / 500, wall = (performance.now() - t0) / 500;
console.log(`dot loop: cpu ${cpu.toFixed(3)} ms wall ${wall.toFixed(3)} ms for ${B * 2 * L * 64} MAC (${(B * 2 * L * 64 / cpu / 1e6).toFixed(2)} GMAC/s per CPU)`);
