// Trainer benchmark: DPO optimizer steps per second on the small reference config (configs/small.json) with radpo,
// and with TRL 1.16's DPOTrainer on CPU (same weights, same token ids, same threads) in the same run when the
// interop venv exists. Not a test: prints the numbers. Usage: npx tsx bench/train.ts [--steps N] [--pairs B]
// [--len L] [--threads N] [--no-trl]

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Model } from '../src/model/model.js';
import { parseModelConfig } from '../src/model/config.js';
import { gemmSettings } from '../src/model/gemm.js';
import { trainDpo } from '../src/train/dpo.js';
import type { TokenizedPair } from '../src/train/collate.js';
import { Rng } from '../src/util/rng.js';
import { findVenv } from './venv.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const args = process.argv.slice(2);
const num = (name: string, def: number) => { const i = args.indexOf(name); return i >= 0 ? Number(args[i + 1]) : def; };
const STEPS = num('--steps', 8), PAIRS = num('--pairs', 4), LEN = num('--len', 64), THREADS = num('--threads', 2);
gemmSettings.threads = THREADS;

// TRL side: the same folder and ids; one batch per step (the whole dataset), live frozen reference, AdamW.
const TRL_SCRIPT = String.raw`
import json, sys, time, torch
from datasets import Dataset
from transformers import AutoTokenizer, LlamaForCausalLM, TrainerCallback
from trl import DPOConfig, DPOTrainer
model_dir, data, tok_dir, steps, pairs, threads, out = sys.argv[1:]
torch.set_num_threads(int(threads))
class PreTokenized(DPOTrainer):
    def _prepare_dataset(self, dataset, *a, **k):
        return dataset
times = []
class Clock(TrainerCallback):
    def on_step_end(self, args, state, control, **kw):
        times.append(time.perf_counter())
rows = [json.loads(l) for l in open(data)]
cfg = DPOConfig(output_dir=out, per_device_train_batch_size=int(pairs), max_steps=int(steps) + 1, learning_rate=1e-5,
                logging_steps=1, bf16=False, fp16=False, gradient_checkpointing=False, report_to=[], use_cpu=True,
                optim="adamw_torch", save_strategy="no", max_length=None, disable_tqdm=True, seed=0)
model = LlamaForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
ref = LlamaForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
t = PreTokenized(model=model, ref_model=ref, args=cfg, train_dataset=Dataset.from_list(rows),
                 processing_class=AutoTokenizer.from_pretrained(tok_dir), callbacks=[Clock()])
t.train()
print(json.dumps({"step_s": [b - a for a, b in zip(times, times[1:])], "loss": t.state.log_history[0]["loss"]}))
`;

/** Steps/s of the fastest and the median step: on a shared machine the fastest step is the least disturbed. */
function summarize(stepSeconds: number[]): { best: number; median: number } {
  const s = [...stepSeconds].sort((a, b) => a - b);
  return { best: 1 / s[0]!, median: 1 / s[Math.floor((s.length - 1) / 2)]! };
}
const fmt = (x: { best: number; median: number }) => `${x.best.toFixed(3)} steps/s fastest step, ${x.median.toFixed(3)} median`;

async function main(): Promise<void> {
  const { tokenizer: _t, ...spec } = JSON.parse(fs.readFileSync(path.join(root, 'configs/small.json'), 'utf8'));
  const config = parseModelConfig(spec, 'configs/small.json');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'radpo-bench-train-'));
  const init = Model.init(config, 1);
  await init.save(path.join(tmp, 'model'));
  const rng = new Rng(7);
  const seq = (n: number) => Array.from({ length: n }, () => 3 + rng.int(config.vocab_size - 3));
  const pairs: TokenizedPair[] = Array.from({ length: PAIRS }, () => ({ prompt_ids: seq(LEN), chosen_ids: seq(LEN), rejected_ids: seq(LEN) }));
  const data = path.join(tmp, 'pairs.jsonl');
  fs.writeFileSync(data, pairs.map((p) => JSON.stringify(p)).join('\n') + '\n');
  console.log(`DPO steps/s, ${config.num_hidden_layers} layers d ${config.hidden_size} V ${config.vocab_size}: ${PAIRS} pairs/step (B*T = ${2 * PAIRS}x${2 * LEN}), ${THREADS} threads, ${STEPS} timed steps after 1 warm-up`);

  const times: number[] = [];
  const r = await trainDpo(
    { max_steps: STEPS + 1, per_device_train_batch_size: PAIRS, learning_rate: 1e-5, logging_steps: 1, seed: 0, save_strategy: 'no' },
    { model: await Model.load(path.join(tmp, 'model')), train: pairs, quiet: true, onLog: () => { times.push(performance.now()); } },
  );
  const ours = summarize(times.slice(1).map((t, i) => (t - times[i]!) / 1000));
  console.log(`  radpo: ${fmt(ours)} (step-1 loss ${r.metrics[0]!.loss!.toFixed(6)})`);

  const py = args.includes('--no-trl') ? null : findVenv();
  if (!py) { console.log('  TRL: skipped (no interop venv: bash interop/setup.sh)'); return; }
  const script = path.join(tmp, 'trl_bench.py');
  fs.writeFileSync(script, TRL_SCRIPT);
  const tok = path.join(root, 'interop/fixtures/tokenizers/chatml');
  const p = spawnSync(py, [script, path.join(tmp, 'model'), data, tok, String(STEPS), String(PAIRS), String(THREADS), path.join(tmp, 'trl')], { encoding: 'utf8', timeout: 1_200_000, env: { ...process.env, OMP_NUM_THREADS: String(THREADS) } });
  const line = p.stdout.trim().split('\n').pop() ?? '';
  if (p.status !== 0 || !line.startsWith('{')) { console.log(`  TRL: failed (${p.status}): ${p.stderr.slice(-2000)}`); return; }
  const trl = JSON.parse(line) as { step_s: number[]; loss: number };
  const theirs = summarize(trl.step_s);
  console.log(`  TRL 1.16 DPOTrainer (torch CPU): ${fmt(theirs)} (step-1 loss ${trl.loss.toFixed(6)})`);
  console.log(`  ratio radpo / TRL: ${(ours.best / theirs.best).toFixed(2)}x on the fastest step, ${(ours.median / theirs.median).toFixed(2)}x on the median step`);
  fs.rmSync(tmp, { recursive: true, force: true });
}

await main();
