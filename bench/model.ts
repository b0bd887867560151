// Engine benchmark: GEMM peak, training step (forward + loss + backward) on the reference small config, the ratio
// to PyTorch eager (same threads) when the interop venv exists, and the SmolLM-135M shape's peak memory and speed.
// Not a test: prints ratios measured in this run.
// Usage: npx tsx bench/model.ts [--steps N] [--no-torch] [--no-smol] [--profile] [--rounds R] [--paired N]
// (--profile: per-stage step breakdown; --rounds: alternate radpo and PyTorch R times, median ratio; --paired: N
// single steps of each, back to back against a PyTorch process kept running, median of the N per-pair ratios)

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import * as readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Model, modelProfile } from '../src/model/model.js';
import { parseModelConfig, countParams, type ModelConfig } from '../src/model/config.js';
import { matmul, gemmSettings, gemmStats } from '../src/model/gemm.js';
import { crossEntropyOrt } from '../src/model/kernels/loss.js';
import { Rng } from '../src/util/rng.js';
import { findVenv } from './venv.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const args = process.argv.slice(2);
const flag = (name: string) => args.includes(name);
const num = (name: string, def: number) => { const i = args.indexOf(name); return i >= 0 ? Number(args[i + 1]) : def; };
const threads = num('--threads', 2);
gemmSettings.threads = threads;

const SMOL = { model_type: 'llama', vocab_size: 49152, hidden_size: 576, intermediate_size: 1536, num_hidden_layers: 30, num_attention_heads: 9, num_key_value_heads: 3, tie_word_embeddings: true, rms_norm_eps: 1e-5 };

function smallConfig(): ModelConfig {
  const { tokenizer: _t, ...spec } = JSON.parse(fs.readFileSync(path.join(root, 'configs/small.json'), 'utf8'));
  return parseModelConfig(spec, 'configs/small.json');
}

function randomIds(n: number, V: number, seed: number): Int32Array {
  const r = new Rng(seed), ids = new Int32Array(n);
  for (let i = 0; i < n; i++) ids[i] = r.int(V);
  return ids;
}

/** Useful training FLOPs per step: 3 x forward, forward = 2 x matmul params per token + causal attention. */
function modelFlops(c: ModelConfig, B: number, T: number): number {
  const C = c.hidden_size, Q = c.num_attention_heads * c.head_dim, KV = c.num_key_value_heads * c.head_dim;
  const perLayer = C * (Q + 2 * KV) + Q * C + 3 * C * c.intermediate_size;
  const matmulParams = c.num_hidden_layers * perLayer + c.vocab_size * C;
  const attn = c.num_hidden_layers * 2 * 2 * Q * ((T + 1) / 2); // QK^T and PV over the causal half, per token
  return 3 * B * T * (2 * matmulParams + attn);
}

async function gemmPeak(): Promise<{ gflops: number; shapes: string[] }> {
  const rng = new Rng(1), shapes: string[] = [];
  let best = 0;
  for (const [M, K, N] of [[512, 256, 1024], [1024, 256, 1376], [2048, 768, 768]] as const) {
    const a = new Float32Array(M * K).map(() => rng.normal()), b = new Float32Array(K * N).map(() => rng.normal()), out = new Float32Array(M * N);
    for (let i = 0; i < 3; i++) await matmul(out, a, b, M, N, K);
    const reps = Math.max(5, Math.round(2e10 / (2 * M * N * K)));
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) await matmul(out, a, b, M, N, K);
    const g = (2 * M * N * K * reps) / ((performance.now() - t0) * 1e6);
    shapes.push(`${M}x${K}.${K}x${N}: ${g.toFixed(1)} GFLOP/s`);
    best = Math.max(best, g);
  }
  return { gflops: best, shapes };
}

/** GFLOP/s of one 2048x768 . 768x768 multiply, run right before each timed step (pairs the load conditions). */
const probe = (() => {
  const M = 2048, K = 768, N = 768, rng = new Rng(3);
  const a = new Float32Array(M * K).map(() => rng.normal()), b = new Float32Array(K * N).map(() => rng.normal()), out = new Float32Array(M * N);
  return async (): Promise<number> => {
    await matmul(out, a, b, M, N, K);
    const t0 = performance.now();
    for (let i = 0; i < 3; i++) await matmul(out, a, b, M, N, K);
    return (3 * 2 * M * N * K) / ((performance.now() - t0) * 1e6);
  };
})();

/** Times forward + cross-entropy + backward; returns median seconds per step and the GEMM flops of one step. */
async function trainSteps(model: Model, B: number, T: number, steps: number, warmup: number, withProbe = false): Promise<{ sec: number; flops: number; gemmSec: number; loss: number; peaks: number[]; secs: number[] }> {
  model.enableGrad();
  const V = model.config.vocab_size, ids = randomIds(B * T, V, 7);
  const logitsBuf = new Float32Array(B * T * V), dlogitsBuf = new Float32Array(B * T * V); // reused: no allocation per step
  const times: number[] = [], peaks: number[] = [];
  let flops = 0, gemmMs = 0, loss = 0;
  for (let s = 0; s < warmup + steps; s++) {
    if (withProbe && s >= warmup) peaks.push(await probe());
    const f0 = gemmStats.flops, g0 = gemmStats.ms, t0 = performance.now();
    const logits = await model.forward(ids, B, T, { train: true, logitsOut: logitsBuf });
    const c0 = performance.now();
    const ce = await crossEntropyOrt(logits, ids, B, T, V, null, dlogitsBuf);
    if (modelProfile.enabled) modelProfile.ms.set('loss', (modelProfile.ms.get('loss') ?? 0) + performance.now() - c0);
    await model.backward(ce.dlogits);
    const dt = (performance.now() - t0) / 1000;
    if (s >= warmup) { times.push(dt); flops = gemmStats.flops - f0; gemmMs = gemmStats.ms - g0; loss = ce.loss; }
  }
  const secs = times.slice();
  times.sort((a, b) => a - b);
  return { sec: times[Math.floor(times.length / 2)]!, flops, gemmSec: gemmMs / 1000, loss, peaks, secs };
}

async function smolChild(): Promise<void> {
  const cfg = parseModelConfig(SMOL, 'smollm-135m-shape');
  const m = Model.init(cfg, 1);
  const r = await trainSteps(m, 1, 512, num('--steps', 1), num('--warmup', 1));
  const rss = process.resourceUsage().maxRSS * 1024;
  process.stdout.write(JSON.stringify({ params: countParams(cfg), sec: r.sec, tokens_per_s: 512 / r.sec, peak_rss_bytes: rss, loss: r.loss }) + '\n');
}

/** model_torch.py's request file and environment, or null without the interop venv. */
function torchRequest(cfg: ModelConfig, B: number, T: number, steps: number): { venv: string; cfgFile: string; env: NodeJS.ProcessEnv } | null {
  const venv = findVenv();
  if (!venv) return null;
  const cfgFile = path.join(os.tmpdir(), `radpo-bench-${process.pid}.json`);
  fs.writeFileSync(cfgFile, JSON.stringify({ config: cfg, B, T, steps, threads }));
  // Passive OpenMP waiting, like radpo's non-spinning ORT threads (spinning collapses on a shared machine).
  return { venv, cfgFile, env: { ...process.env, OMP_WAIT_POLICY: process.env.OMP_WAIT_POLICY ?? 'PASSIVE' } };
}

/** Mean of the middle two when the count is even. */
function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b), h = s.length >> 1;
  return s.length % 2 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
}

function torchBench(cfg: ModelConfig, B: number, T: number, steps: number): { tokens_per_s: number; torch: string; attn: string } | null {
  const req = torchRequest(cfg, B, T, steps);
  if (!req) return null;
  const { venv, cfgFile, env } = req;
  const r = spawnSync(venv, [path.join(here, 'model_torch.py'), cfgFile], { encoding: 'utf8', timeout: 600_000, env });
  fs.rmSync(cfgFile, { force: true });
  if (r.status !== 0) { process.stderr.write(`torch benchmark failed: ${r.stderr.slice(-2000)}\n`); return null; }
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

/**
 * PyTorch in one long-lived process (model_torch.py --serve) that times a step per request: paired with radpo's
 * steps one by one, both sides meet the same moment of a machine whose speed drifts.
 */
async function torchServer(cfg: ModelConfig, B: number, T: number): Promise<{ step: () => Promise<number>; close: () => void; torch: string; attn: string } | null> {
  const req = torchRequest(cfg, B, T, 1);
  if (!req) return null;
  const { venv, cfgFile, env } = req;
  const child = spawn(venv, [path.join(here, 'model_torch.py'), cfgFile, '--serve'], { env, stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async (): Promise<Record<string, unknown>> => {
    const r = await lines.next();
    if (r.done) throw new Error('torch benchmark process ended early');
    return JSON.parse(r.value) as Record<string, unknown>;
  };
  const ready = await next();
  fs.rmSync(cfgFile, { force: true });
  return {
    torch: String(ready.torch), attn: String(ready.attn),
    step: async () => { child.stdin.write('step\n'); return Number((await next()).sec); },
    close: () => { child.stdin.end(); },
  };
}

/** --paired N: N pairs of single steps (radpo, PyTorch; the order alternates), ratio = PyTorch's seconds / radpo's. */
async function pairedRatio(m: Model, cfg: ModelConfig, B: number, T: number, n: number): Promise<void> {
  const srv = await torchServer(cfg, B, T);
  if (!srv) { console.log('  paired: interop venv not found (bash interop/setup.sh), skipped'); return; }
  const V = cfg.vocab_size, ids = randomIds(B * T, V, 7), lb = new Float32Array(B * T * V), db = new Float32Array(B * T * V);
  const ours = async (): Promise<number> => {
    const t0 = performance.now();
    const logits = await m.forward(ids, B, T, { train: true, logitsOut: lb });
    await m.backward((await crossEntropyOrt(logits, ids, B, T, V, null, db)).dlogits);
    return (performance.now() - t0) / 1000;
  };
  await ours(); await ours();
  const ratios: number[] = [], a: number[] = [], b: number[] = [];
  try {
    for (let i = 0; i < n; i++) {
      let x: number, y: number;
      if (i % 2 === 0) { x = await ours(); y = await srv.step(); } else { y = await srv.step(); x = await ours(); }
      a.push(x); b.push(y); ratios.push(y / x);
    }
  } finally { srv.close(); }
  const q = (v: number[], f: number) => [...v].sort((p, r) => p - r)[Math.min(v.length - 1, Math.floor(f * v.length))]!;
  console.log(`  paired with PyTorch ${srv.torch} eager (${srv.attn}), ${n} back-to-back single steps each (load ${os.loadavg()[0]!.toFixed(1)}): ` +
    `radpo ${(B * T / median(a)).toFixed(0)} tokens/s, PyTorch ${(B * T / median(b)).toFixed(0)} tokens/s (medians); ` +
    `radpo / PyTorch per pair: median ${median(ratios).toFixed(2)}, quartiles ${q(ratios, 0.25).toFixed(2)}-${q(ratios, 0.75).toFixed(2)} (target >= 1.0)`);
}

/** Per-stage milliseconds of one step (median-free: mean over `steps` after warm-up) and GEMM time by shape. */
async function profileStep(m: Model, B: number, T: number, steps: number): Promise<void> {
  modelProfile.ms.clear(); gemmStats.byShape.clear();
  modelProfile.enabled = true; gemmStats.detail = true;
  const s0 = gemmStats.ms, t0 = performance.now();
  await trainSteps(m, B, T, steps, 0);
  const total = (performance.now() - t0) / steps, gemm = (gemmStats.ms - s0) / steps;
  modelProfile.enabled = false; gemmStats.detail = false;
  console.log(`  profile (mean of ${steps} steps, ${total.toFixed(0)} ms/step, GEMMs ${gemm.toFixed(0)} ms, load ${os.loadavg()[0]!.toFixed(1)}):`);
  const rows = [...modelProfile.ms].sort((a, b) => b[1] - a[1]);
  const sum = rows.reduce((a, [, v]) => a + v, 0) / steps;
  for (const [k, v] of rows) console.log(`    ${k.padEnd(22)} ${(v / steps).toFixed(1).padStart(7)} ms`);
  console.log(`    ${'(unaccounted)'.padEnd(22)} ${(total - sum).toFixed(1).padStart(7)} ms`);
  console.log('  GEMMs by shape (ms/step, GFLOP/s):');
  for (const [k, e] of [...gemmStats.byShape].sort((a, b) => b[1].ms - a[1].ms)) {
    console.log(`    ${k.padEnd(34)} ${String(e.calls / steps).padStart(4)} calls ${(e.ms / steps).toFixed(1).padStart(7)} ms ${(e.flops / e.ms / 1e6).toFixed(1).padStart(6)}`);
  }
}

async function main(): Promise<void> {
  if (flag('--smol-child')) return smolChild();
  const steps = num('--steps', 5);
  console.log(`radpo engine benchmark: ${os.cpus()[0]?.model ?? 'cpu'}, ${os.cpus().length} cores, ORT threads ${threads}, load ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  const peak = await gemmPeak();
  console.log(`GEMM peak (ORT FusedMatMul): ${peak.gflops.toFixed(1)} GFLOP/s   [${peak.shapes.join('; ')}]`);

  const cfg = smallConfig(), B = 4, T = 256;
  const m = Model.init(cfg, 1);
  const oc0 = gemmStats.oneThreadCalls, cc0 = gemmStats.calls;
  const r = await trainSteps(m, B, T, steps, 2, true);
  const oneThread = (gemmStats.oneThreadCalls - oc0) / Math.max(1, gemmStats.calls - cc0);
  const mf = modelFlops(cfg, B, T);
  // per-step fraction against the probe GEMM measured just before it (robust to a machine shared with other jobs)
  const fr = r.secs.map((s, i) => mf / s / 1e9 / r.peaks[i]!).sort((a, b) => a - b);
  const eff = r.flops / r.sec / 1e9, useful = modelFlops(cfg, B, T) / r.sec / 1e9;
  console.log(`small config (${(countParams(cfg) / 1e6).toFixed(2)}M params, B=${B}, T=${T}) train step (forward + cross-entropy + backward):`);
  console.log(`  ${(r.sec * 1000).toFixed(0)} ms/step, ${(B * T / r.sec).toFixed(0)} tokens/s, GEMM work ${(r.flops / 1e9).toFixed(2)} GFLOP/step ` +
    `(${(r.gemmSec * 1000).toFixed(0)} ms inside ORT GEMMs), loss ${r.loss.toFixed(3)}` +
    (gemmSettings.adaptive ? `; ${(100 * oneThread).toFixed(0)}% of GEMM calls on 1 thread (adaptive: load > cores + threads)` : '; adaptive threads off'));
  console.log(`  issued GEMM FLOP/s ${eff.toFixed(1)} G = ${(100 * eff / peak.gflops).toFixed(1)}% of GEMM peak; useful model FLOP/s (6 x params x tokens + causal attention) ` +
    `${useful.toFixed(1)} G = ${(100 * useful / peak.gflops).toFixed(1)}% of GEMM peak (target >= 35%)`);
  console.log(`  paired with a 2048x768x768 GEMM probe before each step: median useful fraction ${(100 * fr[Math.floor(fr.length / 2)]!).toFixed(1)}% ` +
    `(probe ${r.peaks.map((x) => x.toFixed(0)).join('/')} GFLOP/s)`);

  if (flag('--profile')) await profileStep(m, B, T, steps);

  if (!flag('--no-torch')) {
    const t = torchBench(cfg, B, T, steps);
    if (t) console.log(`  PyTorch ${t.torch} eager (${t.attn} attention), ${threads} threads, OMP_WAIT_POLICY=${process.env.OMP_WAIT_POLICY ?? 'PASSIVE'}: ${t.tokens_per_s.toFixed(0)} tokens/s; radpo / PyTorch = ${((B * T / r.sec) / t.tokens_per_s).toFixed(2)} (target >= 1.0)`);
    else console.log('  PyTorch: interop venv not found (bash interop/setup.sh), ratio skipped');
    // --rounds R: R-1 more alternating rounds (radpo steps, then the same PyTorch run), so both sides meet the same
    // load on a shared machine; reports every round's ratio and the median.
    const rounds = num('--rounds', 1);
    if (t && rounds > 1) {
      const ratios = [(B * T / r.sec) / t.tokens_per_s];
      for (let i = 1; i < rounds; i++) {
        const o0 = gemmStats.oneThreadCalls, c0 = gemmStats.calls;
        const rr = await trainSteps(m, B, T, steps, 1), one = (gemmStats.oneThreadCalls - o0) / Math.max(1, gemmStats.calls - c0);
        const tt = torchBench(cfg, B, T, steps);
        if (!tt) break;
        ratios.push((B * T / rr.sec) / tt.tokens_per_s);
        console.log(`  round ${i + 1}: radpo ${(B * T / rr.sec).toFixed(0)} tokens/s (${(100 * one).toFixed(0)}% 1-thread GEMM calls), PyTorch ${tt.tokens_per_s.toFixed(0)} tokens/s, ` +
          `ratio ${ratios[i]!.toFixed(2)} (load ${os.loadavg()[0]!.toFixed(1)})`);
      }
      console.log(`  radpo / PyTorch over ${ratios.length} alternating rounds: median ${median(ratios).toFixed(2)} [${ratios.map((x) => x.toFixed(2)).join(', ')}] (target >= 1.0)`);
    }
  }

  if (!flag('--no-torch') && num('--paired', 0) > 0) await pairedRatio(m, cfg, B, T, num('--paired', 0));

  if (!flag('--no-smol')) {
    const c = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--smol-child', '--threads', String(threads)], { cwd: root, encoding: 'utf8', timeout: 900_000 });
    if (c.status !== 0) console.log(`SmolLM-135M shape: failed: ${c.stderr.slice(-2000)}`);
    else {
      const s = JSON.parse(c.stdout.trim().split('\n').pop()!);
      console.log(`SmolLM-135M shape (${(s.params / 1e6).toFixed(1)}M params, B=1, T=512) forward + backward: ${(s.sec).toFixed(2)} s/step, ` +
        `${s.tokens_per_s.toFixed(0)} tokens/s, peak RSS ${(s.peak_rss_bytes / 2 ** 30).toFixed(2)} GiB (limit 6 GiB)`);
    }
  }
}

await main();
