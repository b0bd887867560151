// Optimizer benchmark: one AdamW update (with weight decay and a clipping scale) over P parameters, the WebAssembly
// SIMD path against the TypeScript loop in the same run. Not a test: prints the numbers.
// Usage: npx tsx bench/optimizer.ts [--params P] [--reps N]

import * as os from 'node:os';
import { AdamW, decayMaskFor, gradNorm } from '../src/train/optimizer.js';
import { Rng } from '../src/util/rng.js';

const args = process.argv.slice(2);
const num = (name: string, def: number) => { const i = args.indexOf(name); return i >= 0 ? Number(args[i + 1]) : def; };
const P = num('--params', 5_000_000), REPS = num('--reps', 10);

const rng = new Rng(3);
const params = Float32Array.from({ length: P }, () => rng.normal() * 0.02), grads = Float32Array.from({ length: P }, () => rng.normal() * 1e-3);
const mask = decayMaskFor([{ name: 'model.layers.0.mlp.up_proj.weight', offset: 0, size: P - 1000 }, { name: 'model.norm.weight', offset: P - 1000, size: 1000 }], P);
const opts = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, decayMask: mask };
const variants: [string, AdamW, Float32Array][] = [['TypeScript loop', new AdamW(P, opts, false), params.slice()], ['WebAssembly SIMD', new AdamW(P, opts, true), params.slice()]];
if (!variants[1]![1].simd) console.log('WebAssembly unavailable: both rows are the TypeScript loop');
const ms = variants.map(() => [] as number[]);
for (let r = 0; r < REPS + 2; r++) {
  variants.forEach(([, opt, p], i) => {
    const t0 = performance.now();
    opt.step(p, grads, 1e-4, 0.5);
    if (r >= 2) ms[i]!.push(performance.now() - t0);
  });
}
const med = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!;
console.log(`AdamW update, ${(P / 1e6).toFixed(1)}M parameters (decay mask, clip scale), median of ${REPS} interleaved, load ${os.loadavg()[0]!.toFixed(1)}:`);
variants.forEach(([name], i) => console.log(`  ${name.padEnd(18)} ${med(ms[i]!).toFixed(1)} ms`));
console.log(`  speed-up ${(med(ms[0]!) / med(ms[1]!)).toFixed(2)}x; parameters after ${REPS + 2} steps differ by ${maxRel(variants[0]![2], variants[1]![2]).toExponential(1)} (relative, max); gradient norm pass ${time(() => gradNorm(grads)).toFixed(1)} ms`);

function maxRel(a: Float32Array, b: Float32Array): number {
  let w = 0;
  for (let i = 0; i < a.length; i++) w = Math.max(w, Math.abs(a[i]! - b[i]!) / (1e-3 + Math.abs(a[i]!)));
  return w;
}
function time(f: () => unknown): number { const t0 = performance.now(); f(); return performance.now() - t0; }
