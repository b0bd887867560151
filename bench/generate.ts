// Generation throughput benchmark: radpo's KV-cache decoding at batch 1 and 16 against llama.cpp (node-llama-cpp,
// same exported fp32 weights, same threads) in the same run; prints tokens/s and ratios. Not a unit test.
// Run: npx tsx bench/generate.ts [--new 128] [--prompt 32] [--threads 1] [--repeat 3]. Default 1 thread: on an
// oversubscribed machine llama.cpp's 2-thread barrier collapses (4 tokens/s measured), which would flatter radpo.
// Each figure is the best of --repeat timed runs (the least disturbed by other processes on a shared machine);
// tokens per CPU-second (process CPU time, all threads) is the less load-sensitive figure when the machine is busy.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { getLlama, LlamaLogLevel, type Token } from 'node-llama-cpp';
import { parseModelConfig } from '../src/model/config.js';
import { Model } from '../src/model/model.js';
import { gemmSettings } from '../src/model/gemm.js';
import { generateIds } from '../src/model/generate.js';
import { exportGguf } from '../src/model/gguf.js';
import { Rng } from '../src/util/rng.js';
import { tinyTokenizerJson } from '../test/model/gguf_fixture.js';

const arg = (name: string, def: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
};
const NEW = arg('new', 128), PROMPT = arg('prompt', 32), THREADS = arg('threads', 1), REPEAT = arg('repeat', 3), BATCH = 16;
gemmSettings.threads = THREADS;

// The reference small config of issue 3.
const config = parseModelConfig({
  model_type: 'llama', vocab_size: 4096, hidden_size: 256, intermediate_size: 688, num_hidden_layers: 4,
  num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 1024, rms_norm_eps: 1e-5,
  rope_theta: 10000, tie_word_embeddings: false, eos_token_id: 260,
});
const model = Model.init(config, 1, { initializerRange: 0.1 });
const rng = new Rng(5);
const prompts = Array.from({ length: BATCH }, () => Array.from({ length: PROMPT }, () => rng.int(4096)));

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'radpo-bench-gen-'));
const gguf = path.join(tmp, 'small.gguf');
fs.writeFileSync(path.join(tmp, 'tokenizer.json'), JSON.stringify(tinyTokenizerJson()));
exportGguf(model, gguf, { tokenizerDir: tmp, name: 'radpo-small' }); // ids >= 261 become unused [PAD] tokens

/** CPU seconds (user + system, all threads of this process: radpo, ORT and llama.cpp alike) since `c0`. */
const cpuSeconds = (c0: NodeJS.CpuUsage): number => { const d = process.cpuUsage(c0); return (d.user + d.system) / 1e6; };

interface Result { tps: number; cpuTps: number; tokens: number[][] }

async function radpo(batch: number): Promise<Result> {
  const ps = prompts.slice(0, batch);
  await generateIds(model, ps, { max_new_tokens: 4, batch_size: batch, eos_token_id: [] }); // warm-up (ORT sessions)
  let best = Infinity, bestCpu = Infinity;
  let out: Awaited<ReturnType<typeof generateIds>> = [];
  for (let r = 0; r < REPEAT; r++) {
    const t0 = performance.now(), c0 = process.cpuUsage();
    out = await generateIds(model, ps, { max_new_tokens: NEW, batch_size: batch, eos_token_id: [] });
    best = Math.min(best, (performance.now() - t0) / 1000);
    bestCpu = Math.min(bestCpu, cpuSeconds(c0));
  }
  return { tps: (batch * NEW) / best, cpuTps: (batch * NEW) / bestCpu, tokens: out.map((g) => g.tokens) };
}

const llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error, maxThreads: THREADS });
const lmodel = await llama.loadModel({ modelPath: gguf, gpuLayers: 0 });

async function llamacpp(batch: number): Promise<Result> {
  const ctx = await lmodel.createContext({ contextSize: batch * (PROMPT + NEW + 8), sequences: batch, threads: THREADS, flashAttention: false, batchSize: 512 });
  const seqs = prompts.slice(0, batch).map(() => ctx.getSequence());
  const run = async (warm: boolean): Promise<number[][]> => Promise.all(prompts.slice(0, batch).map(async (p, i) => {
    const seq = seqs[i]!;
    await seq.clearHistory();
    const toks: number[] = [];
    const n = warm ? 4 : NEW;
    for await (const t of seq.evaluate(p as Token[], { temperature: 0 })) { toks.push(t); if (toks.length >= n) break; }
    return toks;
  }));
  await run(true);
  let best = Infinity, bestCpu = Infinity;
  let tokens: number[][] = [];
  for (let r = 0; r < REPEAT; r++) {
    const t0 = performance.now(), c0 = process.cpuUsage();
    tokens = await run(false);
    best = Math.min(best, (performance.now() - t0) / 1000);
    bestCpu = Math.min(bestCpu, cpuSeconds(c0));
  }
  await ctx.dispose();
  return { tps: (batch * NEW) / best, cpuTps: (batch * NEW) / bestCpu, tokens };
}

const agree = (a: number[], b: number[]): number => { let k = 0; while (k < a.length && a[k] === b[k]) k++; return k; };
console.log(`generation benchmark: small config (V 4096, C 256, L 4, NH 4, NKV 2, I 688), prompt ${PROMPT}, ${NEW} new tokens, greedy, ${THREADS} threads, best of ${REPEAT}, ${os.cpus()[0]?.model ?? 'cpu'}, load average ${os.loadavg()[0]!.toFixed(1)}`);
// Rows print as they are measured, so a run cut short still reports what it has.
const row = (name: string, r: Result): Result => { console.log(`  ${name.padEnd(20)} ${r.tps.toFixed(0).padStart(6)} tokens/s wall   ${r.cpuTps.toFixed(0).padStart(6)} tokens per CPU-second`); return r; };
const r1 = row('radpo     batch 1', await radpo(1));
const r16 = row(`radpo     batch ${BATCH}`, await radpo(BATCH));
const l1 = row('llama.cpp batch 1', await llamacpp(1));
try { row(`llama.cpp batch ${BATCH}`, await llamacpp(BATCH)); } catch (e) { console.log(`  llama.cpp batch ${BATCH}: skipped (${(e as Error).message})`); }
console.log(`  ratio radpo/llama.cpp at batch 1: ${(r1.tps / l1.tps).toFixed(2)}x wall, ${(r1.cpuTps / l1.cpuTps).toFixed(2)}x per CPU-second (target >= 0.5)`);
console.log(`  ratio radpo batch ${BATCH} / llama.cpp batch 1: ${(r16.tps / l1.tps).toFixed(2)}x wall, ${(r16.cpuTps / l1.cpuTps).toFixed(2)}x per CPU-second (target > 1)`);
console.log(`  greedy tokens identical to llama.cpp for the first ${agree(r1.tokens[0]!, l1.tokens[0]!)} of ${NEW} (batch 1, F16 KV cache in llama.cpp)`);
await lmodel.dispose();
await llama.dispose();
fs.rmSync(tmp, { recursive: true, force: true });
