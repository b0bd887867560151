// Benchmark: SFT and DPO optimizer steps with a LoRA adapter vs full fine-tuning on the SmolLM-135M shape (hidden 576,
// 30 layers, 9 heads, 3 KV heads, intermediate 1536, vocab 49152, tied), in the same run: tokens/s and peak RSS.
// Each configuration runs in its own child process so peak memory is its own. Not a unit test (no assertions).
//
//   npx tsx bench/lora.ts [--T 256] [--B 1] [--steps 3] [--layers 30] [--r 16]

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseModelConfig } from '../src/model/config.js';
import { Model } from '../src/model/model.js';
import { trainLoraDpo, trainLoraSft } from '../src/model/lora_train.js';
import { trainDpo } from '../src/train/dpo.js';
import { trainSft } from '../src/train/sft.js';
import { Rng } from '../src/util/rng.js';

const MODES = ['sft-full', 'sft-lora', 'dpo-full', 'dpo-lora'] as const;
type Mode = (typeof MODES)[number];

function arg(name: string, d: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : d;
}

async function child(mode: Mode): Promise<void> {
  const T = arg('T', 256), B = arg('B', 1), steps = arg('steps', 3), L = arg('layers', 30), r = arg('r', 16);
  const cfg = parseModelConfig({
    model_type: 'llama', vocab_size: 49152, hidden_size: 576, intermediate_size: 1536, num_hidden_layers: L,
    num_attention_heads: 9, num_key_value_heads: 3, rms_norm_eps: 1e-5, rope_theta: 10000, tie_word_embeddings: true,
    max_position_embeddings: 2048,
  });
  const base = Model.init(cfg, 0);
  const rng = new Rng(1);
  const ids = (n: number): number[] => Array.from({ length: n }, () => 1 + rng.int(49151));
  const P = 32;  // prompt tokens; the rest is completion
  const n = B * (steps + 1);
  const pairs = Array.from({ length: n }, () => ({ prompt_ids: ids(P), chosen_ids: ids(T - P), rejected_ids: ids(T - P) }));
  const sft = Array.from({ length: n }, () => { const p = ids(P), c = ids(T - P); return { input_ids: [...p, ...c], completion_mask: [...p.map(() => 0), ...c.map(() => 1)] }; });
  const times: number[] = [];
  const onLog = (m: Record<string, number>): void => { if (m.loss !== undefined) times.push(performance.now()); };
  const common = { per_device_train_batch_size: B, gradient_accumulation_steps: 1, max_steps: steps + 1, logging_steps: 1, learning_rate: 1e-5, max_length: T, seed: 0 };
  const lora = { lora_r: r, lora_alpha: 2 * r, lora_dropout: 0.05 };
  const t0 = performance.now();
  let trainable = 0;
  if (mode === 'sft-full') { trainable = base.params.size; await trainSft(common, { model: base, train: sft, quiet: true, onLog }); }
  if (mode === 'dpo-full') { trainable = base.params.size; await trainDpo({ ...common, beta: 0.1 }, { model: base, train: pairs, quiet: true, onLog }); }
  if (mode === 'sft-lora') { const res = await trainLoraSft({ ...common, ...lora }, { base, train: sft, quiet: true, onLog }); trainable = res.model.params.size; }
  if (mode === 'dpo-lora') { const res = await trainLoraDpo({ ...common, ...lora, beta: 0.1 }, { base, train: pairs, quiet: true, onLog }); trainable = res.model.params.size; }
  // Step time: between consecutive logged steps, the first (warm-up: ORT sessions, buffers) excluded.
  const dts = times.slice(1).map((t, i) => (t - times[i]!) / 1000);
  const step = dts.reduce((a, b) => a + b, 0) / Math.max(1, dts.length);
  const tokens = (mode.startsWith('dpo') ? 2 : 1) * B * T;  // policy tokens per optimizer step (DPO: chosen + rejected)
  process.stdout.write(JSON.stringify({
    mode, T, B, layers: L, r, steps: dts.length, step_s: step, tokens_per_s: tokens / step, trainable_params: trainable,
    peak_rss_mb: process.resourceUsage().maxRSS / 1024, total_s: (performance.now() - t0) / 1000,
  }) + '\n');
}

function parent(): void {
  const self = fileURLToPath(import.meta.url);
  const rest = process.argv.slice(2);
  const rows: Record<string, number | string>[] = [];
  for (const mode of MODES) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', self, '--child', mode, ...rest], { encoding: 'utf8', maxBuffer: 1 << 24 });
    if (r.status !== 0) { process.stderr.write(`${mode} failed:\n${r.stderr}\n`); process.exit(1); }
    const line = r.stdout.trim().split('\n').pop()!;
    rows.push(JSON.parse(line) as Record<string, number | string>);
    process.stdout.write(`${line}\n`);
  }
  const get = (m: Mode) => rows.find((x) => x.mode === m)!;
  process.stdout.write('\nmode       tokens/s   step s   peak RSS MB   trainable params\n');
  for (const x of rows) process.stdout.write(`${String(x.mode).padEnd(10)} ${Number(x.tokens_per_s).toFixed(1).padStart(8)} ${Number(x.step_s).toFixed(2).padStart(8)} ${Number(x.peak_rss_mb).toFixed(0).padStart(13)} ${String(x.trainable_params).padStart(18)}\n`);
  for (const k of ['sft', 'dpo'] as const) {
    const f = get(`${k}-full`), l = get(`${k}-lora`);
    process.stdout.write(`${k}: LoRA / full tokens/s = ${(Number(l.tokens_per_s) / Number(f.tokens_per_s)).toFixed(2)}x, peak RSS = ${(Number(l.peak_rss_mb) / Number(f.peak_rss_mb)).toFixed(2)}x\n`);
  }
}

const ci = process.argv.indexOf('--child');
if (ci >= 0) await child(process.argv[ci + 1] as Mode);
else parent();
